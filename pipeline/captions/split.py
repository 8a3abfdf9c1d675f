"""Splitting a transcript's timed words into broadcast-style caption cues.

The rules come from CaptionSettings: lines of at most 42 characters, at most 2
lines a cue, 0.83-7 s on screen, 2 frames between cues, 17 characters a second
where the speech allows (a cue stays up into the silence after it, never into
the next cue). Where to break is chosen by a small dynamic programme over the
words: sentence ends first, then commas and other clause ends, then before a
conjunction or preposition, with balanced lines; never inside a name (the
names passed in, and runs of capitalised words), always at a speaker change
and at a long pause.

Web players ignore WebVTT's <v Name> voice tags, so the first cue of every
speaker turn starts with a visible label: "Name: " (the display name), or "- "
where an unknown speaker takes over or the name leaves no room for the first
word. The label is glued to the turn's first word, so it is never parted from
it nor broken, and it counts toward line length and reading speed like any text.
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from typing import Sequence

from ..core.settings import CaptionSettings
from ..core.text import SENTENCE_END
from ..core.transcript import Transcript, Word
from .lint import MS_PER_S, SPEAKER_DASH, Cue, min_gap_ms, reading_chars, speaker_label, to_ms

LONG_PAUSE_S = 1.5  # seconds of silence that always end a cue

# Costs of breaking between two words, lower is better (a cue break and a line break alike).
COST_SENTENCE_END = 0.0  # after . ? ! …
COST_CLAUSE_END = 1.0  # after , ; : or a dash
COST_BEFORE_LINKER = 2.5  # before a conjunction or preposition
COST_ANYWHERE = 5.0  # between two ordinary words
COST_AFTER_LINKER = 8.0  # after an article, preposition, conjunction or possessive ("the | city")
COST_DANGLING_START = 4.0  # added after a lone word that opens a sentence ("...today. So | we")
COST_PER_CUE = 2.0  # favours fewer, fuller cues
COST_LINE_FACTOR = 0.8  # a line break matters a little less than a cue break
COST_UNBALANCED = 3.0  # for two lines of maximally different length
COST_PER_SECOND_SHORT = 20.0  # per second a cue misses its reading time or minimum duration
COST_OVERFULL_UNIT = 100.0  # a single word or name longer than a line (placed anyway)

LINKERS = frozenset(
    "and but or nor so yet because although though while whereas if unless until when where whether "
    "that which who whom whose than as of in on at to for from with by about into onto over under "
    "between through during without within against among across after before since like".split()
)
LINE_END_AVOID = LINKERS | frozenset("a an the my your his her its our their this these those".split())
CONTRACTED_IS = frozenset("it's that's there's here's he's she's what's who's where's how's let's".split())
PRONOUN_I = frozenset({"i", "i'm", "i've", "i'll", "i'd", "i’m", "i’ve", "i’ll", "i’d"})
ABBREVIATIONS = frozenset({"mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "e.g.", "i.e.", "vs."})
_CLAUSE_END = re.compile(r"[,;:\-–—][\"'”’)\]]*$")
_EDGE_PUNCT = re.compile(r"^[^\w]+|[^\w]+$")
_ATTACHES = re.compile(r"^(?:[-'’]\w|[,.;:!?%)\]”]+$)")  # Whisper's space-less pieces: "-substantial", "'s", ","

# -- units: the words a break may never fall inside -----------------------------------
@dataclass(frozen=True)
class _Unit:
    text: str  # its words, joined by spaces where they were spoken apart
    start: float  # seconds: first word's start
    end: float  # seconds: last word's end
    speaker: str | None
    first: str  # first word, for break costs
    last: str  # last word, for break costs
    size: int  # number of words


def _normal(word: str) -> str:
    word = _EDGE_PUNCT.sub("", word.lower())
    return re.sub(r"['’]s$", "", word)


def _capitalised(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return bool(letters) and letters[0].isupper() and word.lower() not in PRONOUN_I


def _possessive(word: str) -> bool:
    """'beauty's', 'Anna's' (not 'it's'): the noun it belongs to should stay on its line."""
    word = word.lower().replace("’", "'")
    return word.endswith("'s") and word not in CONTRACTED_IS


def _ends_sentence(word: str) -> bool:
    return bool(SENTENCE_END.search(word)) and word.lower() not in ABBREVIATIONS


def _speaker_words(transcript: Transcript) -> list[tuple[Word, str | None]]:
    """Words in order with their speaker; empty words dropped, starts made non-decreasing."""
    result: list[tuple[Word, str | None]] = []
    floor = 0.0
    for segment in transcript.segments:
        for word in segment.words:
            text = word.text.strip()
            if text:
                start = max(word.start, floor)
                result.append((dataclasses.replace(word, text=text, start=start, end=max(word.end, start)),
                               segment.speaker))
                floor = start
    return result


def _parted(speaker_a: str | None, end_a: float, speaker_b: str | None, start_b: float) -> bool:
    """Must a cue end here? At every speaker change and every long pause."""
    return speaker_a != speaker_b or start_b - end_a >= LONG_PAUSE_S


def _name_spans(words: list[tuple[Word, str | None]], names: Sequence[str]) -> list[bool]:
    """glue[i] is True when word i and word i+1 belong to one name and may not be parted."""
    glue = [False] * len(words)
    keys = [_normal(w.text) for w, _ in words]
    for name in names:
        parts = [_normal(p) for p in name.split() if _normal(p)]
        for i in range(len(words) - len(parts) + 1):
            if len(parts) > 1 and keys[i:i + len(parts)] == parts:
                glue[i:i + len(parts) - 1] = [True] * (len(parts) - 1)
    for i in range(len(words) - 1):
        this, nxt = words[i][0].text, words[i + 1][0].text
        if _capitalised(this) and _capitalised(nxt) and not SENTENCE_END.search(this) \
                and not _CLAUSE_END.search(this) or this.lower() in ABBREVIATIONS and _capitalised(nxt):
            glue[i] = True
    return glue


def _join(words: Sequence[Word]) -> str:
    """Words as text: a space before each, except before a piece that attaches ("self" + "-substantial")."""
    return "".join(("" if i == 0 or _ATTACHES.match(w.text) else " ") + w.text for i, w in enumerate(words))


def _units(words: list[tuple[Word, str | None]], names: Sequence[str], max_chars: int) -> list[_Unit]:
    """Words grouped into units: a name, or a word with the pieces that attach to it."""
    glue = _name_spans(words, names)
    groups: list[list[tuple[Word, str | None]]] = []
    for i, item in enumerate(words):
        attached = i > 0 and words[i - 1][1] == item[1] and _ATTACHES.match(item[0].text)
        named = i > 0 and glue[i - 1] and not _parted(words[i - 1][1], words[i - 1][0].end, item[1], item[0].start)
        if attached or named and len(_join([w for w, _ in groups[-1]] + [item[0]])) <= max_chars:
            groups[-1].append(item)
        else:
            groups.append([item])
    return [_Unit(_join([w for w, _ in g]), g[0][0].start, g[-1][0].end, g[0][1], g[0][0].text, g[-1][0].text,
                  len(g)) for g in groups]


def _labelled(units: list[_Unit], transcript: Transcript, max_chars: int) -> list[_Unit]:
    """Units with each speaker turn's label glued to its first: 'Name: ' or '- ' (see the module's notes)."""
    result = []
    for k, unit in enumerate(units):
        changed = unit.speaker != units[k - 1].speaker if k else unit.speaker is not None
        label = _label(unit, transcript, max_chars) if changed else ""
        result.append(dataclasses.replace(unit, text=label + unit.text))
    return result


def _label(unit: _Unit, transcript: Transcript, max_chars: int) -> str:
    """The speaker's name, unless the speaker is unknown or the name and the first word overfill a line."""
    if unit.speaker is not None:
        named = speaker_label(transcript.speaker_name(unit.speaker))
        if len(named) + len(unit.text) <= max_chars:
            return named
    return SPEAKER_DASH


# -- splitting ------------------------------------------------------------------------
def _break_costs(units: list[_Unit]) -> list[float]:
    """costs[k]: the cost of a break between units k and k+1."""
    costs = []
    for k, (before, after) in enumerate(zip(units, units[1:])):
        lone_opener = k > 0 and _ends_sentence(units[k - 1].last) and before.size == 1 \
            and not _ends_sentence(before.last) and not _CLAUSE_END.search(before.last)
        costs.append(_break_cost(before, after) + (COST_DANGLING_START if lone_opener else 0.0))
    return costs


def _break_cost(before: _Unit, after: _Unit) -> float:
    """The cost of a break between two neighbouring units, from their words alone."""
    if _ends_sentence(before.last):
        return COST_SENTENCE_END
    if _CLAUSE_END.search(before.last):
        return COST_CLAUSE_END
    if _normal(before.last) in LINE_END_AVOID or _possessive(before.last):
        return COST_AFTER_LINKER
    if _normal(after.first) in LINKERS:
        return COST_BEFORE_LINKER
    return COST_ANYWHERE


class _Splitter:
    """Chooses cue and line breaks for one transcript's units by dynamic programming."""

    def __init__(self, units: list[_Unit], settings: CaptionSettings, media_end: float):
        self.units, self.settings, self.media_end = units, settings, media_end
        self.breaks = _break_costs(units)
        self.forced = [_parted(a.speaker, a.end, b.speaker, b.start) for a, b in zip(units, units[1:])]
        self.offsets = [0]
        for unit in units:
            self.offsets.append(self.offsets[-1] + len(unit.text) + 1)
        self._laid: dict[tuple[int, int, int], tuple[float, tuple[int, ...]] | None] = {}

    def chars(self, i: int, j: int) -> int:
        """Characters of units i..j-1 joined by spaces."""
        return self.offsets[j] - self.offsets[i] - 1

    def lines(self, i: int, j: int, count: int) -> tuple[float, tuple[int, ...]] | None:
        """Cheapest way to set units i..j-1 on at most `count` lines: (cost, line starts)."""
        key = (i, j, count)
        if key not in self._laid:
            self._laid[key] = self._lay(i, j, count)
        return self._laid[key]

    def _lay(self, i: int, j: int, count: int) -> tuple[float, tuple[int, ...]] | None:
        if self.chars(i, j) <= self.settings.max_chars_per_line:
            return 0.0, (i,)
        if j - i == 1:
            return COST_OVERFULL_UNIT, (i,)
        if count < 2:
            return None
        best = None
        for k in range(i + 1, j):
            if self.chars(i, k) > self.settings.max_chars_per_line:
                break
            rest = self.lines(k, j, count - 1)
            if rest is not None:
                cost = rest[0] + self.breaks[k - 1] * COST_LINE_FACTOR + self._imbalance(i, k, j)
                if best is None or cost < best[0]:
                    best = (cost, (i,) + rest[1])
        return best

    def _imbalance(self, i: int, k: int, j: int) -> float:
        return COST_UNBALANCED * abs(self.chars(i, k) - self.chars(k, j)) / self.settings.max_chars_per_line

    def cue_cost(self, i: int, j: int) -> float | None:
        """Cost of one cue holding units i..j-1 (no forced break inside), None when its text does not fit."""
        laid = self.lines(i, j, self.settings.max_lines)
        if laid is None:
            return None
        ending = 0.0 if j == len(self.units) or self.forced[j - 1] else self.breaks[j - 1]
        return COST_PER_CUE + ending + laid[0] + self._shortfall(i, j) * COST_PER_SECOND_SHORT

    def _shortfall(self, i: int, j: int) -> float:
        """Seconds the cue falls short of its reading time / minimum duration in the time it could have."""
        start = self.units[i].start
        limit = min(start + self.settings.max_duration_s, self.media_end)
        if j < len(self.units):
            limit = min(limit, self.units[j].start - min_gap_ms(self.settings) / MS_PER_S)
        needed = max(self.chars(i, j) / self.settings.max_cps, self.settings.min_duration_s)  # chars = reading_chars
        return max(0.0, start + needed - limit)

    def split(self) -> list[tuple[int, int]]:
        """The cheapest partition of all units into cues, as (first, end) index pairs."""
        n = len(self.units)
        best: list[tuple[float, int]] = [(0.0, 0)] + [(math.inf, 0)] * n
        for j in range(1, n + 1):
            for i in range(j - 1, -1, -1):
                cost = None if j - i > 1 and self._too_much(i, j) else self.cue_cost(i, j)
                if cost is None:
                    break  # a longer cue ending at j cannot be one either
                if best[i][0] + cost < best[j][0]:
                    best[j] = (best[i][0] + cost, i)
        return self._walk_back(best)

    def _too_much(self, i: int, j: int) -> bool:
        """Units i..j-1 span a forced break (unit i is the one just added) or last too long."""
        return self.forced[i] or self.units[j - 1].end - self.units[i].start > self.settings.max_duration_s

    def _walk_back(self, best: list[tuple[float, int]]) -> list[tuple[int, int]]:
        spans, j = [], len(self.units)
        while j > 0:
            spans.append((best[j][1], j))
            j = best[j][1]
        return spans[::-1]


def split_cues(transcript: Transcript, settings: CaptionSettings, names: Sequence[str] = ()) -> list[Cue]:
    """The transcript's words as timed caption cues, each turn's first labelled with its speaker's name;
    `names` (e.g. speakers' names) are never split."""
    words = _speaker_words(transcript)
    if not words:
        return []
    units = _labelled(_units(words, names, settings.max_chars_per_line), transcript, settings.max_chars_per_line)
    media_end = max(transcript.duration, units[-1].end)
    splitter = _Splitter(units, settings, media_end)
    drafts = []
    for i, j in splitter.split():
        starts = splitter.lines(i, j, settings.max_lines)[1] + (j,)
        lines = tuple(" ".join(u.text for u in units[a:b]) for a, b in zip(starts, starts[1:]))
        drafts.append(Cue(units[i].start, units[j - 1].end, lines, units[i].speaker))
    return _timed(drafts, settings, media_end)


def _timed(drafts: list[Cue], settings: CaptionSettings, media_end: float) -> list[Cue]:
    """Set each cue's end: held for its reading time, never past the next cue's start less the gap."""
    gap, floor, result = min_gap_ms(settings), 0, []
    for index, cue in enumerate(drafts):
        start = max(to_ms(cue.start), floor)
        wanted = max(to_ms(cue.end), start + to_ms(settings.min_duration_s),
                     start + math.ceil(reading_chars(cue) * MS_PER_S / settings.max_cps))
        limits = [start + to_ms(settings.max_duration_s), to_ms(media_end)]
        if index + 1 < len(drafts):
            limits.append(to_ms(drafts[index + 1].start) - gap)
        end = max(min([wanted, *limits]), start + gap)  # a cue squeezed by overlapping speech stays visible
        result.append(dataclasses.replace(cue, start=start / MS_PER_S, end=end / MS_PER_S))
        floor = end + gap
    return result
