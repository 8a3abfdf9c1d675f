"""Words -> speakers: each word goes to whoever talks most during it; segments split there.

Speaker changes fall between words: a Whisper segment that spans a change is cut at the
first word of the new speaker, and each part keeps only its own words and text.
"""
from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Protocol, Sequence

from ..core.transcript import Segment
from .diarize import SpeakerTurn

MAX_REACH = 1.0  # seconds: a word in nobody's turn goes to the nearest turn within this reach


class Timed(Protocol):
    start: float  # seconds
    end: float  # seconds


def assign_words(words: Sequence[Timed], turns: Sequence[SpeakerTurn]) -> tuple[str | None, ...]:
    """A speaker label per word (None when no turn is within MAX_REACH of it)."""
    ordered = sorted(turns, key=lambda t: t.start)
    result: list[str | None] = []
    for word in words:
        result.append(_speaker_of(word, ordered, result[-1] if result else None))
    return tuple(result)


def _speaker_of(word: Timed, turns: Sequence[SpeakerTurn], previous: str | None) -> str | None:
    talk: dict[str, float] = {}
    for turn in turns:
        shared = min(word.end, turn.end) - max(word.start, turn.start)
        if shared > 0:
            talk[turn.speaker] = talk.get(turn.speaker, 0.0) + shared
    if talk:  # most talk wins; a tie keeps the previous word's speaker
        return max(talk, key=lambda s: (talk[s], s == previous))
    distance: dict[str, float] = {}
    for turn in turns:
        gap = max(turn.start - word.end, word.start - turn.end)
        distance[turn.speaker] = min(gap, distance.get(turn.speaker, gap))
    nearest = min(distance, key=lambda s: (distance[s], s != previous), default=None)
    return nearest if nearest is not None and distance[nearest] <= MAX_REACH else None


def split_segments(segments: Sequence[Segment], turns: Sequence[SpeakerTurn],
                   names: dict[str, str] | None = None) -> tuple[Segment, ...]:
    """Segments with a speaker each, cut where the speaker changes between two words.

    `names` maps labels to roster ids (from `naming.name_speakers`); unnamed labels stay.
    Segments without words keep their span and get the speaker of the whole span.
    """
    names = names or {}
    result: list[Segment] = []
    for segment in segments:
        words = segment.words or (segment,)
        labels = assign_words(words, turns)
        speakers = [names.get(label, label) if label else None for label in labels]
        result.extend(_cut(segment, speakers))
    return tuple(result)


def _cut(segment: Segment, speakers: list[str | None]) -> list[Segment]:
    if not segment.words or len(set(speakers)) == 1:
        return [replace(segment, speaker=speakers[0])]
    parts, index = [], 0
    for speaker, group in itertools.groupby(speakers):
        words = segment.words[index:index + len(list(group))]
        index += len(words)
        parts.append(replace(segment, start=words[0].start, end=words[-1].end, words=words,
                             text=" ".join(w.text for w in words), speaker=speaker))
    return parts
