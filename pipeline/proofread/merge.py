"""Merging an editor's text back onto the machine transcript's timed words.

Three word sequences meet here, each with the course's replacements applied:
  base     the machine transcript the editing file was made from (edits/<slug>.base.json),
  edit     the editing file's words, as the editor left them,
  machine  the machine transcript now (the same as base until the audio is recut).
The editor's corrections are the differences base -> edit (difflib on normalised
words: case and punctuation alone do not make a different word); they are
carried onto `machine` as in a three-way merge (diff3), so a recut or a new
transcription keeps every correction whose words are still spoken. Words the
editor did not touch keep Whisper's times exactly; words the editor wrote are
timed afterwards (align.time_words). A correction whose words are gone is not
placed: it is listed for the editor (review.py), never dropped silently.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Sequence

from .editing import EditDoc, Shown
from .replacements import Change, Rules, find_spans, rewrite

SAME_SPEECH_RATIO = 0.5  # character similarity above which re-heard words are taken as the same speech


@dataclass(frozen=True)
class Correction:
    before: tuple[str, ...]  # the machine's words (base)
    after: tuple[str, ...]  # the editor's words
    at: float  # seconds: where the machine's words were, in the recording the file was made from
    line: int  # the editing file's line
    placed: bool  # carried onto the current machine transcript
    reason: str = ""  # why it was not placed, for the editor


@dataclass(frozen=True)
class Planned:
    """A word of the corrected transcript, before timing."""

    text: str  # as it will be written
    source: int | None  # index of the machine word whose time it keeps; None: to be timed
    turn: int  # consecutive words with one `turn` form one turn
    speaker: str | None  # roster id
    segment: int  # machine segment it belongs to (-1: the segment of the word before it)
    written: bool  # the text is the editor's, not the machine's
    span: tuple[float, float] = (0.0, 0.0)  # seconds between its machine neighbours (words to be timed)
    at: float | None = None  # the turn line's time, on a turn's first word when it is to be timed
    line: int = 0  # the editing file's line of a word the editor wrote (0: a machine word)
    struck: int = 0  # the editing file's line of a struck word (`~~ ... ~~`: cut from the audio); 0: kept


@dataclass(frozen=True)
class MergePlan:
    words: tuple[Planned, ...]  # the corrected transcript's words, in order
    machine: tuple[Shown, ...]  # the machine's words (replacements applied)
    corrections: tuple[Correction, ...]  # every difference between base and edit
    changed: int  # words the editor wrote (changed, inserted, re-punctuated)
    deleted: int  # machine words the editor removed
    edited: bool  # the editing file differs from the machine text (words, speakers or turns)
    new_words: tuple[int, ...] = ()  # machine words the editor has never seen (after a recut)

    @property
    def unplaced(self) -> tuple[Correction, ...]:
        return tuple(c for c in self.corrections if not c.placed)


def key(word: str) -> str:
    """What a word is, for the diff: case, punctuation and apostrophes ignored, accents kept."""
    text = unicodedata.normalize("NFC", word).casefold()
    return re.sub(r"[\W_]+", "", text) or text


@dataclass(frozen=True)
class EditWord:
    text: str  # the editor's word (replacements applied)
    turn: int  # index of its turn in the editing file
    line: int  # its line in the editing file
    struck: bool = False  # between `~~` and `~~`: cut from the audio and the published text


def edit_words(doc: EditDoc, rules: Rules) -> tuple[list[EditWord], list[tuple[int, Change]]]:
    """The editing file's words in order, the course's replacements applied within each turn;
    and the replacements made, each with its line."""
    words = [EditWord(w, t, line, bool(turn.struck) and turn.struck[k]) for t, turn in enumerate(doc.turns)
             for k, (w, line) in enumerate(zip(turn.words, turn.lines))]
    spans = find_spans([w.text for w in words], rules, [w.turn for w in words])
    fixed = rewrite(words, spans, lambda old, new: [EditWord(text, old[0].turn, old[0].line, old[0].struck)
                                                    for text in new])
    return fixed, [(words[c.index].line, c) for span in spans for c in span.changes]


def _matcher(a: Sequence[str], b: Sequence[str]) -> difflib.SequenceMatcher:
    return difflib.SequenceMatcher(None, list(a), list(b), autojunk=False)


def _mapping(base: Sequence[str], machine: Sequence[str]) -> dict[int, int]:
    """base index -> machine index of the words both have (monotonic)."""
    if list(base) == list(machine):
        return {i: i for i in range(len(base))}
    return {a + k: b + k for a, b, size in _matcher(base, machine).get_matching_blocks() for k in range(size)}


# -- the plan --------------------------------------------------------------------------
def unedited(machine: Sequence[Shown], speakers: Sequence[str | None]) -> MergePlan:
    """The machine's words as they are: one turn per run of one speaker."""
    words, turn = [], -1
    for m, shown in enumerate(machine):
        speaker = speakers[shown.segment]
        if not words or words[-1].speaker != speaker:
            turn += 1
        words.append(Planned(shown.word.text, m, turn, speaker, shown.segment, False))
    return MergePlan(tuple(words), tuple(machine), (), 0, 0, False)


def plan(base: Sequence[Shown], machine: Sequence[Shown], edit: list[EditWord], doc: EditDoc,
         speakers: Sequence[str | None], duration: float,
         base_speakers: Sequence[str | None] | None = None) -> MergePlan:
    """Carry the corrections base -> edit onto `machine`. `speakers[i]` is machine segment i's speaker,
    `base_speakers[i]` base segment i's (default: the machine's, as when nothing was re-heard).

    Speakers merge like words: a word whose turn the editor gave to someone else keeps the editor's
    speaker; a word still under the speaker the base had takes the machine's speaker now (a voice
    sample or a renamed voice re-labels what the editor did not change)."""
    planner = _Planner(base, machine, edit, doc, speakers, duration, base_speakers)
    raw = planner.run()
    heard_before = set(planner.bn.values())
    new = tuple(w.source for w in raw if w.turn < 0 and w.source not in heard_before)
    words = _machine_turns(raw)
    changed = sum(w.written for w in words)
    edited = bool(changed or planner.deleted or any(w.struck for w in words)) or _shape(words) != _shape(unedited(machine, speakers).words)
    return MergePlan(tuple(words), tuple(machine), tuple(planner.corrections()), changed, planner.deleted,
                     edited, new)


def _shape(words: Sequence[Planned]) -> list[tuple]:
    return [(w.text, w.speaker, i == 0 or w.turn != words[i - 1].turn) for i, w in enumerate(words)]


@dataclass(frozen=True)
class _Region:
    """Words between two stable words (base, machine and edit alike)."""

    base: range  # base indices
    machine: range  # machine indices
    edit: range  # edit indices


class _Planner:
    """A three-way merge (after diff3). Stable words are base words the editor kept and the machine still
    has. Between two stable words, the editor's text wins where the machine heard the same speech as
    before (or as edited); elsewhere each correction is placed on the machine words it corrects, if they
    are still there, and the rest of the stretch is the machine's."""

    def __init__(self, base, machine, edit: list[EditWord], doc: EditDoc, speakers, duration: float,
                 base_speakers=None):
        self.base, self.machine, self.edit, self.doc = list(base), list(machine), edit, doc
        self.speakers, self.duration = speakers, duration
        self.base_speakers = speakers if base_speakers is None else base_speakers
        self.bkeys = [key(s.word.text) for s in base]
        self.nkeys = [key(s.word.text) for s in machine]
        self.ekeys = [key(w.text) for w in edit]
        self.bn = _mapping(self.bkeys, self.nkeys)
        self.opcodes = _matcher(self.bkeys, self.ekeys).get_opcodes()
        self.eb = {j1 + k: i1 + k for tag, i1, i2, j1, _ in self.opcodes if tag == "equal" for k in range(i2 - i1)}
        self.ops = [op for op in self.opcodes if op[0] != "equal"]  # the corrections
        self.outcome: dict[int, str] = {}  # op index -> "" (placed) or why it was not
        self.deleted = 0

    def _stable(self) -> list[tuple[int, int, int]]:
        equal = [op for op in self.opcodes if op[0] == "equal"]
        kept = [(i1 + k, j1 + k) for _, i1, i2, j1, _ in equal for k in range(i2 - i1)]
        triples = [(b, self.bn[b], e) for b, e in kept if b in self.bn]
        return [(-1, -1, -1), *triples, (len(self.base), len(self.machine), len(self.edit))]

    def run(self) -> list[Planned]:
        out: list[Planned] = []
        stable, k = self._stable(), 0
        for (b0, n0, e0), (b1, n1, e1) in zip(stable, stable[1:]):
            if b0 >= 0:
                out.append(self._word(e0, n0))
            region = _Region(range(b0 + 1, b1), range(n0 + 1, n1), range(e0 + 1, e1))
            ops = []
            while k < len(self.ops) and _inside(region, *self.ops[k][1:]):  # both in order: one pass
                ops.append(k)
                k += 1
            if not ops:
                out += [self._machine_word(n) for n in region.machine]
            elif self._keys(self.nkeys, region.machine) == self._keys(self.bkeys, region.base) \
                    or self._same_speech(region):
                self.outcome.update(dict.fromkeys(ops, ""))
                self._editor_text(region.machine, region.edit, out)
            else:
                self._each_correction(region, ops, out)
        return out

    @staticmethod
    def _keys(keys: list[str], indices: range) -> list[str]:
        return [keys[i] for i in indices]

    def _same_speech(self, region: _Region) -> bool:
        """The machine heard this stretch differently now, but it is the same speech (as before, or as edited)."""
        heard = " ".join(self.machine[i].word.text for i in region.machine).casefold()
        if not heard:
            return False
        texts = (" ".join(self.base[i].word.text for i in region.base),
                 " ".join(self.edit[i].text for i in region.edit))
        return max(difflib.SequenceMatcher(None, t.casefold(), heard, autojunk=False).ratio()
                   for t in texts) >= SAME_SPEECH_RATIO

    def _editor_text(self, heard: range, written: range, out: list[Planned]) -> None:
        """The editor's words in place of the machine's: equal words keep the machine's times."""
        ops = _matcher(self._keys(self.nkeys, heard), self._keys(self.ekeys, written)).get_opcodes()
        for tag, a1, a2, c1, c2 in ops:
            if tag == "equal":
                out += [self._word(written.start + c1 + k, heard.start + a1 + k) for k in range(a2 - a1)]
                continue
            self.deleted += max(0, (a2 - a1) - (c2 - c1))
            lo, hi = heard.start + a1, heard.start + a2
            out += [self._new(e, lo, hi) for e in range(written.start + c1, written.start + c2)]

    def _each_correction(self, region: _Region, ops: list[int], out: list[Planned]) -> None:
        """Corrections placed one by one, on the machine words they correct; the rest is the machine's."""
        places: dict[int, list[tuple[int, range]]] = {}  # machine index -> corrections placed there, in order
        for k in ops:
            place = self._place(k)
            _, i1, i2, j1, j2 = self.ops[k]
            self.outcome[k] = "" if place is not None or j1 == j2 else REASONS["insert" if i1 == i2 else "fix"]
            if place is not None:
                places.setdefault(place.start, []).append((k, place))
        n = region.machine.start
        while n <= region.machine.stop:
            stop = n
            for k, replaced in places.pop(n, ()):
                self._editor_text(replaced, range(self.ops[k][3], self.ops[k][4]), out)
                stop = max(stop, replaced.stop)
            if stop > n:
                n = stop
                continue
            if n < region.machine.stop:
                out.append(self._machine_word(n))
            n += 1

    def _place(self, k: int) -> range | None:
        """The machine words correction k replaces (an empty range to insert), or None if they are gone."""
        _, i1, i2, _, _ = self.ops[k]
        own = [self.bn[b] for b in range(i1, i2) if b in self.bn]
        if own:
            return range(own[0], own[-1] + 1)
        left = self.bn.get(i1 - 1) if i1 > 0 else -1
        right = self.bn.get(i2) if i2 < len(self.base) else len(self.machine)
        if i1 == i2 and left is not None and right == left + 1:
            return range(right, right)
        return None

    def _word(self, e: int, n: int) -> Planned:
        word, shown = self.edit[e], self.machine[n]
        return Planned(word.text, n, word.turn, self._speaker(e, n), shown.segment, word.text != shown.word.text,
                       struck=word.line if word.struck else 0)

    def _speaker(self, e: int, n: int) -> str | None:
        """The editor's speaker of edit word e, unless it is the base's: then the machine's of machine word n."""
        said = self.doc.turns[self.edit[e].turn].speaker
        b = self.eb.get(e)
        if b is not None and self.base_speakers[self.base[b].segment] == said:
            return self.speakers[self.machine[n].segment]
        return said

    def _machine_word(self, n: int) -> Planned:
        shown = self.machine[n]
        return Planned(shown.word.text, n, -1, self.speakers[shown.segment], shown.segment, False)

    def _new(self, e: int, lo: int, hi: int) -> Planned:
        """An editor's word to be timed in the gap of machine words lo..hi-1 (which it replaces)."""
        word = self.edit[e]
        before = self.machine[lo - 1].word.end if lo > 0 else 0.0
        after = self.machine[hi].word.start if hi < len(self.machine) else max(self.duration, before)
        first = e == 0 or self.edit[e - 1].turn != word.turn
        return Planned(word.text, None, word.turn, self.doc.turns[word.turn].speaker,
                       self.machine[lo].segment if hi > lo else -1, True, (before, max(before, after)),
                       self.doc.turns[word.turn].at if first else None, word.line, word.line if word.struck else 0)

    # -- what became of each correction, for the editor --
    def corrections(self) -> list[Correction]:
        result = []
        for k, (_, i1, i2, j1, j2) in enumerate(self.ops):
            reason = self.outcome.get(k, REASONS["fix"])  # never decided: listed rather than lost
            result.append(Correction(tuple(s.word.text for s in self.base[i1:i2]),
                                     tuple(w.text for w in self.edit[j1:j2]), self._base_time(i1),
                                     self._line(j1), not reason, reason))
        return result

    def _base_time(self, i: int) -> float:
        if i < len(self.base):
            return self.base[i].word.start
        return self.base[-1].word.end if self.base else 0.0

    def _line(self, j: int) -> int:
        if j < len(self.edit):
            return self.edit[j].line
        return self.edit[-1].line if self.edit else (self.doc.turns[0].line if self.doc.turns else 1)


REASONS = {"fix": "the words it corrects are no longer in the recording",
           "insert": "the words around it are no longer in the recording"}


def _inside(region: _Region, i1: int, i2: int, j1: int, j2: int) -> bool:
    if j2 > j1:
        return region.edit.start <= j1 and j2 <= region.edit.stop
    return region.base.start <= i1 and i2 <= region.base.stop


def _machine_turns(words: list[Planned]) -> list[Planned]:
    """Machine-only words (turn -1) join the editor's turn around them, or form turns of their own."""
    speakers = {w.turn: w.speaker for w in words if w.turn >= 0}
    edit_turns = [w.turn if w.turn >= 0 else None for w in words]
    before, after = _carry(edit_turns), _carry(edit_turns[::-1])[::-1]
    result, own = list(words), -1
    for i, word in enumerate(words):
        if word.turn >= 0:
            continue
        if before[i] is not None and before[i] == after[i]:
            result[i] = replace(word, turn=before[i], speaker=speakers[before[i]])
            continue
        if i == 0 or result[i - 1].turn >= 0 or result[i - 1].speaker != word.speaker:
            own -= 1
        result[i] = replace(word, turn=own)
    return result


def _carry(values: list[int | None]) -> list[int | None]:
    """values[i] replaced by the last value that is not None before i."""
    result, last = [], None
    for value in values:
        result.append(last)
        if value is not None:
            last = value
    return result
