"""The print stage: final transcripts -> PDFs an official can read and an editor can proofread.

Per episode a reading edition and a proofreading edition (line numbers per page,
a timecode on every paragraph, wide margins, low-confidence words shaded); per
module a booklet with a title page, a table of contents and the episodes in
order; and one booklet for the whole course. Content is built in `pdf_story`,
pages in `pdf_layout`, fonts and styles in `pdf_styles`; this module holds the
stage functions and declares the stage's tasks.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import reportlab
from reportlab.platypus import PageBreak

from ..core import layout
from ..core.course import Course, Episode, Module
from ..core.dependency import Task
from ..core.errors import CoursecastError, StageError
from .pages import DocInfo, render
from .story import booklet_front, episode_story, module_divider, story_context
from .styles import PAPER, find_font, register_family
from ..core.transcript import Transcript, load

STAGE_VERSION = 1  # bump when the layout changes: every PDF is rebuilt
TOOLS = (f"reportlab {reportlab.Version}", f"print-stage {STAGE_VERSION}")
_REPORTLAB = threading.Lock()  # reportlab keeps global state (font registry, fonts' subsets): one PDF at a time


def _one_at_a_time(function):
    """The runner's tasks run in threads; reportlab is CPU-bound under the GIL, so nothing is lost."""
    @functools.wraps(function)
    def locked(*args, **kwargs):
        with _REPORTLAB:
            return function(*args, **kwargs)
    return locked


@dataclass(frozen=True)
class PrintReport:
    target: Path
    edition: str  # "reading", "proof", "module" or "course"
    pages: int
    words: int  # transcript words printed
    marked_words: int  # low-confidence words shaded (proof edition; 0 otherwise)


# -- the stage ------------------------------------------------------------------------
def _load(path: Path, episode: Episode) -> Transcript:
    transcript = load(path)
    if transcript.episode != episode.slug:
        raise StageError(f"{path}: this transcript is of episode '{transcript.episode}', not "
                         f"'{episode.slug}'; run 'coursecast transcribe' again for '{episode.slug}'")
    return transcript


def _info(course: Course, title: str, subject: str, language: str, date: dt.date) -> DocInfo:
    return DocInfo(title=title, author=course.info.author, subject=subject, language=language,
                   copyright=course.info.copyright, date=date, keywords=(course.info.title, "transcript"))


@_one_at_a_time
def print_episode(course: Course, episode: Episode, transcript_path: Path, target: Path,
                  *, proof: bool = False) -> PrintReport:
    """One episode's transcript as a reading PDF (or, with `proof`, the proofreading edition)."""
    ctx = story_context(course, proof)
    transcript = _load(Path(transcript_path), episode)
    story, words, marked = episode_story(ctx, episode, transcript, level=0, toc=False)
    module = course.module(episode.module)
    subject = f"Transcript of an episode of {course.info.title}, module {module.number}: {module.title}"
    title = f"{episode.title}{' (proofreading edition)' if proof else ''}"
    info = _info(course, title, subject, episode.language, episode.date)
    pages = render(story, target, info, ctx.geom, ctx.styles)
    return PrintReport(Path(target), "proof" if proof else "reading", pages, words, marked)


@_one_at_a_time
def print_booklet(course: Course, episodes: Sequence[tuple[Episode, Path]], target: Path,
                  *, module: Module | None = None) -> PrintReport:
    """A module's booklet (or, with no `module`, the course's): title page, contents, episodes."""
    if not episodes:
        raise StageError(f"{target}: no episodes to print; add [[episodes]] to {course.path.name}")
    ctx = story_context(course, proof=False)
    story = booklet_front(ctx, module, len(episodes))
    words = 0
    for number, group in _by_module(episodes, module):
        if module is None:
            story += module_divider(ctx, course.module(number), [e for e, _ in group])
        for episode, path in group:
            part, count, _ = episode_story(ctx, episode, _load(Path(path), episode),
                                            level=0 if module else 1, toc=True)
            story += [*part, PageBreak()]
            words += count
    info = _booklet_info(course, module, max(e.date for e, _ in episodes))
    pages = render(story[:-1], target, info, ctx.geom, ctx.styles, passes=True)
    return PrintReport(Path(target), "module" if module else "course", pages, words, 0)


def _by_module(episodes, module: Module | None) -> list[tuple[int, list]]:
    ordered = sorted(episodes, key=lambda pair: (pair[0].module, pair[0].number))
    numbers = [module.number] if module else sorted({e.module for e, _ in ordered})
    return [(n, [pair for pair in ordered if pair[0].module == n]) for n in numbers]


def _booklet_info(course: Course, module: Module | None, date: dt.date) -> DocInfo:
    if module is None:
        return _info(course, course.info.title, course.info.subtitle or "Course reader: all transcripts",
                     course.info.language, date)
    return _info(course, f"Module {module.number}: {module.title}",
                 f"Transcripts of module {module.number} of {course.info.title}", course.info.language, date)


# -- tasks ----------------------------------------------------------------------------
def _course_params(course: Course) -> dict:
    info = course.info
    return {"course": {"title": info.title, "author": info.author, "copyright": info.copyright},
            "print": dataclasses.asdict(course.print)}


def _episode_params(course: Course, episode: Episode) -> dict:
    module = course.module(episode.module)
    speakers = [dataclasses.astuple(course.speaker(s))[:4] for s in episode.speakers]
    return {"module": [module.number, module.title], "slug": episode.slug, "number": episode.number,
            "title": episode.title, "summary": episode.summary, "date": episode.date.isoformat(),
            "language": episode.language, "speakers": speakers,
            "chapters": [[c.at, c.title] for c in episode.chapters],
            "names": {s.id: s.name for s in course.speakers}}


def _booklet_params(course: Course, module: Module | None) -> dict:
    episodes = course.module_episodes(module.number) if module else course.episodes
    modules = [module] if module else [m for m in course.modules if course.module_episodes(m.number)]
    return {**_course_params(course), "subtitle": course.info.subtitle, "language": course.info.language,
            "modules": [[m.number, m.title, m.summary] for m in modules],
            "episodes": [_episode_params(course, e) for e in episodes]}


def _tools(course: Course) -> tuple[str, ...]:
    """reportlab, this stage's layout version, and the font files (a font update reprints)."""
    fonts = []
    for family in (course.print.font, course.print.heading_font):
        try:
            path = find_font(family)
            fonts.append(f"font {path.name} {path.stat().st_size}")
        except CoursecastError:
            fonts.append(f"font {family} missing")  # the build itself says what to install
    return (*TOOLS, *fonts)


def _print_pair(course: Course, episode: Episode) -> tuple[PrintReport, PrintReport]:
    source = layout.transcript(course, episode, "json")
    return (print_episode(course, episode, source, layout.episode_pdf(course, episode)),
            print_episode(course, episode, source, layout.episode_pdf(course, episode, proof=True), proof=True))


def _print_booklet_of(course: Course, module: Module | None) -> PrintReport:
    episodes = course.module_episodes(module.number) if module else course.episodes
    target = layout.module_pdf(course, module) if module else layout.course_pdf(course)
    pairs = [(e, layout.transcript(course, e, "json")) for e in episodes]
    return print_booklet(course, pairs, target, module=module)


def _episode_task(course: Course, episode: Episode, tools: tuple[str, ...]) -> Task:
    return Task(stage="print", name=f"print:{episode.slug}", action=functools.partial(_print_pair, course, episode),
                inputs=(layout.transcript(course, episode, "json"),),
                targets=(layout.episode_pdf(course, episode), layout.episode_pdf(course, episode, proof=True)),
                params={**_course_params(course), "episode": _episode_params(course, episode)},
                tools=tools, episode=episode.slug)


def _booklet_task(course: Course, module: Module | None, tools: tuple[str, ...]) -> Task:
    episodes = course.module_episodes(module.number) if module else course.episodes
    return Task(stage="print", name=f"print:module-{module.number}" if module else "print:course",
                action=functools.partial(_print_booklet_of, course, module),
                inputs=tuple(layout.transcript(course, e, "json") for e in episodes),
                targets=(layout.module_pdf(course, module) if module else layout.course_pdf(course),),
                params=_booklet_params(course, module), tools=tools, weight=len(episodes))


def tasks(course: Course) -> list[Task]:
    """print:<slug> (reading + proof) per episode, print:module-<n> per module, print:course."""
    tools = _tools(course)
    result = [_episode_task(course, e, tools) for e in course.episodes]
    result += [_booklet_task(course, m, tools) for m in course.modules if course.module_episodes(m.number)]
    if course.episodes:
        result.append(_booklet_task(course, None, tools))
    return result


def check(course: Course) -> list[str]:
    """[print] settings a build would fail on: paper, fonts, the confidence threshold."""
    problems = []
    if course.print.paper not in PAPER:
        problems.append(f"{course.path.name}, [print].paper: {course.print.paper!r} is not a paper size; "
                        'use "A4" or "Letter"')
    if not 0.0 <= course.print.low_confidence <= 1.0:
        problems.append(f"{course.path.name}, [print].low_confidence: {course.print.low_confidence} is not a "
                        "probability; use a number from 0 to 1, e.g. 0.5")
    for key in ("font", "heading_font"):
        try:
            register_family(getattr(course.print, key))
        except CoursecastError as e:
            problems.append(f"{course.path.name}, [print].{key}: {e}")
    return problems
