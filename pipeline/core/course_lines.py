"""Where a place in the course file is: `course.toml:LINE` for every message about it.

tomllib keeps no line numbers, so a small scanner reads the file's text once:
the line of every table header (`[course]`, the n-th `[[episodes]]`, the m-th
`[[episodes.sources]]` under it), of every `key =` in it, and of every item of a
multi-line array (`keep = [` ... one pair per line). The loader names places as
`[[episodes]] 'slug'.sources #1.keep[2]`; `Locator.line` turns such a place into
the line it is on (the nearest enclosing one it can find, at worst the table's).
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\- ]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')\s*=")
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')
_PLACE = re.compile(r"^\[\[?(?P<table>[A-Za-z0-9_\-]+)\]\]?(?: #(?P<number>\d+)| '(?P<slug>[^']*)')?(?P<rest>.*)$")
_PART = re.compile(r"^(?P<key>[A-Za-z0-9_\-]+)(?: #(?P<number>\d+))?(?:\[(?P<item>\d+)\])?")


def _code(line: str) -> str:
    """The line without its strings and comment: what brackets it opens or closes."""
    return _STRINGS.sub('""', line).split("#", 1)[0]


class Locator:
    """Lines of tables, keys and array items in one course file's text (1-based)."""

    def __init__(self, text: str, slugs: dict[tuple[str, str], int] | None = None):
        self.tables: dict[tuple, int] = {}  # (name, index[, sub, index]) -> header line
        self.keys: dict[tuple, int] = {}  # (table..., key) -> line
        self.items: dict[tuple, list[int]] = {}  # (table..., key) -> line of each item of a multi-line array
        self.slugs = dict(slugs or {})  # (table, slug) -> index (0-based), filled from the text when not given
        self._scan(text.splitlines())

    def _scan(self, lines: list[str]) -> None:
        counts: dict[str, int] = {}
        table: tuple = ()
        open_key, depth, quote = None, 0, None
        for number, line in enumerate(lines, 1):
            if quote:  # inside a multi-line string: nothing here is a table or a key
                quote = None if line.count(quote) % 2 else quote
                continue
            quote = next((q for q in ('"""', "'''") if line.count(q) % 2), None)
            if open_key is not None:
                depth = self._item(open_key, depth, line, number)
                open_key = open_key if depth > 0 else None
                continue
            if header := _HEADER.match(line):
                table = self._header(header.group(1) == "[[", header.group(2).strip(), counts, table)
                self.tables.setdefault(table, number)
                continue
            if key := _KEY.match(line):
                name = key.group(1).strip("\"'")
                self.keys.setdefault((*table, name), number)
                if name == "slug" and len(table) == 2:  # [[episodes]] 'x' and [[modules]] 'y' are named by slug
                    slug = _STRINGS.search(line[key.end():])
                    if slug:
                        self.slugs.setdefault((table[0], slug.group(0)[1:-1].strip()), table[1])
                code = _code(line[key.end():])
                depth = code.count("[") + code.count("{") - code.count("]") - code.count("}")
                if depth > 0:
                    open_key = (*table, name)
                    self.items[open_key] = []

    def _item(self, key: tuple, depth: int, line: str, number: int) -> int:
        code = _code(line)
        if depth == 1 and code.strip()[:1] in ("[", "{", '"', "'") or (depth == 1 and code.strip()[:1].isdigit()):
            self.items[key].append(number)
        return depth + code.count("[") + code.count("{") - code.count("]") - code.count("}")

    @staticmethod
    def _header(array: bool, name: str, counts: dict[str, int], table: tuple) -> tuple:
        parts = name.split(".")
        if not array:
            return tuple(parts)
        counts[name] = counts.get(name, 0) + 1
        if len(parts) == 1:
            for sub in [k for k in counts if k.startswith(name + ".")]:
                counts[sub] = 0  # sub-tables count from 1 again under each new parent
            return (name, counts[name] - 1)
        parent = table[:2] if len(table) >= 2 and table[0] == parts[0] else (parts[0], 0)
        return (*parent, *parts[1:], counts[name] - 1)

    def line(self, where: str) -> int | None:
        """The line of a place the loader names ('[course].title', "[[episodes]] 'x'.sources #1.keep[2]")."""
        match = _PLACE.match(where.strip())
        if not match:
            return self.keys.get((where.strip(),)) or self.tables.get((where.strip(),))
        table = self._table(match)
        best = self.tables.get(table) or self._first(table[0])
        for part in filter(None, match.group("rest").lstrip(".").split(".")):
            step = _PART.match(part.strip())
            if not step:
                break
            key = (*table, step.group("key"))
            if step.group("number"):  # a sub-table: 'sources #2'
                table = (*table, step.group("key"), int(step.group("number")) - 1)
                best = self.tables.get(table, best)
                continue
            best = self.keys.get(key, best)
            if step.group("item"):
                items = self.items.get(key, [])
                index = int(step.group("item")) - 1
                best = items[index] if index < len(items) else best
            table = key
        return best

    def _table(self, match: re.Match) -> tuple:
        name = match.group("table")
        if match.group("number"):
            return (name, int(match.group("number")) - 1)
        if match.group("slug") is not None:
            return (name, self.slugs.get((name, match.group("slug")), -1))
        return (name,)

    def _first(self, name: str) -> int | None:
        lines = [line for key, line in self.tables.items() if key[0] == name]
        return min(lines) if lines else None


def slugs_of(raw: dict) -> dict[tuple[str, str], int]:
    """(table, slug) -> its index in [[episodes]] or [[modules]], from the parsed document."""
    found = {}
    for table in ("episodes", "modules"):
        items = raw.get(table) if isinstance(raw, dict) else None
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and isinstance(item.get("slug"), str):
                found.setdefault((table, item["slug"].strip()), index)
    return found


@functools.lru_cache(maxsize=8)
def _cached(path: str, stamp: tuple) -> Locator | None:
    try:
        return Locator(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def line_of(path: Path, where: str) -> str:
    """'course.toml:12': the file and the line of a place in it (read once, cached); the name alone without one."""
    try:
        info = Path(path).stat()
        locator = _cached(str(path), (info.st_mtime_ns, info.st_size))
    except OSError:
        locator = None
    line = locator.line(where) if locator else None
    return f"{Path(path).name}:{line}" if line else Path(path).name


def place(path: Path, where: str) -> str:
    """"course.toml:12: [[episodes]] 'x'.date" for a stage's message about the course file."""
    return f"{line_of(path, where)}: {where}"
