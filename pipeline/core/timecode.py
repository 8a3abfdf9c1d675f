"""Timecodes and clocks: seconds everywhere inside, and here, the one place that writes them for each medium.

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

import re

_TIMECODE = re.compile(r"^(\d{1,2}):([0-5]\d):([0-5]\d)(?:\.(\d{1,3}))?$")


def parse_timecode(text: str) -> float:
    """'01:02:03.500' -> 3723.5 seconds; raises ValueError with the expected form."""
    match = _TIMECODE.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{text!r} is not a timecode; write HH:MM:SS.mmm, e.g. 00:01:30.250")
    hours, minutes, seconds, millis = match.groups()
    fraction = int((millis or "0").ljust(3, "0")) / 1000
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + fraction


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
