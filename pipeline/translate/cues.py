"""Cues in and out: the source captions as cues to translate, and translated cues on the same times.

A translated cue keeps its source cue's times, so it shows while its words are spoken.
Where the translation runs longer than the caption rules allow in one cue (line length,
lines per cue), the source cue's time is shared out by characters among as many cues as
it needs, each within the rules; the caption lint then checks the language's cues.
"""
from __future__ import annotations

import hashlib
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..captions import Cue, read_caption_file
from ..core.errors import StageError
from ..core.settings import CaptionSettings
from ..core.transcript import Segment, Transcript, Word

SPEAKER_DASH = "- "  # the caption label of a turn whose speaker is unknown
MS_PER_S = 1000  # milliseconds in a second


@dataclass(frozen=True)
class SourceCue:
    """One cue of the source captions, its text without the speaker label."""

    start: float  # seconds
    end: float  # seconds
    text: str  # what is said, one line, no label
    speaker: str | None  # roster id (None: unknown)
    label: str  # the visible label the cue opens with ('Anna: ', '- ') or ""

    @property
    def key(self) -> str:
        """What keys its draft: the hash of the source text (times play no part)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]


def source_cues(vtt: Path, transcript: Transcript) -> list[SourceCue]:
    """The cues of the captions stage's VTT, speakers as roster ids, labels taken off the text."""
    try:
        captions = read_caption_file(vtt)
    except OSError as e:
        raise StageError(f"{vtt}: cannot be read ({e}); run 'coursecast transcribe'") from e
    by_name = {name: sid for sid, name in transcript.speakers.items()}
    return [_source(cue, by_name) for cue in captions.cues]


def _source(cue: Cue, by_name: dict[str, str]) -> SourceCue:
    speaker = by_name.get(cue.speaker, cue.speaker) if cue.speaker else None
    text = cue.text
    label = next((lab for lab in (f"{cue.speaker}: " if cue.speaker else None, SPEAKER_DASH)
                  if lab and text.startswith(lab)), "")
    return SourceCue(cue.start, cue.end, " ".join(text[len(label):].split()), speaker, label)


def _wrapped(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False) or [""]


def resplit(source: SourceCue, text: str, settings: CaptionSettings) -> list[Cue]:
    """The translated `text` as cues on the source cue's time: one cue when it fits the rules, else the time
    shared out by characters among cues of at most max_lines lines, with the rules' gap between them."""
    lines = _wrapped(source.label + text, settings.max_chars_per_line)
    groups = [lines[i:i + settings.max_lines] for i in range(0, len(lines), settings.max_lines)]
    if len(groups) == 1:
        return [Cue(source.start, source.end, tuple(lines), source.speaker)]
    gap = settings.min_gap_frames / settings.frame_rate  # seconds between the cues one source cue becomes
    usable = source.end - source.start - gap * (len(groups) - 1)
    sizes = [sum(len(line) for line in group) for group in groups]
    cues, at = [], source.start
    for index, (group, size) in enumerate(zip(groups, sizes)):
        end = source.end if index == len(groups) - 1 else round(at + usable * size / sum(sizes), 3)
        cues.append(Cue(round(at, 3), end, tuple(group), source.speaker))
        at = end + gap
    return cues


def _words(text: str, start: float, end: float) -> tuple[Word, ...]:
    """Words of a translated cue, timed evenly across it (a translation has no word times of its own)."""
    tokens = text.split()
    step = (end - start) / max(len(tokens), 1)
    return tuple(Word(t, round(start + i * step, 3), round(start + (i + 1) * step, 3), 1.0, "interpolated")
                 for i, t in enumerate(tokens))


@dataclass(frozen=True)
class Translated:
    """One source cue with the text it is published with."""

    source: SourceCue
    text: str  # the translation
    machine: bool  # True: a machine draft nobody has reviewed


def translated_transcript(spoken: Transcript, cues: Sequence[Translated], language: str,
                          about: dict) -> Transcript:
    """The translation as a transcript (a segment per source cue): what print, feeds and site read."""
    segments = tuple(Segment(c.source.start, c.source.end, c.text, _words(c.text, c.source.start, c.source.end),
                             c.source.speaker, flags=("machine-translation",) if c.machine else ())
                     for c in cues)
    return Transcript(episode=spoken.episode, language=language, engine=spoken.engine, model=spoken.model,
                      options={"translation": about}, audio_sha256=spoken.audio_sha256, duration=spoken.duration,
                      segments=segments, speakers=dict(spoken.speakers))
