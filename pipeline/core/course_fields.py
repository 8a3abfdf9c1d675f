"""Generic checks for course-file tables: each problem is collected with its place and a fix."""
from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path
from typing import Any

from .course_lines import Locator
from .text import first_control, shown
from .timecode import parse_timecode

MAX_LINE_CHARS = 300  # characters in a title, name or path: longer is a paste gone wrong (apps show ~60)
MAX_TEXT_CHARS = 4000  # characters in a summary, subtitle or bio (Apple Podcasts' description limit)
LONG_KEYS = frozenset({"summary", "subtitle", "bio"})  # keys held to MAX_TEXT_CHARS, not MAX_LINE_CHARS


class _Problems:
    """Collects problems with their place in the file: 'course.toml:LINE: [table].key: problem and fix'."""

    def __init__(self, path: Path, locator: Locator | None = None):
        self.path = path
        self.locator = locator  # the lines of the file's tables and keys (None: no text, no line numbers)
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        line = self.locator.line(where) if self.locator else None
        at = f"{self.path.name}:{line}: " if line else f"{self.path.name}, "
        self.items.append(shown(f"{at}{where}: {message}"))  # a hostile key must not reach a terminal


def _check_keys(raw: Any, fields: dict[str, bool], where: str, problems: _Problems) -> dict:
    if not isinstance(raw, dict):
        problems.add(where, "must be a table")
        return {}
    for key in raw:
        if key not in fields:
            hint = _closest(key, fields)
            problems.add(f"{where}.{key}", f"unknown key{hint}; allowed: {', '.join(fields)}")
    for key, required in fields.items():
        if required and key not in raw:
            problems.add(where, f"missing required key '{key}'")
    return raw


def _closest(key: str, fields) -> str:
    match = difflib.get_close_matches(key, list(fields), n=1)
    return f" (did you mean '{match[0]}'?)" if match else ""


def _str(raw: dict, key: str, where: str, problems: _Problems, default: str = "") -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        problems.add(f"{where}.{key}", f"must be a string, got {type(value).__name__}")
        return default
    if why := text_problem(value, MAX_TEXT_CHARS if key in LONG_KEYS else MAX_LINE_CHARS):
        problems.add(f"{where}.{key}", why)
        return default
    return value.strip()


def text_problem(value: str, limit: int = MAX_LINE_CHARS) -> str:
    """What is wrong with a text bound for published files ('' when nothing): control characters, length."""
    if char := first_control(value):
        return f"contains the control character {char}; remove it (it may be invisible: retype the value)"
    if len(value) > limit:
        return f"is {len(value)} characters long, more than the {limit} allowed; shorten it"
    return ""


def _int(raw: dict, key: str, where: str, problems: _Problems) -> int:
    value = raw.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        problems.add(f"{where}.{key}", f"must be a whole number from 1 up, got {value!r}")
        return 0
    return value


def _no_duplicates(values: list, table: str, key: str, problems: _Problems) -> None:
    seen: set = set()
    for index, value in enumerate(values, 1):
        if value in seen and value not in ("", 0):
            problems.add(f"{table} #{index}.{key}", f"{value!r} is used more than once; each must be unique")
        seen.add(value)


def _timecode(value: Any, where: str, problems: _Problems) -> float | None:
    try:
        return parse_timecode(value)
    except ValueError as e:
        problems.add(where, str(e))
        return None


def _parse_marks(raw: Any, label: str, where: str, problems: _Problems) -> list[tuple[float, str]]:
    """[{ at = "HH:MM:SS.mmm", <label> = "..." }, ...] sorted by time."""
    if not isinstance(raw, list):
        problems.add(where, f'must be a list like [{{ at = "00:00:00.000", {label} = "..." }}]')
        return []
    marks = []
    for index, item in enumerate(raw, 1):
        here = f"{where}[{index}]"
        item = _check_keys(item, {"at": True, label: True}, here, problems)
        at = _timecode(item.get("at", ""), f"{here}.at", problems) if "at" in item else None
        text = _str(item, label, here, problems)
        if at is not None and text:
            marks.append((at, text))
    if [m[0] for m in marks] != sorted(m[0] for m in marks):
        problems.add(where, "times must be in increasing order")
    return sorted(marks)


def _parse_settings(raw: dict, problems: _Problems, tables: dict) -> dict[str, Any]:
    result = {}
    for table, cls in tables.items():
        values = raw.get(table, {})
        fields = {f.name: f for f in dataclasses.fields(cls)}
        _check_keys(values, dict.fromkeys(fields, False), f"[{table}]", problems)
        kwargs = {}
        for key, value in (values.items() if isinstance(values, dict) else ()):
            if key not in fields:
                continue
            default = fields[key].default
            if str(fields[key].type).startswith("tuple[tuple"):  # a table of strings: { de = "base" }
                value = _string_table(value, f"[{table}].{key}", problems)
                if value is None:
                    continue
            elif isinstance(default, tuple):
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    problems.add(f"[{table}].{key}", "must be a list of strings")
                    continue
                value = tuple(value)
                if why := next((text_problem(v) for v in value if text_problem(v)), ""):
                    problems.add(f"[{table}].{key}", why)
                    continue
            elif isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            elif type(value) is not type(default):
                problems.add(f"[{table}].{key}", f"must be a {type(default).__name__}, got {value!r}")
                continue
            elif isinstance(value, str) and (why := text_problem(value)):
                problems.add(f"[{table}].{key}", why)
                continue
            kwargs[key] = value
        result[table] = cls(**kwargs)
    return result


def _string_table(value: Any, where: str, problems: _Problems) -> tuple[tuple[str, str], ...] | None:
    """{ de = "base", sv = "small" } -> (("de", "base"), ("sv", "small")); None (and a problem) when it is not one."""
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        problems.add(where, 'must be a table of strings, e.g. { de = "base", sv = "small" }')
        return None
    if why := next((text_problem(v) for v in (*value, *value.values()) if text_problem(v)), ""):
        problems.add(where, why)
        return None
    return tuple(sorted((k.strip(), v.strip()) for k, v in value.items()))
