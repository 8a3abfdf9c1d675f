"""Build progress for people: a line per finished task, overall counts and an ETA.

On a terminal the last line is a live status line (what is running, how far,
ETA); elsewhere (make logs, CI) only plain lines are printed.
"""
from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from .dependency import Task


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class Progress:
    def __init__(self, stream: TextIO | None = None, *, live: bool | None = None, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.quiet = quiet
        self._lock = threading.Lock()

    def begin(self, tasks: list[Task]) -> None:
        self.total = len(tasks)
        self.weight_total = sum(t.weight for t in tasks) or 1.0
        self.weight_done = 0.0
        self.weight_built = 0.0
        self.seconds_built = 0.0
        self.count = 0
        self.running: dict[str, float] = {}
        self.start = time.monotonic()

    def started(self, task: Task) -> None:
        with self._lock:
            self.running[task.name] = time.monotonic()
            self._status()

    def finished(self, task: Task, state: str, seconds: float, error: str | None = None) -> None:
        with self._lock:
            self.running.pop(task.name, None)
            self.count += 1
            self.weight_done += task.weight
            if state == "built":
                self.weight_built += task.weight
                self.seconds_built += seconds
            if state != "fresh" or self.live:
                label = {"built": f"done in {seconds:.1f}s", "failed": "FAILED", "blocked": "skipped: upstream failed",
                         "fresh": "up to date"}[state]
                self._line(f"[{self.count}/{self.total}] {task.name}: {label}{self._eta()}")
            if error:
                self._line(f"    {error}".replace("\n", "\n    "))
            self._status()

    def _eta(self) -> str:
        if not self.weight_built or self.count >= self.total:
            return ""
        rate = self.seconds_built / self.weight_built  # seconds of work per unit of weight
        left = (self.weight_total - self.weight_done) * rate
        return f"  (ETA {_clock(left)})" if left >= 1 else ""

    def _line(self, text: str) -> None:
        if self.quiet:
            return
        prefix = "\r\033[K" if self.live else ""
        print(prefix + text, file=self.stream, flush=True)

    def _status(self) -> None:
        if not self.live or self.quiet or not self.running:
            return
        names = ", ".join(sorted(self.running))[:60]
        share = 100 * self.weight_done / self.weight_total
        print(f"\r\033[K{share:3.0f}% running: {names}{self._eta()}", end="", file=self.stream, flush=True)

    def end(self, report) -> None:
        if self.live and not self.quiet:
            print("\r\033[K", end="", file=self.stream, flush=True)
        if self.quiet:
            return
        if not report.built and not report.failed and not report.blocked:
            self._line(f"Nothing to do: all {len(report.up_to_date)} tasks are up to date ({report.seconds:.1f}s).")
            return
        self._line(f"Built {len(report.built)}, up to date {len(report.up_to_date)}, failed {len(report.failed)}, "
                   f"skipped {len(report.blocked)} in {_clock(report.seconds)}.")
