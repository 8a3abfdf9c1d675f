"""The shapes of values the course file gives and the published files carry: one copy, used by all.

The course loader checks them on the way in, the feeds extension in its setters,
and the feed validator in what was written, so all three agree.
"""
from __future__ import annotations

import re

from . import languages

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")  # episode and module slugs: file names and URL parts
_EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}$")
_URL = re.compile(r"^https?://[^\s<>\"'/]+\.[^\s<>\"']*$|^https?://localhost(:\d+)?(/[^\s<>\"']*)?$")


def is_email(value: str) -> bool:
    """name@example.org (what itunes:owner and podcast:person carry)."""
    return isinstance(value, str) and bool(_EMAIL.match(value))


def is_url(value: str) -> bool:
    """An absolute http(s) URL with a host name: https://example.org/course/."""
    return isinstance(value, str) and bool(_URL.match(value))


def is_language(value: str) -> bool:
    """A registered BCP 47 language tag: 'en', 'sv', 'en-GB'."""
    return languages.problem(value) is None


def is_slug(value: str) -> bool:
    return isinstance(value, str) and bool(SLUG.match(value))
