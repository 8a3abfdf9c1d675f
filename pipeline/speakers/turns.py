"""The machine transcript's speakers as levelling reads them: turns with times and voice indices, no names.

Voices are numbered in order of first appearance, so a renamed speaker, a new
role or a respelled name writes the same file and the encode that reads it is
not rebuilt; only new times or a different partition of the words changes it.
"""
from __future__ import annotations

from pathlib import Path

from ..core.transcript import Transcript, load
from ..episodes import VoiceTurn, save_turns

TURN_BRIDGE_S = 1.0  # seconds: one voice's words closer than this are one turn
UNKNOWN = ""  # the one voice of a transcript whose words have no known speaker


def voice_turns(transcript: Transcript) -> tuple[VoiceTurn, ...]:
    """Runs of one speaker's words, each with its voice index. Words of no known speaker are left out,
    unless no word has one: then they are all one voice (levelled for drift, not against anyone)."""
    index: dict[str, int] = {}
    turns: list[list] = []
    known = any(s.speaker is not None for s in transcript.segments if s.words)
    words = sorted(((w.start, w.end, s.speaker or UNKNOWN) for s in transcript.segments for w in s.words
                    if (s.speaker is not None or not known) and w.end > w.start), key=lambda w: (w[0], w[1]))
    for start, end, speaker in words:
        voice = index.setdefault(speaker, len(index))
        if turns and turns[-1][2] == voice and start - turns[-1][1] <= TURN_BRIDGE_S:
            turns[-1][1] = max(turns[-1][1], end)
        else:
            turns.append([start, end, voice])
    return tuple(VoiceTurn(a, b, v) for a, b, v in turns)


def write_turns(transcript_path: Path, target: Path) -> tuple[VoiceTurn, ...]:
    """The turns of the machine transcript at `transcript_path`, saved to `target`."""
    turns = voice_turns(load(transcript_path))
    save_turns(target, turns)
    return turns
