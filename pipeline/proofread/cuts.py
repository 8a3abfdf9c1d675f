"""Cut by editing the text: the words editors strike (`~~ ... ~~`) become spans cut from the audio.

The `cuts:<slug>` task reads the machine transcript and the editing file and
writes `.coursecast/work/<slug>/strikes.json`: for each run of struck words, the
machine's times of the first and last struck word and of the words kept either
side (episodes.Strike). Times only, and the machine's: a word corrected
elsewhere, a renamed speaker or a new title changes no byte of it, so nothing
that reads it (the master task: the encodes, then every published form) runs
again. Struck words are heard once, on the uncut audio; a strike re-maps times
and re-encodes, it never re-transcribes.

`retimed` moves a transcript of the cut (what was heard) onto the published
episode through `episodes.published_times`, the one time base.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from ..core import layout
from ..core.course import Course, Episode
from ..core.dependency import Task
from ..core.errors import CoursecastError, StageError
from ..core.timecode import format_timecode
from ..core.transcript import Coverage, Stretch, Transcript, load
from ..episodes import MIN_EPISODE_S, Strike, emptied, published_times, save_strikes, sources_in_cut
from .corrections import EditSources, EpisodeEdits, edit_sources, episode_plan

TASK_WEIGHT = 0.01  # relative cost of a cuts task (a transcription weighs its seconds of audio)
STRIKE_MARK = b"~~"  # the strike syntax (strike.py), as bytes: a file without it strikes nothing


@dataclass(frozen=True)
class StruckRun:
    strike: Strike  # its times in the cut
    line: int  # the editing file's line of its first struck word
    words: tuple[str, ...]  # the struck words, as the editor sees them


def struck_runs(edits: EpisodeEdits, duration: float) -> list[StruckRun]:
    """Runs of consecutive struck words that the recording has (words the editor wrote have no sound)."""
    runs: list[list] = []
    for index, planned in enumerate(edits.plan.words):
        if not planned.struck:
            continue
        if runs and runs[-1][-1][0] == index - 1:
            runs[-1].append((index, planned))
        else:
            runs.append([(index, planned)])
    machine = edits.plan.machine
    result = []
    for run in runs:
        heard = [p.source for _, p in run if p.source is not None] + [
            i for _, p in run if p.source is None for i in _replaced(machine, p.span)]
        if not heard:
            continue
        lo, hi = min(heard), max(heard)
        before = machine[lo - 1].word.end if lo > 0 else 0.0
        after = machine[hi + 1].word.start if hi + 1 < len(machine) else duration
        strike = Strike(before, machine[lo].word.start, machine[hi].word.end, max(after, machine[hi].word.end))
        result.append(StruckRun(strike, run[0][1].struck, tuple(p.text for _, p in run)))
    return result


def _replaced(machine, span: tuple[float, float]) -> list[int]:
    """The machine words a word the editor wrote (and struck) stands in for: those inside its span."""
    lo, hi = span
    return [i for i, s in enumerate(machine) if lo <= s.word.start and s.word.end <= hi] if hi > lo else []


def _about(runs: Sequence[StruckRun], duration: float) -> float:
    """Seconds the strikes take out, about (each cut falls somewhere in the pauses either side)."""
    removed, last = 0.0, 0.0
    for run in sorted(runs, key=lambda r: r.strike.start):
        s = run.strike
        lo = 0.0 if s.before <= 0 else (s.before + s.start) / 2
        hi = duration if s.after >= duration else (s.end + s.after) / 2
        lo = max(lo, last)
        removed += max(0.0, hi - lo)
        last = max(last, hi)
    return removed


def check_runs(runs: list[StruckRun], edits: EpisodeEdits, duration: float,
               sources: tuple[tuple[str, float, float], ...], file: str) -> None:
    """StageError, located, for strikes no episode survives: all of it, under MIN_EPISODE_S, or a whole recording."""
    if not runs:
        return
    words = [w.word for w in edits.plan.machine]
    struck = {p.source for p in edits.plan.words if p.struck and p.source is not None}
    kept = [w for i, w in enumerate(words) if i not in struck]
    where = f"{file}:{runs[0].line}"
    if not kept:
        raise StageError(f"{where}: the strikes take out every word, which would leave the episode empty; "
                         "unstrike what should stay (remove the episode from the course file to drop it)")
    left = duration - _about(runs, duration)
    if left < MIN_EPISODE_S:
        raise StageError(f"{where}: the strikes would leave {max(left, 0.0):.1f} s of the episode, less than "
                         f"{MIN_EPISODE_S:g} s; unstrike some of it")
    for name, lo, hi in sources:
        inside = [i for i, w in enumerate(words) if lo <= w.start < hi]
        if inside and all(i in struck for i in inside):
            line = next(r.line for r in runs if r.strike.end > lo)
            raise StageError(f"{file}:{line}: the strikes cover all of {name} "
                             f"({format_timecode(lo)}-{format_timecode(hi)}); take it out of the course "
                             "file's sources instead of striking it")


# -- the cuts:<slug> task ----------------------------------------------------------------
@dataclass(frozen=True)
class CutsJob:
    """What the `cuts:<slug>` task reads."""

    sources: EditSources  # the editing file, the replacements, the roster
    machine: Path  # the machine transcript: the words' times in the cut
    timeline: Path  # the cut's timeline.json: where each recording plays
    target: Path  # strikes.json


def cuts_job(course: Course, episode: Episode) -> CutsJob:
    return CutsJob(edit_sources(course, episode), layout.machine_transcript(course, episode),
                   layout.timeline(course, episode), layout.strikes(course, episode))


def _strikes_anything(path: Path) -> bool:
    """The editing file has a `~~` outside its comments (or cannot be read: the parser then says why)."""
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return any(STRIKE_MARK in line and not line.lstrip().startswith(b"#") for line in lines)


def _checked_runs(job: CutsJob) -> list[StruckRun]:
    """The struck runs, checked (StageError, located, for strikes no episode survives)."""
    if not _strikes_anything(job.sources.edit_file):
        return []
    machine = load(job.machine)
    edits = episode_plan(job.sources, machine)
    runs = struck_runs(edits, machine.duration)
    if runs:
        check_runs(runs, edits, machine.duration, sources_in_cut(job.timeline), edits.doc.file if edits.doc else "")
    return runs


def write_strikes(job: CutsJob) -> int:
    """The cuts task's action: strikes.json from the struck words; how many struck spans.

    An editing file without `~~` strikes nothing, whatever else is in it: a mistake elsewhere in it
    stops the captions (as it always did), never the episode's audio."""
    runs = _checked_runs(job)
    save_strikes(job.target, [r.strike for r in runs])
    return len(runs)


def strike_problems(job: CutsJob) -> list[str]:
    """What `coursecast check` says about an episode's strikes: the cuts task's refusal, nothing written."""
    if not job.timeline.exists():
        return []
    try:
        _checked_runs(job)
    except CoursecastError as e:
        return [str(e)]
    return []


def cuts_tasks(course: Course) -> list[Task]:
    tasks = []
    for episode in course.episodes:
        job = cuts_job(course, episode)
        tasks.append(Task(stage="transcribe", name=f"cuts:{episode.slug}", action=write_strikes, job=job,
                          inputs=(job.machine, *job.sources.files, job.timeline), targets=(job.target,),
                          episode=episode.slug, weight=TASK_WEIGHT))
    return tasks


# -- the published episode's times -------------------------------------------------------
def retimed(transcript: Transcript, timeline: Path) -> Transcript:
    """The transcript of the cut (times as heard) on the published episode (times as listeners hear them)."""
    times = [transcript.duration]
    for segment in transcript.segments:
        times += [segment.start, segment.end, *(t for w in segment.words for t in (w.start, w.end))]
    stretches = _stretches(transcript.coverage)
    times += [t for s in stretches for t in (s.start, s.end)] + [f.at for f in transcript.term_fixes]
    moved = dict(zip(times, published_times(timeline, times, heard=True)))
    at = lambda t: round(moved[t], 3)  # noqa: E731
    segments = tuple(replace(s, start=at(s.start), end=at(s.end),
                             words=tuple(replace(w, start=at(w.start), end=max(at(w.start), at(w.end)))
                                         for w in s.words)) for s in transcript.segments)
    return replace(transcript, duration=at(transcript.duration), segments=segments,
                   coverage=_moved_coverage(transcript.coverage, at),
                   term_fixes=tuple(replace(f, at=at(f.at)) for f in transcript.term_fixes))


def _stretches(coverage: Coverage | None) -> list[Stretch]:
    return [*coverage.redecoded, *coverage.without_words] if coverage else []


def _moved_coverage(coverage: Coverage | None, at) -> Coverage | None:
    if coverage is None:
        return None
    move = lambda stretches: tuple(Stretch(at(s.start), at(s.end)) for s in stretches)  # noqa: E731
    return replace(coverage, redecoded=move(coverage.redecoded), without_words=move(coverage.without_words))


def emptied_chapters(edits: EpisodeEdits, chapters: Sequence[tuple[float, str]], timeline: Path,
                     duration: float) -> list[str]:
    """'[HH:MM:SS] Title' of each chapter the strikes emptied (episodes.emptied, as the published chapters
    decide it). Chapter times are the course file's; `timeline` (the cut's) moves them onto the words' time."""
    runs = struck_runs(edits, duration)
    if not runs or not chapters:
        return []
    starts = published_times(timeline, [at for at, _ in chapters])
    empty = emptied(starts, [(r.strike.before, r.strike.after) for r in runs], duration)
    return [f"[{format_timecode(t, millis=False)}] {title}" for t, (_, title), gone in zip(starts, chapters, empty)
            if gone]
