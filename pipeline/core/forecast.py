"""What a build will do and how long it will take, before it starts (`status`) and while it runs (the ETA).

- `plan(tasks, store)`: the stale tasks (with the verdict's reasons) and every task
  downstream of one: its inputs are made by a task that will run, so it will run
  after it (today's `status` counted only the first kind: "2 of 64", then 21 built).
- `Rates`: seconds of work per unit of a task's weight, per kind of task (the name
  before the first ':', e.g. `transcribe`, whose weight is its seconds of audio),
  measured by every build and kept in `.coursecast/rates.json` (what a build measures
  is weighed against what was known as if that were PRIOR_SECONDS of work); a kind
  never built on this machine starts from `DEFAULT_RATES`. An ETA is the work left, in seconds
  of audio and tasks, times these rates, shared over the parallel jobs.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .dependency import StateStore, Task
from .fsutil import write_json

RATES_FILE = "rates.json"  # in .coursecast/
DEFAULT_RATE = 1.0  # seconds per unit of weight for a kind of task never built here
DEFAULT_RATES = {  # seconds of work per unit of weight: a build from scratch of the benchmark course on 2 shared
    # CPU cores, -j 2, tiny.en with faster-whisper (2026-12-07); each build then learns this machine's own
    "transcribe": 0.05,  # per second of audio heard (model loading included)
    "diarize": 0.6,  # per unit of its weight (seconds of audio x WEIGHT_PER_SECOND)
    "episodes": 0.004,  # per second of audio: the cut
    "master": 0.08,  # per unit of its weight (seconds of audio x MASTER_COST): the sound, the encodes, the gate
    "video-encode": 0.025,  # per unit of its weight (seconds of video x VIDEO_COST): 720p, x264 veryfast
    "tags": 0.04,
    "print": 0.1, "artwork": 0.3, "speakers": 0.2, "site": 1.5, "review": 1.0, "captions": 0.5,
}
PRIOR_SECONDS = 30.0  # seconds of work the known rate counts as, against what this build measures
MIN_WEIGHT = 1e-3  # weights below this are not measured (the time is all overhead)


def kind(task: Task) -> str:
    return task.name.split(":", 1)[0]


@dataclass(frozen=True)
class Plan:
    stale: dict[str, tuple[str, ...]]  # task name -> why it is stale (the verdict's reasons)
    downstream: dict[str, str]  # task name -> the stale (or downstream) task it waits on: it will run too
    total: int  # tasks considered

    @property
    def to_build(self) -> list[str]:
        return [*self.stale, *self.downstream]


def plan(tasks: list[Task], store: StateStore) -> Plan:
    """Which tasks a build will run: the stale ones, and every task fed by one of them (in build order)."""
    producer = {target: t.name for t in tasks for target in t.targets}
    stale: dict[str, tuple[str, ...]] = {}
    downstream: dict[str, str] = {}
    for task in _in_order(tasks, producer):
        verdict = store.verdict(task)
        if verdict.stale:
            stale[task.name] = verdict.reasons
            continue
        feeding = [producer[p] for p in task.inputs if producer.get(p) in stale or producer.get(p) in downstream]
        if feeding and not task.create_only:  # an editing file is never rewritten, whatever comes before it
            downstream[task.name] = feeding[0]
    return Plan(stale, downstream, len(tasks))


def _in_order(tasks: list[Task], producer: dict[Path, str]) -> list[Task]:
    """Tasks with every producer of their inputs before them."""
    by_name = {t.name: t for t in tasks}
    done: set[str] = set()
    ordered: list[Task] = []

    def visit(task: Task, path: tuple[str, ...] = ()) -> None:
        if task.name in done or task.name in path:
            return
        for p in task.inputs:
            if (name := producer.get(p)) and name != task.name:
                visit(by_name[name], (*path, task.name))
        done.add(task.name)
        ordered.append(task)

    for task in tasks:
        visit(task)
    return ordered


class Rates:
    """Seconds of work per unit of weight, per kind of task; learned by each build, kept per course."""

    def __init__(self, folder: Path | None):
        self.path = folder / RATES_FILE if folder else None
        self.rates: dict[str, float] = dict(DEFAULT_RATES)
        self.measured: set[str] = set()  # kinds measured on this machine (the rest: DEFAULT_RATES' guesses)
        self._lock = threading.Lock()
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8")) if self.path and self.path.is_file() else {}
            saved = {k: float(v) for k, v in saved.items() if isinstance(v, (int, float)) and v > 0}
        except (OSError, ValueError, AttributeError):
            saved = {}  # only an estimate: a damaged file starts from the defaults
        self.rates.update(saved)
        self.measured.update(saved)
        self.dirty = False  # measured something this build: worth saving
        self.known = dict(self.rates)  # what this build starts from (earlier builds, or the guesses)
        self.sums: dict[str, list[float]] = {}  # kind -> [seconds, weight] measured by this build

    def seconds(self, task: Task) -> float:
        return task.weight * self.rates.get(kind(task), DEFAULT_RATE)

    def total(self, tasks: Iterable[Task]) -> float:
        return sum(self.seconds(t) for t in tasks)

    def observe(self, task: Task, seconds: float) -> None:
        if task.weight < MIN_WEIGHT:
            return
        with self._lock:
            name = kind(task)
            sums = self.sums.setdefault(name, [0.0, 0.0])
            sums[0] += seconds
            sums[1] += task.weight
            known = self.known.get(name, DEFAULT_RATE)  # counted as PRIOR_SECONDS of work: one short task
            prior = PRIOR_SECONDS / known  # (a model loading for 5 s of audio) cannot swing the estimate
            self.rates[name] = (known * prior + sums[0]) / (prior + sums[1])
            self.measured.add(name)
            self.dirty = True

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        try:
            write_json(self.path, {k: round(self.rates[k], 4) for k in sorted(self.measured)})
        except OSError:
            pass  # only an estimate: a build never fails for it


def audio_seconds(tasks: Iterable[Task]) -> float:
    """Seconds of audio the transcriber will hear among `tasks`."""
    return sum(t.weight for t in tasks if kind(t) == "transcribe")


def clock(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


MAX_AFTER_NAMED = 6  # downstream tasks named in status's line; the rest are counted


def status_lines(found: Plan, tasks: list[Task], rates: Rates, jobs: int) -> list[str]:
    """What `status` prints: each stale task and why, what will run after them, and the totals with an ETA."""
    lines = [f"{name}: {'; '.join(reasons)}" for name, reasons in found.stale.items()]
    if found.downstream:
        after = list(found.downstream)
        named = ", ".join(after[:MAX_AFTER_NAMED]) + (f" and {len(after) - MAX_AFTER_NAMED} more"
                                                      if len(after) > MAX_AFTER_NAMED else "")
        lines.append(f"Then {len(after)} task(s) fed by their outputs will rebuild (unless those come out the "
                     f"same): {named}")
    if not found.to_build:
        return lines + [f"All {found.total} tasks are up to date."]
    wanted = set(found.to_build)
    chosen = [t for t in tasks if t.name in wanted]
    episodes = {t.episode for t in chosen if t.episode}
    work = rates.total(chosen) / min(max(1, jobs), max(1, len(episodes)))
    audio = audio_seconds(chosen)
    heard = f"; {clock(audio)} of audio to transcribe" if audio else ""
    return lines + [f"{len(wanted)} of {found.total} tasks to build ({len(found.stale)} stale, "
                    f"{len(found.downstream)} after them){heard}; ETA about {clock(work)} with -j {jobs}."]
