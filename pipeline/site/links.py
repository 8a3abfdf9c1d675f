"""Every link and resource of a built page, checked the way a browser would resolve it from the disk.

Used by `check` (and the tests): a relative href or src must name a file that
exists, a fragment must name an element of its page, and nothing may be loaded
from another host (only <a> may point elsewhere: a podcast app, a summary's link).
"""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LOADED = {("link", "href"), ("script", "src"), ("img", "src"), ("audio", "src"), ("video", "src"),
          ("track", "src"), ("source", "src"), ("iframe", "src")}  # what a browser fetches on its own
INLINE_SCHEMES = ("data",)  # resources carried in the page itself


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.references: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in ("href", "src") and value is not None:
                self.references.append((tag, name, value))


def _scan(page: Path) -> _Page:
    parsed = _Page()
    parsed.feed(page.read_text(encoding="utf-8"))
    parsed.close()
    return parsed


def problems(page: Path, root: Path) -> list[str]:
    """What is wrong with the links of one built page (`root`: the course folder, for messages)."""
    parsed, where = _scan(page), page.relative_to(root).as_posix()
    found = []
    for tag, attribute, value in parsed.references:
        parts = urlsplit(value)
        if parts.scheme in INLINE_SCHEMES:
            continue
        if parts.scheme or parts.netloc or value.startswith("/"):
            if (tag, attribute) in LOADED:
                found.append(f"{where}: <{tag} {attribute}> loads {value!r} from elsewhere; pages load only "
                             "their own files")
            continue
        if not parts.path:
            if parts.fragment and parts.fragment not in parsed.ids:
                found.append(f"{where}: link to #{parts.fragment}, which the page does not have")
            continue
        if not (page.parent / unquote(parts.path)).resolve().is_file():
            found.append(f"{where}: <{tag} {attribute}> {value!r} names a missing file")
    return found
