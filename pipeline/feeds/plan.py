"""Planning a feed from the course file alone: what each feed shows, where every file is published.

A plan is pure data (no file is read), so it is also the feeds task's parameters:
a title change re-runs the feed and nothing else. GUIDs and pubDates are decided
here and depend only on the course file, never on the clock or on media bytes.
"""
from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from ..core import layout
from ..core.course import Course, Episode, Module
from ..core.languages import AUTO
from ..core.transcript import load
from .markup import paragraph, sanitise
from .podcast_ext import GUID_NAMESPACE, feed_guid

PUBLISH_HOUR_UTC = 12  # noon UTC: the course-file date reads as that date from UTC-11 to UTC+11
MINUTES_APART = 1  # minutes between episodes dated the same day, so apps keep course order
ROLES = {  # roster role -> Podcast Taxonomy role (group "cast")
    "host": "host", "interviewer": "host", "lecturer": "host", "guest": "guest", "narrator": "narrator"}
MEDIA = {"audio": "audio/mpeg", "video": "video/mp4"}  # enclosure MIME type by feed kind
CAPTIONS = (("vtt", "text/vtt", "captions"), ("srt", "application/x-subrip", None))  # (ext, MIME, rel)


@dataclass(frozen=True)
class Asset:
    path: Path  # in the course folder
    url: str  # where it is published (base_url + the same relative path)


@dataclass(frozen=True)
class TranscriptLink:
    asset: Asset
    type: str  # MIME type
    language: str  # BCP 47 code
    rel: str | None  # "captions" for the caption file


@dataclass(frozen=True)
class Person:
    name: str
    role: str  # Podcast Taxonomy role
    note: str = ""  # affiliation, shown in the description only
    group: str = "cast"  # Podcast Taxonomy group


@dataclass(frozen=True)
class ItemPlan:
    slug: str
    guid: str  # UUIDv5 of the course seed and the slug: never from title or media
    title: str
    summary_html: str  # the course-file summary, sanitised
    season: int  # the module number
    season_name: str  # the module title
    number: int  # episode number within the module
    published: dt.datetime  # UTC
    language: str  # BCP 47; "auto": the language the transcript was detected in (`spoken`)
    persons: tuple[Person, ...]
    media: Asset  # the enclosure: the MP3, or the captioned and tagged MP4 of the video stage
    page: Asset  # the episode's web page (site stage): the item's <link>
    media_type: str  # enclosure MIME type
    transcripts: tuple[TranscriptLink, ...]
    text_transcript: Asset  # linked from the description
    pdf: Asset  # linked from the description
    chapters: Asset | None  # chapters JSON, for episodes with chapters
    course_chapters: tuple[tuple[float, str], ...]  # from the course file (the JSON is the truth)
    image: Asset | None  # the item's own itunes:image
    spoken: Path | None = None  # the transcript JSON that knows the detected language of an "auto" episode
    transcript: Path | None = None  # the transcript JSON: the soundbites editors marked
    translations: tuple[TranscriptLink, ...] = ()  # the translate stage's captions per language: linked while published


@dataclass(frozen=True)
class FeedPlan:
    target: Path
    url: str  # where the feed is published
    guid: str  # podcast:guid
    course_file: str  # name of the course file, for messages
    module_slug: str  # "" for the whole-course feed
    title: str
    description_html: str
    link: str
    language: str
    copyright: str
    author: str
    owner_name: str
    owner_email: str
    categories: tuple[str, ...]  # "Education > Courses"
    explicit: bool
    feed_type: str  # itunes:type
    locked: bool
    medium: str  # podcast:medium
    image: Asset
    persons: tuple[Person, ...]
    items: tuple[ItemPlan, ...]

    @property
    def inputs(self) -> tuple[Path, ...]:
        paths = [self.image.path]
        for item in self.items:
            paths += [item.media.path, *(t.asset.path for t in item.transcripts), item.text_transcript.path,
                      item.pdf.path, *(a.path for a in (item.chapters, item.image) if a),
                      *((item.spoken,) if item.spoken else ()), *((item.transcript,) if item.transcript else ()),
                      *(t.asset.path for t in item.translations)]
        return tuple(dict.fromkeys(paths))


# -- planning: the course file -> what the feed shows ------------------------------------------
def _asset(course: Course, path: Path) -> Asset:
    return Asset(path, layout.public_url(course, path))


def _seed(course: Course) -> str:
    """The GUID seed: [course].guid if set (keep it when base_url moves), else base_url."""
    return re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", course.info.guid or course.info.base_url).rstrip("/")


def episode_guid(course: Course, episode: Episode, video: bool = False) -> str:
    name = f"{_seed(course)}/episodes/{episode.slug}{'/video' if video else ''}"
    return str(uuid.uuid5(GUID_NAMESPACE, name))


def publish_times(course: Course) -> dict[str, dt.datetime]:
    """pubDate per episode: its date at noon UTC, a minute apart for a day's episodes, in course order."""
    times, same_day = {}, Counter()
    for ep in sorted(course.episodes, key=lambda e: (e.module, e.number)):
        noon = dt.datetime.combine(ep.date, dt.time(PUBLISH_HOUR_UTC), tzinfo=dt.timezone.utc)
        times[ep.slug] = noon + dt.timedelta(minutes=MINUTES_APART * same_day[ep.date])
        same_day[ep.date] += 1
    return times


def _person(course: Course, speaker_id: str) -> Person:
    speaker = course.speaker(speaker_id)
    return Person(speaker.name, ROLES.get(speaker.role, "guest"), speaker.affiliation)


def _plan_item(course: Course, ep: Episode, video: bool, times, image: Path | None) -> ItemPlan:
    media = layout.captioned_video(course, ep) if video else layout.episode_audio(course, ep, "mp3")
    links = [TranscriptLink(_asset(course, layout.transcript(course, ep, ext)), mime, ep.language, rel)
             for ext, mime, rel in CAPTIONS]
    links.append(TranscriptLink(_asset(course, layout.podcast_transcript(course, ep)), "application/json",
                                ep.language, None))
    links.append(TranscriptLink(_asset(course, layout.html_transcript(course, ep)), "text/html", ep.language, None))
    own = layout.episode_artwork(course, ep) if ep.artwork else image
    module = course.module(ep.module)
    return ItemPlan(
        slug=ep.slug, guid=episode_guid(course, ep, video), title=ep.title, summary_html=sanitise(ep.summary),
        season=ep.module, season_name=module.title, number=ep.number, published=times[ep.slug],
        language=ep.language, persons=tuple(_person(course, s) for s in ep.speakers),
        media=_asset(course, media), page=_asset(course, layout.site_episode_page(course, ep)),
        media_type=MEDIA["video" if video else "audio"], transcripts=tuple(links),
        text_transcript=_asset(course, layout.transcript(course, ep, "txt")),
        pdf=_asset(course, layout.episode_pdf(course, ep)),
        chapters=_asset(course, layout.chapters_json(course, ep)) if ep.chapters else None,
        course_chapters=tuple((c.at, c.title) for c in ep.chapters),
        image=_asset(course, own) if own else None,
        spoken=layout.transcript(course, ep, "json") if ep.language == AUTO else None,
        transcript=layout.transcript(course, ep, "json"),
        translations=tuple(TranscriptLink(_asset(course, layout.translation(course, ep, lang, ext)), mime, lang, rel)
                           for lang in ep.translations for ext, mime, rel in CAPTIONS))


def detected_languages(plan: FeedPlan) -> FeedPlan:
    """The plan with every "auto" episode in the language its transcript was detected in."""
    items = []
    for item in plan.items:
        if item.language == AUTO and item.spoken is not None:
            spoken = load(item.spoken).language
            item = replace(item, language=spoken,
                           transcripts=tuple(replace(t, language=spoken) for t in item.transcripts))
        items.append(item)
    return replace(plan, items=tuple(items))


def _course_description(course: Course) -> str:
    modules = "".join(f"<li>{html.escape(m.title)}</li>" for m in sorted(course.modules, key=lambda m: m.number))
    intro = sanitise(course.info.subtitle or course.info.title)
    return f"{paragraph(intro)}<p>Modules:</p><ol>{modules}</ol>"


def plan_feed(course: Course, module: Module | None = None, video: bool = False) -> FeedPlan:
    """What one feed shows, from the course file alone (no files are read)."""
    info = course.info
    target = layout.course_feed(course) if module is None else layout.module_feed(course, module, video)
    episodes = sorted(course.episodes if module is None else course.module_episodes(module.number),
                      key=lambda e: (e.module, e.number))
    times = publish_times(course)
    items = tuple(_plan_item(course, ep, video, times, layout.artwork(course, course.module(ep.module))
                             if module is None else None)
                  for ep in episodes if not video or ep.kind == "video")
    if module is None:
        title, description = info.title, _course_description(course)
    else:
        title = f"{module.number}. {module.title}{' (video)' if video else ''} – {info.title}"
        description = sanitise(module.summary) or html.escape(f"Module {module.number} of {info.title}.")
    hosts = [p for item in items for p in item.persons if p.role == "host"]
    return FeedPlan(
        target=target, url=layout.public_url(course, target),
        guid=feed_guid(f"{_seed(course)}/{target.relative_to(course.root).as_posix()}"),
        course_file=course.path.name, module_slug=module.slug if module else "", title=title,
        description_html=description, link=info.website or info.base_url, language=info.language,
        copyright=info.copyright, author=info.author, owner_name=info.owner_name, owner_email=info.owner_email,
        categories=info.categories, explicit=course.feeds.explicit, feed_type=course.feeds.feed_type,
        locked=course.feeds.locked, medium="video" if video else "podcast",
        image=_asset(course, layout.artwork(course, module)), persons=tuple(dict.fromkeys(hosts)), items=items)


def feed_plans(course: Course) -> list[tuple[str, FeedPlan]]:
    """(task name, plan) for every feed the course has: modules with episodes, video feeds, the course."""
    plans = []
    for module in sorted(course.modules, key=lambda m: m.number):
        episodes = course.module_episodes(module.number)
        if episodes:
            plans.append((f"feeds:{module.slug}", plan_feed(course, module)))
        if course.feeds.video_feeds and any(e.kind == "video" for e in episodes):
            plans.append((f"feeds:{module.slug}-video", plan_feed(course, module, video=True)))
    if course.episodes:
        plans.append(("feeds:course", plan_feed(course)))
    return plans
