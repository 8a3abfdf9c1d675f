"""Atomic file writes: every output goes to a temp name in its folder, then os.replace."""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import PathError

CHUNK_BYTES = 1 << 20  # read size for hashing


@contextlib.contextmanager
def atomic_path(target: Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temp path beside `target`; on success it replaces `target`, on error it is removed.

    The temp name keeps the target's extension so tools that pick formats by
    extension (ffmpeg, reportlab) still work.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=f".part{suffix or target.suffix}", dir=target.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; published files must be readable
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # read once at import: os.umask is process-wide, not thread-safe


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


def write_json(target: Path, data: object) -> None:
    write_text(target, json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def write_if_changed(target: Path, data: bytes) -> bool:
    """Write only when the content differs, so unchanged outputs keep their mtime."""
    target = Path(target)
    if target.exists() and target.read_bytes() == data:
        return False
    write_bytes(target, data)
    return True


def _no_block(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NONBLOCK)


def sha256_file(path: Path) -> str:
    """sha256 of a regular file; PathError for anything else (a FIFO would block the reader forever)."""
    digest = hashlib.sha256()
    with open(path, "rb", opener=_no_block) as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise PathError([f"{path}: not a regular file (a folder, FIFO or device); put the file itself there"])
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


@functools.lru_cache(maxsize=64)
def _remembered_sha256(path: str, size: int, mtime_ns: int, inode: int) -> str:
    return sha256_file(Path(path))


def file_sha256(path: Path) -> str:
    """sha256 of a large file that does not change under us (model files), hashed once per process while
    its size, mtime and inode stay the same."""
    stat = Path(path).stat()
    return _remembered_sha256(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino)


def remove_stale_temps(folder: Path) -> int:
    """Delete '.name.*.part.ext' files and '.name.*.part' work folders a killed run left behind (never through a
    link); returns how many."""
    removed = 0
    if not folder.is_dir():
        return 0
    for path in sorted(folder.rglob(".*.part*")):
        if path.is_symlink() or not path.exists():
            continue  # a link is someone's; a folder's contents went with it
        if path.is_file():
            path.unlink()
        elif path.is_dir() and path.name.endswith(".part"):
            shutil.rmtree(path)
        else:
            continue
        removed += 1
    return removed
