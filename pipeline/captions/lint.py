"""Caption files as data: the Cue model, a tolerant WebVTT/SRT reader and the broadcast-rule lint.

The rules come from CaptionSettings (42 characters a line, 2 lines, 17 characters a
second, 0.83-7 s on screen, 2 frames between cues). Reading speed and minimum
duration are soft rules "where the speech allows": a cue that breaks them is an
error only when the next cue leaves room to keep it up longer; when the words
are simply spoken fast it is a warning. A cue where the speaker changes must show
who speaks ("Name: ", or "- " for an unknown speaker): players ignore <v> tags.
The splitter in caption_split.py keeps cues inside these rules, and
write_outputs lints what it wrote with the same code.
"""
from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from ..core.errors import CoursecastError
from ..core.settings import CaptionSettings
from ..core.timecode import format_timecode

MS_PER_S = 1000  # milliseconds in a second
SPEAKER_DASH = "- "  # opens a turn whose speaker is unknown, or whose name leaves no room on the line

_TIMESTAMP = r"(?:(\d+):)?([0-5]\d):([0-5]\d)[.,](\d{3})"
_TIMING = re.compile(rf"^\s*{_TIMESTAMP}\s*-->\s*{_TIMESTAMP}(?:\s+.*)?$")
_TIMING_LIKE = re.compile(r"-->|\d:\d\d")  # a line meant as a timing line, even a broken one
_TAG = re.compile(r"<[^>]*>")  # WebVTT markup: <v Name>, <i>, </i>, <c.cls>, <00:00:01.000>
_SRT_TAG = re.compile(r"</?(?:i|b|u|font)(?:\s[^>]*)?>|\{\\[^}]*\}", re.IGNORECASE)  # SRT: <i>, <font ...>, {\an8}
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*)>")
_SKIPPED_BLOCKS = ("NOTE", "STYLE", "REGION")  # WebVTT blocks that carry no cue


@dataclass(frozen=True)
class Cue:
    start: float  # seconds from the start of the episode
    end: float  # seconds
    lines: tuple[str, ...]  # the text as shown, one string a line, no markup
    speaker: str | None = None  # roster id (display name when read from a file), None = unknown

    @property
    def text(self) -> str:
        return " ".join(self.lines)

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Violation:
    severity: str  # "error" (fix the captions) or "warning" (the speech does not allow better)
    rule: str  # "line-length", "line-count", "reading-speed", "duration", "gap", "overlap", "malformed", ...
    message: str  # what is wrong, with the numbers
    time: float | None = None  # seconds: start of the cue it concerns
    line: int | None = None  # line number in the caption file, when read from one

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        when = f"{format_timecode(self.time)} " if self.time is not None else ""
        return f"{where}{when}{self.severity}: {self.message}"


@dataclass(frozen=True)
class CaptionFile:
    path: Path
    cues: tuple[Cue, ...]
    cue_lines: tuple[int, ...]  # line number of each cue's timing line
    problems: tuple[Violation, ...]  # malformed parts found while reading


def min_gap_ms(settings: CaptionSettings) -> int:
    """The smallest gap between cues in whole milliseconds (2 frames at 25 fps = 80 ms)."""
    return math.ceil(settings.min_gap_frames * MS_PER_S / settings.frame_rate - 1e-9)


def to_ms(seconds: float) -> int:
    return int(round(seconds * MS_PER_S))


def reading_chars(cue: Cue) -> int:
    """Characters read: every character of the text (speaker label, spaces and punctuation included),
    lines joined by one space."""
    return len(cue.text)


def speaker_label(name: str) -> str:
    """The visible label opening a speaker's turn: 'Anna Lindqvist: '."""
    return f"{name}: "


# -- reading ----------------------------------------------------------------------------
def read_caption_file(path: Path) -> CaptionFile:
    """Parse a .vtt or .srt file tolerantly; malformed timing lines become 'malformed' problems."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (FileNotFoundError, UnicodeDecodeError) as e:
        raise CoursecastError(f"{path}: cannot read captions ({e}); rebuild them with 'coursecast transcribe'") from e
    return parse_captions(text, path)


def parse_captions(text: str, path: Path = Path("captions.vtt")) -> CaptionFile:
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cues: list[Cue] = []
    cue_lines: list[int] = []
    problems: list[Violation] = []
    blocks = _blocks(lines)
    has_header = bool(blocks) and blocks[0][1][0].startswith("WEBVTT")
    vtt = path.suffix.lower() == ".vtt" or has_header
    if vtt and not has_header:
        problems.append(Violation("error", "header", "missing the 'WEBVTT' first line", line=1))
    for number, block in blocks:
        if block[0].startswith("WEBVTT") or block[0].split(" ")[0] in _SKIPPED_BLOCKS:
            continue
        parsed = _parse_block(number, block, problems, vtt)
        if parsed:
            cues.append(parsed[1])
            cue_lines.append(parsed[0])
    return CaptionFile(path, tuple(cues), tuple(cue_lines), tuple(problems))


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks as (1-based number of the first line, lines)."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    for number, line in enumerate(lines + [""], 1):
        if line.strip():
            if not current:
                first = number
            current.append(line.rstrip())
        elif current:
            blocks.append((first, current))
            current = []
    return blocks


def _parse_block(number: int, block: list[str], problems: list[Violation], vtt: bool) -> tuple[int, Cue] | None:
    index = next((i for i, line in enumerate(block[:2]) if _TIMING_LIKE.search(line)), None)
    if index is None:
        problems.append(Violation("error", "malformed", f"no timing line in this block: {block[0][:40]!r}; "
                                  "write 'HH:MM:SS.mmm --> HH:MM:SS.mmm' before the text", line=number))
        return None
    match = _TIMING.match(block[index])
    if not match:
        problems.append(Violation("error", "malformed", f"malformed timing line {block[index]!r}; "
                                  "write 'HH:MM:SS.mmm --> HH:MM:SS.mmm'", line=number + index))
        return None
    start, end = _seconds(match.groups()[:4]), _seconds(match.groups()[4:])
    text = tuple(_plain(line, vtt) for line in block[index + 1:])
    voice = _VOICE.search(" ".join(block[index + 1:])) if vtt else None
    speaker = html.unescape(voice.group(1)).strip() if voice else None
    return number + index, Cue(start, end, tuple(line for line in text if line), speaker)


def _plain(line: str, vtt: bool) -> str:
    """The text a viewer sees: markup removed (and, in WebVTT, &amp; &lt; &gt; turned back)."""
    if vtt:
        return html.unescape(_TAG.sub("", line)).strip()
    return _SRT_TAG.sub("", line).strip()


def _seconds(parts: Sequence[str | None]) -> float:
    hours, minutes, seconds, millis = parts
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / MS_PER_S


# -- rules ------------------------------------------------------------------------------
def lint_caption_file(path: Path, settings: CaptionSettings, *, media_end: float | None = None) -> list[Violation]:
    """Every rule violation in a .vtt/.srt file, in file order; media_end (seconds) bounds the last cue."""
    parsed = read_caption_file(path)
    found = list(parsed.problems)
    found += lint_cues(parsed.cues, settings, media_end=media_end, line_numbers=parsed.cue_lines)
    return sorted(found, key=lambda v: (v.line or 0))


def lint_cues(cues: Sequence[Cue], settings: CaptionSettings, *, media_end: float | None = None,
              line_numbers: Sequence[int] = (), speakers: Mapping[str, str] | None = None) -> list[Violation]:
    """Check cues (in order) against the broadcast rules; `speakers` (roster id -> display name) gives
    the name a cue's label must show when its speaker is an id, not a name read from a file."""
    found: list[Violation] = []
    for index, cue in enumerate(cues):
        previous = cues[index - 1] if index else None
        following = cues[index + 1] if index + 1 < len(cues) else None
        line = line_numbers[index] if index < len(line_numbers) else None
        found += _cue_rules(cue, previous, following, settings, media_end, line, speakers or {})
    return found


def _cue_rules(cue: Cue, previous: Cue | None, following: Cue | None, settings: CaptionSettings,
               media_end: float | None, line: int | None, speakers: Mapping[str, str]) -> list[Violation]:
    raw = _layout_rules(cue, settings) + _speaker_rules(cue, previous, speakers)
    raw += _duration_rules(cue, following, settings, media_end) + _spacing_rules(cue, following, settings)
    return [Violation(severity, rule, message, cue.start, line) for severity, rule, message in raw]


def _speaker_rules(cue: Cue, previous: Cue | None, speakers: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """Where the (voice-tagged) speaker changes, the text must say so: 'Name: ' or '- '."""
    before = previous.speaker if previous else None
    if cue.speaker == before or not cue.lines:
        return []
    wanted = speaker_label(speakers.get(cue.speaker, cue.speaker)) if cue.speaker is not None else SPEAKER_DASH
    if cue.lines[0].startswith((wanted, SPEAKER_DASH)):
        return []
    return [("error", "speaker-label", f"the speaker changes here but the text does not show it (players ignore "
                                       f"<v> tags); start the cue with {wanted!r}")]


def _layout_rules(cue: Cue, settings: CaptionSettings) -> list[tuple[str, str, str]]:
    found = []
    if not cue.lines:
        found.append(("error", "empty", "cue has no text; remove it"))
    for number, text in enumerate(cue.lines, 1):
        if len(text) > settings.max_chars_per_line:
            found.append(("error", "line-length", f"line {number} too long ({len(text)} chars > "
                                                  f"{settings.max_chars_per_line}): {text!r}"))
    if len(cue.lines) > settings.max_lines:
        found.append(("error", "line-count", f"too many lines ({len(cue.lines)} > {settings.max_lines})"))
    return found


def _room_ms(cue: Cue, following: Cue | None, settings: CaptionSettings, media_end: float | None) -> int:
    """The latest end (ms) the cue could have: before the next cue's gap, the media's end and max duration."""
    limits = [to_ms(cue.start) + to_ms(settings.max_duration_s)]
    if following is not None:
        limits.append(to_ms(following.start) - min_gap_ms(settings))
    if media_end is not None:
        limits.append(to_ms(media_end))
    return min(limits)


def _duration_rules(cue: Cue, following: Cue | None, settings: CaptionSettings,
                    media_end: float | None) -> list[tuple[str, str, str]]:
    start, end = to_ms(cue.start), to_ms(cue.end)
    shown = end - start
    if shown <= 0:
        return [("error", "duration", f"ends ({format_timecode(cue.end)}) before it starts; fix the timing line")]
    room = _room_ms(cue, following, settings, media_end)
    found = []
    if shown > to_ms(settings.max_duration_s):
        found.append(("error", "duration", f"too long ({shown / MS_PER_S:.3f} s > {settings.max_duration_s:g} s)"))
    if shown < to_ms(settings.min_duration_s):
        severity = "error" if start + to_ms(settings.min_duration_s) <= room else "warning"
        found.append((severity, "duration", f"too short ({shown / MS_PER_S:.3f} s < {settings.min_duration_s:g} s)"
                      + _room_note(severity)))
    cps = reading_chars(cue) * MS_PER_S / shown
    if cps > settings.max_cps + 1e-9:
        needed = math.ceil(reading_chars(cue) * MS_PER_S / settings.max_cps)
        severity = "error" if start + needed <= room else "warning"
        found.append((severity, "reading-speed", f"too fast ({cps:.1f} cps > {settings.max_cps:g}; "
                      f"{reading_chars(cue)} chars in {shown / MS_PER_S:.3f} s)" + _room_note(severity)))
    return found


def _room_note(severity: str) -> str:
    if severity == "error":
        return "; there is room to keep it up longer"
    return "; spoken too fast to keep it up longer"


def _spacing_rules(cue: Cue, following: Cue | None, settings: CaptionSettings) -> list[tuple[str, str, str]]:
    if following is None:
        return []
    gap = to_ms(following.start) - to_ms(cue.end)
    if gap < 0:
        return [("error", "overlap", f"overlaps the next cue: ends {format_timecode(cue.end)}, "
                                     f"next starts {format_timecode(following.start)}")]
    if gap < min_gap_ms(settings):
        return [("error", "gap", f"gap to the next cue {gap} ms < {settings.min_gap_frames} frames "
                                 f"({min_gap_ms(settings)} ms at {settings.frame_rate:g} fps)")]
    return []
