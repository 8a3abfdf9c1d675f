"""Paths people control, checked for their kind before anything opens them.

A FIFO where a recording or an editing file belongs blocks the first reader forever; a folder
there raises deep inside a stage; a file where a folder belongs, a link out of the course
folder (someone else's file published, or read as an editor's), a file coursecast may not read:
each is found here by `stat` alone (nothing is opened but with O_NONBLOCK), and named with its
path and the fix. `problems(course)` covers every file the course file names (recordings,
stings, artwork), the editing files and replacements in `edits/`, the voice samples in
`raw_interviews/voices/`, the folders they live in, and any FIFO, socket or device among the
build's own files (which `status`, `check` or a build would read); `cli` runs it before every
command that builds, checks, reports or diffs, so a wrong kind is exit 2, never a hang or an
internal error. The proofreading reads its files through `require_file` too, and
`fsutil.sha256_file` refuses anything but a regular file, so a path that changes kind after the
check fails its task instead of blocking it.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from . import layout
from .course import Course
from .errors import PathError

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))  # what else a path can be


def _a(what: str) -> str:
    return f"{'an' if what[:1] in 'aeiou' else 'a'} {what}"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _leaves(path: Path, inside: Path | None, shown: str) -> str:
    """'' unless `path` (through its links) ends up outside `inside`."""
    if inside is None:
        return ""
    real, home = os.path.realpath(path), os.path.realpath(inside)
    if real == home or real.startswith(home.rstrip(os.sep) + os.sep):
        return ""
    return (f"{shown}: a link to {real}, outside {inside}; copy the file into the course folder instead of "
            "linking to it (coursecast reads and publishes only the course's own files)")


def file_problem(path: Path, shown: str, *, inside: Path | None = None, what: str = "file", remade: bool = False) -> str:
    """'' when `path` is missing or a readable regular file (inside `inside`, when given, through links);
    otherwise '<shown>: <what it is>; <the fix>'. A missing file is the caller's to judge.
    `remade`: the build writes the file again when it is gone (the fix says so)."""
    put = f": the next build writes the {what} again" if remade else f" and put the {what} there"
    try:
        os.lstat(path)
    except FileNotFoundError:
        return ""
    except OSError as e:
        return f"{shown}: cannot be looked at ({e.strerror or e}); check the permissions of its folder"
    if why := _leaves(path, inside, shown):
        return why
    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        return f"{shown}: a link to {os.readlink(path)}, which {_broken(e)}; replace the link with the {what}"
    if stat.S_ISDIR(mode):
        return f"{shown}: a folder, where {_a(what)} belongs; move it out of the way{put}"
    if not stat.S_ISREG(mode):
        return f"{shown}: {_kind(mode)}, not {_a(what)}; remove it{put}"
    return _unreadable(path, shown)


def folder_problem(path: Path, shown: str, *, inside: Path | None = None, makes: bool = False) -> str:
    """'' when `path` is missing or a folder coursecast may list; otherwise the problem and its fix.
    `makes`: the build creates this folder (the fix says so)."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return ""
    except OSError as e:
        return f"{shown}: cannot be looked at ({e.strerror or e}); check the permissions of its folder"
    if why := _leaves(path, inside, shown):
        return why
    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        return f"{shown}: a link to {os.readlink(path)}, which {_broken(e)}; replace the link with a folder"
    if not stat.S_ISDIR(mode):
        then = "the build makes the folder" if makes else "make a folder of that name"
        return f"{shown}: {_kind(mode) if not stat.S_ISREG(mode) else 'a file'}, where a folder belongs; " \
               f"move it out of the way ({then})"
    if not os.access(path, os.R_OK | os.X_OK):
        return f"{shown}: cannot be listed (permission denied); let coursecast read it: chmod a+rx {shown}"
    return ""


def _broken(error: OSError) -> str:
    return "does not exist" if isinstance(error, FileNotFoundError) else f"cannot be reached ({error.strerror})"


def _unreadable(path: Path, shown: str) -> str:
    """'' when the file opens for reading (without blocking: the kind was checked, this is the permission)."""
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
    except PermissionError:
        name = shown.split(" (", 1)[0]  # the path, without the course-file field after it
        return f"{shown}: cannot be read (permission denied); let coursecast read it: chmod a+r {name}"
    except OSError as e:
        return f"{shown}: cannot be read ({e.strerror or e}); check the file and the disk it is on"
    return ""


def require_file(path: Path, shown: str, *, inside: Path | None = None, what: str = "file",
                 remade: bool = False) -> None:
    """PathError when `path` exists but is not a readable regular file inside `inside`."""
    if why := file_problem(path, shown, inside=inside, what=what, remade=remade):
        raise PathError([why])


def problems(course: Course) -> list[str]:
    """Every path the course needs that is the wrong kind of thing, with its fix (nothing is opened)."""
    root = course.root
    found = [folder_problem(course.folder(name), f"{name}/", inside=None, makes=True)
             for name in (layout.EPISODES, layout.TRANSCRIPTS, layout.FEEDS, layout.SITE, layout.STATE)]
    raw = folder_problem(course.folder(layout.RAW), f"{layout.RAW}/", inside=root)
    edits = folder_problem(course.folder(layout.EDITS), f"{layout.EDITS}/", inside=root, makes=True)
    found += [raw, edits, *_named_files(course, recordings=not raw)]
    found += ([] if edits else _edit_files(course)) + ([] if raw else _voice_samples(course))
    named = {p.split(":")[0].split(" (")[0] for p in found if p}  # paths already said
    found += [p for p in _strange_outputs(course) if p.split(":")[0] not in named]
    return list(dict.fromkeys(p for p in found if p))


def require(course: Course) -> None:
    """PathError listing every wrong-kind path (see `problems`)."""
    if found := problems(course):
        raise PathError(found)


def _rel(course: Course, path: Path) -> str:
    return path.relative_to(course.root).as_posix() if path.is_relative_to(course.root) else str(path)


def _named_files(course: Course, recordings: bool) -> list[str]:
    """The stings and artwork the course file names, and its recordings (when raw_interviews/ is a folder)."""
    where = course.path.name
    named = [(course.audio.intro, "[audio].intro", "sting"), (course.audio.outro, "[audio].outro", "sting"),
             (course.info.artwork, "[course].artwork", "picture")]
    for module in course.modules:
        named += [(getattr(module, key), f"[[modules]] '{module.slug}'.{key}", what)
                  for key, what in (("intro", "sting"), ("outro", "sting"), ("artwork", "picture"))]
    named += [(e.artwork, f"[[episodes]] '{e.slug}'.artwork", "picture") for e in course.episodes]
    found = [file_problem(course.root / rel, f"{rel} ({where}, {key})", inside=course.root, what=what)
             for rel, key, what in named if rel]
    raw = course.folder(layout.RAW)
    for episode in course.episodes if recordings else ():
        found += [file_problem(s.path, f"{_rel(course, s.path)} ({where}, [[episodes]] '{episode.slug}'"
                               f".sources #{i}.file)", inside=raw, what="recording")
                  for i, s in enumerate(episode.sources, 1)]
    return found


def _edit_files(course: Course) -> list[str]:
    """The editing files, their bases and the replacements in edits/."""
    found = [file_problem(layout.replacements_file(course), _rel(course, layout.replacements_file(course)),
                          inside=course.root, what="replacements file")]
    for episode in course.episodes:
        found += [file_problem(p, _rel(course, p), inside=course.root, what=what, remade=True) for p, what in (
            (layout.edit_file(course, episode), "editing file"), (layout.edit_base(course, episode), "base file"))]
    return found


def _voice_samples(course: Course) -> list[str]:
    """Everything in raw_interviews/voices/ (hidden files aside): each must be a recording of the course's own."""
    folder = layout.voices_folder(course)
    shown = _rel(course, folder) + "/"
    if why := folder_problem(folder, shown, inside=course.root):
        return [why]
    if not folder.is_dir():
        return []
    return [file_problem(p, _rel(course, p), inside=course.root, what="voice sample")
            for p in sorted(folder.iterdir()) if not p.name.startswith(".")]


def _strange_outputs(course: Course) -> list[str]:
    """FIFOs, sockets and devices among the build's files (which the build, its checks or `status` would read)."""
    found = []
    for name in (layout.EPISODES, layout.TRANSCRIPTS, layout.FEEDS, layout.SITE, layout.STATE):
        top = course.folder(name)
        if top.is_symlink() or not top.is_dir():
            continue
        for folder, _, names in os.walk(top):  # never follows links
            for entry in names:
                path = Path(folder) / entry
                try:
                    mode = os.stat(path).st_mode
                except OSError:  # a link to nowhere: nothing reads it
                    continue
                if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                    found.append(f"{_rel(course, path)}: {_kind(mode)} among the build's files; remove it "
                                 "(the build writes its own file there again)")
    return found
