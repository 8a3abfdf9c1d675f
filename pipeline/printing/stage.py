"""The print stage: final transcripts -> PDFs an official can read and an editor can proofread.

Per episode a reading edition and a proofreading edition (line numbers per page,
a timecode on every paragraph, wide margins, low-confidence words shaded); per
module a booklet with a title page, a table of contents and the episodes in
order; and one booklet for the whole course. Content is built in `pdf_story`,
pages in `pdf_layout`, fonts and styles in `pdf_styles`; this module holds the
stage functions and declares the stage's tasks.
"""
from __future__ import annotations

import datetime as dt
import functools
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from reportlab.platypus import PageBreak

from ..core import layout
from ..core.course import Chapter, Course, Episode, Module
from ..core.course_lines import place
from ..core.dependency import Task
from ..core.errors import CoursecastError, StageError
from ..core.fonts import FACES
from ..core.languages import AUTO
from ..core.transcript import Transcript, load
from ..episodes import read_chapters
from .jobs import (
    BookletJob,
    EpisodePrintJob,
    PrintedCourse,
    PrintedEpisode,
    PrintedModule,
    printed_course,
    printed_episode,
    printed_module,
)
from . import fallback
from .pages import DocInfo, render
from .index import PageRecorder, index_story
from .story import booklet_front, episode_story, escape, module_divider, printed_speaker_names, story_context
from .styles import every_face, find_font, register_family

LIBRARIES = ("reportlab",)  # what lays out the PDFs (the code is keyed by itself)
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
def _load(episode: PrintedEpisode) -> Transcript:
    transcript = load(episode.transcript)
    if transcript.episode != episode.slug:
        raise StageError(f"{episode.transcript}: this transcript is of episode '{transcript.episode}', not "
                         f"'{episode.slug}'; run 'coursecast transcribe' again for '{episode.slug}'")
    return transcript


def _chapters(episode: PrintedEpisode) -> tuple[Chapter, ...]:
    """The episode's chapters on its published timeline (the episodes stage mapped them)."""
    return tuple(Chapter(at, title) for at, title in read_chapters(episode.chapters))


def _info(course: PrintedCourse, title: str, subject: str, language: str, date: dt.date) -> DocInfo:
    return DocInfo(title=title, author=course.author, subject=subject, language=language,
                   copyright=course.copyright, date=date, keywords=(course.title, "transcript"))


@_one_at_a_time
def print_episode(course: PrintedCourse, episode: PrintedEpisode, target: Path, *, proof: bool = False) -> PrintReport:
    """One episode's transcript as a reading PDF (or, with `proof`, the proofreading edition)."""
    ctx = story_context(course, proof)
    transcript = _load(episode)
    story, words, marked = episode_story(ctx, episode, transcript, _chapters(episode), level=0, toc=False)
    module = episode.module
    subject = f"Transcript of an episode of {course.title}, module {module.number}: {module.title}"
    title = f"{episode.title}{' (proofreading edition)' if proof else ''}"
    language = transcript.language if episode.language == AUTO else episode.language  # "auto": as detected
    info = _info(course, title, subject, language, episode.date)
    pages = render(story, target, info, ctx.geom, ctx.styles)
    return PrintReport(Path(target), "proof" if proof else "reading", pages, words, marked)


def print_editions(job: EpisodePrintJob) -> tuple[PrintReport, PrintReport]:
    """The `print:<slug>` task's action: the reading and the proofreading edition."""
    return (print_episode(job.course, job.episode, job.reading),
            print_episode(job.course, job.episode, job.proof, proof=True))


@dataclass(frozen=True)
class TranslationPrintJob:
    """What `print:<slug>:<lang>` reads: the translate stage's transcript of one language, while it is published."""

    course: PrintedCourse
    episode: PrintedEpisode  # its transcript and language: the translation's
    target: Path  # the translation's reading PDF


def print_translation(job: TranslationPrintJob) -> PrintReport | None:
    """The reading PDF of a published translation (labelled when machine drafts are in it); none while the
    language is not published."""
    if not job.episode.transcript.is_file():
        job.target.unlink(missing_ok=True)
        return None
    translated = load(job.episode.transcript)
    if missing := _uncovered(translated.text, job.course.fonts[:1]):
        raise StageError(f"{job.target}: the [print] font has no glyph for {' '.join(sorted(missing)[:12])} "
                         f"({job.episode.language}); set [print] font to a family that covers the language, "
                         "e.g. 'Noto Serif' or 'Noto Sans'")
    about = translated.options.get("translation", {})
    machine, cues = about.get("machine_cues", 0), about.get("cues", 0)
    label = f" (machine translation: {machine} of {cues} passages not reviewed)" if machine else " (translation)"
    episode = replace(job.episode, title=job.episode.title + label)
    return print_episode(job.course, episode, job.target)


def _uncovered(text: str, fonts: tuple[Path, ...]) -> set[str]:
    """Characters of `text` the body font (its first file) has no glyph for."""
    from reportlab.pdfbase.ttfonts import TTFont

    if not fonts:
        return set()
    glyphs = TTFont("coverage", str(fonts[0])).face.charToGlyph
    return {c for c in set(text) if not c.isspace() and ord(c) not in glyphs}


@_one_at_a_time
def print_booklet(job: BookletJob) -> PrintReport:
    """A module's booklet (or, with no module, the course's): title page, contents, episodes."""
    if not job.episodes:
        raise StageError(f"{job.target}: no episodes to print; add [[episodes]] to the course file")
    ctx = story_context(job.course, proof=False)
    story = booklet_front(ctx, job.module, len(job.episodes))
    words, speakers = 0, []
    for module in job.modules:
        group = [e for e in job.episodes if e.module.number == module.number]
        if job.module is None:
            story += module_divider(ctx, module, group)
        for episode in group:
            transcript = _load(episode)
            part, count, _ = episode_story(ctx, episode, transcript, _chapters(episode),
                                           level=0 if job.module else 1, toc=True)
            story += [*part, PageBreak()]
            words += count
            speakers += [*(s.name for s in episode.speakers), *printed_speaker_names(job.course, transcript)]
    recorder = PageRecorder(speakers, job.vocabulary)
    story += index_story(ctx, recorder, escape)
    info = _booklet_info(job.course, job.module, max(e.date for e in job.episodes))
    pages = render(story, job.target, info, ctx.geom, ctx.styles, passes=True, recorder=recorder)
    return PrintReport(Path(job.target), "module" if job.module else "course", pages, words, 0)


def _booklet_info(course: PrintedCourse, module: PrintedModule | None, date: dt.date) -> DocInfo:
    if module is None:
        return _info(course, course.title, course.subtitle or "Course reader: all transcripts", course.language, date)
    return _info(course, f"Module {module.number}: {module.title}",
                 f"Transcripts of module {module.number} of {course.title}", course.language, date)


# -- tasks ----------------------------------------------------------------------------
def _fonts(course: Course) -> tuple[Path, ...]:
    """The font files of every face printed with (a font update reprints); the preflight names missing ones."""
    files = []
    for family in dict.fromkeys((course.print.font, course.print.heading_font)):
        for face in FACES:
            try:
                files.append(find_font(family, face))
            except CoursecastError:
                continue
    return tuple(dict.fromkeys(files))


def _episode_task(course: Course, printed: PrintedCourse, episode: Episode) -> Task:
    job = EpisodePrintJob(printed, printed_episode(course, episode), layout.episode_pdf(course, episode),
                          layout.episode_pdf(course, episode, proof=True))
    return Task(stage="print", name=f"print:{episode.slug}", action=print_editions, job=job,
                inputs=(job.episode.transcript, job.episode.chapters, *printed.fonts), targets=(job.reading, job.proof),
                libraries=LIBRARIES, episode=episode.slug)


def _translation_task(course: Course, printed: PrintedCourse, episode: Episode, language: str) -> Task:
    source = replace(printed_episode(course, episode), transcript=layout.translation(course, episode, language, "json"),
                     language=language)
    job = TranslationPrintJob(printed, source, layout.translation_pdf(course, episode, language))
    return Task(stage="print", name=f"print:{episode.slug}:{language}", action=print_translation, job=job,
                inputs=(source.transcript, source.chapters, *printed.fonts), targets=(job.target,), libraries=LIBRARIES,
                episode=episode.slug)


def _booklet_task(course: Course, printed: PrintedCourse, module: Module | None) -> Task:
    episodes = course.module_episodes(module.number) if module else \
        tuple(sorted(course.episodes, key=lambda e: (e.module, e.number)))
    modules = (module,) if module else tuple(m for m in course.modules if course.module_episodes(m.number))
    job = BookletJob(printed, printed_module(module) if module else None, tuple(printed_module(m) for m in modules),
                     tuple(printed_episode(course, e) for e in episodes),
                     layout.module_pdf(course, module) if module else layout.course_pdf(course),
                     course.transcription.vocabulary)
    return Task(stage="print", name=f"print:module-{module.number}" if module else "print:course",
                action=print_booklet, job=job,
                inputs=(*(p for e in job.episodes for p in (e.transcript, e.chapters)), *printed.fonts),
                targets=(job.target,), libraries=LIBRARIES, weight=len(episodes))


def tasks(course: Course) -> list[Task]:
    """print:<slug> (reading + proof) per episode, print:module-<n> per module, print:course."""
    printed = printed_course(course, _fonts(course))
    result = [_episode_task(course, printed, e) for e in course.episodes]
    result += [_translation_task(course, printed, e, lang) for e in course.episodes for lang in e.translations]
    result += [_booklet_task(course, printed, m) for m in course.modules if course.module_episodes(m.number)]
    if course.episodes:
        result.append(_booklet_task(course, printed, None))
    return result


def preflight(course: Course) -> list[str]:
    """[print] fonts that are not installed (the course file's values are checked when it loads)."""
    problems = []
    for key in ("font", "heading_font"):
        try:
            register_family(getattr(course.print, key))
        except CoursecastError as e:
            problems.append(f"{place(course.path, f'[print].{key}')}: {e}")
    if problems:
        return problems
    return fallback.problems(printed_fields(course), every_face(course.print.font, course.print.heading_font))


def printed_fields(course: Course) -> list[tuple[str, str]]:
    """(where in the course file, text) of everything the PDFs print from it."""
    name, info = course.path.name, course.info
    fields = [(f"{name}, [course].{key}", getattr(info, key)) for key in ("title", "subtitle", "author", "copyright")]
    fields += [(f"{name}, [[modules]] '{m.slug}'.{key}", getattr(m, key)) for m in course.modules
               for key in ("title", "summary")]
    fields += [(f"{name}, [[speakers]] '{s.id}'.{key}", getattr(s, key)) for s in course.speakers
               for key in ("name", "affiliation")]
    for episode in course.episodes:
        where = f"{name}, [[episodes]] '{episode.slug}'"
        fields += [(f"{where}.title", episode.title), (f"{where}.summary", episode.summary)]
        fields += [(f"{where}.chapters #{i}.title", c.title) for i, c in enumerate(episode.chapters, 1)]
    return fields


check = preflight  # the PDFs themselves are checked by their tasks (fonts embedded, text extractable)
