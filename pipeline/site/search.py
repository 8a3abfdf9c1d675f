"""The course-wide search index: every sentence of every episode, in a script the pages load.

`site/assets/search-index.js` assigns one global, `coursecastSearch`, so the search
works from file:// with the network closed (a `<script src>` loads from the disk
where a fetch of a JSON file is refused). It holds, per episode, its page, title,
language and speakers, and its sentences as the episode page cuts them
(`facts.paragraphs`, the same starts as the page's `#t=` anchors): `[start, speaker
index, text]`. No inverted index and no folded copy travel: the browser folds the
text once, at the first query, and matches query words as prefixes of sentence
words (`assets/search.js`), with the stop words and light suffix stripping of each
episode's language (`search_words.py`, carried in the index). A 10-hour course is
about 100k words: a scan of its ~7,000 sentences takes milliseconds, and the index
is the text itself, gzipped to about 25 kB per hour of speech.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from . import facts, formats, search_words
from ._deps import AUTO, Course, layout, write_text
from .jobs import module_title, names

INDEX_NAME = "search-index.js"  # in site/assets/
SCRIPT_NAME = "search.js"  # in site/assets/ (copied by site:assets)
GLOBAL = "coursecastSearch"  # the variable the index assigns
FORMAT = 1  # the index's layout, read by search.js


@dataclass(frozen=True)
class SearchEpisode:
    """One episode as the search shows it; its sentences come from its transcript."""

    slug: str
    page: str  # the episode page, relative to site/ ("episodes/<slug>.html")
    title: str
    module: str  # "Module 1: ..." as the pages name it
    language: str  # the course file's language ("auto": the transcript's is used)
    transcript: Path  # the edited transcript JSON
    names: tuple[tuple[str, str], ...]  # (roster id, name) of everyone who may speak in it


@dataclass(frozen=True)
class SearchJob:
    """What `site:search` reads and writes."""

    target: Path  # site/assets/search-index.js
    episodes: tuple[SearchEpisode, ...]  # in course order (module, number)

    @property
    def inputs(self) -> tuple[Path, ...]:
        return tuple(e.transcript for e in self.episodes)


@dataclass(frozen=True)
class IndexReport:
    target: Path
    bytes: int  # size of the index file
    sentences: int  # sentences indexed


def plan(course: Course) -> SearchJob:
    """The search job of a course: its episodes in course order."""
    site = course.folder(layout.SITE)
    ordered = sorted(course.episodes, key=lambda e: (e.module, e.number))
    episodes = tuple(SearchEpisode(
        e.slug, layout.site_episode_page(course, e).relative_to(site).as_posix(), e.title,
        module_title(course.module(e.module)), e.language, layout.transcript(course, e, "json"),
        names(course, e)) for e in ordered)
    return SearchJob(layout.site_asset(course, INDEX_NAME), episodes)


def _episode_entry(episode: SearchEpisode) -> dict:
    model = facts.transcript(episode.transcript, episode.slug)
    language = model.language if episode.language == AUTO else episode.language
    speakers: list[str] = []
    lines = []
    for paragraph in facts.paragraphs(model, dict(episode.names)):
        if paragraph.speaker not in speakers:
            speakers.append(paragraph.speaker)
        who = speakers.index(paragraph.speaker)
        lines += [[float(formats.seconds(line.start)), who, line.text] for line in paragraph.lines]
    return {"page": episode.page, "title": episode.title, "module": episode.module, "language": language,
            "speakers": speakers, "lines": lines}


def _languages(codes: set[str]) -> dict:
    found = {}
    for code in sorted(codes):
        lists = search_words.language(code)
        if lists:
            found[code] = {"stop": sorted(lists.stop_words), "suffixes": list(lists.suffixes)}
    return found


def index_data(job: SearchJob) -> dict:
    """The index as data: what `coursecastSearch` holds."""
    episodes = [_episode_entry(e) for e in job.episodes]
    return {"format": FORMAT, "minStem": search_words.MIN_STEM_CHARS,
            "languages": _languages({e["language"] for e in episodes}), "episodes": episodes}


def index_script(data: dict) -> str:
    """The index as a script: one assignment, compact JSON (a JSON text is a JavaScript expression)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"window.{GLOBAL}={text};\n"


def write_index(job: SearchJob) -> IndexReport:
    data = index_data(job)
    script = index_script(data)
    write_text(job.target, script)
    return IndexReport(job.target, len(script.encode("utf-8")), sum(len(e["lines"]) for e in data["episodes"]))
