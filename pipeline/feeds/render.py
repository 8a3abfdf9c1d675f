"""A planned feed -> RSS bytes, with feedgen and our Podcasting 2.0 extension (no string-built XML).

feedgen's clock-based defaults are overridden: lastBuildDate and pubDate are the
newest episode's pubDate and the generator carries no version, so the same plan
and the same files always give the same bytes.
"""
from __future__ import annotations

import html
from typing import Sequence

from feedgen.feed import FeedGenerator

from ..core.timecode import player_clock
from .markup import paragraph, sanitise
from .plan import FeedPlan, ItemPlan
from ..core.transcript import Soundbite
from .podcast_ext import MAX_NAME_CHARS, PodcastIndexEntryExtension, PodcastIndexExtension
from .podlove_ext import PodloveEntryExtension, PodloveExtension
from .validate import parse_category

GENERATOR = "coursecast"  # <generator>: no version, so upgrades alone do not change feeds
MIN_SOUNDBITE_S = 0.001  # podcast:soundbite duration must be > 0 (a one-word passage timed as a point)


def item_description(item: ItemPlan, chapters: Sequence[tuple[float, str]]) -> str:
    """Episode HTML: the summary, who speaks, the chapter list and links to the transcripts."""
    parts = [paragraph(item.summary_html)]
    if item.persons:
        people = "; ".join(f"{p.name}{', ' + p.note if p.note else ''} ({p.role})" for p in item.persons)
        parts.append(f"<p>Speakers: {html.escape(people)}</p>")
    if chapters:
        rows = "".join(f"<li>{player_clock(at)} {html.escape(title)}</li>" for at, title in chapters)
        parts.append(f"<p><strong>Chapters</strong></p><ol>{rows}</ol>")
    parts.append(f'<p><a href="{html.escape(item.text_transcript.url)}">Transcript</a> · '
                 f'<a href="{html.escape(item.pdf.url)}">Printable transcript (PDF)</a></p>')
    return sanitise("".join(parts))


def _channel(fg: FeedGenerator, plan: FeedPlan) -> None:
    fg.title(plan.title)
    fg.description(plan.description_html)
    fg.link(href=plan.url, rel="self", type="application/rss+xml")
    fg.link(href=plan.link, rel="alternate")  # the last link set is RSS's <link>
    fg.language(plan.language)
    fg.copyright(plan.copyright)
    fg.generator(GENERATOR)
    fg.image(url=plan.image.url, title=plan.title, link=plan.link)
    newest = max((item.published for item in plan.items), default=None)
    if newest is not None:
        fg.lastBuildDate(newest)
        fg.pubDate(newest)
    itunes = fg.podcast
    itunes.itunes_author(plan.author)
    itunes.itunes_owner(name=plan.owner_name, email=plan.owner_email)
    itunes.itunes_image(plan.image.url)
    itunes.itunes_explicit("yes" if plan.explicit else "no")
    itunes.itunes_type(plan.feed_type)
    itunes.itunes_category([dict(zip(("cat", "sub"), parse_category(c))) for c in plan.categories])
    index = fg.podcastindex
    index.podcast_guid(plan.guid)
    index.podcast_locked(plan.locked, owner=plan.owner_email)
    index.podcast_medium(plan.medium)
    for person in plan.persons:
        index.podcast_person(person.name, role=person.role, group=person.group)


def _item(fg: FeedGenerator, item: ItemPlan, size: int, seconds: int, description: str,
          chapters: Sequence[tuple[float, str]], soundbites: Sequence[Soundbite]) -> None:
    entry = fg.add_entry(order="append")
    entry.guid(item.guid, permalink=False)
    entry.title(item.title)
    entry.link(href=item.page.url)
    entry.description(description)
    entry.enclosure(item.media.url, str(size), item.media_type)
    entry.pubDate(item.published)
    itunes = entry.podcast
    itunes.itunes_title(item.title)
    itunes.itunes_duration(seconds)
    itunes.itunes_season(item.season)
    itunes.itunes_episode(item.number)
    itunes.itunes_episode_type("full")
    if item.image:
        itunes.itunes_image(item.image.url)
    index = entry.podcastindex
    for link in (*item.transcripts, *(t for t in item.translations if t.asset.path.is_file())):
        index.podcast_transcript(link.asset.url, link.type, language=link.language, rel=link.rel)
    if item.chapters:
        index.podcast_chapters(item.chapters.url)
    for bite in soundbites:
        index.podcast_soundbite(bite.start, max(bite.end - bite.start, MIN_SOUNDBITE_S), bite.title[:MAX_NAME_CHARS])
    for person in item.persons:
        index.podcast_person(person.name, role=person.role, group=person.group)
    index.podcast_season(item.season, name=item.season_name)
    index.podcast_episode(item.number)
    if chapters:
        entry.podlove.psc_chapters(chapters)


def render(plan: FeedPlan, media: dict[str, tuple[int, int]], descriptions: dict[str, str],
           chapters: dict[str, Sequence[tuple[float, str]]], soundbites: dict[str, Sequence[Soundbite]]) -> bytes:
    """The feed as UTF-8 bytes; media maps slug -> (bytes, seconds), descriptions slug -> HTML, chapters
    slug -> (start, title) from the chapters JSON (Podlove Simple Chapters), soundbites slug -> the transcript's."""
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcastindex", PodcastIndexExtension, PodcastIndexEntryExtension)
    fg.register_extension("podlove", PodloveExtension, PodloveEntryExtension)
    _channel(fg, plan)
    for item in plan.items:
        size, seconds = media[item.slug]
        _item(fg, item, size, seconds, descriptions[item.slug], chapters.get(item.slug, ()),
              soundbites.get(item.slug, ()))
    return fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
