"""An editing file held to what one episode can hold: a file, of sane size, clean text, times that fit.

An editing file is people's text pasted into a build: a 1 MB paste must be refused at once
(not take the merge fifteen minutes and push captions far past the episode), a terminal
escape or NUL must never reach a caption, and a folder where the file should be is a
located error. Turn times that cannot be right (past the episode's end, or earlier than the
turn before) are warned about with their line and not used: the words are timed from the
audio and their neighbours instead. Words an editor wrote that the recording leaves no room
for are warned about too.
"""
from __future__ import annotations

import logging
import stat
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from ..core.errors import StageError
from ..core.paths import require_file
from ..core.text import control_characters, describe
from ..core.timecode import format_timecode
from ..core.transcript import Word
from .editing import EditDoc, parse
from .merge import MergePlan

log = logging.getLogger("coursecast.proofread")

MAX_EDIT_BYTES = 4 * 1024 * 1024  # bytes: about 100 hours of speech as text; more is not one episode's
MAX_WORDS_PER_SECOND = 6.0  # words a second nobody speaks faster than (2.5 is an interview's pace)
SPARE_WORDS = 100  # words allowed beyond that, for a short episode with a long correction
MAX_WORD_CHARS = 200  # characters in one word (a long URL fits); a longer one is a paste without spaces
MAX_LISTED = 10  # control characters named in one message; the rest are counted
MIN_WORD_S = 0.1  # seconds of the recording a written word needs at least to be read as spoken there
TIME_SLACK_S = 1.0  # seconds: turn times are whole seconds, rounded down


def read(path: Path, *, file: str, names: dict[str, str], former: dict[str, str] | None = None,
         inside: Path | None = None) -> EditDoc:
    """Parse an editing file on disk (UTF-8; a BOM is allowed); StageError names the file, line and fix.

    `former` (id -> name): names the file was written with, still read after a speaker is renamed.
    `inside`: the course folder, which a link may not leave."""
    require_file(Path(path), file, inside=inside, what="editing file", remade=True)
    text = _text(Path(path), file)
    if found := _controls(text, file):
        raise StageError(f"{file}: control characters, which no caption may carry (the last good transcript is "
                         "kept until they are removed):\n" + "\n".join(f"  {p}" for p in found))
    return parse(text, file=file, names=names, former=former)


def _text(path: Path, file: str) -> str:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise StageError(f"{file}: a folder (or another kind of file), not an editing file; move it out of "
                             "the way: the next build writes the editing file again from the machine transcript")
        if info.st_size > MAX_EDIT_BYTES:
            raise StageError(f"{file}: {info.st_size:,} bytes, more than the {MAX_EDIT_BYTES:,} an editing file "
                             "may have; it holds far more than one episode (a paste gone wrong?): put back the "
                             "editor's version, or delete it to start again from the machine transcript")
        data = path.read_bytes()
    except PermissionError as e:
        raise StageError(f"{file}: cannot be read (permission denied); let the build read it: "
                         f"chmod a+r {file}") from e
    except OSError as e:
        raise StageError(f"{file}: cannot be read ({e.strerror or e}); check the file and its folder") from e
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise StageError(f"{file}:{line}: not UTF-8 text; save the file as UTF-8 (in most editors: "
                         "Save As, encoding UTF-8)") from e


def _controls(text: str, file: str) -> list[str]:
    """'file:line:column: U+001B (ESC)...' for each control character (a carriage return ending a line is fine)."""
    found = []
    for number, line in enumerate(text.split("\n"), 1):
        found += [f"{file}:{number}:{index + 1}: {describe(char)}; delete it (it may be invisible: retype the line)"
                  for index, char in control_characters(line.removesuffix("\r"))]
    if len(found) > MAX_LISTED:
        found = found[:MAX_LISTED] + [f"... and {len(found) - MAX_LISTED} more"]
    return found


def _length(seconds: float) -> str:
    """An episode's length for a message: '1.5 s', or '00:42:10' from a minute up."""
    return f"{seconds:.1f} s" if seconds < 60 else format_timecode(seconds, millis=False)


def check_length(doc: EditDoc, duration: float) -> None:
    """StageError when the file has more words than anyone could say in the episode, or a word no line can hold."""
    for turn in doc.turns:
        for word, line in zip(turn.words, turn.lines):
            if len(word) > MAX_WORD_CHARS:
                raise StageError(f"{doc.file}:{line}: a 'word' of {len(word):,} characters, more than the "
                                 f"{MAX_WORD_CHARS} a caption line can show; put spaces between its words, or "
                                 "remove it (a paste gone wrong?)")
    words = sum(len(turn.words) for turn in doc.turns)
    limit = int(duration * MAX_WORDS_PER_SECOND) + SPARE_WORDS
    if words > limit:
        raise StageError(f"{doc.file}: {words:,} words for an episode of {_length(duration)}, "
                         f"more than the {limit:,} anyone could say in it ({MAX_WORDS_PER_SECOND:g} a second); "
                         "remove what does not belong to this episode (a paste?), or put back the editor's version")


def checked_times(doc: EditDoc, duration: float) -> tuple[EditDoc, tuple[str, ...]]:
    """The document with turn times past the end or out of order dropped (None), and a warning for each."""
    warnings, turns, last = [], [], None
    for turn in doc.turns:
        at, stamp = turn.at, f"[{format_timecode(turn.at or 0.0, millis=False)}]"
        if at is not None and at > duration:  # stamps are rounded down: one past the end is wrong
            warnings.append(f"{doc.file}:{turn.line}: the turn time {stamp} is after the end of the episode "
                            f"({_length(duration)}); correct it (it is not used meanwhile)")
            at = None
        elif at is not None and last is not None and at + TIME_SLACK_S <= last.at:
            warnings.append(f"{doc.file}:{turn.line}: the turn time {stamp} is earlier than the turn before it "
                            f"(line {last.line}); turn times must go up: correct it (it is not used meanwhile)")
            at = None
        turns.append(replace(turn, at=at) if at != turn.at else turn)
        last = turns[-1] if at is not None else last
    return replace(doc, turns=tuple(turns)), tuple(warnings)


def squeezed(plan: MergePlan, words: Sequence[Word], file: str) -> list[str]:
    """Runs of written words the recording leaves under MIN_WORD_S a word for: probably not in it."""
    warnings, run = [], []
    for planned, word in [*zip(plan.words, words), (None, None)]:
        if planned is not None and planned.source is None and (not run or run[-1][0].turn == planned.turn):
            run.append((planned, word))
            continue
        if run and (run[-1][1].end - run[0][1].start) < MIN_WORD_S * len(run):
            seconds = run[-1][1].end - run[0][1].start
            warnings.append(f"{file}:{run[0][0].line}: {len(run)} word(s) written here get only {seconds:.2f} s of "
                            f"the recording at {format_timecode(run[0][1].start, millis=False)}; are they in it? "
                            "Check them against the audio")
        run = [(planned, word)] if planned is not None and planned.source is None else []
    return warnings
