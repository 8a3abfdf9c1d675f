"""Soundbites in the editing file: a passage between `{{` and `}}`, with an optional title after `|`.

    [00:01:12] Ingrid Sørensen:
    A dashboard is not a decision. {{If a new sensor network does not change a
    decision or a service, it is just an expensive decoration. | Sensors and decisions}}

The marks may span lines (not turn lines); the words inside stay in the transcript
as written. Without a title the passage's own words are its title. The marks are
taken out before the file is parsed (`strip_marks`), each remembered by the line and
place of its first and last word; once the corrected transcript is timed, `place`
finds those words in it and gives each soundbite its start and end, which the feeds
publish as `podcast:soundbite` and the site lists as highlights. A mark that is not
closed, a `}}` that closes nothing, a mark on a turn line or one with no words is a
problem reported as 'file:line:column'.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from ..core.transcript import Soundbite, Word

OPEN, CLOSE, TITLE = "{{", "}}", "|"  # the marks (chosen not to meet "~~struck~~" or turn lines' "[...]")
MAX_TITLE_CHARS = 128  # a passage used as its own title is cut to this (apps show one line)
_TOKEN = re.compile(r"\{\{|\}\}|\|")


@dataclass(frozen=True)
class Mark:
    """One marked passage, as the editing file places it."""

    line: int  # line of its `{{` (1-based)
    column: int  # column of its `{{` (1-based)
    title: str  # the text after `|`, or "" (the passage's words are its title)
    first: tuple[int, int]  # (line, index of the word on that line) of its first word
    last: tuple[int, int]  # (line, index of the word on that line) of its last word
    words: tuple[str, ...]  # the passage's words as written


@dataclass
class _Open:
    line: int
    column: int
    first: tuple[int, int] | None = None
    title: list[str] | None = None  # set once `|` is met
    words: list[str] | None = None


def strip_marks(text: str, *, file: str, is_turn_line: Callable[[str], bool]) -> tuple[str, tuple[Mark, ...],
                                                                                         list[str]]:
    """(the text without marks, the marks, problems as 'file:line:column: what, fix')."""
    lines, marks, problems, state = [], [], [], None
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            lines.append(line)
            continue
        if state is not None and is_turn_line(line):
            problems.append(f"{file}:{state.line}:{state.column}: the soundbite opened here runs into the turn "
                            f"line {number}; close it with '{CLOSE}' before the next turn")
            state = None
        if not _TOKEN.search(line):
            lines.append(line)
            if state is not None:
                state.words += line.split()
            continue
        clean, state = _line(number, line, state, marks, problems, file, is_turn_line)
        lines.append(clean)
    if state is not None:
        problems.append(f"{file}:{state.line}:{state.column}: '{OPEN}' opens a soundbite that is never closed; "
                        f"end the passage with '{CLOSE}'")
    return "\n".join(lines) + "\n", tuple(marks), problems


def _line(number, line, state, marks, problems, file, is_turn_line):
    """One line's marks taken out; the mark still open after it."""
    out, at = [], 0
    for token in _TOKEN.finditer(line):
        text = line[at:token.start()]
        if state is not None and state.title is not None:
            state.title.append(text)
        else:
            out.append(text)
        at, column, kind = token.end(), token.start() + 1, token.group()
        where = f"{file}:{number}:{column}"
        if kind == TITLE:
            if state is None or state.title is not None:
                out.append(kind)  # a bar outside a mark is text
            else:
                state.title = []
        elif kind == OPEN and state is not None:
            problems.append(f"{where}: '{OPEN}' opens a soundbite inside the one opened at {state.line}:"
                            f"{state.column}; close that one with '{CLOSE}' first")
        elif kind == OPEN:
            if is_turn_line(line):
                problems.append(f"{where}: a soundbite cannot start on a turn line; put '{OPEN}' before the "
                                "words on the lines that follow it")
            state = _Open(number, column, (number, len("".join(out).split())), words=[])
        elif state is None:
            problems.append(f"{where}: '{CLOSE}' closes no soundbite; remove it, or open the passage with '{OPEN}'")
        else:
            state = _close(state, number, "".join(out), marks, problems, file)
    rest = line[at:]
    if state is not None and state.title is not None:
        state.title.append(rest)
    else:
        out.append(rest)
    clean = "".join(out)
    if state is not None and state.title is not None:
        problems.append(f"{file}:{state.line}:{state.column}: the soundbite's title runs past the end of line "
                        f"{number}; end it with '{CLOSE}' on the line of its '{TITLE}'")
        return clean, None
    if state is not None and state.first[0] == number:
        state.words += clean[_offset(clean, state.first[1]):].split()
    elif state is not None:
        state.words += clean.split()
    return clean, state


def _offset(text: str, words_before: int) -> int:
    """Character offset in `text` after its first `words_before` words."""
    found = list(re.finditer(r"\S+", text))
    return found[words_before - 1].end() if words_before else 0


def _close(state: _Open, number: int, before: str, marks: list, problems: list, file: str) -> None:
    count = len(before.split())
    words = before.split()[state.first[1]:] if state.first[0] == number else state.words + before.split()
    if not words:
        problems.append(f"{file}:{state.line}:{state.column}: the soundbite has no words; mark words between "
                        f"'{OPEN}' and '{CLOSE}', or remove the marks")
        return None
    title = " ".join("".join(state.title or ()).split())
    marks.append(Mark(state.line, state.column, title, state.first, (number, count - 1), tuple(words)))
    return None


# -- once the transcript is timed ----------------------------------------------------------
def flat_index(mark: Mark, word_lines: Sequence[int]) -> int:
    """Index, among the parsed file's words (each with its line), of the mark's first word."""
    line, nth = mark.first
    seen = 0
    for index, word_line in enumerate(word_lines):
        if word_line == line:
            if seen == nth:
                return index
            seen += 1
    return 0


def place(marks: Sequence[Mark], word_lines: Sequence[int], words: Sequence[Word], key: Callable[[str], str],
          file: str) -> tuple[tuple[Soundbite, ...], list[str]]:
    """Each mark's words found in the timed transcript (nearest to where the file has them); warnings for any
    whose words are no longer there."""
    keys = [key(w.text) for w in words]
    found, warnings = [], []
    for mark in marks:
        wanted = [key(w) for w in mark.words]
        expected = flat_index(mark, word_lines)
        starts = [i for i in range(len(keys) - len(wanted) + 1) if keys[i:i + len(wanted)] == wanted]
        if not starts:
            warnings.append(f"{file}:{mark.line}:{mark.column}: the soundbite's words are not in the transcript "
                            "(left out)")
            continue
        first = min(starts, key=lambda i: abs(i - expected))
        last = first + len(wanted) - 1
        title = mark.title or _cut(" ".join(mark.words))
        found.append(Soundbite(words[first].start, max(words[last].end, words[first].start), title))
    return tuple(sorted(found, key=lambda b: b.start)), warnings


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TITLE_CHARS else text[:MAX_TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"
