"""Timecodes and clocks: seconds everywhere inside; here, what the course file accepts for a time and the one
place that writes a time for each medium.

A course-file time may be written as
  "HH:MM:SS.mmm" / "H:MM:SS" ("01:02:03.500", "1:02:03"),
  "MM:SS" / "M:SS.mmm"       ("1:20", "12:05.5": minutes and seconds),
  plain seconds              (80, 80.5, "80", "80s", "80.5 s"),
  a TOML local time          (01:02:03.500, no quotes: tomllib gives a datetime.time).

Each medium's convention (issue 20: the published clocks agree, in the form each one asks for):
  - the course file, WebVTT captions and chapters: HH:MM:SS.mmm (`format_timecode`); SRT the same
    with a comma (`sep=","`); editing and review files, messages: HH:MM:SS (`millis=False`);
  - ASS subtitles (burnt-in video captions): H:MM:SS.cc (`ass_timecode`);
  - a clock people read, as audio players show a position: M:SS under an hour, H:MM:SS from an
    hour on (`player_clock`): the printed transcripts, the site, the feeds' show notes and HTML
    transcripts; the printed margin, in an episode an hour or longer, writes every stamp H:MM:SS
    (`hours=True`) so they line up;
  - podcast:chapters JSON and itunes:duration: seconds as numbers (the feeds write them so).
"""
from __future__ import annotations

import datetime as dt
import re

_FRACTION = r"(?:[.,](\d{1,3}))?"
_HOURS = re.compile(rf"^(\d{{1,2}}):([0-5]\d):([0-5]\d){_FRACTION}$")  # H:MM:SS(.mmm)
_MINUTES = re.compile(rf"^(\d{{1,3}}):([0-5]\d){_FRACTION}$")  # M:SS(.mmm), minutes may pass 59
_SECONDS = re.compile(r"^(\d+(?:\.\d+)?)\s*s?$")  # 80, 80.5, 80s, 80.5 s
FORMS = 'HH:MM:SS.mmm, H:MM:SS, MM:SS, seconds (80 or "80s") or a TOML time (00:01:20, no quotes)'


def _millis(text: str | None) -> float:
    return int((text or "0").ljust(3, "0")) / 1000


def parse_timecode(value) -> float:
    """'01:02:03.500' -> 3723.5 seconds (and every other form above); raises ValueError naming the forms."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time; write {FORMS}")
    if isinstance(value, (int, float)):
        if value < 0 or value != value or value == float("inf"):
            raise ValueError(f"{value!r} is not a time (seconds from 0 up); write {FORMS}")
        return float(value)
    if isinstance(value, dt.time):
        if value.tzinfo is not None:
            raise ValueError(f"{value.isoformat()} has a time zone; write the time without one, e.g. 00:01:20")
        return value.hour * 3600 + value.minute * 60 + value.second + round(value.microsecond / 1e6, 3)
    text = value.strip() if isinstance(value, str) else None
    if text is not None:
        if match := _HOURS.match(text):
            hours, minutes, seconds, millis = match.groups()
            return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + _millis(millis)
        if match := _MINUTES.match(text):
            minutes, seconds, millis = match.groups()
            return int(minutes) * 60 + int(seconds) + _millis(millis)
        if match := _SECONDS.match(text):
            return float(match.group(1))
    raise ValueError(f"{value!r} is not a time; write {FORMS}, e.g. \"1:20\" or \"00:01:30.250\"")


def format_timecode(seconds: float, *, millis: bool = True, sep: str = ".") -> str:
    """3723.5 -> '01:02:03.500' (sep=',' gives SRT's form; millis=False gives HH:MM:SS)."""
    total_ms = max(0, int(round(seconds * 1000)))
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{text}{sep}{ms:03d}" if millis else text


def _whole_seconds(seconds: float) -> int:
    """Whole seconds, rounded down after rounding to the millisecond (as `format_timecode` cuts its .mmm)."""
    return max(0, int(round(seconds * 1000))) // 1000


def player_clock(seconds: float, *, hours: bool = False) -> str:
    """63.4 -> '1:03', 3723 -> '1:02:03'; `hours`: '0:01:03' (an episode an hour or longer, every stamp alike)."""
    total = _whole_seconds(seconds)
    hour, minutes, secs = total // 3600, total // 60 % 60, total % 60
    return f"{hour}:{minutes:02d}:{secs:02d}" if hour or hours else f"{minutes}:{secs:02d}"


def ass_timecode(seconds: float) -> str:
    """3723.456 -> '1:02:03.46': ASS subtitles' H:MM:SS.cc (centiseconds)."""
    cs = int(round(max(0.0, seconds) * 100))
    return f"{cs // 360_000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"
