"""Timecodes: HH:MM:SS.mmm in the course file, seconds everywhere else."""
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
