"""What `coursecast clean` deletes: only files the build made, never through a link, never what people made.

A file is the build's when it is a target of one of the course's tasks now, or when the
state store recorded a task writing it (`outputs.json`: outputs of episodes since removed
from the course file) and it still has the content the build gave it. Whatever else is in
the build's folders (a producer's notes, a linked folder, a changed file) is left alone and
listed. A file is deleted only from an output folder the layout names (episodes/, transcripts/,
feeds/, site/, .coursecast/), so a damaged or forged `outputs.json` that lists the course file or a
producer's file deletes nothing of theirs. Never deleted: the course file, editors' files (`edits/`), the recordings (`raw_interviews/`), and every
file the course file points at (stings, artwork), wherever it lies; nothing is deleted through
a symbolic link, or outside the course folder.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from . import layout
from .course import Course
from .dependency import Task, read_outputs, read_records
from .errors import StateError
from .fsutil import sha256_file

PUBLISHED = (layout.EPISODES, layout.TRANSCRIPTS, layout.FEEDS)  # the build's folders people look into
OUTPUT_FOLDERS = (*PUBLISHED, layout.SITE, layout.STATE)  # the only folders clean deletes from
BOOKKEEPING = ("state.json", "outputs.json", "hashes.json", "probe.json")  # the build's record, in .coursecast/


@dataclass(frozen=True)
class Kept:
    path: Path  # left alone
    why: str  # for people: "not made by the build", "a link to /elsewhere", ...


@dataclass(frozen=True)
class CleanPlan:
    root: Path  # the course folder
    delete: tuple[Path, ...]  # files the build made
    kept: tuple[Kept, ...]  # what was left alone in the build's folders, and why

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)


def referenced(course: Course) -> set[Path]:
    """Every file the course file points at: recordings, stings, artwork."""
    rels = [course.audio.intro, course.audio.outro, course.info.artwork]
    rels += [getattr(m, key) for m in course.modules for key in ("intro", "outro", "artwork")]
    rels += [e.artwork for e in course.episodes]
    paths = {course.root / rel for rel in rels if rel} | {course.path}
    return paths | {s.path for e in course.episodes for s in e.sources}


def recorded(state: Path) -> dict[Path, str]:
    """Files the build recorded writing (absolute) -> their sha256 then; a damaged state file is skipped."""
    root = state.parent
    try:  # clean is the way out of a damaged record: what can still be read, and the task list, say enough
        found = {root / rel: digest for rel, digest in read_outputs(state / "outputs.json").items()}
    except StateError:
        found = {}
    try:
        records = read_records(state / "state.json")
    except StateError:
        records = {}
    for record in records.values():
        found.update({root / rel: digest for rel, digest in record.get("targets", {}).items()})
    return {path: digest for path, digest in found.items() if _plain(root, path)}


def _plain(root: Path, path: Path) -> bool:
    """Inside one of the course's output folders, by name (no '..', not the folder itself)."""
    if not path.is_relative_to(root):
        return False
    parts = path.relative_to(root).parts
    return len(parts) > 1 and parts[0] in OUTPUT_FOLDERS and ".." not in parts


def link_on_the_way(root: Path, path: Path) -> Path | None:
    """The first symbolic link between the course folder and `path` (itself included), if any."""
    at = root
    for part in path.relative_to(root).parts:
        at = at / part
        if at.is_symlink():
            return at
    return None


def plan(course: Course, tasks: Iterable[Task]) -> CleanPlan:
    """What clean would delete and what it leaves alone (reads the file system, changes nothing)."""
    root = course.root
    declared = {p for task in tasks for p in task.targets}
    history = recorded(course.folder(layout.STATE))
    protected = referenced(course)
    delete: dict[Path, None] = {}
    kept: dict[Path, str] = {}
    for path in sorted(declared | set(history)):
        if not _plain(root, path) or not os.path.lexists(path):
            continue
        link = link_on_the_way(root, path)
        if link is not None:  # the link is listed once, not every file behind it
            kept.setdefault(link, _link_why(link))
            continue
        why = _why_kept(root, path, protected, None if path in declared else history[path])
        if why:
            kept[path] = why
        else:
            delete[path] = None
    for path in _temp_files(root) + _work_files(course):
        delete.setdefault(path, None)
    state = course.folder(layout.STATE)
    if not state.is_symlink():
        delete.update({state / name: None for name in BOOKKEEPING if (state / name).is_file()})
    for path, why in _strangers(root, set(delete) | set(kept)):
        kept.setdefault(path, "the course file points at it" if path in protected else why)
    return CleanPlan(root, tuple(delete), tuple(Kept(p, w) for p, w in sorted(kept.items())))


def _why_kept(root: Path, path: Path, protected: set[Path], digest: str | None) -> str:
    """Why a file the build wrote (or would write), with no link on its way, is not deleted; '' when it may be."""
    if path in protected:
        return "the course file points at it"
    if not path.is_file():
        return "not a file"
    if digest is not None and sha256_file(path) != digest:
        return "changed since the build wrote it (for an episode no longer in the course file)"
    return ""


def _temp_files(root: Path) -> list[Path]:
    """Temp files a killed build left behind ('.name.*.part.ext'), not through links."""
    found = []
    for top in (*PUBLISHED, layout.STATE):
        for folder, dirs, files in _walk(root / top):
            found += [folder / f for f in files if f.startswith(".") and ".part" in f and (folder / f).is_file()
                      and not (folder / f).is_symlink()]
    return found


def _work_files(course: Course) -> list[Path]:
    """Everything in .coursecast/work/: the build's intermediate files, nobody else's."""
    work = course.folder(layout.STATE) / "work"
    if course.folder(layout.STATE).is_symlink():
        return []
    return [folder / f for folder, _, files in _walk(work) for f in files
            if (folder / f).is_file() and not (folder / f).is_symlink()]


def _walk(top: Path):
    if top.is_symlink() or not top.is_dir():
        return []
    return ((Path(folder), dirs, files) for folder, dirs, files in os.walk(top))  # never follows links


def _strangers(root: Path, known: set[Path]) -> list[tuple[Path, str]]:
    """What else is in the published folders: people's files, links, folders the build did not make."""
    found = []
    for top in PUBLISHED:
        if (root / top).is_symlink():
            found.append((root / top, _link_why(root / top)))
            continue
        for folder, dirs, files in _walk(root / top):
            for name in dirs:
                if (folder / name).is_symlink():
                    found.append((folder / name, _link_why(folder / name)))
            found += [(folder / f, _stranger_why(folder / f)) for f in files
                      if folder / f not in known and f != ".gitkeep"]
    return found


def _stranger_why(path: Path) -> str:
    return _link_why(path) if path.is_symlink() else "not made by the build"


def _link_why(link: Path) -> str:
    return f"a link to {os.readlink(link)}: clean never deletes through a link"


@dataclass(frozen=True)
class CleanReport:
    deleted: tuple[Path, ...]
    kept: tuple[Kept, ...]


def run(cleaning: CleanPlan) -> CleanReport:
    """Delete the plan's files (each checked again: a regular file, no link on the way), then empty build folders."""
    deleted = []
    for path in cleaning.delete:
        if link_on_the_way(cleaning.root, path) is None and path.is_file():
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError as e:
                raise StateError(f"{path}: cannot be deleted ({e.strerror or e}); check its folder's permissions "
                                 "and run clean again") from e
            deleted.append(path)
    _remove_empty_folders(cleaning.root, deleted)
    return CleanReport(tuple(deleted), cleaning.kept)


def _remove_empty_folders(root: Path, deleted: list[Path]) -> None:
    """Folders the deletions left empty, up to (not including) the course's top-level folders."""
    for folder in sorted({p.parent for p in deleted}, key=lambda p: len(p.parts), reverse=True):
        while folder.parent != root and folder.is_relative_to(root):
            try:
                folder.rmdir()
            except OSError:  # not empty, or gone: stop here
                break
            folder = folder.parent
