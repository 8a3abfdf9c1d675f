"""Feed validation as the apps read it: Apple's required tags, the Podcast Index namespace
rules, the chapters 1.2 and JSON-transcript formats, and artwork.

Every function returns a list of problems for people (empty when all is well),
so `coursecast check` can report everything at once and tests can assert on it.
"""
from __future__ import annotations

import email.utils
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from lxml import etree

from ..core.validate import is_email, is_language, is_url
from .podcast_ext import (
    CHAPTERS_TYPE,
    MAX_DISPLAY_CHARS,
    MAX_NAME_CHARS,
    MEDIUMS,
    PODCAST_NS,
    TAXONOMY_GROUPS,
    TAXONOMY_ROLES,
    TRANSCRIPT_TYPES,
)

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
MAX_TEXT_CHARS = 255  # Apple: titles, author and other short text
MAX_DESCRIPTION_BYTES = 4000  # Apple: channel and episode descriptions, UTF-8 bytes
ARTWORK_MIN_PX = 1400  # Apple: square artwork, pixels a side at least
ARTWORK_MAX_PX = 3000  # Apple: pixels a side at most
APPLE_MEDIA_TYPES = frozenset({"audio/mpeg", "audio/x-m4a", "video/mp4", "video/quicktime", "video/x-m4v",
                               "application/pdf"})
APPLE_CATEGORIES: dict[str, tuple[str, ...]] = {  # Apple Podcasts categories (2019 list, current)
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": ("Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit"),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": ("Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality"),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": ("Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies", "Home & Garden",
                "Video Games"),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": ("Business News", "Daily News", "Entertainment News", "News Commentary", "Politics", "Sports News",
             "Tech News"),
    "Religion & Spirituality": ("Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion",
                                "Spirituality"),
    "Science": ("Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics", "Natural Sciences",
                "Nature", "Physics", "Social Sciences"),
    "Society & Culture": ("Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships"),
    "Sports": ("Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf", "Hockey", "Rugby",
               "Running", "Soccer", "Swimming", "Tennis", "Volleyball", "Wilderness", "Wrestling"),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}
_DURATION = re.compile(r"^(\d+|(\d+:)?[0-5]?\d:[0-5]\d)$")
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_category(text: str) -> tuple[str, str]:
    """'Education > Courses' -> ('Education', 'Courses'); ValueError naming the valid choices."""
    category, _, sub = (part.strip() for part in text.partition(">"))
    if category not in APPLE_CATEGORIES:
        raise ValueError(f"{category!r} is not an Apple Podcasts category; use one of "
                         f"{', '.join(APPLE_CATEGORIES)}")
    if sub and sub not in APPLE_CATEGORIES[category]:
        choices = ", ".join(APPLE_CATEGORIES[category]) or "none"
        raise ValueError(f"{sub!r} is not a subcategory of {category!r}; use one of: {choices}")
    return category, sub


# -- artwork ----------------------------------------------------------------------------------
def artwork_problems(path: Path) -> list[str]:
    """Apple: JPEG or PNG, RGB, square, 1400-3000 px a side."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            fmt, mode, (width, height) = image.format, image.mode, image.size
    except (OSError, UnidentifiedImageError) as e:
        return [f"{path}: not a readable image ({e}); rebuild it with 'coursecast episodes'"]
    problems = []
    if fmt not in ("JPEG", "PNG"):
        problems.append(f"{path}: {fmt} image; Apple Podcasts needs JPEG or PNG")
    if mode != "RGB":
        problems.append(f"{path}: colour mode {mode}; Apple Podcasts needs RGB (no CMYK, alpha or greyscale)")
    if width != height or not ARTWORK_MIN_PX <= width <= ARTWORK_MAX_PX:
        problems.append(f"{path}: {width}x{height} px; Apple Podcasts needs a square of "
                        f"{ARTWORK_MIN_PX}-{ARTWORK_MAX_PX} px")
    return problems


# -- JSON files the feeds point at ------------------------------------------------------------
def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def _typed(obj: dict, key: str, kind: type, where: str) -> list[str]:
    if key in obj and not isinstance(obj[key], kind):
        return [f"{where}: '{key}' must be a {kind.__name__}"]
    return []


def _chapter_problems(chapter, where: str) -> list[str]:
    if not isinstance(chapter, dict):
        return [f"{where}: a chapter must be an object"]
    problems = [] if _is_number(chapter.get("startTime")) else [f"{where}: 'startTime' (seconds) is required"]
    for key, kind in (("title", str), ("img", str), ("url", str), ("toc", bool), ("location", dict)):
        problems += _typed(chapter, key, kind, where)
    if "endTime" in chapter and not (_is_number(chapter["endTime"])
                                     and chapter["endTime"] >= chapter.get("startTime", 0)):
        problems.append(f"{where}: 'endTime' must be a number of seconds after 'startTime'")
    location = chapter.get("location")
    if isinstance(location, dict) and not (isinstance(location.get("name"), str)
                                           and str(location.get("geo", "")).startswith("geo:")):
        problems.append(f"{where}: 'location' needs 'name' and a 'geo:' URI")
    return problems


def chapters_problems(data, where: str) -> list[str]:
    """The JSON chapters format, version 1.2 (Podcast Index)."""
    if not isinstance(data, dict):
        return [f"{where}: must be a JSON object with 'version' and 'chapters'"]
    problems = [] if isinstance(data.get("version"), str) and data["version"].startswith("1.2") else [
        f"{where}: 'version' must be the string \"1.2.0\""]
    for key in ("author", "title", "podcastName", "description", "fileName"):
        problems += _typed(data, key, str, where)
    problems += _typed(data, "waypoints", bool, where)
    chapters = data.get("chapters")
    if not isinstance(chapters, list):
        return problems + [f"{where}: 'chapters' must be a list"]
    for index, chapter in enumerate(chapters, 1):
        problems += _chapter_problems(chapter, f"{where} chapter {index}")
    starts = [c.get("startTime") for c in chapters if isinstance(c, dict) and _is_number(c.get("startTime"))]
    if starts != sorted(starts):
        problems.append(f"{where}: chapters must be in ascending 'startTime' order")
    return problems


def json_transcript_problems(data, where: str) -> list[str]:
    """The Podcast Index JSON transcript format (version 1.0.0)."""
    if not isinstance(data, dict) or not isinstance(data.get("version"), str):
        return [f"{where}: must be an object with a 'version' string and 'segments'"]
    segments = data.get("segments")
    if not isinstance(segments, list):
        return [f"{where}: 'segments' must be a list"]
    problems = []
    for index, segment in enumerate(segments, 1):
        here = f"{where} segment {index}"
        if not isinstance(segment, dict) or not isinstance(segment.get("body"), str):
            problems.append(f"{here}: needs a 'body' string")
            continue
        if not _is_number(segment.get("startTime")):
            problems.append(f"{here}: needs 'startTime' in seconds")
        if "endTime" in segment and not _is_number(segment["endTime"]):
            problems.append(f"{here}: 'endTime' must be seconds")
        problems += _typed(segment, "speaker", str, here)
    return problems


def load_json(path: Path, check: Callable[[object, str], list[str]]) -> list[str]:
    try:
        return check(json.loads(Path(path).read_text(encoding="utf-8")), str(path))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return [f"{path}: not readable JSON ({e})"]


# -- the Podcast Index namespace --------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    parents: frozenset[str]  # "channel" and/or "item"
    single: bool  # at most one per parent
    check: Callable[[etree._Element], list[str]]


def _attr_url(elem, name: str, required: bool = True) -> list[str]:
    value = elem.get(name)
    if value is None:
        return [f"'{name}' is required"] if required else []
    return [] if is_url(value) else [f"'{name}' {value!r} is not an http(s) URL"]


def _check_guid(elem) -> list[str]:
    try:
        return [] if uuid.UUID((elem.text or "").strip()).version == 5 else ["must be a UUIDv5"]
    except ValueError:
        return [f"{elem.text!r} is not a UUID"]


def _check_locked(elem) -> list[str]:
    problems = [] if elem.text in ("yes", "no") else [f"value {elem.text!r} must be 'yes' or 'no'"]
    owner = elem.get("owner")
    return problems + ([] if owner is None or is_email(owner) else [f"owner {owner!r} is not an e-mail"])


def _check_medium(elem) -> list[str]:
    value = (elem.text or "").strip()
    ok = value in MEDIUMS or value == "mixed" or (value.endswith("L") and value[:-1] in MEDIUMS)
    return [] if ok else [f"{value!r} is not a medium"]


def _check_person(elem) -> list[str]:
    name = (elem.text or "").strip()
    problems = [] if 0 < len(name) <= MAX_NAME_CHARS else [f"name must be 1-{MAX_NAME_CHARS} characters"]
    if elem.get("role") is not None and elem.get("role").strip().lower() not in TAXONOMY_ROLES:
        problems.append(f"role {elem.get('role')!r} is not in the Podcast Taxonomy")
    if elem.get("group") is not None and elem.get("group").strip().lower() not in TAXONOMY_GROUPS:
        problems.append(f"group {elem.get('group')!r} is not in the Podcast Taxonomy")
    return problems + _attr_url(elem, "href", False) + _attr_url(elem, "img", False)


def _check_transcript(elem) -> list[str]:
    problems = _attr_url(elem, "url")
    if elem.get("type") not in TRANSCRIPT_TYPES:
        problems.append(f"type {elem.get('type')!r} is not a transcript MIME type")
    if elem.get("language") is not None and not is_language(elem.get("language")):
        problems.append(f"language {elem.get('language')!r} is not a language code")
    if elem.get("rel") not in (None, "captions"):
        problems.append(f"rel {elem.get('rel')!r} must be 'captions' when given")
    return problems


def _check_chapters(elem) -> list[str]:
    problems = _attr_url(elem, "url")
    return problems + ([] if elem.get("type") == CHAPTERS_TYPE else [f"type must be {CHAPTERS_TYPE!r}"])


def _check_soundbite(elem) -> list[str]:
    problems = [f"{name} must be a decimal number of seconds" for name in ("startTime", "duration")
                if not re.fullmatch(r"\d+(\.\d+)?", elem.get(name) or "")]
    if not problems and float(elem.get("duration")) <= 0:
        problems.append("duration must be more than 0")
    return problems + ([] if len(elem.text or "") <= MAX_NAME_CHARS else
                       [f"title must be at most {MAX_NAME_CHARS} characters"])


def _check_season(elem) -> list[str]:
    problems = [] if re.fullmatch(r"\d+", (elem.text or "").strip()) else ["value must be a whole number"]
    name = elem.get("name")
    return problems + ([] if name is None or 0 < len(name) <= MAX_NAME_CHARS else
                       [f"name must be 1-{MAX_NAME_CHARS} characters"])


def _check_episode(elem) -> list[str]:
    problems = [] if re.fullmatch(r"\d+(\.\d+)?", (elem.text or "").strip()) else ["value must be a number"]
    display = elem.get("display")
    return problems + ([] if display is None or 0 < len(display) <= MAX_DISPLAY_CHARS else
                       [f"display must be 1-{MAX_DISPLAY_CHARS} characters"])


_CHANNEL, _ITEM, _BOTH = frozenset({"channel"}), frozenset({"item"}), frozenset({"channel", "item"})
PODCAST_RULES: dict[str, Rule] = {
    "guid": Rule(_CHANNEL, True, _check_guid),
    "locked": Rule(_CHANNEL, True, _check_locked),
    "medium": Rule(_CHANNEL, True, _check_medium),
    "person": Rule(_BOTH, False, _check_person),
    "transcript": Rule(_ITEM, False, _check_transcript),
    "chapters": Rule(_ITEM, True, _check_chapters),
    "soundbite": Rule(_ITEM, False, _check_soundbite),
    "season": Rule(_ITEM, True, _check_season),
    "episode": Rule(_ITEM, True, _check_episode),
}


def podcast_namespace_problems(root: etree._Element) -> list[str]:
    """Every podcast: element in the feed against the namespace 1.0 rules we emit."""
    problems = []
    for elem in root.iter("{%s}*" % PODCAST_NS):
        name = etree.QName(elem).localname
        parent = etree.QName(elem.getparent()).localname
        where = f"podcast:{name} in <{parent}> at line {elem.sourceline}"
        rule = PODCAST_RULES.get(name)
        if rule is None:
            problems.append(f"{where}: not an element this project writes or checks")
            continue
        if parent not in rule.parents:
            problems.append(f"{where}: belongs in <{'> or <'.join(sorted(rule.parents))}>")
        if rule.single and len(elem.getparent().findall(elem.tag)) > 1:
            problems.append(f"{where}: only one allowed per <{parent}>")
        problems += [f"{where}: {p}" for p in rule.check(elem)]
    return problems


# -- Apple's required and recommended tags ----------------------------------------------------
def _text(parent, path: str) -> str | None:
    elem = parent.find(path, {"itunes": ITUNES_NS})
    return None if elem is None else (elem.text or "")


def _limits(parent, where: str) -> list[str]:
    problems = []
    for path in ("title", "itunes:title", "itunes:author"):
        value = _text(parent, path)
        if value is not None and not 0 < len(value) <= MAX_TEXT_CHARS:
            problems.append(f"{where}: <{path}> must be 1-{MAX_TEXT_CHARS} characters, is {len(value)}")
    description = _text(parent, "description")
    if description is not None and len(description.encode("utf-8")) > MAX_DESCRIPTION_BYTES:
        problems.append(f"{where}: <description> is {len(description.encode())} bytes; "
                        f"Apple allows {MAX_DESCRIPTION_BYTES}")
    return problems


def _channel_problems(channel) -> list[str]:
    problems = [f"channel: <{tag}> is required" for tag in
                ("title", "description", "link", "language", "itunes:author", "itunes:explicit", "itunes:type")
                if not (_text(channel, tag) or "").strip()]
    image = channel.find("itunes:image", {"itunes": ITUNES_NS})
    href = "" if image is None else image.get("href", "")
    if not (is_url(href) and href.lower().endswith((".jpg", ".jpeg", ".png"))):
        problems.append(f"channel: <itunes:image href> must be a .jpg/.png URL, got {href!r}")
    categories = channel.findall("itunes:category", {"itunes": ITUNES_NS})
    if not categories:
        problems.append("channel: <itunes:category> is required")
    for cat in categories:
        subs = cat.findall("itunes:category", {"itunes": ITUNES_NS}) or [None]
        for sub in subs:
            try:
                parse_category(cat.get("text", "") + ("" if sub is None else " > " + sub.get("text", "")))
            except ValueError as e:
                problems.append(f"channel: <itunes:category>: {e}")
    if (_text(channel, "itunes:explicit") or "yes") not in ("yes", "no", "true", "false", "clean"):
        problems.append("channel: <itunes:explicit> must be 'true'/'false' (or 'yes'/'no')")
    if _text(channel, "itunes:type") not in (None, "episodic", "serial"):
        problems.append("channel: <itunes:type> must be 'episodic' or 'serial'")
    if not is_email(_text(channel, "itunes:owner/itunes:email") or ""):
        problems.append("channel: <itunes:owner> needs an <itunes:email>")
    if not is_language(_text(channel, "language") or "x"):
        problems.append("channel: <language> is not a language code")
    return problems + _limits(channel, "channel")


def _item_problems(item, where: str, serial: bool) -> list[str]:
    problems = [f"{where}: <{tag}> is required" for tag in ("title", "guid", "pubDate", "itunes:duration")
                if not (_text(item, tag) or "").strip()]
    enclosure = item.find("enclosure")
    if enclosure is None:
        problems.append(f"{where}: <enclosure> is required")
    else:
        if not is_url(enclosure.get("url", "")):
            problems.append(f"{where}: enclosure url {enclosure.get('url')!r} is not an http(s) URL")
        if not (enclosure.get("length") or "").isdigit() or enclosure.get("length") == "0":
            problems.append(f"{where}: enclosure length must be the file's size in bytes")
        if enclosure.get("type") not in APPLE_MEDIA_TYPES:
            problems.append(f"{where}: enclosure type {enclosure.get('type')!r} is not one Apple plays")
    if _text(item, "pubDate") and email.utils.parsedate_tz(_text(item, "pubDate")) is None:
        problems.append(f"{where}: <pubDate> is not an RFC 2822 date")
    if _text(item, "itunes:duration") and not _DURATION.match(_text(item, "itunes:duration")):
        problems.append(f"{where}: <itunes:duration> must be seconds or HH:MM:SS")
    if serial and not (_text(item, "itunes:episode") or "").isdigit():
        problems.append(f"{where}: <itunes:episode> is required in a serial show")
    return problems + _limits(item, where)


def apple_problems(root: etree._Element) -> list[str]:
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        return ["not an RSS 2.0 feed (<rss><channel> missing)"]
    problems = _channel_problems(channel)
    serial = _text(channel, "itunes:type") == "serial"
    guids = [_text(item, "guid") for item in channel.findall("item")]
    for index, item in enumerate(channel.findall("item"), 1):
        problems += _item_problems(item, f"item {index} ({_text(item, 'title')!r})", serial)
    duplicates = sorted({g for g in guids if g and guids.count(g) > 1})
    return problems + [f"guid {g} is used by more than one item" for g in duplicates]


def feed_problems(path: Path) -> list[str]:
    """Parse a feed file safely and apply Apple's and the Podcast Index's rules."""
    try:
        root = etree.parse(str(path), _SAFE_PARSER).getroot()
    except (OSError, etree.XMLSyntaxError) as e:
        return [f"{path}: not well-formed XML ({e}); rebuild it with 'coursecast feeds'"]
    return [f"{path}: {p}" for p in apple_problems(root) + podcast_namespace_problems(root)]


def feedparser_problems(path: Path) -> list[str]:
    """What Python podcast apps (feedparser) would trip over."""
    import feedparser

    parsed = feedparser.parse(str(path))
    problems = [f"{path}: feedparser: {parsed.bozo_exception}"] if parsed.bozo else []
    if not parsed.feed.get("title") or not parsed.feed.get("image", {}).get("href"):
        problems.append(f"{path}: feedparser reads no title or artwork")
    for entry in parsed.entries:
        if not entry.get("enclosures") or not entry.get("itunes_duration"):
            problems.append(f"{path}: feedparser reads no enclosure or duration for {entry.get('title')!r}")
    return problems
