"""Course checks that need the recordings: present, readable, long enough, the right kind."""
from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict
from pathlib import Path

from .course import Course
from .course_lines import place
from .errors import CourseFileError, MediaError
from .fsutil import write_json
from .media import MediaInfo, StreamInfo, probe
from .timecode import format_timecode


class ProbeCache:
    """ffprobe results remembered by (size, mtime, inode), so a no-op build probes nothing."""

    def __init__(self, path: Path | None):
        self.path = path
        self.entries: dict[str, dict] = {}
        self.dirty = False
        if path and path.exists():
            try:
                self.entries = json.loads(path.read_text())
            except (OSError, ValueError):
                self.entries = {}

    def get(self, file: Path) -> MediaInfo:
        st = os.stat(file)
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
        entry = self.entries.get(str(file))
        if entry and entry["stamp"] == stamp:
            raw = dict(entry["info"])
            return MediaInfo(Path(raw["path"]), raw["duration"], raw["format_name"], raw["size"],
                             tuple(StreamInfo(**s) for s in raw["streams"]))
        info = probe(file)
        self.entries[str(file)] = {"stamp": stamp, "info": json.loads(json.dumps(asdict(info), default=str))}
        self.dirty = True
        return info

    def save(self) -> None:
        """Only a cache: a course folder that cannot be written (read-only, full) just probes again next time."""
        if self.path and self.dirty:
            try:
                write_json(self.path, self.entries)
            except OSError as e:
                logging.getLogger("coursecast.media").warning("%s: not saved (%s)", self.path, e.strerror or e)


def probe_sources(course: Course, cache_path: Path | None = None) -> dict[str, MediaInfo]:
    """Probe every source once; CourseFileError lists every unusable recording."""
    cache = ProbeCache(cache_path)
    problems: list[str] = []
    infos: dict[str, MediaInfo] = {}
    for episode in course.episodes:
        for index, source in enumerate(episode.sources, 1):
            where = place(course.path, f"[[episodes]] '{episode.slug}'.sources #{index}")
            if source.file in infos:
                info = infos[source.file]
            else:
                info = _probe(source, where, problems, cache)
                if info is None:
                    continue
                infos[source.file] = info
            problems.extend(_check_source(source, info, where))
    cache.save()
    if problems:
        raise CourseFileError(problems)
    return infos


def _probe(source, where: str, problems: list[str], cache: ProbeCache) -> MediaInfo | None:
    if not source.path.is_file():
        problems.append(f"{where}: raw_interviews/{source.file} does not exist; "
                        "copy the recording there or fix 'file'")
        return None
    try:
        return cache.get(source.path)
    except MediaError as e:
        problems.append(f"{where}: raw_interviews/{source.file} is not a readable recording ({e}); "
                        "re-export it from the recorder")
        return None


def _check_source(source, info: MediaInfo, where: str) -> list[str]:
    problems = []
    name = f"raw_interviews/{source.file}"
    if info.audio is None:
        problems.append(f"{where}: {name} has no audio stream; every source needs sound")
    if source.kind == "video" and info.video is None:
        problems.append(f"{where}: {name} has no video stream but kind = \"video\"; "
                        "set kind = \"audio\" or use the video file")
    if source.channels and info.audio is not None and info.audio.channels != 2:
        problems.append(f"{where}: {name} has {info.audio.channels} channel(s); 'channels' needs a stereo "
                        "recording with one speaker per side")
    for number, rng in enumerate(source.keep, 1):
        if rng.end > info.duration + 0.001:
            problems.append(
                f"{where}.keep[{number}]: ends at {format_timecode(rng.end)}, past the end of {name} "
                f"({format_timecode(info.duration)}); shorten the range")
    return problems
