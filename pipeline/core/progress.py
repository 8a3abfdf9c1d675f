"""Build progress for people: a line per finished task, overall counts, an ETA, and progress inside long tasks.

On a terminal the last line is a live status line (what is running, how far,
ETA); elsewhere (make logs, CI) only plain lines are printed. The ETA is the
work left (`forecast.Rates`: seconds per second of audio, per kind of task,
measured by earlier builds and this one) over the parallel jobs. A long task
reports how far it is (`task_progress()`: the transcriber, the share of the audio
decoded), shown in the status line, and as a plain line at each quarter.
"""
from __future__ import annotations

import sys
import threading
import time
from typing import Callable, TextIO

from .dependency import Task
from .forecast import Rates, clock

STEP_LINES = (0.25, 0.5, 0.75)  # shares of a long task at which a plain line is printed (logs)
MIN_STEP_SECONDS = 20.0  # a task expected to take less gets no lines inside it
_running = threading.local()  # the task a worker thread runs, and the Progress that shows it


def _clock(seconds: float) -> str:
    return clock(seconds)


def task_progress() -> Callable[[float, float], None]:
    """A function the running task calls with (done, total) in its own unit (seconds of audio decoded).

    Take it in the task's own thread; it may then be called from any thread. Outside a build: does nothing."""
    task, progress = getattr(_running, "task", None), getattr(_running, "progress", None)
    if task is None or progress is None:
        return lambda done, total: None
    return lambda done, total: progress.step(task, done, total)


def running(task: Task | None, progress: Progress | None) -> None:
    """The runner's worker thread: which task it runs now (None when it is done)."""
    _running.task, _running.progress = task, progress


class Progress:
    def __init__(self, stream: TextIO | None = None, *, live: bool | None = None, quiet: bool = False,
                 jobs: int = 1, rates: Rates | None = None, expected: set[str] | None = None):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.quiet = quiet
        self.jobs = max(1, jobs)
        self.rates = rates or Rates(None)
        self.expected = expected  # names of the tasks a build will run (status's forecast); None: all of them
        self._lock = threading.Lock()

    def begin(self, tasks: list[Task]) -> None:
        self.total = len(tasks)
        self.left = {t.name: t for t in tasks if self.expected is None or t.name in self.expected}
        self.count = 0
        self.running: dict[str, float] = {}
        self.shares: dict[str, float] = {}  # running task -> share of it done, as it reports
        self.printed: dict[str, int] = {}  # running task -> STEP_LINES printed
        self.start = time.monotonic()

    def started(self, task: Task) -> None:
        with self._lock:
            self.running[task.name] = time.monotonic()
            self._status()

    def step(self, task: Task, done: float, total: float) -> None:
        """A long task says how far it is (e.g. seconds of audio decoded of the total)."""
        if total <= 0:
            return
        with self._lock:
            share = min(1.0, max(0.0, done / total))
            self.shares[task.name] = max(share, self.shares.get(task.name, 0.0))
            passed = sum(1 for s in STEP_LINES if self.shares[task.name] >= s)
            if not self.live and passed > self.printed.get(task.name, 0) and \
                    self.rates.seconds(task) >= MIN_STEP_SECONDS:
                self.printed[task.name] = passed
                self._line(f"    {task.name}: {share:.0%} of {clock(total)} of audio decoded{self._eta()}")
            self._status()

    def finished(self, task: Task, state: str, seconds: float, error: str | None = None) -> None:
        with self._lock:
            self.running.pop(task.name, None)
            self.shares.pop(task.name, None)
            self.left.pop(task.name, None)
            self.count += 1
            if state == "built":
                self.rates.observe(task, seconds)
            if state != "fresh" or self.live:
                label = {"built": f"done in {seconds:.1f}s", "failed": "FAILED", "blocked": "skipped: upstream failed",
                         "fresh": "up to date"}[state]
                self._line(f"[{self.count}/{self.total}] {task.name}: {label}{self._eta()}")
            if error:
                self._line(f"    {error}".replace("\n", "\n    "))
            self._status()

    def remaining(self) -> float:
        """Seconds of work left (tasks not finished, less what running ones report done), over the jobs."""
        work = sum(self.rates.seconds(t) * (1.0 - self.shares.get(n, 0.0)) for n, t in self.left.items())
        return work / min(self.jobs, max(1, len(self.left)))

    def _eta(self) -> str:
        if self.count >= self.total or not self.left:
            return ""
        left = self.remaining()
        return f"  (ETA {clock(left)})" if left >= 1 else ""

    def _line(self, text: str) -> None:
        if self.quiet:
            return
        prefix = "\r\033[K" if self.live else ""
        print(prefix + text, file=self.stream, flush=True)

    def _status(self) -> None:
        if not self.live or self.quiet or not self.running:
            return
        names = ", ".join(f"{n} {self.shares[n]:.0%}" if n in self.shares else n for n in sorted(self.running))
        share = 100 * self.count / max(1, self.total)
        print(f"\r\033[K{share:3.0f}% running: {names[:70]}{self._eta()}", end="", file=self.stream, flush=True)

    def end(self, report) -> None:
        self.rates.save()
        if self.live and not self.quiet:
            print("\r\033[K", end="", file=self.stream, flush=True)
        if self.quiet:
            return
        if not report.built and not report.failed and not report.blocked:
            self._line(f"Nothing to do: all {len(report.up_to_date)} tasks are up to date ({report.seconds:.1f}s).")
            return
        self._line(f"Built {len(report.built)}, up to date {len(report.up_to_date)}, failed {len(report.failed)}, "
                   f"skipped {len(report.blocked)} in {_clock(report.seconds)}.")
