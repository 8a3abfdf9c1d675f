"""Proposals, never silent cuts: what an editor may want to strike, found in the machine transcript.

- repeated words and false starts Whisper wrote ("the the", "we- we went", "in the in the");
- pauses between words longer than `[audio] max_pause_s`;
- stretches of speech without words (often fillers Whisper left out).
Each gives its time (of the cut, as the editing file's turn times count) and the
words around it. The review file lists them on every build; the editing file
gets them as comments when it is written.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Sequence

from ..core.timecode import format_timecode
from ..core.transcript import Coverage, Word

CONTEXT_WORDS = 4  # words shown either side of a proposal
MAX_REPEAT_WORDS = 3  # longest run of words checked for an immediate repeat ("in the in the")


@dataclass(frozen=True)
class Proposal:
    at: float  # seconds of the cut
    what: str  # "repeated words", "pause of 3.2 s", "speech without words"
    text: str  # the words around it, the proposed ones between ~~ ~~ (or "|" at a pause)

    def line(self) -> str:
        return f"[{format_timecode(self.at, millis=False)}] {self.what}: {self.text}"


def _key(word: str) -> str:
    """What a word is, for a repeat: case and punctuation ignored (as the merge compares words)."""
    text = unicodedata.normalize("NFC", word).casefold()
    return re.sub(r"[\W_]+", "", text)


def _around(words: list[str], lo: int, hi: int, mark: str = "~~") -> str:
    """words[lo:hi] between marks, with CONTEXT_WORDS either side."""
    lead = words[max(0, lo - CONTEXT_WORDS):lo]
    inner = f"{mark}{' '.join(words[lo:hi])}{mark}" if hi > lo else mark
    return " ".join([*lead, inner, *words[hi:hi + CONTEXT_WORDS]])


def _repeats(texts: list[str], starts: list[float]) -> list[Proposal]:
    keys, found, i = [_key(t) for t in texts], [], 0
    while i < len(keys):
        for size in range(1, MAX_REPEAT_WORDS + 1):
            first, second = keys[i:i + size], keys[i + size:i + 2 * size]
            if len(second) == size and first == second and all(first):
                kind = "false start" if texts[i + size - 1].rstrip().endswith(("-", "—")) else "repeated words"
                found.append(Proposal(starts[i], kind, _around(texts, i, i + size)))
                i += size - 1
                break
        i += 1
    return found


def proposals(shown: Sequence[Word], max_pause_s: float, coverage: Coverage | None) -> list[Proposal]:
    """Every proposal among the machine's words (as the editing file shows them), in time order."""
    texts, starts = [w.text for w in shown], [w.start for w in shown]
    found = _repeats(texts, starts)
    for i in range(1, len(shown)):
        gap = shown[i].start - shown[i - 1].end
        if gap > max_pause_s:
            found.append(Proposal(shown[i - 1].end, f"pause of {gap:.1f} s", _around(texts, i, i, "|")))
    for stretch in (coverage.without_words if coverage else ()):
        i = next((k for k, w in enumerate(shown) if w.start >= stretch.start), len(shown))
        found.append(Proposal(stretch.start, f"speech without words ({stretch.duration:.1f} s)",
                              _around(texts, i, i, "|")))
    return sorted(found, key=lambda p: p.at)


def proposal_notes(shown: Sequence[Word], max_pause_s: float, coverage: Coverage | None) -> list[str]:
    """The editing file's comment block: one note per proposal (none: no block)."""
    found = proposals(shown, max_pause_s, coverage)
    if not found:
        return []
    return ["Proposals: strike what should go with ~~ ... ~~ (never cut by the build):",
            *(f"Proposal {p.line()}" for p in found)]


def proposal_lines(shown: Sequence[Word], max_pause_s: float, edit: str, coverage: Coverage | None) -> list[str]:
    """The review file's section: proposals among the words still there (not struck, not deleted)."""
    found = proposals(shown, max_pause_s, coverage)
    if not found:
        return []
    return ["", f"Proposed cuts ({len(found)}); to accept one, strike its words in {edit} (~~ ... ~~):",
            *(f"  {p.line()}" for p in found)]
