"""The published timeline: the cut episode with the editors' strikes taken out.

Times have three frames here:
  course   the course file's (chapters, turn hints): the episode as cut, before pauses are shortened;
  cut      the cut master's and the ASR audio's: what the transcriber heard (pauses shortened);
  published  the MP3/M4A/MP4 listeners get: the cut with every struck span removed.
`timeline.json` (the cut task's) maps course -> cut; `published.json` (the master
task's) holds that and the strikes' timeline, cut -> published. `published_times`
reads either, so every stage has one function for its times.

A strike is a span of the cut, given by the words editors struck in
`edits/<slug>.txt` (`~~ ... ~~`, the proofreading stage turns them into
`strikes.json`): the first struck word's start, the last one's end, and the
edges of the words either side. The cut falls in the pause before the first
struck word and in the pause after the last one, each snapped to the quietest
10 ms there, so no word either side loses a syllable; the parts join with the
episode's crossfade.
"""
from __future__ import annotations

import json
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..core.errors import StageError
from ..core.fsutil import write_json
from .timeline import Clip, Timeline, chain, from_dict, map_time

SNAP_FRAME_S = 0.01  # seconds per level reading when snapping a cut to the quietest point
SNAP_WITHIN_DB = 3.0  # dB above the quietest reading still taken as quiet (the one nearest the pause's middle wins)
MIN_PAUSE_S = 0.02  # seconds: a search shorter than this is not snapped
REACH_S = 0.15  # seconds a cut may reach into the struck words for a quiet point (their edges are Whisper's guess)
GUARD_S = 0.02  # seconds kept clear of a kept word, beyond the join's crossfade
SILENT_FLOOR = 1e-10  # mean square added before the logarithm (digital silence)
EDGE_S = 0.001  # seconds: a chapter this close to a strike's window is inside it (times are rounded to ms)


@dataclass(frozen=True)
class Strike:
    """One struck span of the cut, in seconds of the cut episode (what the transcriber heard)."""

    before: float  # end of the last word kept before it (0.0: the episode's start)
    start: float  # start of the first struck word
    end: float  # end of the last struck word
    after: float  # start of the first word kept after it (the cut's duration: its end)


def save_strikes(path: Path, strikes: Sequence[Strike]) -> None:
    """strikes.json: times only (rounded to the millisecond), so a word corrected elsewhere changes no byte."""
    write_json(path, {"strikes": [{k: round(getattr(s, k), 3) for k in ("before", "start", "end", "after")}
                                  for s in strikes]})


def load_strikes(path: Path) -> tuple[Strike, ...]:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return tuple(Strike(**{k: float(v) for k, v in s.items()}) for s in raw["strikes"])
    except (FileNotFoundError, KeyError, TypeError, ValueError) as e:
        raise StageError(f"{path}: missing or unreadable strikes; run 'coursecast transcribe' again") from e


# -- where the cuts fall ------------------------------------------------------------------
def _levels(asr: Path) -> tuple[np.ndarray, int]:
    """dB level of each SNAP_FRAME_S of the 16 kHz ASR audio, and its rate."""
    with wave.open(str(asr), "rb") as handle:
        rate = handle.getframerate()
        samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2").astype(np.float64) / 32768.0
    window = max(1, int(rate * SNAP_FRAME_S))
    count = len(samples) // window
    frames = samples[: count * window].reshape(count, window)
    return 10 * np.log10(np.mean(frames**2, axis=1) + SILENT_FLOOR), rate


def _quietest(levels: np.ndarray, lo: float, hi: float, target: float) -> float:
    """Seconds: the quiet point between lo and hi nearest `target` (hi when there is no room)."""
    first, last = int(np.ceil(lo / SNAP_FRAME_S)), int(hi / SNAP_FRAME_S)
    if hi - lo < MIN_PAUSE_S or last <= first or first >= len(levels):
        return max(lo, min(hi, target))
    window = levels[first:min(last, len(levels))]
    quiet = np.flatnonzero(window <= window.min() + SNAP_WITHIN_DB)
    centres = (first + quiet + 0.5) * SNAP_FRAME_S
    return float(centres[np.argmin(np.abs(centres - target))])


def cut_spans(strikes: Sequence[Strike], asr: Path, duration: float, crossfade_s: float) -> list[tuple[float, float]]:
    """Seconds of the cut to remove for each strike: from the quiet point of the pause before it to the
    quiet point of the pause after it (the episode's start or end when nothing is kept there).

    Each cut may reach into the struck words (they go anyway) but keeps a crossfade and GUARD_S away
    from the kept words, so the join's fade never touches their first or last sound."""
    if not strikes:
        return []
    levels, _ = _levels(asr)
    guard = crossfade_s + GUARD_S
    spans = []
    for s in sorted(strikes, key=lambda s: s.start):
        a = 0.0 if s.before <= 0.0 else _quietest(levels, s.before + guard, max(s.before + guard, s.start + REACH_S),
                                                   (s.before + s.start) / 2)
        b = duration if s.after >= duration else _quietest(levels, min(s.end - REACH_S, s.after - guard),
                                                            s.after - guard, (s.end + s.after) / 2)
        if spans and a <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(b, spans[-1][1]))
        elif b > a:
            spans.append((a, b))
    return spans


def struck_timeline(samples: int, rate: int, spans: Iterable[tuple[float, float]], crossfade_s: float) -> Timeline:
    """The published episode as clips of the cut master (piece 0): what `spans` (seconds) leave, crossfaded."""
    kept, start = [], 0
    cuts = sorted((max(0, round(a * rate)), min(samples, round(b * rate))) for a, b in spans)
    for a, b in cuts:
        if a > start:
            kept.append((0, start, a))
        start = max(start, b)
    if samples > start:
        kept.append((0, start, samples))
    if not kept:
        raise StageError("the strikes leave nothing of the episode")
    timeline = chain(kept, rate, round(crossfade_s * rate))
    return Timeline(rate, timeline.clips, tuple((a / rate, b / rate) for a, b in cuts))


def whole(samples: int, rate: int) -> Timeline:
    """The cut master as it is: one clip."""
    return Timeline(rate, (Clip(0, 0, samples, 0, 0),))


# -- mapping times ------------------------------------------------------------------------
def map_clips(timeline: Timeline, seconds: float) -> float:
    """Seconds of the cut -> of the published episode; inside a removed span -> where the episode goes on."""
    x = seconds * timeline.rate
    for clip in timeline.clips:
        if x < clip.start:  # in the span removed before this clip
            return (clip.at + clip.xfade) / timeline.rate
        if x < clip.end:
            return (clip.at + x - clip.start) / timeline.rate
    return timeline.duration


def compose(cut: Timeline, published: Timeline) -> Timeline:
    """The recordings' clips that the published episode plays: `published` (clips of the cut) through `cut`
    (clips of the recordings); the video is cut along it."""
    if cut.rate != published.rate:
        raise StageError(f"the cut ({cut.rate} Hz) and the strikes ({published.rate} Hz) disagree; "
                         "run 'coursecast episodes' again")
    clips: list[Clip] = []
    for outer in published.clips:
        for inner in cut.clips:
            lo, hi = max(outer.start, inner.at), min(outer.end, inner.at + inner.length)
            if hi <= lo:
                continue
            at = outer.at + lo - outer.start
            xfade = clips[-1].at + clips[-1].length - at if clips else 0
            clips.append(Clip(inner.piece, inner.start + lo - inner.at, inner.start + hi - inner.at, at,
                              max(0, xfade)))
    return Timeline(cut.rate, tuple(clips), published.removed)


@dataclass(frozen=True)
class Published:
    before: Timeline  # the cut before pauses are shortened (course-file time), clips of the recordings
    cut: Timeline  # the cut as heard (pauses shortened), clips of the recordings
    published: Timeline  # the published episode, clips of the cut master
    windows: tuple[tuple[float, float], ...] = ()  # seconds of the cut: each strike's kept words either side

    def course_to_published(self, seconds: float) -> float:
        return map_clips(self.published, map_time(self.cut, seconds))


def save_published(path: Path, timeline_json: dict, published: Timeline, strikes: Sequence[Strike] = ()) -> None:
    """published.json: the cut task's timeline, the strikes' timeline of the cut master, the strikes' windows."""
    write_json(path, {**timeline_json, "published": published.to_dict(),
                      "windows": [[s.before, s.after] for s in strikes]})


def load_published(path: Path) -> Published:
    """Either file: timeline.json (nothing struck yet: the published episode is the cut) or published.json."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        before, cut = from_dict(raw["before"]), from_dict(raw["after"])
        published = from_dict(raw["published"]) if "published" in raw else whole(cut.samples, cut.rate)
        windows = tuple((float(a), float(b)) for a, b in raw.get("windows", ()))
        return Published(before, cut, published, windows)
    except (FileNotFoundError, KeyError, TypeError, json.JSONDecodeError) as e:
        raise StageError(f"{path}: missing or unreadable timeline; run 'coursecast episodes' again") from e


def published_times(timeline_file: Path, seconds: Iterable[float], *, heard: bool = False) -> tuple[float, ...]:
    """Times on the published episode: the one place any time becomes one.

    `seconds` are course-file times (chapters, turn hints: the episode as the course file counts it,
    before pauses are shortened) or, with heard=True, times of the cut as transcribed (words, segments).
    With `timeline.json` (the cut's) nothing is struck; with `published.json` (the master task's) the
    strikes are taken out. Tags, chapters JSON, speakers, captions, PDFs, feeds and pages all get their
    times through it, and read the file, so a new cut or a new strike moves them all.
    """
    timelines = load_published(timeline_file)
    if heard:
        return tuple(map_clips(timelines.published, t) for t in seconds)
    return tuple(timelines.course_to_published(t) for t in seconds)


def sources_in_cut(timeline_file: Path) -> tuple[tuple[str, float, float], ...]:
    """(recording as messages name it, start, end): where each recording plays in the cut, in seconds
    (stings left out); a recording used twice has a span per use."""
    try:
        raw = json.loads(Path(timeline_file).read_text(encoding="utf-8"))
        cut, pieces = from_dict(raw["after"]), raw["pieces"]
    except (FileNotFoundError, KeyError, TypeError, json.JSONDecodeError) as e:
        raise StageError(f"{timeline_file}: missing or unreadable timeline; run 'coursecast episodes' again") from e
    spans: dict[int, list[float]] = {}
    for clip in cut.clips:
        if not pieces[clip.piece]["sting"]:
            lo, hi = spans.get(clip.piece, [clip.at, clip.at + clip.length])
            spans[clip.piece] = [min(lo, clip.at), max(hi, clip.at + clip.length)]
    return tuple((pieces[p]["name"], lo / cut.rate, hi / cut.rate) for p, (lo, hi) in sorted(spans.items()))


def emptied(starts: Sequence[float], windows: Sequence[tuple[float, float]], end: float) -> list[bool]:
    """Per chapter (its start in seconds of the cut, in order): True when strikes emptied it, i.e. all of it,
    up to the next chapter (or `end`), lies between the word kept before one strike and the word kept after."""
    bounds = [*starts[1:], end]
    return [any(lo - EDGE_S <= a and b <= hi + EDGE_S for lo, hi in windows) for a, b in zip(starts, bounds)]


def published_chapters(timeline_file: Path, chapters: Sequence[tuple[float, str]]) -> list[tuple[float, str]]:
    """Course-file chapters on the published episode: a chapter inside a strike moves to its end, one the
    strikes emptied is left out (the review file names it)."""
    timelines = load_published(timeline_file)
    cut = [map_time(timelines.cut, at) for at, _ in chapters]
    empty = emptied(cut, timelines.windows, timelines.cut.duration)
    return [(map_clips(timelines.published, t), title) for t, (_, title), gone in zip(cut, chapters, empty)
            if not gone]

