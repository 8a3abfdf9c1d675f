"""feedgen extension for the Podcasting 2.0 namespace (https://podcastindex.org/namespace/1.0).

feedgen has no support for this namespace, so it lives here, in feedgen's own
extension style (compare `feedgen.ext.podcast`): one class for the channel, one
for the items, getter/setters that validate on the way in, and `extend_rss`
that adds the elements with lxml. Register it on a FeedGenerator with::

    fg.register_extension("podcastindex", PodcastIndexExtension, PodcastIndexEntryExtension)

and set values with `fg.podcastindex.podcast_guid(...)` and
`entry.podcastindex.podcast_transcript(...)`.
"""
from __future__ import annotations

import re
import uuid

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

from ..core.validate import is_email, is_url

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")  # Podcast Index's "podcast" namespace
MAX_NAME_CHARS = 128  # person names and season names: aggregators truncate beyond
MAX_DISPLAY_CHARS = 32  # podcast:episode display attribute
TRANSCRIPT_TYPES = frozenset({"text/plain", "text/html", "text/vtt", "application/json", "application/x-subrip",
                              "application/srt"})
CHAPTERS_TYPE = "application/json+chapters"
MEDIUMS = frozenset({"podcast", "music", "video", "film", "audiobook", "newsletter", "blog", "publisher", "course"})
# The Podcast Taxonomy Project (podcast-namespace/taxonomy.json), lower-cased: role and group are
# case-insensitive.
TAXONOMY_GROUPS = frozenset({
    "creative direction", "cast", "writing", "audio production", "audio post-production", "administration",
    "visuals", "community", "misc.", "video production", "video post-production"})
TAXONOMY_ROLES = frozenset({
    "director", "assistant director", "executive producer", "senior producer", "producer", "associate producer",
    "development producer", "creative director", "host", "co-host", "guest host", "guest", "voice actor",
    "narrator", "announcer", "reporter", "author", "editorial director", "co-writer", "writer", "songwriter",
    "guest writer", "story editor", "managing editor", "script editor", "script coordinator", "researcher",
    "editor", "fact checker", "translator", "translater", "transcriber", "logger", "studio coordinator",
    "technical director", "technical manager", "audio engineer", "remote recording engineer",
    "post production engineer", "audio editor", "sound designer", "foley artist", "composer", "theme music",
    "music production", "music contributor", "production coordinator", "booking coordinator",
    "production assistant", "content manager", "marketing manager", "sales representative", "sales manager",
    "graphic designer", "cover art designer", "social media manager", "consultant", "intern",
    "camera operator", "lighting designer", "camera grip", "assistant camera", "assistant editor"})


def _tag(name: str) -> str:
    return "{%s}%s" % (PODCAST_NS, name)


def _elem(name: str, parent, **attrib: str):
    """A child element (feedgen.util.xml_elem, which cannot be imported before feedgen.feed)."""
    return etree.SubElement(parent, name, **attrib)


def _url(value: str, what: str) -> str:
    if not isinstance(value, str) or not is_url(value):
        raise ValueError(f"{what} must be an absolute http(s) URL, got {value!r}")
    return value


def _decimal(seconds: float) -> str:
    """73.25 -> '73.25' (seconds with up to milliseconds, as the namespace's decimal attributes)."""
    return f"{seconds:.3f}".rstrip("0").rstrip(".") or "0"


def _name(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} cannot be blank")
    if len(value) > MAX_NAME_CHARS:
        raise ValueError(f"{what} is {len(value)} characters; the namespace allows {MAX_NAME_CHARS}")
    return value


def _person(name, role, group, href, img) -> dict:
    person = {"name": _name(name, "podcast:person name")}
    if role is not None:
        if role.strip().lower() not in TAXONOMY_ROLES:
            raise ValueError(f"podcast:person role {role!r} is not in the Podcast Taxonomy")
        person["role"] = role
    if group is not None:
        if group.strip().lower() not in TAXONOMY_GROUPS:
            raise ValueError(f"podcast:person group {group!r} is not in the Podcast Taxonomy")
        person["group"] = group
    if href is not None:
        person["href"] = _url(href, "podcast:person href")
    if img is not None:
        person["img"] = _url(img, "podcast:person img")
    return person


def _add_persons(parent, persons: list[dict]) -> None:
    for person in persons:
        elem = _elem(_tag("person"), parent)
        for key in ("role", "group", "href", "img"):
            if key in person:
                elem.attrib[key] = person[key]
        elem.text = person["name"]


class PodcastIndexExtension(BaseExtension):
    """Channel-level Podcasting 2.0 elements: guid, locked, medium, person."""

    def __init__(self):
        self.__podcast_guid = None
        self.__podcast_locked = None
        self.__podcast_medium = None
        self.__podcast_person = []

    def extend_ns(self):
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss_feed):
        channel = rss_feed[0]
        if self.__podcast_guid:
            _elem(_tag("guid"), channel).text = self.__podcast_guid
        if self.__podcast_locked:
            locked = _elem(_tag("locked"), channel)
            if self.__podcast_locked.get("owner"):
                locked.attrib["owner"] = self.__podcast_locked["owner"]
            locked.text = self.__podcast_locked["value"]
        if self.__podcast_medium:
            _elem(_tag("medium"), channel).text = self.__podcast_medium
        _add_persons(channel, self.__podcast_person)
        return rss_feed

    def podcast_guid(self, podcast_guid=None):
        """Get or set the feed's global identifier: a UUIDv5 (see `feed_guid`)."""
        if podcast_guid is not None:
            parsed = uuid.UUID(str(podcast_guid))
            if parsed.version != 5:
                raise ValueError(f"podcast:guid must be a UUIDv5, got version {parsed.version}")
            self.__podcast_guid = str(parsed)
        return self.__podcast_guid

    def podcast_locked(self, locked=None, owner=None):
        """Get or set podcast:locked (True: other hosts must refuse to import the feed)."""
        if locked is not None:
            if owner is not None and not is_email(owner):
                raise ValueError(f"podcast:locked owner must be an e-mail address, got {owner!r}")
            self.__podcast_locked = {"value": "yes" if locked else "no", "owner": owner}
        return self.__podcast_locked

    def podcast_medium(self, medium=None):
        """Get or set podcast:medium: what the feed is (podcast, video, course, ...)."""
        if medium is not None:
            if medium not in MEDIUMS:
                raise ValueError(f"podcast:medium {medium!r} is not one of {', '.join(sorted(MEDIUMS))}")
            self.__podcast_medium = medium
        return self.__podcast_medium

    def podcast_person(self, name=None, role=None, group=None, href=None, img=None, replace=False):
        """Add a person of the show (role and group from the Podcast Taxonomy); returns all."""
        if replace:
            self.__podcast_person = []
        if name is not None:
            self.__podcast_person.append(_person(name, role, group, href, img))
        return list(self.__podcast_person)


class PodcastIndexEntryExtension(BaseEntryExtension):
    """Item-level Podcasting 2.0 elements: transcript, chapters, soundbite, person, season, episode."""

    def __init__(self):
        self.__podcast_soundbite = []
        self.__podcast_transcript = []
        self.__podcast_chapters = None
        self.__podcast_person = []
        self.__podcast_season = None
        self.__podcast_episode = None

    def extend_ns(self):
        return {"podcast": PODCAST_NS}

    def extend_rss(self, entry):
        for transcript in self.__podcast_transcript:
            elem = _elem(_tag("transcript"), entry)
            for key in ("url", "type", "language", "rel"):
                if transcript.get(key):
                    elem.attrib[key] = transcript[key]
        if self.__podcast_chapters:
            _elem(_tag("chapters"), entry, **self.__podcast_chapters)
        for bite in self.__podcast_soundbite:
            elem = _elem(_tag("soundbite"), entry, startTime=bite["startTime"], duration=bite["duration"])
            elem.text = bite["title"]
        _add_persons(entry, self.__podcast_person)
        if self.__podcast_season:
            self._numbered("season", self.__podcast_season, "name", entry)
        if self.__podcast_episode:
            self._numbered("episode", self.__podcast_episode, "display", entry)
        return entry

    @staticmethod
    def _numbered(tag, value, label, entry):
        elem = _elem(_tag(tag), entry)
        if value.get(label):
            elem.attrib[label] = value[label]
        elem.text = value["number"]

    def podcast_transcript(self, url=None, type=None, language=None, rel=None, replace=False):
        """Add a transcript file (several formats may be given); returns all."""
        if replace:
            self.__podcast_transcript = []
        if url is not None:
            if type not in TRANSCRIPT_TYPES:
                raise ValueError(f"podcast:transcript type {type!r} is not one of {sorted(TRANSCRIPT_TYPES)}")
            if rel not in (None, "captions"):
                raise ValueError(f"podcast:transcript rel must be 'captions' when given, got {rel!r}")
            if language is not None and not re.match(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$", language):
                raise ValueError(f"podcast:transcript language {language!r} is not a language code")
            self.__podcast_transcript.append(
                {"url": _url(url, "podcast:transcript url"), "type": type, "language": language, "rel": rel})
        return list(self.__podcast_transcript)

    def podcast_chapters(self, url=None, type=CHAPTERS_TYPE):
        """Get or set the chapters file (JSON chapters, version 1.2)."""
        if url is not None:
            if type != CHAPTERS_TYPE:
                raise ValueError(f"podcast:chapters type must be {CHAPTERS_TYPE!r}, got {type!r}")
            self.__podcast_chapters = {"url": _url(url, "podcast:chapters url"), "type": type}
        return self.__podcast_chapters

    def podcast_soundbite(self, start=None, duration=None, title=None):
        """Add a soundbite: start and duration in seconds (> 0), an optional title (<= 128 characters). Returns all."""
        if start is not None:
            if isinstance(start, bool) or not isinstance(start, (int, float)) or start < 0:
                raise ValueError(f"podcast:soundbite startTime must be a number >= 0, got {start!r}")
            if isinstance(duration, bool) or not isinstance(duration, (int, float)) or duration <= 0:
                raise ValueError(f"podcast:soundbite duration must be a number > 0, got {duration!r}")
            label = _name(title, "podcast:soundbite title") if title is not None else None
            self.__podcast_soundbite.append({"startTime": _decimal(start), "duration": _decimal(duration),
                                             "title": label})
        return list(self.__podcast_soundbite)

    def podcast_person(self, name=None, role=None, group=None, href=None, img=None, replace=False):
        """Add a person of this episode; item persons replace the channel's in apps. Returns all."""
        if replace:
            self.__podcast_person = []
        if name is not None:
            self.__podcast_person.append(_person(name, role, group, href, img))
        return list(self.__podcast_person)

    def podcast_season(self, number=None, name=None):
        """Get or set the season: a whole number, with an optional name (<= 128 characters)."""
        if number is not None:
            if not isinstance(number, int) or isinstance(number, bool) or number < 0:
                raise ValueError(f"podcast:season must be a whole number, got {number!r}")
            label = _name(name, "podcast:season name") if name is not None else None
            self.__podcast_season = {"number": str(number), "name": label}
        return self.__podcast_season

    def podcast_episode(self, number=None, display=None):
        """Get or set the episode number (a decimal), with an optional display text (<= 32 characters)."""
        if number is not None:
            if isinstance(number, bool) or not isinstance(number, (int, float)) or number < 0:
                raise ValueError(f"podcast:episode must be a number, got {number!r}")
            if display is not None and not 0 < len(display) <= MAX_DISPLAY_CHARS:
                raise ValueError(f"podcast:episode display must be 1-{MAX_DISPLAY_CHARS} characters")
            self.__podcast_episode = {"number": str(number), "display": display}
        return self.__podcast_episode


def feed_guid(feed_url: str) -> str:
    """podcast:guid by the Podcast Index rule: UUIDv5 of the URL without scheme and trailing slashes."""
    seed = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url.strip()).rstrip("/")
    return str(uuid.uuid5(GUID_NAMESPACE, seed))
