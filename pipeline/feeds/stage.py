"""The feeds stage: episodes/ + transcripts/ -> feeds/ (RSS 2.0 with iTunes and Podcasting 2.0 tags).

One feed per module, one for the whole course (every module a season) and, where
a module has video episodes, a video feed. A feed is first planned from the
course file alone (`plan_feed`: pure, and the plan is the task's parameters),
then built from the published files (`build_feed`): exact enclosure sizes,
durations read from the files, chapters from the episodes stage's JSON.

Nothing depends on the clock: lastBuildDate is the newest pubDate, so an
unchanged course rebuilds to the same bytes. GUIDs come from the course's guid
seed (or base_url) and the episode slug only: titles can be corrected and media
re-encoded without apps seeing new episodes. Over-long course-file text is an
error naming the field and the fix, never silently truncated.

Split by concern: feed_plan (course file -> plan), feed_render (plan -> XML with
feedgen), podcast_ext (the Podcasting 2.0 feedgen extension), feed_check (the
rules apps apply), and this module (limits, the build, tasks and checks).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..core import layout
from ..core import transcript as transcript_model
from ..core.course import Course
from ..core.course_lines import place
from ..core.dependency import Task
from ..core.errors import CoursecastError, StageError
from ..core.fsutil import write_if_changed, write_json
from ..core.media import published_length
from ..episodes import read_chapters as episode_chapters
from .html_transcript import HtmlTranscriptJob, make_html_transcript
from .plan import FeedPlan, ItemPlan, detected_languages, feed_plans, plan_feed
from .podcast_ext import MAX_NAME_CHARS
from .render import item_description, render
from .validate import (
    MAX_DESCRIPTION_BYTES,
    MAX_TEXT_CHARS,
    artwork_problems,
    chapters_problems,
    feed_problems,
    feedparser_problems,
    json_transcript_problems,
    load_json,
    parse_category,
)

__all__ = ["FeedReport", "build_feed", "check", "plan_feed", "plan_problems", "tasks", "write_json_transcript"]

LIBRARIES = ("feedgen", "lxml", "nh3", "mutagen")  # what shapes a feed's XML (the code is keyed by itself)
FEED_WEIGHT = 0.1  # relative cost of a feed task (no media is decoded)
JSON_TRANSCRIPT_VERSION = "1.0.0"  # Podcast Index JSON transcript format
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

@dataclass(frozen=True)
class FeedReport:
    path: Path
    items: int
    bytes: int  # size of the feed
    changed: bool  # False when the feed was already identical


# -- limits: clear errors, never silent truncation ---------------------------------------------
def _xml_problems(where: str, value: str) -> list[str]:
    if _NOT_XML.search(value):
        return [f"{where}: contains characters XML cannot carry (e.g. U+FFFE or U+FFFF); remove them"]
    return []


def _text_problems(where: str, value: str, limit: int, fix: str) -> list[str]:
    problems = [] if value.strip() else [f"{where}: is empty; fill it in"]
    if len(value) > limit:
        problems.append(f"{where}: {len(value)} characters, podcast apps allow {limit}; {fix}")
    return problems + _xml_problems(where, value)


def _description_problems(where: str, description: str, fix: str) -> list[str]:
    size = len(description.encode("utf-8"))
    if size > MAX_DESCRIPTION_BYTES:
        return [f"{where}: the description is {size} bytes (UTF-8), Apple allows {MAX_DESCRIPTION_BYTES}; "
                f"{fix} by {size - MAX_DESCRIPTION_BYTES} bytes"]
    return _xml_problems(where, description)


def plan_problems(plan: FeedPlan, chapters: dict[str, Sequence[tuple[float, str]]]) -> list[str]:
    """Everything in the course file a feed cannot show as written, naming the field and the fix."""
    file, feed = plan.course_file, f"feed {plan.target.name}"
    title_fix = "shorten [course].title" + (f" or module '{plan.module_slug}' title" if plan.module_slug else "")
    problems = _text_problems(f"{file}: {feed} title", plan.title, MAX_TEXT_CHARS, title_fix)
    for key, value in (("author", plan.author), ("owner_name", plan.owner_name), ("copyright", plan.copyright)):
        problems += _text_problems(f"{file}, [course].{key}", value, MAX_TEXT_CHARS, f"shorten [course].{key}")
    where = f"{file}, [[modules]] '{plan.module_slug}'.summary" if plan.module_slug else f"{file}, [course].subtitle"
    problems += _description_problems(where, plan.description_html, "shorten it")
    for text in plan.categories:
        try:
            parse_category(text)
        except ValueError as e:
            problems.append(f"{file}, [course].categories: {e}")
    for item in plan.items:
        problems += _item_problems(file, item, chapters.get(item.slug, item.course_chapters))
    return list(dict.fromkeys(problems))


def _item_problems(file: str, item: ItemPlan, chapters: Sequence[tuple[float, str]]) -> list[str]:
    where = f"{file}, [[episodes]] '{item.slug}'"
    problems = _text_problems(f"{where}.title", item.title, MAX_TEXT_CHARS, "shorten the title")
    problems += _text_problems(f"{where}: season name (module {item.season} title)", item.season_name,
                               MAX_NAME_CHARS, "shorten the module's title")
    for person in item.persons:
        problems += _text_problems(f"{where}: speaker {person.name[:40]!r}", person.name, MAX_NAME_CHARS,
                                   "shorten the name in [[speakers]]")
    for title in (t for _, t in chapters):
        problems += _text_problems(f"{where}.chapters {title[:40]!r}", title, MAX_TEXT_CHARS, "shorten it")
    return problems + _description_problems(
        f"{where}.summary", item_description(item, chapters),
        "the summary, speakers, chapter list and links must fit: shorten the summary (or the chapter titles)")


# -- building: the published files -> the feed -------------------------------------------------
def _require(plan: FeedPlan) -> None:
    if not plan.items:
        raise StageError(f"feed {plan.target.name} has no episodes; add [[episodes]] to its module first")
    missing = [p for p in plan.inputs if not p.is_file()]
    if missing:
        root = plan.target.parent.parent  # the course folder (feeds/<name>.xml)
        lines = [f"{p} (run '{layout.builder(p, root)}')" for p in missing]
        raise StageError(f"feed {plan.target.name} cannot be built; missing: " + "; ".join(lines))


def media_facts(path: Path) -> tuple[int, int]:
    """(size in bytes, duration in whole seconds, rounded) read from the published file."""
    seconds = published_length(path, layout.builder(path, path.parent.parent))  # episodes/<file>
    return path.stat().st_size, int(seconds + 0.5)


def read_chapters(path: Path) -> tuple[tuple[float, str], ...]:
    """The visible chapters of a chapters JSON the episodes stage wrote; StageError if it breaks the format."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise StageError(f"{path}: not readable JSON ({e}); rebuild it with 'coursecast episodes'") from e
    problems = chapters_problems(data, str(path))
    if problems:
        raise StageError("; ".join(problems) + "; rebuild it with 'coursecast episodes'")
    return episode_chapters(path)


def build_feed(plan: FeedPlan) -> FeedReport:
    """Write one feed from its plan and the published files; StageError names what to fix."""
    _require(plan)
    images = {plan.image.path, *(i.image.path for i in plan.items if i.image)}
    problems = [p for image in sorted(images) for p in artwork_problems(image)]
    chapters = {i.slug: read_chapters(i.chapters.path) if i.chapters else () for i in plan.items}
    problems += plan_problems(plan, chapters)
    if problems:
        raise StageError(f"feed {plan.target.name}:\n  - " + "\n  - ".join(problems))
    media = {i.slug: media_facts(i.media.path) for i in plan.items}
    plan = detected_languages(plan)
    soundbites = {i.slug: _soundbites(i.transcript) for i in plan.items if i.transcript}
    data = render(plan, media, {i.slug: item_description(i, chapters[i.slug]) for i in plan.items}, chapters,
                  soundbites)
    changed = write_if_changed(plan.target, data)
    return FeedReport(plan.target, len(plan.items), len(data), changed)


def _soundbites(path: Path) -> tuple:
    """The passages editors marked, from the episode's transcript JSON."""
    try:
        return transcript_model.load(path).soundbites
    except CoursecastError as e:
        raise StageError(str(e)) from e


@dataclass(frozen=True)
class JsonTranscriptJob:
    """What `feeds:<slug>:json-transcript` reads."""

    source: Path  # coursecast's transcript JSON
    target: Path  # the Podcast Index JSON transcript


def make_json_transcript(job: JsonTranscriptJob) -> int:
    return write_json_transcript(job.source, job.target)


def write_json_transcript(source: Path, target: Path) -> int:
    """coursecast's transcript JSON -> the Podcast Index JSON transcript format; returns segments written."""
    model = transcript_model.load(source)
    segments = [{**({"speaker": model.speaker_name(s.speaker)} if s.speaker else {}),
                 "startTime": round(s.start, 3), "endTime": round(s.end, 3), "body": s.text.strip()}
                for s in model.segments if s.text.strip()]
    write_json(target, {"version": JSON_TRANSCRIPT_VERSION, "segments": segments})
    return len(segments)


# -- the stage contract: tasks and checks --------------------------------------------------------
def _json_transcript_task(course: Course, episode) -> Task:
    job = JsonTranscriptJob(layout.transcript(course, episode, "json"), layout.podcast_transcript(course, episode))
    return Task(stage="feeds", name=f"feeds:{episode.slug}:json-transcript", episode=episode.slug,
                action=make_json_transcript, job=job, inputs=(job.source,), targets=(job.target,),
                weight=FEED_WEIGHT)


def _html_transcript_task(course: Course, episode) -> Task:
    job = HtmlTranscriptJob(layout.transcript(course, episode, "json"), layout.html_transcript(course, episode),
                            episode.title, episode.language)
    return Task(stage="feeds", name=f"feeds:{episode.slug}:html-transcript", episode=episode.slug,
                action=make_html_transcript, job=job, inputs=(job.source,), targets=(job.target,),
                weight=FEED_WEIGHT)


def tasks(course: Course) -> list[Task]:
    """Per episode: its JSON and HTML transcripts. Per module: its feed (and video feed); the course feed."""
    result = [task for ep in course.episodes
              for task in (_json_transcript_task(course, ep), _html_transcript_task(course, ep))]
    for name, plan in feed_plans(course):
        result.append(Task(stage="feeds", name=name, action=build_feed, job=plan, inputs=plan.inputs,
                           targets=(plan.target,), libraries=LIBRARIES, weight=FEED_WEIGHT))
    return result


def _order_problems(course: Course) -> list[str]:
    ordered = sorted(course.episodes, key=lambda e: (e.module, e.number))
    return [f"{place(course.path, f'[[episodes]] {b.slug!r}.date')}: {b.date} is before '{a.slug}' ({a.date}), which "
            f"comes first in the course; apps that sort by date will play them out of order; fix the dates"
            for a, b in zip(ordered, ordered[1:]) if b.date < a.date]


def _built_chapters(item: ItemPlan) -> tuple[Sequence[tuple[float, str]], list[str]]:
    """(chapters to measure the description with, problems of the built chapters file)."""
    if item.chapters and item.chapters.path.is_file():
        try:
            return read_chapters(item.chapters.path), []
        except CoursecastError as e:
            return item.course_chapters, [str(e)]
    return item.course_chapters, []


def _built_file_problems(plan: FeedPlan) -> list[str]:
    problems = []
    for asset in (plan.image, *(i.image for i in plan.items if i.image)):
        problems += artwork_problems(asset.path) if asset.path.is_file() else []
    for link in (t for i in plan.items for t in i.transcripts if t.type == "application/json"):
        problems += load_json(link.asset.path, json_transcript_problems) if link.asset.path.is_file() else []
    if plan.target.is_file():
        problems += feed_problems(plan.target) + feedparser_problems(plan.target)
    return problems


def preflight(course: Course) -> list[str]:
    """Course-file values the feeds cannot carry (too long, unknown category, out of date order)."""
    problems = _order_problems(course)
    for _, plan in feed_plans(course):
        problems += plan_problems(plan, {item.slug: item.course_chapters for item in plan.items})
    return list(dict.fromkeys(problems))


def check(course: Course) -> list[str]:
    """Problems with the feeds: course-file values they cannot carry, artwork, chapters, built feeds."""
    problems = _order_problems(course)
    for _, plan in feed_plans(course):
        chapters = {}
        for item in plan.items:
            chapters[item.slug], chapter_problems = _built_chapters(item)
            problems += chapter_problems
        problems += plan_problems(plan, chapters) + _built_file_problems(plan)
    return list(dict.fromkeys(problems))
