"""What the print tasks read: the part of the course a PDF shows, as frozen data.

A print job holds exactly the course-file values that appear on the page (titles,
summaries, speakers, dates, the roster's names), the [print] settings, the font
files and the paths of the transcripts and chapters it prints. A change to
anything else (a keep range, a feed setting) never reprints.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ..core import layout
from ..core.course import Course, Episode, Module
from ..core.settings import PrintSettings


@dataclass(frozen=True)
class PrintedModule:
    number: int
    title: str
    summary: str


@dataclass(frozen=True)
class PrintedSpeaker:
    name: str
    role: str  # "host", "guest", ...
    affiliation: str


@dataclass(frozen=True)
class PrintedEpisode:
    slug: str
    number: int  # in its module
    title: str
    summary: str
    date: dt.date
    language: str
    module: PrintedModule
    speakers: tuple[PrintedSpeaker, ...]  # the episode's speakers, in the course file's order
    transcript: Path  # the final transcript JSON
    chapters: Path  # the published chapters JSON: chapter times on the episode's timeline


@dataclass(frozen=True)
class PrintedCourse:
    title: str
    subtitle: str
    author: str
    copyright: str
    language: str
    roster: tuple[tuple[str, str], ...]  # (id, name) of every speaker: names in the transcript
    settings: PrintSettings
    fonts: tuple[Path, ...]  # the font files of the body and heading families (inputs: a new font reprints)


@dataclass(frozen=True)
class EpisodePrintJob:
    """What `print:<slug>` reads: one episode, printed as the reading and the proofreading edition."""

    course: PrintedCourse
    episode: PrintedEpisode
    reading: Path  # target: reading edition
    proof: Path  # target: proofreading edition


@dataclass(frozen=True)
class BookletJob:
    """What `print:module-<n>` and `print:course` read: a module's episodes, or the whole course's."""

    course: PrintedCourse
    module: PrintedModule | None  # None: the course booklet
    modules: tuple[PrintedModule, ...]  # the modules the booklet shows, in order
    episodes: tuple[PrintedEpisode, ...]  # in course order
    target: Path
    vocabulary: tuple[str, ...] = ()  # [transcription].vocabulary: the index's terms (with the speakers)


def printed_module(module: Module) -> PrintedModule:
    return PrintedModule(module.number, module.title, module.summary)


def printed_episode(course: Course, episode: Episode) -> PrintedEpisode:
    speakers = tuple(PrintedSpeaker(s.name, s.role, s.affiliation)
                     for s in (course.speaker(i) for i in episode.speakers))
    return PrintedEpisode(episode.slug, episode.number, episode.title, episode.summary, episode.date, episode.language,
                          printed_module(course.module(episode.module)), speakers,
                          layout.transcript(course, episode, "json"), layout.chapters_json(course, episode))


def printed_course(course: Course, fonts: tuple[Path, ...]) -> PrintedCourse:
    info = course.info
    return PrintedCourse(info.title, info.subtitle, info.author, info.copyright, info.language,
                         tuple((s.id, s.name) for s in course.speakers), course.print, fonts)
