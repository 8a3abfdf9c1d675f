"""Who speaks when, from what the recording says: one speaker per channel, the course file's turn hints, or voices.

`attribute` merges what the engine heard (the mix and/or each side of a
one-speaker-per-channel recording) into the machine transcript, each segment
with its speaker. Turn hints are course-file times: they reach the episode's
timeline through `episodes.published_times`, like every course-file time.
Where neither channels nor turn hints say, the turns found by voice (`diarize`,
already named) give each word of the mix its speaker, and a segment that spans a
change of speaker is split at the word where it happens.
"""
from __future__ import annotations

import bisect
import hashlib
import itertools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from ..core.asr_audio import SAMPLE_RATE, read_audio
from ..core.course import TurnHint
from ..core.transcript import Segment, Transcript, Word, load
from ..transcribe import respell
from .diarize import SpeakerTurn
from .words import assign_words

SILENT_RMS = 10 ** (-60 / 20)  # -60 dBFS: a side this quiet over a word has nothing to say (unsplit parts are 0)
BLEED_RATIO = 10 ** (15 / 20)  # 15 dB: a word this much louder on another side is that side's speech leaking in
CHANNEL_PAD_S = 0.05  # seconds added around a word when measuring channel energy


@dataclass(frozen=True)
class ChannelSpeaker:
    side: str  # "left" or "right"
    audio: Path  # 16 kHz mono WAV of that side, on the episode's timeline
    heard: Path  # what the engine heard on that side (transcribed on its own)
    speaker: str  # roster id of the person on that side


@dataclass(frozen=True)
class SpeakerHints:
    names: tuple[tuple[str, str], ...] = ()  # (roster id, display name) of the episode's speakers
    channels: tuple[ChannelSpeaker, ...] = ()  # both sides, when recorded one speaker per channel
    turns: tuple[TurnHint, ...] = ()  # turn hints on the episode's timeline, in time order
    found: tuple[SpeakerTurn, ...] = ()  # turns found by voice, each with a roster id (or a label's id)
    notes: tuple[str, ...] = ()  # how the speakers were found and named, for the editing file


@dataclass(frozen=True)
class AttributionResult:
    path: Path  # the machine transcript written
    by_channel: int  # words attributed from the stereo channels
    by_turns: int  # words attributed from turn hints
    unknown: int  # words left without a speaker
    by_voice: int = 0  # words attributed from the turns found by voice


def attribute(mix: Path | None, dst: Path, hints: SpeakerHints, terms: Sequence[str] = ()) -> AttributionResult:
    """Merge what was heard into the machine transcript `dst`, each segment with its speaker, near misses of
    `terms` (the roster's names, the vocabulary) respelled.

    With one speaker per channel, each side was transcribed on its own: its words are
    that side's speaker's, except bleed (the other side far louder over the word).
    Words of the mix (`mix`, when some source is not split) count only where both
    sides are silent; they take the latest turn hint at or before them, or stay unknown.
    """
    sides = [(c, read_audio(c.audio)) for c in hints.channels]
    counts = {"channel": 0, "turns": 0, "voice": 0, "unknown": 0}
    segments: list[Segment] = []
    for channel, _ in sides:
        for segment in load(channel.heard).segments:
            words = [w for w in segment.words if not _bleed(w, channel, sides)]
            counts["channel"] += len(words)
            segments.extend(_keep(segment, words, [channel.speaker] * len(words)))
    base = load(mix) if mix else load(hints.channels[0].heard)
    if mix:
        segments.extend(_from_mix(base, sides, hints, counts))
    segments.sort(key=lambda s: (s.start, s.end))
    result = replace(base, segments=tuple(segments), speakers=dict(hints.names),
                     audio_sha256=_audio_hash(mix, hints), duration=_duration(mix, hints),
                     attribution=hints.notes)
    if terms:
        result = respell(result, terms)
    result.save(dst)
    return AttributionResult(Path(dst), counts["channel"], counts["turns"], counts["unknown"], counts["voice"])


def _from_mix(mix: Transcript, sides: list, hints: SpeakerHints, counts: dict) -> list[Segment]:
    """The mix's words where no side talks, each with its turn hint's speaker, else the voice's found there."""
    segments = []
    for segment in mix.segments:
        words = [w for w in segment.words if not _any_side_active(w.start, w.end, sides)]
        if hints.turns or not hints.found:
            speakers, how = hinted_speakers(words, hints.turns), "turns"
        else:
            speakers, how = list(assign_words(words, hints.found)), "voice"
        for speaker in speakers:
            counts[how if speaker else "unknown"] += 1
        segments.extend(_keep(segment, words, speakers))
    return segments


def hinted_speakers(words: Sequence[Word], turns: Sequence[TurnHint]) -> list[str | None]:
    """Each word's speaker by turn hints: the latest hint at or before the word's middle (robust to early starts)."""
    ats = [t.at for t in turns]
    return [turns[index].speaker if (index := bisect.bisect_right(ats, (w.start + w.end) / 2) - 1) >= 0 else None
            for w in words]


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0


def _level(samples: np.ndarray, start: float, end: float) -> float:
    first = int(max(0.0, start - CHANNEL_PAD_S) * SAMPLE_RATE)
    return _rms(samples[first:int((end + CHANNEL_PAD_S) * SAMPLE_RATE)])


def _any_side_active(start: float, end: float, sides: list) -> bool:
    return any(_level(samples, start, end) >= SILENT_RMS for _, samples in sides)


def _bleed(word: Word, channel: ChannelSpeaker, sides: list) -> bool:
    """A word heard on this side that is another side's speech leaking in (far louder there)."""
    own = next(_level(a, word.start, word.end) for c, a in sides if c is channel)
    return any(_level(a, word.start, word.end) >= max(own, SILENT_RMS) * BLEED_RATIO
               for c, a in sides if c is not channel)


def _keep(segment: Segment, words: list[Word], speakers: list[str | None]) -> list[Segment]:
    """The segment cut down to `words`, split wherever the speaker changes."""
    if len(words) == len(segment.words) and len(set(speakers)) <= 1:
        return [replace(segment, speaker=speakers[0] if speakers else None)] if words else []
    parts = []
    for speaker, group in itertools.groupby(zip(words, speakers), key=lambda pair: pair[1]):
        kept = tuple(w for w, _ in group)
        parts.append(replace(segment, start=kept[0].start, end=kept[-1].end, words=kept,
                             text=" ".join(w.text for w in kept), speaker=speaker))
    return parts


def _audio_hash(mix: Path | None, hints: SpeakerHints) -> str:
    """The hash of what was heard: the mix's, or of every side's when only sides were heard."""
    if mix:
        return load(mix).audio_sha256
    joined = ",".join(f"{c.side}:{load(c.heard).audio_sha256}" for c in hints.channels)
    return hashlib.sha256(joined.encode()).hexdigest()


def _duration(mix: Path | None, hints: SpeakerHints) -> float:
    return max(load(p).duration for p in ([mix] if mix else [c.heard for c in hints.channels]))
