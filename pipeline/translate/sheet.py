"""The translator's file `edits/<slug>.<lang>.txt`: each source cue beside its draft, read back strictly.

    [12] 00:01:02.500
    en: The city council met on Monday.
    es: El ayuntamiento se reunió el lunes.

The build writes it once and never again; its base (`<slug>.<lang>.base.json`) keeps
what each cue's source and draft were then, so a target line that still equals its
draft is an untouched machine draft and any other is the translator's. A cue is known
by its number: a cue removed, added, repeated or moved, a stray line or a control
character is refused with the line and what to do, and the last good translation stays.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..core import languages
from ..core.errors import StageError
from ..core.text import first_control
from ..core.timecode import format_timecode
from .cues import SourceCue

HEADER = re.compile(r"^\[(\d+)\](?:\s+\S.*)?$")  # '[12] 00:01:02.500'
COMMENT = "#"


@dataclass(frozen=True)
class SheetCue:
    number: int  # the cue's number in the file, from 1
    source: str  # the source line as the file has it now
    target: str  # the translation line ("" = untranslated)
    line: int  # the line of its '[n]' header in the file


def _name(tag: str) -> str:
    try:
        return languages.iso_639_2(tag)[1]
    except ValueError:
        return tag


def render(slug: str, source_lang: str, target_lang: str, cues: Sequence[SourceCue], drafts: Sequence[str],
           engine: str) -> str:
    """The translator's file as first written: each source cue beside its draft (or nothing)."""
    drafted = f"a machine draft ({engine}): correct it or leave it" if any(drafts) else \
        "empty: no engine translates this pair, so every cue waits for you"
    head = [f"# Translation of '{slug}' from {_name(source_lang)} ({source_lang}) into {_name(target_lang)} "
            f"({target_lang}).",
            f"# Each cue: its number and time, the words spoken ('{source_lang}:') and the translation "
            f"('{target_lang}:'),",
            f"# which is {drafted}.",
            f"# Write each translation on its '{target_lang}:' line. Keep every cue, its number and order;",
            f"# an empty '{target_lang}:' line is untranslated, and the language is published once none is.",
            "# The build never overwrites this file. Lines starting with '#' are ignored.", ""]
    body = []
    for number, (cue, draft) in enumerate(zip(cues, drafts), 1):
        body += [f"[{number}] {format_timecode(cue.start)}", f"{source_lang}: {cue.text}",
                 f"{target_lang}: {draft}".rstrip(), ""]
    return "\n".join(head + body)


def _refuse(path: Path, line: int, what: str, fix: str) -> StageError:
    return StageError(f"{path}, line {line}: {what}; {fix}. The last good translation stays published and "
                      "this file is left as it is")


def parse(path: Path, source_lang: str, target_lang: str, expected: int) -> list[SheetCue]:
    """The cues of the translator's file, checked against the `expected` number of cues it was made with."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise StageError(f"{path}: not UTF-8 text ({e.reason}); save it as UTF-8") from e
    cues: list[dict] = []
    for number, raw in enumerate(text.splitlines(), 1):
        if control := first_control(raw):
            raise _refuse(path, number, f"a control character ({control})", "delete it")
        _read_line(path, number, raw.strip(), cues, source_lang, target_lang)
    return _checked(path, cues, expected, source_lang, target_lang)


def _read_line(path: Path, number: int, line: str, cues: list[dict], src: str, tgt: str) -> None:
    if not line or line.startswith(COMMENT):
        return
    if header := HEADER.match(line):
        cues.append({"number": int(header.group(1)), "line": number, src: None, tgt: None, "last": None})
        return
    if not cues:
        raise _refuse(path, number, "text before the first cue", f"put it on a cue's '{tgt}:' line or start it "
                                                                  f"with '#'")
    cue = cues[-1]
    for field in (src, tgt):
        if line.startswith(f"{field}:"):
            if cue[field] is not None:
                raise _refuse(path, number, f"cue [{cue['number']}] has a second '{field}:' line",
                              f"keep one '{field}:' line per cue (a long translation may go on over several lines)")
            cue[field], cue["last"] = line[len(field) + 1:].strip(), field
            return
    if cue["last"] is None:
        raise _refuse(path, number, f"text in cue [{cue['number']}] before its '{src}:' line",
                      f"write the translation after '{tgt}:'")
    cue[cue["last"]] = f"{cue[cue['last']]} {line}".strip()  # a line going on from the one before


def _checked(path: Path, cues: list[dict], expected: int, src: str, tgt: str) -> list[SheetCue]:
    seen: dict[int, int] = {}
    for index, cue in enumerate(cues):
        number, line = cue["number"], cue["line"]
        if number in seen:
            raise _refuse(path, line, f"cue [{number}] is here twice (first on line {seen[number]})",
                          "keep one of them and delete the other")
        if not 1 <= number <= expected:
            raise _refuse(path, line, f"cue [{number}] was added (the file has cues 1 to {expected})",
                          f"put its words on the '{tgt}:' line of a neighbouring cue, then delete it")
        if index and number < cues[index - 1]["number"]:
            raise _refuse(path, line, f"cue [{number}] is out of order (after cue [{cues[index - 1]['number']}])",
                          "move it back to its place: cues stay in the order of the speech")
        for field in (src, tgt):
            if cue[field] is None:
                raise _refuse(path, line, f"cue [{number}] has no '{field}:' line", f"add '{field}: ...' to it")
        seen[number] = line
    if missing := [n for n in range(1, expected + 1) if n not in seen]:
        after = max((seen[n] for n in seen if n < missing[0]), default=1)
        raise _refuse(path, after, f"cue [{missing[0]}] was removed" + (f" (and {len(missing) - 1} more)"
                                                                        if len(missing) > 1 else ""),
                      f"put it back (copy it from {path.name.replace('.txt', '.base.json')}, or delete this file "
                      "to have it made again, losing its translations)")
    return [SheetCue(c["number"], c[src], c[tgt], c["line"]) for c in cues]
