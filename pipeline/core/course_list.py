"""`coursecast list`: the course's modules and episodes, and `--episode` checked against them.

Per episode: slug, title, kind, how much of the recordings it keeps, and whether
it is built (the same verdicts as `status` and the build, from dependency.StateStore).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable

from . import layout
from .course import Course, Episode
from .course_media import ProbeCache
from .dependency import StateStore, Task
from .errors import CoursecastError, MediaError
from .timecode import format_timecode


@dataclass(frozen=True)
class EpisodeRow:
    slug: str
    title: str
    kind: str  # "audio" or "video"
    kept: float | None  # seconds the episode keeps of its recordings; None: a recording is not there yet
    tasks: int  # tasks that build its outputs
    stale: int  # of them, still to build

    @property
    def built(self) -> str:
        if self.stale == 0:
            return "built"
        return "not built" if self.stale == self.tasks else f"{self.tasks - self.stale} of {self.tasks} tasks built"


def kept_seconds(course: Course, episode: Episode, cache: ProbeCache) -> float | None:
    """The keep ranges' length; a source without ranges counts its whole recording (probed, cached)."""
    total = 0.0
    for source in episode.sources:
        if source.keep:
            total += sum(r.duration for r in source.keep)
            continue
        try:
            total += cache.get(source.path).duration
        except (OSError, MediaError):
            return None
    return total


def rows(course: Course, tasks: list[Task], store: StateStore) -> list[EpisodeRow]:
    cache = ProbeCache(course.folder(layout.STATE) / "probe.json")
    found = []
    for episode in course.episodes:
        mine = [t for t in tasks if t.episode == episode.slug]
        stale = sum(1 for t in mine if store.verdict(t).stale)
        found.append(EpisodeRow(episode.slug, episode.title, episode.kind, kept_seconds(course, episode, cache),
                                len(mine), stale))
    return found


def render(course: Course, found: list[EpisodeRow]) -> list[str]:
    """Lines for people: each module, then its episodes."""
    by_slug = {r.slug: r for r in found}
    counts = f"{_count(len(course.modules), 'module')}, {_count(len(course.episodes), 'episode')}"
    lines = [f"{course.info.title} ({counts})"]
    for module in course.modules:
        episodes = course.module_episodes(module.number)
        lines.append(f"Module {module.number}: {module.title} ({module.slug}, {_count(len(episodes), 'episode')})")
        for episode in episodes:
            row = by_slug[episode.slug]
            kept = format_timecode(row.kept, millis=False) if row.kept is not None else "recording missing"
            lines.append(f"  {episode.number}. {row.slug}: {row.title} [{row.kind}, {kept}, {row.built}]")
        if not episodes:
            lines.append("  (no episodes yet)")
    return lines


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def require_episodes(course: Course, slugs: Iterable[str]) -> None:
    """Refuse an `--episode` the course does not have, with the closest slug."""
    known = [e.slug for e in course.episodes]
    for slug in slugs:
        if slug in known:
            continue
        close = difflib.get_close_matches(slug, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise CoursecastError(f"{course.path.name}: no episode {slug!r}; {hint}"
                              f"'coursecast list' shows them all ({', '.join(known[:8])}"
                              f"{', ...' if len(known) > 8 else ''})")
