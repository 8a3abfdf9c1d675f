"""The strike syntax of the editing file: words between `~~` and `~~` (Markdown strikethrough) are cut.

A strike may hold a few words, a sentence or several turns (it runs across turn
lines); struck words stay in the editing file, struck, and leave the audio, the
video and every published text. Unstriking (deleting both `~~`) restores them.
"""
from __future__ import annotations

import re

STRIKE = re.compile(r"~~")  # opens and closes a struck span: cut from the audio
STRIKE_HELP = ("- Cut by reading: put ~~ before and after words to cut them from the audio and video too "
               "(~~like this~~), across lines and turns if need be; delete both ~~ to restore them. Lines "
               "\"# Proposal\" point at what you may want to strike.")


def struck_words(line: str, number: int, offset: int,
                 opened: tuple[int, int] | None) -> tuple[list[tuple[str, bool]], tuple[int, int] | None]:
    """(the line's words with whether each is struck, the (line, column) of the strike still open after it).

    `opened`: the strike open before the line (None: none); `offset`: characters before `line` in the
    file's line (a turn line's time and name), for the column."""
    result, position = [], 0
    for mark in [*STRIKE.finditer(line), None]:
        end = mark.start() if mark else len(line)
        result += [(word, opened is not None) for word in line[position:end].split()]
        if mark:
            opened = None if opened else (number, offset + mark.start() + 1)
            position = mark.end()
    return result, opened
