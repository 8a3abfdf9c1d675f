"""Course-wide replacements: "always write it this way" rules from edits/replacements.toml.

The file is TOML with two tables of `"as the machine writes it" = "as it must be written"`:

    [replace]                 # upper/lower case on the left is ignored
    "Malmo" = "Malmö"
    "smart-city" = "smart city"
    "Anna Lindkvist" = "Anna Lindqvist"

    [replace_exact_case]      # the left side must match exactly, case included;
    "IT" = "information technology"   # the right side is written exactly as given

Rules match whole words only ("Malmo" changes "Malmo's" and "(Malmo," but not
"Malmoe"), may span several words, and the longest rule wins where two could
match. A replacement with a capital letter in it is written exactly as given; an
all-lower-case replacement keeps the text's shape: ALL CAPS stays all caps, and a
capital at the start of a sentence stays a capital ("Smart City is" -> "Smart city
is", "the Smart City" -> "the smart city"). Every change is reported: which rule
changed what, and at which word.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence, TypeVar

from ..core.errors import StageError
from ..core.paths import require_file
from ..core.text import SENTENCE_END, first_control, shown

TABLES = {"replace": False, "replace_exact_case": True}  # table -> whether case must match
T = TypeVar("T")


@dataclass(frozen=True)
class Rule:
    find: str  # the words as the machine writes them
    replace: str  # how they must be written
    exact_case: bool = False  # True: `find` must match case too

    @property
    def label(self) -> str:
        return f'"{self.find}" → "{self.replace}"'


@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...]  # longest `find` first
    source: str = ""  # the file they came from ("" when none)
    pattern: re.Pattern | None = None  # every rule as one alternation, group i+1 = rules[i]


@dataclass(frozen=True)
class Change:
    rule: Rule  # the rule that applied
    before: str  # the text it matched
    after: str  # what it wrote
    index: int  # position of the first word it touched, in the sequence it was applied to


@dataclass(frozen=True)
class Span:
    start: int  # first word replaced (index into the input sequence)
    end: int  # one past the last word replaced
    words: tuple[str, ...]  # the words written instead
    changes: tuple[Change, ...]  # the rule applications inside this span


NO_RULES = Rules(())


def _compile(rules: list[Rule]) -> re.Pattern | None:
    if not rules:
        return None
    parts = []
    for rule in rules:  # one capturing group per rule, so match.lastindex names the rule
        body = r"\s+".join(re.escape(w) for w in rule.find.split())
        parts.append(f"({body})" if rule.exact_case else f"((?i:{body}))")
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")


def make_rules(pairs: Sequence[tuple[str, str, bool]], source: str = "") -> Rules:
    """Rules from (find, replace, exact_case) triples, longest `find` first."""
    rules = sorted((Rule(" ".join(f.split()), " ".join(r.split()), e) for f, r, e in pairs),
                   key=lambda r: (-len(r.find), r.find))
    return Rules(tuple(rules), source, _compile(rules))


def load_rules(path: Path, root: Path | None = None) -> Rules:
    """Read the replacements file; no file means no rules. StageError names the file and the problem."""
    path = Path(path)
    name = str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)
    require_file(path, name, inside=root, what="replacements file")  # a FIFO, a folder, a link out: refused
    if not os.path.lexists(path):
        return NO_RULES
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as e:
        raise StageError(f"{name}: not UTF-8 text ({e.reason}); save it as UTF-8") from e
    except tomllib.TOMLDecodeError as e:
        raise StageError(f'{name}: not valid TOML: {e}; write one rule a line: "Malmo" = "Malmö"') from e
    return make_rules(_pairs(raw, name), name)


def _pairs(raw: dict, name: str) -> list[tuple[str, str, bool]]:
    problems, pairs = [], []
    for table, value in raw.items():
        if table not in TABLES or not isinstance(value, dict):
            problems.append(f"[{table}] is not a rules table; use [replace] or [replace_exact_case]")
            continue
        for find, replace in value.items():
            if not isinstance(replace, str) or not replace.strip():
                problems.append(f'[{table}] "{find}": the replacement must be text, e.g. "{find}" = "..."')
            elif not re.search(r"\w", find):
                problems.append(f'[{table}] "{find}": a rule must contain a word')
            elif char := first_control(find + replace):
                problems.append(f'[{table}] "{shown(find)}": contains the control character {char}, which no '
                                "caption may carry; remove it")
            else:
                pairs.append((find, replace, TABLES[table]))
    if problems:
        raise StageError(shown(f"{name}: " + "; ".join(problems)))
    return pairs


# -- applying rules to a sequence of words ---------------------------------------------
def _shape(rule: Rule, matched: str, sentence_start: bool) -> str:
    """The replacement written with the matched text's case, as the module docstring says."""
    out = rule.replace
    if rule.exact_case or any(c.isupper() for c in out):
        return out
    letters = [c for c in matched if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return out.upper()
    if sentence_start and letters and letters[0].isupper():
        return out[:1].upper() + out[1:]
    return out


def find_spans(words: Sequence[str], rules: Rules, runs: Sequence[int] | None = None) -> list[Span]:
    """Where the rules change `words`. A match never crosses from one run (e.g. a segment) to the next."""
    if rules.pattern is None or not words:
        return []
    runs = list(runs) if runs is not None else [0] * len(words)
    spans: list[Span] = []
    first = 0
    for last in range(1, len(words) + 1):
        if last == len(words) or runs[last] != runs[first]:
            spans.extend(_run_spans(words, first, last, rules))
            first = last
    return spans


def _run_spans(words: Sequence[str], first: int, last: int, rules: Rules) -> list[Span]:
    offsets, position = [], 0
    for word in words[first:last]:
        offsets.append(position)
        position += len(word) + 1
    text = " ".join(words[first:last])
    edits: list[tuple[int, int, int, int, str, Change]] = []  # (a, b, char start, char end, out, change)
    for match in rules.pattern.finditer(text):
        rule = rules.rules[match.lastindex - 1]
        a = _word_at(offsets, match.start())
        b = _word_at(offsets, match.end() - 1)
        starts = match.start() == offsets[a]
        out = _shape(rule, match.group(0), starts and _sentence_start(words, first + a))
        if out != match.group(0):
            edits.append((a, b, match.start(), match.end(), out, Change(rule, match.group(0), out, first + a)))
    return _merge_edits(text, offsets, words, first, edits)


def _word_at(offsets: list[int], char: int) -> int:
    index = 0
    while index + 1 < len(offsets) and offsets[index + 1] <= char:
        index += 1
    return index


def _sentence_start(words: Sequence[str], index: int) -> bool:
    return index == 0 or bool(SENTENCE_END.search(words[index - 1]))


def _merge_edits(text, offsets, words, first, edits) -> list[Span]:
    """Group matches touching the same words into one span, and rewrite each span's words."""
    spans: list[Span] = []
    groups: list[list] = []
    for edit in edits:
        if groups and edit[0] <= groups[-1][-1][1]:
            groups[-1].append(edit)
        else:
            groups.append([edit])
    for group in groups:
        a, b = group[0][0], max(e[1] for e in group)
        lo, hi = offsets[a], offsets[b] + len(words[first + b])
        pieces, cursor = [], lo
        for _, _, start, end, out, _ in group:
            pieces += [text[cursor:start], out]
            cursor = end
        pieces.append(text[cursor:hi])
        spans.append(Span(first + a, first + b + 1, tuple("".join(pieces).split()), tuple(e[5] for e in group)))
    return spans


def rewrite(items: Sequence[T], spans: Sequence[Span],
            make: Callable[[Sequence[T], tuple[str, ...]], list[T]]) -> list[T]:
    """`items` with each span's items replaced by `make(old items, new words)`."""
    result: list[T] = []
    cursor = 0
    for span in spans:
        result.extend(items[cursor:span.start])
        result.extend(make(items[span.start:span.end], span.words))
        cursor = span.end
    result.extend(items[cursor:])
    return result


def apply_to_words(words: Sequence[str], rules: Rules) -> tuple[list[str], list[Change]]:
    """Plain words in, rewritten words and the changes out (one run)."""
    spans = find_spans(words, rules)
    new = rewrite(list(words), spans, lambda old, replacement: list(replacement))
    return new, [c for s in spans for c in s.changes]
