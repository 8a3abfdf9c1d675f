"""Staleness, decided here and nowhere else (after doit's dependency.py).

A task declares the files it reads (`inputs`), the parameters that shape its
output (`params`), the tool versions that matter (`tools`) and the files it
writes (`targets`). Its key is the hash of all of these. A task is stale when,
and only when:
  - a target is missing, or was changed since the task wrote it;
  - the content of an input changed;
  - a parameter changed;
  - a tool version changed.
Nothing else (mtimes, a `touch`) makes it stale. Content hashes are cached by
(size, mtime, inode), so a no-op build reads no media.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .fsutil import sha256_file, write_json

MISSING = "missing"  # the hash recorded for an input that does not exist


@dataclass(frozen=True)
class Task:
    stage: str  # "episodes", "transcribe", ... (the CLI command that runs it)
    name: str  # unique, e.g. "episodes:m1-intro"
    action: Callable[[], Any]  # does the work, writes every target atomically; may return a summary
    inputs: tuple[Path, ...] = ()  # files whose content the outputs depend on
    targets: tuple[Path, ...] = ()  # files the action writes
    params: dict[str, Any] = field(default_factory=dict)  # JSON-able parameters that shape the output
    tools: tuple[str, ...] = ()  # versions that matter, e.g. "ffmpeg 5.1.9", "episodes-stage 1"
    episode: str | None = None  # episode slug, for progress and status
    weight: float = 1.0  # expected relative cost (seconds of audio), for the ETA
    create_only: bool = False  # run only while a target is missing (editors' files: never overwritten)

    def __hash__(self) -> int:
        return hash(self.name)


@dataclass(frozen=True)
class Verdict:
    stale: bool
    reasons: tuple[str, ...]  # for people: "input changed: episodes/a.mp3", "parameter changed: title"


class HashCache:
    """sha256 of files, remembered by (size, mtime_ns, inode) so unchanged files are not re-read."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        try:
            self._entries: dict[str, list] = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            self._entries = {}
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
                write_json(self.path, self._entries)
                self._dirty = False


class StateStore:
    """What each task was last built from: its input hashes, params, tools and targets' hashes."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.hashes = HashCache(folder / "hashes.json")
        self._path = folder / "state.json"
        self._lock = threading.Lock()
        try:
            self._records: dict[str, dict] = json.loads(self._path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            self._records = {}

    def _snapshot(self, task: Task) -> dict[str, Any]:
        rel = lambda p: os.path.relpath(p, self.folder.parent)  # noqa: E731
        return {
            "inputs": {rel(p): self.hashes.digest(p) for p in task.inputs},
            "params": json.loads(json.dumps(task.params, default=str, sort_keys=True)),
            "tools": list(task.tools),
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
        for key in sorted(set(old["params"]) | set(new["params"])):
            if old["params"].get(key) != new["params"].get(key):
                reasons.append(f"parameter changed: {key}")
        if old["tools"] != new["tools"]:
            reasons.append(f"tool version changed: {', '.join(new['tools'])}")
        return reasons

    def record(self, task: Task) -> None:
        """Remember what the task was just built from (called after its action succeeded)."""
        snapshot = self._snapshot(task)
        snapshot["targets"] = {self._rel(p): self.hashes.digest(p) for p in task.targets}
        with self._lock:
            self._records[task.name] = snapshot
            write_json(self._path, self._records)
        self.hashes.save()

    def forget(self, task: Task) -> None:
        with self._lock:
            if self._records.pop(task.name, None) is not None:
                write_json(self._path, self._records)

    def _rel(self, path: Path) -> str:
        return os.path.relpath(path, self.folder.parent)


def params_digest(params: dict[str, Any]) -> str:
    """A short stable hash of parameters (for cache file names)."""
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:16]
