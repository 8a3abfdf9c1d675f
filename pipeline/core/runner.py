"""Runs tasks in dependency order, episodes in parallel, under one build lock per course.

The runner never decides staleness itself: it asks dependency.StateStore for a
verdict just before a task would run (after its upstream tasks finished), runs
the stale ones, and records what each was built from. A task's upstream is
every task that produces one of its inputs.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import functools
import logging
import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from .dependency import StateStore, Task
from .errors import REPORT_BUGS, BuildLockedError, CoursecastError, StateError
from .executors import LocalExecutor
from .progress import Progress, running

log = logging.getLogger("coursecast.runner")


@dataclass(frozen=True)
class Failure:
    task: str
    message: str


@dataclass(frozen=True)
class BuildReport:
    built: tuple[str, ...]  # tasks that ran
    up_to_date: tuple[str, ...]  # tasks that were fresh
    failed: tuple[Failure, ...]  # tasks whose action raised
    blocked: tuple[str, ...]  # tasks not run because an upstream task failed
    seconds: float  # wall time
    timings: dict[str, float] = field(default_factory=dict)  # task name -> wall seconds it ran

    @property
    def ok(self) -> bool:
        return not self.failed and not self.blocked


def upstream_map(tasks: Iterable[Task]) -> dict[str, set[str]]:
    """task name -> names of the tasks producing its inputs."""
    tasks = list(tasks)
    producer = {target: t.name for t in tasks for target in t.targets}
    return {t.name: {producer[p] for p in t.inputs if p in producer and producer[p] != t.name}
            for t in tasks}


def select(tasks: list[Task], stages: Iterable[str] | None, episodes: Iterable[str] | None = None) -> list[Task]:
    """The tasks of the given stages (all when None) and everything upstream of them."""
    stages = set(stages) if stages else None
    episodes = set(episodes) if episodes else None
    by_name = {t.name: t for t in tasks}
    ups = upstream_map(tasks)
    wanted = [t.name for t in tasks  # with an episode filter, course-wide tasks (feeds, booklets) wait
              if (stages is None or t.stage in stages) and (episodes is None or t.episode in episodes)]
    chosen: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name not in chosen:
            chosen.add(name)
            wanted.extend(ups[name])
    return [by_name[n] for n in by_name if n in chosen]


@contextlib.contextmanager
def build_lock(state_dir: Path, *, wait_for_it: bool = True, notify=print) -> Iterator[None]:
    """One build per course at a time. The OS drops the lock if the holder dies (even kill -9)."""
    path = state_dir / "lock"
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")
    except OSError as e:
        if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise StateError(f"{state_dir.parent}: the course folder cannot be written ({e.strerror}); the build "
                             "writes its outputs beside the course file: make the folder writable, or copy the "
                             "course to a folder you may write to and build there") from e
        raise StateError(f"{path}: the build's lock cannot be made ({e.strerror or e}); check that "
                         f"{state_dir.name}/ is a folder you may write to, on a disk with free space") from e
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            if not wait_for_it:
                raise BuildLockedError(
                    f"{path}: another coursecast build ({holder}) is running on this course; "
                    "wait for it to finish, or run again without --no-wait to queue behind it") from None
            notify(f"Another coursecast build ({holder}) is running on this course; waiting for it...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {time.strftime('%H:%M:%S')}")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


class _Run:
    """One build: submits ready tasks to an executor (threads here, or Dask workers), records what finished."""

    def __init__(self, tasks: list[Task], store: StateStore, executor: Any, progress: Progress):
        self.tasks = {t.name: t for t in tasks}
        self.ups = upstream_map(tasks)
        self.store, self.executor, self.progress = store, executor, progress
        self.done: dict[str, str] = {}  # name -> "built" | "fresh" | "failed" | "blocked"
        self.failures: list[Failure] = []
        self.timings: dict[str, float] = {}
        self.running: dict[str, Any] = {}  # name -> the executor's future

    def ready(self) -> list[Task]:
        return [t for n, t in self.tasks.items()
                if n not in self.done and n not in self.running and all(u in self.done for u in self.ups[n])]

    def execute(self) -> None:
        while len(self.done) < len(self.tasks):
            ready = self.ready()
            for task in ready:
                self.start(task)
            if not self.running:
                if not ready:
                    left = sorted(set(self.tasks) - set(self.done))
                    raise CoursecastError(f"tasks wait on each other in a cycle: {', '.join(left)}")
                continue
            finished = self.executor.finished(self.running.values())
            for name in [n for n, f in self.running.items() if f in finished]:
                self.finish(self.tasks[name], self.running.pop(name))

    def start(self, task: Task) -> None:
        if any(self.done[u] in ("failed", "blocked") for u in self.ups[task.name]):
            self.done[task.name] = "blocked"
            self.progress.finished(task, "blocked", 0.0)
            return
        verdict = self.store.verdict(task)
        if not verdict.stale:
            self.done[task.name] = "fresh"
            self.progress.finished(task, "fresh", 0.0)
            return
        log.debug("%s is stale: %s", task.name, "; ".join(verdict.reasons))
        self.progress.started(task)
        self.running[task.name] = self.executor.submit(_timed, task, self.progress)

    def finish(self, task: Task, future: Any) -> None:
        error, seconds = self.executor.outcome(future, task.name)
        self.timings[task.name] = round(seconds, 3)
        if error is None:
            try:  # a task whose record cannot be written counts as failed: it runs again next time
                self.store.record(task)
                self.done[task.name] = "built"
                self.progress.finished(task, "built", seconds)
                return
            except StateError as e:
                error = str(e)
        try:
            self.store.forget(task)
        except StateError as e:
            error += f"\n{e}"
        self.done[task.name] = "failed"
        self.failures.append(Failure(task.name, error))
        self.progress.finished(task, "failed", seconds, error)


def _timed(task: Task, progress: Progress | None = None) -> tuple[str | None, float]:
    start = time.monotonic()
    running(task, progress)  # the task may report how far it is (progress.task_progress)
    try:
        task.run()
        return None, time.monotonic() - start
    except CoursecastError as e:
        return str(e), time.monotonic() - start
    except Exception as e:
        log.debug("%s", traceback.format_exc())
        return _failure(task, e), time.monotonic() - start
    finally:
        running(None, None)
        _give_back_memory()


@functools.lru_cache(maxsize=1)
def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc; None elsewhere (macOS has no such call)
    except (OSError, AttributeError):
        return None


def _give_back_memory() -> None:
    """Return the heap's free pages to the system after a task. glibc keeps what a thread's arrays freed for
    later, so the build's resident memory grew task by task: on a 45-minute episode the process held 1.35 GB
    once transcription and diarization had finished, 0.84 GB after trimming."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _failure(task: Task, error: Exception) -> str:
    """What went wrong, for people: the file system's refusal (a library may wrap it: mutagen), or a bug."""
    os_error = _os_error(error)
    where = os_error.filename if os_error is not None and os_error.filename else (
        f"writing in {task.targets[0].parent}" if task.targets else "writing")  # a library may not say which file
    if os_error is not None and os_error.errno == errno.ENOSPC:
        return f"{task.name}: the disk is full ({where}); free some space and build again"
    if os_error is not None:
        return f"{task.name}: {os_error.strerror or os_error} ({where}); check disk space and permissions"
    return f"{task.name}: internal error {type(error).__name__}: {error}; {REPORT_BUGS}"


def _os_error(error: BaseException | None) -> OSError | None:
    """The OSError behind an exception: itself, or what it was raised from or while handling."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, OSError):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def run(tasks: list[Task], store: StateStore, *, jobs: int, progress: Progress, executor: Any = None) -> BuildReport:
    """Build every stale task among `tasks`; returns what happened (never raises for a task's failure).

    `executor` runs the actions (core/executors.py); None: `jobs` threads in this process.
    """
    start = time.monotonic()
    progress.begin(tasks)
    own = executor is None
    executor = LocalExecutor(jobs) if own else executor
    build = _Run(tasks, store, executor, progress)
    try:
        build.execute()
    finally:
        if own:
            executor.close()
    store.hashes.save()
    by = lambda state: tuple(n for n, s in build.done.items() if s == state)  # noqa: E731
    report = BuildReport(by("built"), by("fresh"), tuple(build.failures), by("blocked"),
                         time.monotonic() - start, build.timings)
    progress.end(report)
    return report


MAX_NAMED = 4  # outputs named per line of `outstanding`; the rest are counted


def outstanding(tasks: list[Task], store: StateStore) -> list[str]:
    """Per episode (then the course-wide outputs), what a build still has to make: missing and stale outputs.

    The same verdicts `status` and the build use; nothing is run.
    """
    missing: dict[str | None, list[str]] = {}
    stale: dict[str | None, list[str]] = {}
    for task in tasks:
        verdict = store.verdict(task)
        gone = [r.removeprefix("missing: ") for r in verdict.reasons if r.startswith("missing: ")]
        if gone:
            missing.setdefault(task.episode, []).extend(gone)
        elif verdict.stale:
            stale.setdefault(task.episode, []).append(f"{task.name} ({verdict.reasons[0]})")
    lines = []
    for episode in sorted(dict.fromkeys(t.episode for t in tasks), key=lambda e: e is None):  # the course's last
        where = f"episode '{episode}'" if episode else "course-wide outputs"
        if episode in missing:  # published files first, the build's own work files after them
            gone = sorted(missing[episode], key=lambda path: path.startswith("."))
            lines.append(f"{where}: missing {_named(gone)}; run 'coursecast build'")
        if episode in stale:
            lines.append(f"{where}: out of date: {_named(stale[episode])}; run 'coursecast build'")
    return lines


def _named(items: list[str]) -> str:
    more = len(items) - MAX_NAMED
    return ", ".join(items[:MAX_NAMED]) + (f" and {more} more" if more > 0 else "")
