"""The HTML podcast apps render in descriptions: what the course file may write, and nothing else."""
from __future__ import annotations

import nh3

HTML_TAGS = {"p", "br", "a", "ul", "ol", "li", "strong", "b", "em", "i"}  # what podcast apps render
URL_SCHEMES = {"http", "https", "mailto"}  # links kept in descriptions


def sanitise(text: str) -> str:
    """Course-file HTML -> only the tags podcast apps render; text is escaped, scripts dropped."""
    return nh3.clean(text, tags=HTML_TAGS, attributes={"a": {"href"}}, url_schemes=URL_SCHEMES,
                     link_rel=None).strip()


def paragraph(fragment: str) -> str:
    if not fragment or fragment.lstrip().startswith(("<p", "<ul", "<ol")):
        return fragment
    return f"<p>{fragment}</p>"
