"""The editing file: an episode's transcript as plain text that editors correct without training.

    # Episode 1: Smart cities (m1-intro)
    # ... how to edit, in '#' comment lines ...

    [00:00:03] Anna Lindqvist:
    Welcome to the course. Today we talk about Malmö and its
    harbour.

    [00:00:09] Erik Nilsson:
    Thanks, Anna.

A turn is a line `[HH:MM:SS] Speaker Name:` and the words after it, up to the
next turn line. The file is written once from the machine transcript (with the
course's replacements applied) by the `edits:<slug>` task and never written by
the build again; beside it, `<slug>.base.json` keeps the machine transcript it
was made from, so that corrections can be carried over to a new recording. The
parser reports every problem with its line number.
"""
from __future__ import annotations

import difflib
import re
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from ..core import layout
from ..core.course import Course, Episode
from ..core.dependency import Task
from ..core.errors import StageError
from ..core.fsutil import write_bytes, write_text
from ..core.timecode import format_timecode
from ..core.transcript import Transcript, Word, load
from .replacements import Change, Rules, find_spans, load_rules, rewrite
from .soundbites import Mark, strip_marks
from .strike import STRIKE_HELP, struck_words

UNKNOWN_SPEAKER = "Speaker"  # the name written (and read) for a turn whose speaker is unknown
WRAP_COLUMNS = 78  # characters per line of paragraph text
TASK_WEIGHT = 0.01  # relative cost of writing an editing file (a transcription weighs its seconds)
_TIMECODE = re.compile(r"^(?:(\d{1,2}):)?([0-5]?\d):([0-5]\d)(?:[.,](\d{1,3}))?$")
_HEADER = re.compile(r"^\s*\[(?P<tc>[^\]]*)\](?P<rest>.*)$")
_LOOKS_LIKE_HEADER = re.compile(r"^\s*\[\s*\d")

HELP = (  # the comment block at the top of every editing file; {placeholders} filled in by render()
    "Edit the words below, save the file (UTF-8) and build again: every caption, transcript, "
    "PDF and feed then carries your corrections.",
    "- Each turn starts with a line \"[HH:MM:SS] Speaker Name:\"; its words follow, up to the next "
    "such line. Line breaks inside a turn do not matter.",
    "- Fix words, names and punctuation; delete false starts and repeated words from the text.",
    STRIKE_HELP,
    "- Give a turn to another speaker by changing the name on its turn line. Speakers: {names}. "
    "Write \"{unknown}\" when you do not know who speaks.",
    "- Merge two turns by deleting the second turn line. Split a turn by adding a turn line before "
    "the words where the other speaker starts; its time may be approximate: the build times every "
    "word from the recording itself.",
    "- Lines starting with \"#\" are comments. The build never changes this file. {base} is the "
    "machine transcript it was made from: keep it beside this file, so that your corrections "
    "survive when the recording is recut.",
)


def _help(**values: str) -> list[str]:
    lines = []
    for paragraph in HELP:
        text = paragraph.format(**values)
        lines += textwrap.wrap(text, WRAP_COLUMNS - 2, subsequent_indent="  " if text.startswith("-") else "",
                               break_long_words=False, break_on_hyphens=False)
    return [f"# {line}" for line in lines]


def _who(notes: Sequence[str]) -> list[str]:
    """How the machine decided who speaks (channels, turn hints, voices and how each was named), as comments."""
    lines = []
    for note in notes:
        lines += textwrap.wrap(note, WRAP_COLUMNS - 2, break_long_words=False, break_on_hyphens=False)
    return ["#", *(f"# {line}" for line in lines)] if lines else []


# -- what editors see: the machine words joined where Whisper split a written word -------
@dataclass(frozen=True)
class Shown:
    word: Word  # one word as written (Whisper's "self" + "-substantial" become "self-substantial")
    segment: int  # index of its segment in the transcript


def shown_words(transcript: Transcript) -> list[Shown]:
    """The transcript's words as written text, each with its segment index."""
    shown: list[Shown] = []
    for index, segment in enumerate(transcript.segments):
        glued = _glued(segment.text, [w.text for w in segment.words])
        for word, glue in zip(segment.words, glued):
            if not word.text.strip():
                continue
            if glue and shown and shown[-1].segment == index:
                shown[-1] = Shown(_join(shown[-1].word, word), index)
            else:  # an engine's "word" with a space inside is as many words as an editor sees
                shown += _respelled([Shown(word, index)], tuple(word.text.split()))
    return shown


def _glued(text: str, words: list[str]) -> list[bool]:
    """glued[i]: word i follows word i-1 without a space in the segment's text (all False if unsure)."""
    glued, position = [], 0
    for i, word in enumerate(w.strip() for w in words):
        found = text.find(word, position) if word else -1
        if found < 0 or text[position:found].strip():
            return [False] * len(words)
        glued.append(i > 0 and found == position)
        position = found + len(word)
    return glued


def _join(a: Word, b: Word) -> Word:
    return Word(a.text + b.text.strip(), a.start, max(a.end, b.end), min(a.probability, b.probability), a.aligned)


# -- writing --------------------------------------------------------------------------
def editor_names(roster: tuple[tuple[str, str], ...], transcript: Transcript | None = None) -> dict[str, str]:
    """Every speaker an editor may name: the course roster ((id, name) pairs), plus the transcript's own."""
    names = dict(transcript.speakers) if transcript else {}
    names.update(dict(roster))
    return names


def render(transcript: Transcript, *, title: str, names: dict[str, str], listed: list[str],
           base: str, rules: Rules, notes: Sequence[str] = ()) -> str:
    """The editing file's text: help in comments, then one paragraph per speaker turn."""
    shown, _ = respell(shown_words(transcript), rules)
    lines = [f"# {title}", "#", *_help(names=", ".join(listed) or UNKNOWN_SPEAKER, unknown=UNKNOWN_SPEAKER,
                                      base=base), *_who(transcript.attribution), *_who(notes)]
    for speaker, words in _turns(transcript, shown):
        label = names.get(speaker, speaker) if speaker is not None else UNKNOWN_SPEAKER
        lines += ["", *_paragraph(f"[{_stamp(words[0].start)}] {label}:", [w.text for w in words])]
    return "\n".join(lines) + "\n"


def respell(shown: list[Shown], rules: Rules) -> tuple[list[Shown], list[Change]]:
    """The course's replacements applied inside each segment; times kept, or shared out by length."""
    spans = find_spans([s.word.text for s in shown], rules, [s.segment for s in shown])
    return rewrite(shown, spans, _respelled), [c for span in spans for c in span.changes]


def _respelled(old: Sequence[Shown], new: tuple[str, ...]) -> list[Shown]:
    if len(old) == len(new):
        return [Shown(replace(o.word, text=text), o.segment) for o, text in zip(old, new)]
    start, end = old[0].word.start, old[-1].word.end
    weights = [len(text) + 1 for text in new]  # characters and a space: a rough share of the time
    probability = min(o.word.probability for o in old)
    aligned = old[0].word.aligned if len(new) == 1 else "interpolated"
    result, at = [], start
    for text, weight in zip(new, weights):
        until = at + (end - start) * weight / sum(weights)
        result.append(Shown(Word(text, round(at, 3), round(until, 3), probability, aligned), old[0].segment))
        at = until
    return result


def _turns(transcript: Transcript, shown: list[Shown]) -> list[tuple[str | None, list[Word]]]:
    turns: list[tuple[str | None, list[Word]]] = []
    for item in shown:
        speaker = transcript.segments[item.segment].speaker
        if turns and turns[-1][0] == speaker:
            turns[-1][1].append(item.word)
        else:
            turns.append((speaker, [item.word]))
    return turns


def _stamp(seconds: float) -> str:
    return format_timecode(max(0, int(seconds)), millis=False)  # whole seconds, rounded down: the turn is at or after


def _paragraph(header: str, words: list[str]) -> list[str]:
    """The turn line and its wrapped words; a line that would read as a comment or turn line is joined up."""
    wrapped = textwrap.wrap(" ".join(words), WRAP_COLUMNS, break_long_words=False, break_on_hyphens=False)
    lines: list[str] = []
    for line in wrapped:
        if lines and _special(line):
            lines[-1] += " " + line
        else:
            lines.append(line)
    if lines and _special(lines[0]):
        return [f"{header} {lines[0]}", *lines[1:]]
    return [header, *lines]


def _special(line: str) -> bool:
    return line.lstrip().startswith("#") or _header_like(line)


def _header_like(line: str) -> bool:
    stripped = line.strip()
    return bool(_LOOKS_LIKE_HEADER.match(stripped)) or (stripped.startswith("[") and stripped.endswith(":"))


# -- reading --------------------------------------------------------------------------
@dataclass(frozen=True)
class EditTurn:
    line: int  # line number of the turn line (1-based)
    at: float | None  # seconds, from its timecode: an anchor for people, may be approximate; None: unusable
    speaker: str | None  # roster id; None for an unknown speaker
    words: tuple[str, ...]  # the turn's words, as the editor wrote them
    lines: tuple[int, ...]  # the line number of each word
    struck: tuple[bool, ...] = ()  # per word: between `~~` and `~~` (cut from the audio); () = none struck


@dataclass(frozen=True)
class EditDoc:
    file: str  # the file, as named in messages (relative to the course folder)
    turns: tuple[EditTurn, ...]  # turns with at least one word, in order
    soundbites: tuple[Mark, ...] = ()  # passages marked {{ ... }} (soundbites.py), marks taken out of the words


def parse(text: str, *, file: str, names: dict[str, str], former: dict[str, str] | None = None) -> EditDoc:
    """Parse an editing file's text; StageError lists every problem as 'file:line: what, fix'.

    `names` (id -> name) are whom a turn may name; `former` (id -> name) are the names the file was written
    with (the base's), still understood after a speaker is renamed in the course file."""
    text, marks, problems = strip_marks(text, file=file, is_turn_line=_header_like)
    parser = _Parser(file, names, former or {})
    parser.problems += problems
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            parser.feed(number, line)
    return replace(parser.finish(), soundbites=marks)


class _Parser:
    def __init__(self, file: str, names: dict[str, str], former: dict[str, str]):
        self.file, self.names, self.lookup = file, names, _lookup(names)
        for speaker_id, name in former.items():
            self.lookup.setdefault(_key(name), speaker_id)
        self.problems: list[str] = []
        self.turns: list[dict] = []
        self.current: dict | None = None
        self.orphans = False  # words before the first turn line were reported
        self.opened: tuple[int, int] | None = None  # (line, column) of the `~~` of an open strike

    def problem(self, number: int, message: str) -> None:
        self.problems.append(f"{self.file}:{number}: {message}")

    def feed(self, number: int, line: str) -> None:
        offset = 0  # characters before the words (a turn line's time and name)
        if _header_like(line):
            at, speaker, rest = self.header(number, line) or (0.0, None, "")  # a bad turn line still owns its words
            self.current = {"line": number, "at": at, "speaker": speaker, "words": [], "lines": [], "struck": []}
            self.turns.append(self.current)
            offset, line = len(line) - len(rest), rest
        elif self.current is None:
            if not self.orphans:
                self.problem(number, "words before the first turn line; start the turn with a line like "
                                     f"'[00:00:00] {UNKNOWN_SPEAKER}:'")
            self.orphans = True
            return
        words, self.opened = struck_words(line, number, offset, self.opened)  # each: struck or not (strike.py)
        for word, struck in words:
            self.current["words"].append(word)
            self.current["lines"].append(number)
            self.current["struck"].append(struck)

    def header(self, number: int, line: str):
        """(seconds, speaker id, text after the colon) of a turn line, or None after noting the problem."""
        match = _HEADER.match(line)
        if not match or ":" not in match.group("rest"):
            example = next(iter(self.names.values()), UNKNOWN_SPEAKER)
            self.problem(number, f"{line.strip()!r} is not a turn line; write it like '[00:01:30] {example}:'")
            return None
        name, _, rest = match.group("rest").partition(":")
        at = _seconds(match.group("tc").strip())
        if at is None:
            self.problem(number, f"[{match.group('tc')}] is not a time; write [HH:MM:SS], e.g. [00:01:30]")
        if _key(name) not in self.lookup:
            self.problem(number, _unknown(name.strip(), self.names))
            return None
        return (at or 0.0), self.lookup[_key(name)], rest

    def finish(self) -> EditDoc:
        if self.opened:
            line, column = self.opened
            self.problems.append(f"{self.file}:{line}:{column}: this '~~' opens a strike that never closes; "
                                 "write '~~' after the last word to cut, or delete it")
        kept = tuple(EditTurn(t["line"], t["at"], t["speaker"], tuple(t["words"]), tuple(t["lines"]),
                              tuple(t["struck"]) if any(t["struck"]) else ())
                     for t in self.turns if t["words"])
        if not kept and not self.problems:
            self.problem(1, "no turns with words; restore the file, or delete it and build again to start "
                            "over from the machine transcript")
        if self.problems:
            count = len(self.problems)
            raise StageError(f"{self.file}: {count} problem{'s' if count > 1 else ''} in the editing file "
                             "(the last good transcript is kept until they are fixed):\n"
                             + "\n".join(f"  {p}" for p in self.problems))
        return EditDoc(self.file, kept)


def _lookup(names: dict[str, str]) -> dict[str, str | None]:
    lookup: dict[str, str | None] = {_key(UNKNOWN_SPEAKER): None}
    for speaker_id, name in names.items():
        lookup[_key(speaker_id)] = speaker_id
        lookup[_key(name)] = speaker_id
    return lookup


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _unknown(name: str, names: dict[str, str]) -> str:
    valid = list(dict.fromkeys(names.values()))
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    shown = name or "(no name)"
    return (f"'{shown}' is not a speaker of this course{hint}; use one of: {', '.join(valid)}, "
            f"or '{UNKNOWN_SPEAKER}' when unknown")


def _seconds(text: str) -> float | None:
    match = _TIMECODE.match(text)
    if not match:
        return None
    hours, minutes, seconds, millis = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int((millis or "0").ljust(3, "0")) / 1000


# -- the edits:<slug> task -------------------------------------------------------------
@dataclass(frozen=True)
class EditFileResult:
    path: Path  # the editing file
    created: bool  # False when it existed already (it is never overwritten)
    words: int  # words written


def relative(root: Path, path: Path) -> str:
    """A file as messages name it: relative to the course folder when inside it."""
    return Path(path).relative_to(root).as_posix() if Path(path).is_relative_to(root) else str(path)


@dataclass(frozen=True)
class EditFileJob:
    """What the `edits:<slug>` task reads to write an episode's editing file the first time."""

    root: Path  # the course folder
    machine: Path  # the machine transcript
    target: Path  # the editing file (never overwritten)
    base: Path  # the machine transcript it was made from, kept beside it
    replacements: Path  # the course's replacements: the editor sees their spelling
    roster: tuple[tuple[str, str], ...]  # (id, name): whom an editor may name
    listed: tuple[str, ...]  # the episode's speakers' names, shown in the help
    title: str  # "Episode N: Title (slug)"
    max_pause_s: float = 0.0  # [audio] max_pause_s: longer pauses are proposed for cutting (0: none proposed)


def edit_file_job(course: Course, episode: Episode) -> EditFileJob:
    return EditFileJob(course.root, layout.machine_transcript(course, episode), layout.edit_file(course, episode),
                       layout.edit_base(course, episode), layout.replacements_file(course),
                       tuple((s.id, s.name) for s in course.speakers),
                       tuple(course.speaker(s).name for s in episode.speakers), episode_title(episode),
                       course.audio.max_pause_s)


def episode_title(episode: Episode) -> str:
    return f"Episode {episode.number}: {episode.title} ({episode.slug})"


def create_edit_file(job: EditFileJob) -> EditFileResult:
    """Write the editing file (and its base) from the machine transcript, unless it already exists."""
    if job.target.exists():
        if not job.base.exists():  # the editor kept the file but lost the base: the best guess is today's
            write_bytes(job.base, job.machine.read_bytes())
        return EditFileResult(job.target, False, 0)
    machine = load(job.machine)
    rules = load_rules(job.replacements, job.root)
    from .proposals import proposal_notes  # proposals read the editing file's words: imported here, not above

    text = render(machine, title=job.title, names=editor_names(job.roster, machine), listed=list(job.listed),
                  base=relative(job.root, job.base), rules=rules,
                  notes=proposal_notes([s.word for s in shown_words(machine)], job.max_pause_s, machine.coverage))
    write_bytes(job.base, job.machine.read_bytes())
    write_text(job.target, text)
    return EditFileResult(job.target, True, sum(len(w.text.split()) for w in machine.words))


def edit_tasks(course: Course) -> list[Task]:
    """Per episode, `edits:<slug>`: create the editing file the first time only (create_only)."""
    tasks = []
    for episode in course.episodes:
        job = edit_file_job(course, episode)
        tasks.append(Task(stage="transcribe", name=f"edits:{episode.slug}", action=create_edit_file, job=job,
                          inputs=(job.machine,), targets=(job.target, job.base),
                          episode=episode.slug, weight=TASK_WEIGHT, create_only=True))
    return tasks
