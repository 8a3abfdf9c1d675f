"""How numbers, dates and times read on the pages, and the small text formats pages carry inline."""
from __future__ import annotations

import datetime as dt
from typing import Sequence

from ._deps import format_timecode
from ._deps import player_clock as clock  # noqa: F401  (the `clock` filter: positions as players show them)

BYTES_PER_KB = 1000  # SI units, as file managers on phones show them
SIZE_UNITS = ("bytes", "kB", "MB", "GB")
SECONDS_DECIMALS = 3  # data-start precision: milliseconds, like the transcript
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
# Characters a text needs escaped to travel in a data: URL inside an HTML attribute. Everything else,
# non-ASCII included, may stay as it is: the URL parser percent-encodes it as UTF-8 itself.
_DATA_URL_ESCAPES = str.maketrans({"%": "%25", "#": "%23", "\n": "%0A", "\r": "", "\t": "%09", '"': "%22",
                                   "'": "%27", "&": "%26", "<": "%3C", ">": "%3E"})


def seconds(value: float) -> str:
    """63.4 -> '63.4' (data-start and media fragments: seconds, no trailing zeros)."""
    text = f"{max(0.0, value):.{SECONDS_DECIMALS}f}".rstrip("0").rstrip(".")
    return text or "0"


def _hms(value: float) -> tuple[int, int, int]:
    total = max(0, int(value))
    return total // 3600, total % 3600 // 60, total % 60


def iso_duration(value: float) -> str:
    """63.4 -> 'PT1M3S': a valid HTML duration string for <time datetime>."""
    hours, minutes, secs = _hms(value)
    parts = [f"{hours}H" if hours else "", f"{minutes}M" if minutes else "",
             f"{secs}S" if secs or not (hours or minutes) else ""]
    return "PT" + "".join(parts)


def long_duration(value: float) -> str:
    """127.3 -> '2 min 7 s'; 3725 -> '1 h 2 min'."""
    hours, minutes, secs = _hms(round(value))
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def long_date(date: dt.date) -> str:
    return f"{date.day} {MONTHS[date.month - 1]} {date.year}"


def file_size(count: int) -> str:
    """1234567 -> '1.2 MB'."""
    value, unit = float(count), 0
    while value >= BYTES_PER_KB and unit < len(SIZE_UNITS) - 1:
        value, unit = value / BYTES_PER_KB, unit + 1
    return f"{count} bytes" if unit == 0 else f"{value:.1f} {SIZE_UNITS[unit]}"



def chapters_vtt(chapters: Sequence) -> str:
    """WebVTT of kind 'chapters': one cue per chapter (objects with start, end and title)."""
    cues = [f"{format_timecode(c.start)} --> {format_timecode(max(c.end, c.start + 0.001))}\n{_cue_text(c.title)}"
            for c in chapters]
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"


def _cue_text(text: str) -> str:
    """Cue text is parsed for tags and entities: escape them, and keep it on one line."""
    return " ".join(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").split())


def data_url(text: str, mime: str) -> str:
    """A data: URL carrying `text`; a <track> accepts it from file:// too (a relative .vtt it refuses)."""
    return f"data:{mime};charset=utf-8," + text.translate(_DATA_URL_ESCAPES)
