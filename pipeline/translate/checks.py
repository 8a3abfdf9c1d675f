"""What stops a build (`preflight`: an engine pair the course needs that is not installed), what `check`
reports (untranslated cues per language, bad translator's files, caption rules), and its notes."""
from __future__ import annotations

from ..captions import read_caption_file
from ..core import layout
from ..core.course import Course
from ..core.errors import CoursecastError
from .review import summary
from .stage import cached_drafts, lint, plan, translate_job


def _jobs(course: Course):
    return [(e, translate_job(course, e, lang)) for e in course.episodes for lang in e.translations]


def preflight(course: Course) -> list[str]:
    """An engine pair the course needs that this machine lacks, with the line that installs it."""
    if not course.translation.machine_drafts:
        return []
    return list(dict.fromkeys(
        f"[[episodes]] '{e.slug}' translations {job.language!r}: {job.engine.label if job.engine.kind != 'apertium' else 'the Apertium pair ' + job.engine.name} is missing; "
        f"run '{job.engine.missing}' (or set [translation] machine_drafts = false)"
        for e, job in _jobs(course) if job.engine.missing))


def check(course: Course) -> list[str]:
    """Per episode and language: untranslated cues (the language is not published), a bad translator's file,
    and caption-rule errors in a published translation."""
    problems = []
    for episode, job in _jobs(course):
        where = job.sheet.relative_to(course.root)
        try:
            result = plan(job, cached_drafts)
        except CoursecastError as e:
            problems.append(f"{where}: {e}" if str(job.sheet) not in str(e) else str(e))
            continue
        if result.missing:
            problems.append(f"{where}: {len(result.missing)} of {len(result.cues)} cues untranslated, so "
                            f"{job.language} is not published; translate them there (the review file "
                            f"{job.review.relative_to(course.root)} names them)")
        vtt = layout.translation(course, episode, job.language, "vtt")
        if vtt.exists():
            found = lint(read_caption_file(vtt).cues, course.captions, {})
            problems += [f"{vtt.relative_to(course.root)}: {v}" for v in found if v.severity == "error"]
    return problems


def notes(course: Course) -> list[str]:
    """Published translations that are machine drafts, in part or whole."""
    found = []
    for episode, job in _jobs(course):
        try:
            result = plan(job, cached_drafts)
        except CoursecastError:
            continue
        if not result.missing and result.machine:
            found.append(f"{job.sheet.relative_to(course.root)}: {summary(job, result)} ({job.engine.label}), "
                         "published labelled as a machine translation")
    return found
