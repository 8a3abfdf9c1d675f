"""Staleness, decided here and nowhere else (after doit's dependency.py).

A task declares the files it reads (`inputs`), the libraries and tools it calls
(`libraries`), the files it writes (`targets`) and its `job`: one frozen dataclass
holding exactly what its action reads. The action is called with the job and
nothing else, and the job *is* the task's parameters (`job_params`, after doit's
`config_changed`), so a value the action uses cannot be missing from the key.
The code the action runs is part of the key too: the source it reaches in the
project (`action_code.code_digests`, per file), so no version number is bumped by
hand. A task is stale when, and only when:
  - a target is missing, or was changed since the task wrote it;
  - the content of an input changed;
  - a parameter changed;
  - the code its action runs changed ("code changed: pipeline/captions/split.py");
  - a library's version changed ("library changed: reportlab 4.1 -> 4.2"), or a tool's.
Nothing else (mtimes, a `touch`) makes it stale. Content hashes are cached by
(size, mtime, inode), so a no-op build reads no media.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import functools
import hashlib
import inspect
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .action_code import code_digests, library_versions
from .errors import StateError
from .fsutil import sha256_file, write_json

MISSING = "missing"  # the hash recorded for an input that does not exist
CODE_NAMED = 3  # changed source files a reason names before it counts the rest
OLD_RECORD = "code changed: not recorded (built by an older coursecast)"  # a record from before code keys
STATE_FIX = ("delete it and build again (every task is redone, transcriptions included), "
             "or put back a copy from a backup")  # what to do about a damaged state file


@dataclass(frozen=True)
class Task:
    stage: str  # "episodes", "transcribe", ... (the CLI command that runs it)
    name: str  # unique, e.g. "episodes:m1-intro"
    action: Callable[[Any], Any]  # a module-level function of the job; writes every target atomically
    job: Any  # frozen dataclass: everything the action reads, and so the task's parameters
    inputs: tuple[Path, ...] = ()  # files whose content the outputs depend on
    targets: tuple[Path, ...] = ()  # files the action writes
    libraries: tuple[str, ...] = ()  # distributions whose versions shape the outputs ("reportlab"); "ffmpeg": its build
    code_files: tuple[Path, ...] = ()  # package files the action reads besides its code (templates), keyed like it
    tools: tuple[str, ...] = ()  # any other version that shapes the outputs and is neither code nor a library (rare)
    episode: str | None = None  # episode slug, for progress and status
    weight: float = 1.0  # expected relative cost (seconds of audio), for the ETA
    create_only: bool = False  # run only while a target is missing (editors' files: never overwritten)

    def __post_init__(self) -> None:
        if not (dataclasses.is_dataclass(self.job) and self.job.__dataclass_params__.frozen):
            raise TypeError(f"{self.name}: job must be a frozen dataclass, got {type(self.job).__name__}")
        plain = inspect.unwrap(self.action)  # a decorated function is judged by the function it wraps
        if isinstance(plain, functools.partial) or getattr(plain, "__closure__", None):
            raise TypeError(f"{self.name}: the action must be a plain function of the job; "
                            "whatever it reads belongs in the job")

    def __hash__(self) -> int:
        return hash(self.name)

    def run(self) -> Any:
        """Do the work: the action, given the job and nothing else."""
        return self.action(self.job)

    @property
    def params(self) -> dict[str, Any]:
        """The job as JSON-able parameters (paths as given); the state store keys them relative to the course."""
        return job_params(self.job)


def job_params(job: Any, root: Path | None = None) -> Any:
    """A job (or any value in it) as plain JSON: dataclasses as dicts, paths relative to `root` when inside it."""
    if dataclasses.is_dataclass(job) and not isinstance(job, type):
        return {f.name: job_params(getattr(job, f.name), root) for f in dataclasses.fields(job)}
    if isinstance(job, Path):
        return job.relative_to(root).as_posix() if root and job.is_relative_to(root) else job.as_posix()
    if isinstance(job, (list, tuple)):
        return [job_params(v, root) for v in job]
    if isinstance(job, dict):
        return {str(k): job_params(v, root) for k, v in job.items()}
    if isinstance(job, (dt.date, dt.datetime)):
        return job.isoformat()
    if job is None or isinstance(job, (str, int, float, bool)):
        return job
    raise TypeError(f"a job holds a {type(job).__name__} ({job!r}); use plain values, paths and dataclasses")


def changed_keys(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted names of the parameters that differ: 'settings.target_lufs_mono', 'chapters'."""
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(set(old) | set(new))
        return [k for key in keys for k in changed_keys(old.get(key), new.get(key), f"{prefix}{key}.")]
    return [prefix.rstrip(".") or "job"] if old != new else []


@dataclass(frozen=True)
class Verdict:
    stale: bool
    reasons: tuple[str, ...]  # for people: "input changed: episodes/a.mp3", "parameter changed: title"


class HashCache:
    """sha256 of files, remembered by (size, mtime_ns, inode) so unchanged files are not re-read."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        try:  # only a cache: a damaged one is dropped, and files are hashed again
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        self._entries: dict[str, list] = {
            key: entry for key, entry in (data.items() if isinstance(data, dict) else ())
            if isinstance(entry, list) and len(entry) == 4 and isinstance(entry[3], str)}
        self._dirty = False

    def digest(self, file: Path) -> str:
        try:
            st = os.stat(file)
        except FileNotFoundError:
            return MISSING
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
        key = str(file)
        with self._lock:
            entry = self._entries.get(key)
            if entry and entry[:3] == stamp:
                return entry[3]
        digest = sha256_file(file)
        with self._lock:
            self._entries[key] = [*stamp, digest]
            self._dirty = True
        return digest

    def save(self) -> None:
        with self._lock:
            if self._dirty:
                try:
                    write_json(self.path, self._entries)
                except OSError as e:  # only a cache: the next run hashes again
                    logging.getLogger("coursecast.state").warning("%s: not saved (%s)", self.path, e.strerror or e)
                    return
                self._dirty = False


def read_state_json(path: Path, what: str) -> Any:
    """A state file's JSON, None when there is none; StateError names the file when it is unreadable or damaged."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as e:
        raise StateError(f"{path}: {what} is damaged (not UTF-8 text); {STATE_FIX}") from e
    except OSError as e:
        raise StateError(f"{path}: {what} cannot be read ({e.strerror or e}); {STATE_FIX}") from e
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise StateError(f"{path}: {what} is damaged (cut short or not JSON: {e}); {STATE_FIX}") from e


def _is_record(record: Any) -> bool:
    return (isinstance(record, dict) and isinstance(record.get("inputs"), dict)
            and isinstance(record.get("tools"), list) and isinstance(record.get("targets", {}), dict))


def read_records(path: Path) -> dict[str, dict]:
    """state.json: task name -> what it was last built from."""
    data = read_state_json(path, "the build's record")
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(_is_record(r) for r in data.values()):
        raise StateError(f"{path}: the build's record is damaged (not the layout coursecast writes); {STATE_FIX}")
    return data


def read_outputs(path: Path) -> dict[str, str]:
    """outputs.json: every file a task of the course ever wrote (relative to the course folder) -> its sha256 then."""
    data = read_state_json(path, "the list of files the build wrote")
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise StateError(f"{path}: the list of files the build wrote is damaged (not the layout coursecast "
                         f"writes); {STATE_FIX}")
    return data


class StateStore:
    """What each task was last built from: its input hashes, params, tools and targets' hashes.

    Beside it, `outputs.json` keeps every target any task ever wrote, with its hash then: what
    `clean` may delete, outputs of episodes since removed from the course file included.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.hashes = HashCache(folder / "hashes.json")
        self._path = folder / "state.json"
        self._outputs_path = folder / "outputs.json"
        self._lock = threading.Lock()
        self._records = read_records(self._path)
        self._outputs = read_outputs(self._outputs_path)

    def _snapshot(self, task: Task) -> dict[str, Any]:
        return {  # inputs outside the course (fonts, models) by their own path: moving the course changes nothing
            "inputs": {job_params(Path(p), self.folder.parent): self.hashes.digest(p) for p in task.inputs},
            "params": job_params(task.job, self.folder.parent),
            "tools": list(task.tools),
            "code": code_digests(task.action, task.code_files),
            "libraries": library_versions(task.libraries),
        }

    def verdict(self, task: Task) -> Verdict:
        missing = [p for p in task.targets if not p.exists()]
        if task.create_only:
            return Verdict(bool(missing), tuple(f"missing: {self._rel(p)}" for p in missing))
        if missing:
            return Verdict(True, tuple(f"missing: {self._rel(p)}" for p in missing))
        record = self._records.get(task.name)
        if record is None:
            return Verdict(True, ("never built",))
        reasons = self._changes(record, self._snapshot(task))
        for path in task.targets:
            if self.hashes.digest(path) != record.get("targets", {}).get(self._rel(path)):
                reasons.append(f"output changed outside the build: {self._rel(path)}")
        return Verdict(bool(reasons), tuple(reasons))

    def _changes(self, old: dict, new: dict) -> list[str]:
        reasons = []
        for path, digest in new["inputs"].items():
            if old["inputs"].get(path) != digest:
                reasons.append(f"input changed: {path}")
        for path in set(old["inputs"]) - set(new["inputs"]):
            reasons.append(f"input no longer used: {path}")
        reasons += [f"parameter changed: {key}" for key in changed_keys(old.get("params"), new["params"])]
        if not isinstance(old.get("code"), dict) or not isinstance(old.get("libraries"), dict):
            return reasons + [OLD_RECORD]  # its tools were hand-bumped numbers: nothing more to compare
        if old["tools"] != new["tools"]:
            reasons.append(f"tool version changed: {', '.join(new['tools']) or 'none now'}")
        return reasons + _code_changes(old["code"], new["code"]) + _library_changes(old["libraries"], new["libraries"])

    def record(self, task: Task) -> None:
        """Remember what the task was just built from (called after its action succeeded)."""
        snapshot = self._snapshot(task)
        snapshot["targets"] = {self._rel(p): self.hashes.digest(p) for p in task.targets}
        with self._lock:
            self._records[task.name] = snapshot
            _write_state(self._path, self._records)
            written = {path: digest for path, digest in snapshot["targets"].items() if digest != MISSING}
            if any(self._outputs.get(path) != digest for path, digest in written.items()):
                self._outputs.update(written)
                _write_state(self._outputs_path, dict(sorted(self._outputs.items())))
        self.hashes.save()

    def forget(self, task: Task) -> None:
        with self._lock:
            if self._records.pop(task.name, None) is not None:
                _write_state(self._path, self._records)

    def _rel(self, path: Path) -> str:
        return os.path.relpath(path, self.folder.parent)


def _code_changes(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """'code changed: pipeline/captions/split.py' (the first few files; how many more)."""
    changed = [path for path in sorted(set(old) | set(new)) if old.get(path) != new.get(path)]
    if not changed:
        return []
    more = f" and {len(changed) - CODE_NAMED} more" if len(changed) > CODE_NAMED else ""
    return [f"code changed: {', '.join(changed[:CODE_NAMED])}{more}"]


def _library_changes(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """'library changed: reportlab 4.1 -> 4.2', one per library."""
    reasons = [f"library changed: {name} {old.get(name, 'not used before')} -> {version}"
               for name, version in new.items() if old.get(name) != version]
    return reasons + [f"library no longer used: {name}" for name in old if name not in new]


def _write_state(path: Path, data: Any) -> None:
    """Write a state file atomically; StateError says why it could not be (a full disk, permissions)."""
    try:
        write_json(path, data)
    except OSError as e:
        why = "the disk is full" if e.errno == errno.ENOSPC else (e.strerror or str(e))
        raise StateError(f"{path}: the build's record could not be written ({why}); free some disk space or fix "
                         "the folder's permissions, and build again") from e


def params_digest(params: dict[str, Any]) -> str:
    """A short stable hash of parameters (for cache file names)."""
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:16]
