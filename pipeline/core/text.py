"""Text bound for a published file: control characters found and named (people's files) or removed (machines').

Captions, transcripts, tags, PDFs and feeds carry words, never terminal escapes or NULs: a
control character in them breaks players and parsers or hides text. People's files (the
course file, editing files, replacements) are refused with the place of each one; text a
machine wrote is cleaned.
"""
from __future__ import annotations

import re

SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*$")  # a word ending a sentence: . ! ? … then ' " ” ’ ) ]
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 except tab and newline, DEL, C1
NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "backspace", 0x0B: "vertical tab", 0x0C: "form feed",
         0x0D: "carriage return", 0x1B: "ESC", 0x7F: "DEL", 0x85: "NEL"}  # the ones people meet


def describe(char: str) -> str:
    """'U+001B (ESC)': a control character as a message names it."""
    code = ord(char)
    name = NAMES.get(code)
    return f"U+{code:04X}" + (f" ({name})" if name else "")


def control_characters(text: str) -> list[tuple[int, str]]:
    """(index, character) of every control character in `text` (tab and newline are text)."""
    return [(m.start(), m.group()) for m in CONTROL.finditer(text)]


def first_control(text: str) -> str | None:
    """The first control character's description, or None when there is none."""
    match = CONTROL.search(text)
    return describe(match.group()) if match else None


def without_controls(text: str) -> str:
    """`text` with every control character removed (for text a machine wrote)."""
    return CONTROL.sub("", text)


def shown(text: str) -> str:
    """`text` safe to print in a message: each control character written as \\xNN, never sent to the terminal."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
