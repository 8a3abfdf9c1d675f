"""feedgen extension for Podlove Simple Chapters (https://podlove.org/simple-chapters/), which gPodder and
AntennaPod read from the feed itself.

In feedgen's extension style, like `podcast_ext.py`: an item extension whose setter
validates on the way in, and `extend_rss` that adds `<psc:chapters version="1.2">`
with one `<psc:chapter start="HH:MM:SS.mmm" title="..."/>` per chapter. Register it
with::

    fg.register_extension("podlove", PodloveExtension, PodloveEntryExtension)

and set `entry.podlove.psc_chapters([(seconds, title), ...])`. The times are the
chapters JSON's (the episodes stage's one time base), as every other chapter format.
"""
from __future__ import annotations

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

from ..core.timecode import format_timecode

PSC_NS = "http://podlove.org/simple-chapters"
PSC_VERSION = "1.2"


def npt(seconds: float) -> str:
    """62.5 -> '00:01:02.500': the Normal Play Time (RFC 2326) the format asks for, WebVTT's clock."""
    return format_timecode(seconds)


class PodloveExtension(BaseExtension):
    """Nothing on the channel; declares the namespace."""

    def extend_ns(self):
        return {"psc": PSC_NS}


class PodloveEntryExtension(BaseEntryExtension):
    """Item-level `psc:chapters`."""

    def __init__(self):
        self.__chapters: list[tuple[float, str]] = []

    def extend_ns(self):
        return {"psc": PSC_NS}

    def extend_rss(self, entry):
        if self.__chapters:
            chapters = etree.SubElement(entry, "{%s}chapters" % PSC_NS, version=PSC_VERSION)
            for start, title in self.__chapters:
                etree.SubElement(chapters, "{%s}chapter" % PSC_NS, start=npt(start), title=title)
        return entry

    def psc_chapters(self, chapters=None):
        """Get or set the chapters: (start seconds, title) pairs, starts ascending, titles not blank."""
        if chapters is not None:
            marks = [(float(start), title) for start, title in chapters]
            for (start, title), previous in zip(marks, [(-1.0, "")] + marks):
                if start < 0 or start <= previous[0]:
                    raise ValueError(f"psc:chapter starts must be ascending and >= 0, got {start}")
                if not isinstance(title, str) or not title.strip():
                    raise ValueError("psc:chapter title cannot be blank")
            self.__chapters = marks
        return list(self.__chapters)
