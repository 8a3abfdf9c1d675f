"""Jobs + built files -> HTML, with Jinja2 templates that escape every value (autoescape, strict undefined).

Nothing here concatenates markup: templates in `templates/` hold the markup and
receive plain values; the only markup a template receives ready-made is a course
summary sanitised by nh3 (the feeds' sanitiser: a few inline and list tags, `rich`)
and a `lang` attribute built from a validated language code (`lang`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from . import facts, formats
from ._deps import AUTO, iso_639_2, paragraph, sanitise
from .jobs import (
    UI_LANGUAGE, CourseJob, Download, EpisodeEntry, EpisodeJob, EpisodeLink, FeedLink, ModuleJob,
)
from .subscribe import AppLink, app_links

TEMPLATES = Path(__file__).parent / "templates"
ASSETS = Path(__file__).parent / "assets"
MAX_PAGE_BYTES = 200_000  # an episode page with its stylesheet and script, without media (the budget)



@dataclass(frozen=True)
class DownloadView:
    label: str
    path: Path
    mime: str
    size: int  # bytes


@dataclass(frozen=True)
class EntryView:
    entry: EpisodeEntry | EpisodeLink
    duration: float  # seconds


@dataclass(frozen=True)
class FeedView:
    feed: FeedLink
    apps: tuple[AppLink, ...]


@dataclass(frozen=True)
class HighlightView:
    """A soundbite on the module page: which episode, where, what."""

    entry: EpisodeEntry
    start: float  # seconds
    end: float  # seconds
    title: str


@dataclass(frozen=True)
class CaptionView:
    language: str
    label: str
    src: str  # data: URL of the WebVTT


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(seconds=formats.seconds, clock=formats.clock, iso_duration=formats.iso_duration,
                       long_duration=formats.long_duration, long_date=formats.long_date,
                       file_size=formats.file_size)
    env.globals.update(ui_language=UI_LANGUAGE, rich=rich)
    return env


def relative(path: Path, start: Path) -> str:
    """The URL of `path` relative to the folder `start`: works from file:// and under any base URL."""
    return quote(os.path.relpath(path, start).replace(os.sep, "/"))


def rich(text: str) -> Markup:
    """A course-file summary as the feeds show it: nh3 keeps a few inline and list tags, escapes the rest."""
    return Markup(paragraph(sanitise(text)))


def lang_attribute(code: str, page_language: str) -> Markup:
    """' lang="sv"' on an element whose text is not in the page's language, else nothing (also for "auto":
    an episode whose language only its transcript knows)."""
    return Markup(' lang="%s"') % code if code and code not in (page_language, AUTO) else Markup("")


def language_name(code: str) -> str:
    """The language's own name ('sv' -> 'Svenska'), for caption track labels; the code if unknown."""
    try:
        return iso_639_2(code)[1]
    except ValueError:
        return code


def render(template: str, target: Path, page_language: str = UI_LANGUAGE, **context) -> str:
    link = partial(relative, start=target.parent)
    lang = partial(lang_attribute, page_language=page_language)
    return environment().get_template(template).render(link=link, lang=lang, **context)


# -- per page ---------------------------------------------------------------------------------------
def _downloads(items: tuple[Download, ...]) -> tuple[DownloadView, ...]:
    return tuple(DownloadView(d.label, d.path, d.mime, facts.size(d.path)) for d in items)


def _feeds(feeds: tuple[FeedLink, ...], course_title: str) -> tuple[FeedView, ...]:
    return tuple(FeedView(f, app_links(f.url, f"{f.title} – {course_title}")) for f in feeds)


def _entries(entries: tuple[EpisodeEntry | EpisodeLink, ...]) -> tuple[EntryView, ...]:
    return tuple(EntryView(e, facts.duration(e.audio)) for e in entries)


def _captions(job: EpisodeJob, inline: bool, spoken: str) -> tuple[CaptionView, ...]:
    """Caption tracks: the WebVTT inside the page (works from file://) or, `inline` off, linked beside it.

    `spoken`: the transcript's language, for a track of an episode whose language is "auto".
    """
    def source(path: Path) -> str:
        if inline:
            return formats.data_url(Path(path).read_text(encoding="utf-8"), "text/vtt")
        return relative(path, job.target.parent)

    languages = [spoken if c.language == AUTO else c.language for c in job.captions]
    return tuple(CaptionView(lang, language_name(lang), source(c.path)) for lang, c in zip(languages, job.captions))


@dataclass(frozen=True)
class TranslationView:
    language: str  # BCP 47 tag
    label: str  # 'Español', or 'Español (machine translation)'
    paragraphs: tuple  # facts.Paragraph per turn
    files: tuple[tuple[str, str], ...]  # (label, relative href) of its published files


def _translations(job: EpisodeJob) -> tuple[TranslationView, ...]:
    """The published translations (their transcript JSON exists), labelled when machine drafts are in them."""
    views = []
    for t in job.translations:
        if not t.path.is_file():
            continue
        model = facts.transcript(t.path, job.slug)
        machine = model.options.get("translation", {}).get("machine_cues", 0)
        label = language_name(t.language) + (" (machine translation)" if machine else "")
        files = tuple((name, relative(t.path.with_suffix(ext), job.target.parent))
                      for name, ext in (("PDF", ".pdf"), ("WebVTT", ".vtt"), ("text", ".txt"))
                      if t.path.with_suffix(ext).is_file())
        views.append(TranslationView(t.language, label, facts.paragraphs(model, dict(job.names)), files))
    return tuple(views)


def _translated_captions(job: EpisodeJob, views, inline: bool) -> tuple[CaptionView, ...]:
    if job.kind != "video":
        return ()
    def source(path: Path) -> str:
        return formats.data_url(path.read_text(encoding="utf-8"), "text/vtt") if inline else \
            relative(path, job.target.parent)
    paths = {t.language: t.path.with_suffix(".vtt") for t in job.translations}
    return tuple(CaptionView(v.language, v.label, source(paths[v.language])) for v in views
                 if paths[v.language].is_file())


def _assets_bytes(job: EpisodeJob) -> int:
    scripts = (job.frame.stylesheet, job.frame.script, job.frame.search_script)
    return sum((ASSETS / Path(p).name).stat().st_size for p in scripts)


def anchors(paragraphs: tuple[facts.Paragraph, ...]) -> tuple[tuple[str, ...], ...]:
    """Each sentence's id, "t=<start>", so `page.html#t=<start>` names it (a shared moment, a search result);
    "" for a sentence that starts where an earlier one does (ids are unique)."""
    seen: set[str] = set()
    result = []
    for paragraph in paragraphs:
        ids = []
        for line in paragraph.lines:
            name = "t=" + formats.seconds(line.start)
            ids.append("" if name in seen else name)
            seen.add(name)
        result.append(tuple(ids))
    return tuple(result)


def episode_page(job: EpisodeJob) -> str:
    """The episode page; its captions are carried inside it unless that would pass MAX_PAGE_BYTES."""
    facts.require(job.inputs, job.frame.home.parent.parent)
    model = facts.transcript(job.transcript, job.slug)
    language = model.language if job.language == AUTO else job.language
    length = facts.duration(job.media)
    chapters = facts.chapters(job.chapters, length) if job.chapters else ()
    chapters_src = formats.data_url(formats.chapters_vtt(chapters), "text/vtt") if chapters else ""
    paragraphs = facts.paragraphs(model, dict(job.names))
    page = partial(render, "episode.html", job.target, job=job, language=language, duration=length,
                   chapters=chapters, chapters_src=chapters_src, transcript_language=model.language,
                   paragraphs=paragraphs, anchors=anchors(paragraphs), downloads=_downloads(job.downloads),
                   highlights=model.soundbites,
                   translations=(views := _translations(job)), transcript_label=language_name(model.language))
    html = page(captions=_captions(job, True, model.language) + _translated_captions(job, views, True))
    if job.captions and len(html.encode("utf-8")) + _assets_bytes(job) > MAX_PAGE_BYTES:
        html = page(captions=_captions(job, False, model.language) + _translated_captions(job, views, False))
    return html


def module_page(job: ModuleJob) -> str:
    facts.require(job.inputs, job.frame.home.parent.parent)
    highlights = tuple(HighlightView(e, b.start, b.end, b.title) for e in job.episodes if e.transcript
                       for b in facts.transcript(e.transcript, Path(e.page).stem).soundbites)
    return render("module.html", job.target, job=job, episodes=_entries(job.episodes), highlights=highlights,
                  booklet=_downloads((job.booklet,))[0], feeds=_feeds(job.feeds, job.frame.course_title))


def course_page(job: CourseJob) -> str:
    facts.require(job.inputs, job.frame.home.parent.parent)
    modules = tuple((m, _entries(m.episodes)) for m in job.modules)
    booklet = _downloads((job.booklet,))[0] if job.booklet else None
    return render("course.html", job.target, job=job, modules=modules, booklet=booklet,
                  feeds=_feeds(job.feeds, job.frame.course_title))
