"""The episode timeline: which stretch of which recording lands where, counted in samples.

An episode is a chain of pieces (intro sting, the kept ranges of the recordings
in order, outro sting). Neighbouring pieces overlap by a short crossfade, so a
piece starts `xfade` samples before the previous one ends. Shortening pauses
cuts stretches out of a piece's interior; the remaining parts are joined with
the same crossfade. Course-file times (chapters, turns) are seconds into the
episode before pauses are shortened; `map_time` moves them with the cut.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

from ..core.errors import StageError


@dataclass(frozen=True)
class Piece:
    path: Path  # the recording or sting, absolute
    name: str  # as messages name it, relative to the course folder
    start: float  # seconds into the file
    end: float  # seconds into the file
    channels: int  # channels of the file's audio stream
    split: bool = False  # one speaker per channel (left, right): mixed to mono, sides kept for ASR
    sting: bool = False  # intro/outro: muted in the ASR audio, black in video
    estimated: bool = False  # `end` is ffprobe's length of the whole file (may be an estimate)


@dataclass(frozen=True)
class Clip:
    piece: int  # index of the piece it comes from
    start: int  # first sample kept, counted from the start of the piece's file
    end: int  # sample after the last one kept
    at: int  # sample of the episode where the clip starts
    xfade: int  # samples it overlaps the previous clip (0 for the first)

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Timeline:
    rate: int  # samples per second
    clips: tuple[Clip, ...]
    removed: tuple[tuple[float, float], ...] = ()  # seconds, spans cut out as pauses (before shortening)

    @property
    def samples(self) -> int:
        last = self.clips[-1]
        return last.at + last.length

    @property
    def duration(self) -> float:
        return self.samples / self.rate

    def interior(self, index: int) -> tuple[int, int]:
        """Samples of the episode where clip `index` plays alone (no crossfade)."""
        clip = self.clips[index]
        following = self.clips[index + 1].xfade if index + 1 < len(self.clips) else 0
        return clip.at + clip.xfade, clip.at + clip.length - following

    def cut_xfades(self) -> list[int]:
        """Samples of crossfade at each removed pause, in order (a cut joins two parts of one piece)."""
        return [c.xfade for p, c in zip(self.clips, self.clips[1:]) if p.piece == c.piece]

    def to_dict(self) -> dict:
        return {"rate": self.rate, "clips": [asdict(c) for c in self.clips],
                "removed": [list(s) for s in self.removed]}


def from_dict(raw: dict) -> Timeline:
    return Timeline(int(raw["rate"]), tuple(Clip(**c) for c in raw["clips"]),
                    tuple((float(a), float(b)) for a, b in raw.get("removed", ())))


def chain(spans: Iterable[tuple[int, int, int]], rate: int, crossfade: int) -> Timeline:
    """Clips from (piece, start sample, end sample) spans, each overlapping the previous by the crossfade.

    A crossfade never takes more than half of either neighbour, so very short
    pieces still join cleanly.
    """
    clips: list[Clip] = []
    for piece, start, end in spans:
        if end <= start:
            raise StageError(f"piece {piece} is empty ({start}..{end} samples); check its keep range")
        if not clips:
            clips.append(Clip(piece, start, end, 0, 0))
            continue
        prev = clips[-1]
        xfade = min(crossfade, prev.length // 2, (end - start) // 2)
        clips.append(Clip(piece, start, end, prev.at + prev.length - xfade, xfade))
    if not clips:
        raise StageError("an episode needs at least one piece of audio")
    return Timeline(rate, tuple(clips))


def join(pieces: Iterable[Piece], rate: int, crossfade_s: float) -> Timeline:
    """The episode timeline of the pieces in order, before any pause is shortened."""
    spans = [(i, round(p.start * rate), round(p.end * rate)) for i, p in enumerate(pieces)]
    return chain(spans, rate, round(crossfade_s * rate))


def remove(timeline: Timeline, spans: Iterable[tuple[float, float]], crossfade_s: float) -> Timeline:
    """Cut `spans` (seconds of the episode) out; spans outside every clip's interior are ignored."""
    rate = timeline.rate
    cuts = sorted((round(a * rate), round(b * rate)) for a, b in spans)
    parts: list[tuple[int, int, int]] = []
    kept: list[tuple[float, float]] = []
    for index, clip in enumerate(timeline.clips):
        lo, hi = timeline.interior(index)
        start = clip.start
        for a, b in cuts:
            if lo <= a < b <= hi:
                parts.append((clip.piece, start, clip.start + a - clip.at))
                start = clip.start + b - clip.at
                kept.append((a / rate, b / rate))
        parts.append((clip.piece, start, clip.end))
    return _rechain(timeline, parts, round(crossfade_s * rate), tuple(kept))


def _rechain(timeline: Timeline, spans: list[tuple[int, int, int]], crossfade: int,
             removed: tuple[tuple[float, float], ...]) -> Timeline:
    """Chain sub-clips: joins inside one original clip get `crossfade`, original joins keep theirs."""
    originals = {c.piece: c.xfade for c in timeline.clips}
    clips: list[Clip] = []
    for piece, start, end in spans:
        if not clips:
            clips.append(Clip(piece, start, end, 0, 0))
            continue
        prev = clips[-1]
        xfade = originals[piece] if prev.piece != piece else min(crossfade, prev.length // 2,
                                                                 (end - start) // 2)
        clips.append(Clip(piece, start, end, prev.at + prev.length - xfade, xfade))
    return Timeline(timeline.rate, tuple(clips), removed)


def master_spans(before: Timeline, after: Timeline) -> list[tuple[int, int]]:
    """Samples of the un-shortened episode that `after` keeps, in order (joined by its cut_xfades)."""
    result, start = [], 0
    for a, b in after.removed:
        result.append((start, round(a * before.rate)))
        start = round(b * before.rate)
    result.append((start, before.samples))
    return result


def map_time(timeline: Timeline, seconds: float) -> float:
    """Seconds into the episode before shortening -> after; inside a removed pause -> where it ends."""
    shift = 0.0
    for (a, b), xfade in zip(timeline.removed, timeline.cut_xfades()):
        fade = xfade / timeline.rate
        if seconds >= b:
            shift += (b - a) + fade
        elif seconds >= a:
            return max(0.0, a - shift - fade)
    return max(0.0, seconds - shift)


def load_timeline(path: Path) -> tuple[Timeline, Timeline]:
    """(before, after) pause shortening, from the audio task's timeline JSON."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return from_dict(raw["before"]), from_dict(raw["after"])
    except (FileNotFoundError, KeyError, json.JSONDecodeError) as e:
        raise StageError(f"{path}: missing or unreadable timeline; run 'coursecast episodes' again") from e


def mute_spans(timeline: Timeline, pieces: tuple[Piece, ...]) -> list[tuple[float, float]]:
    """Seconds of the episode where a sting plays alone: silence in the ASR audio."""
    spans = []
    for index, clip in enumerate(timeline.clips):
        if pieces[clip.piece].sting:
            lo, hi = timeline.interior(index)
            spans.append((lo / timeline.rate, hi / timeline.rate))
    return spans
