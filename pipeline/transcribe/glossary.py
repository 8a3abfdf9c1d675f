"""The glossary without the prompt's cost: near-miss spellings of roster names and terms, corrected after decoding.

Whisper is decoded without a prompt, and then every run of 1-3 words that looks or
sounds like a name of the roster or a term of the vocabulary is respelled
("Swain Heim" -> "Sweynheim", "Guttenberg" -> "Gutenberg"). Matching is on letters
only, lower case: a candidate is replaced when it looks like the term (rapidfuzz
ratio >= STRING_SCORE) or, in English, sounds like it (metaphone codes' ratio >=
SOUND_SCORE with a looser spelling ratio >= LOOSE_STRING_SCORE).

Why not the prompt: with "Glossary: <names>." before every window, tiny.en ends
windows early and jumps over whole turns of a conversation (19.5 % WER against 6.1 %
on the conversational set, 92 % of the speech covered against 99.5 %); correcting
after decoding got 36 of 37 names right (the prompt 35, nothing at all 10), with no
wrong correction over every test set and a 24-entry vocabulary. See the README.

A real word is never respelled (issue 20: "consegue aprender nenhum" became "consegue A reader
nenhum"). A candidate is left alone when it is a common word of the episode's language (every
word of it at least COMMON_ZIPF on wordfreq's Zipf scale, the lists shipped in the wheel), when
it is a word (KNOWN_ZIPF) that holds the whole term ("roses", "stranded"), or when Whisper heard
it with at least CONFIDENT probability and it only sounds like the term (its spelling ratio under
STRING_SCORE). The false-positive set (benchmarks/glossary_check.py: every
reference text and Whisper transcript of ../shared/speech, respelled with a roster of names that
look like words) counts what this leaves wrong; the conversational set what it still makes right.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from ..core.transcript import Segment, TermFix, Transcript

STRING_SCORE = 80.0  # rapidfuzz ratio (0-100) of the letters from which a candidate is a near miss
SOUND_SCORE = 85.0  # ratio of the metaphone codes from which a candidate sounds like the term
LOOSE_STRING_SCORE = 65.0  # the spelling ratio a candidate that sounds right still needs
MIN_LETTERS = 4  # letters a candidate and a term need at least (short words match too much)
MAX_NGRAM = 3  # words a candidate spans at most ("Swain Heim", "Sub, Yako")
LENGTH_RATIO = (0.75, 1.35)  # candidate letters / term letters allowed ("quilt" is not "Quilter")
JOINED_LENGTH_RATIO = (0.8, 1.2)  # the same for a candidate of 2+ words ("quilt here" is not "Quilter")
EXACT = 200.0  # score of a candidate already spelled right: it blocks weaker matches over it
COMMON_ZIPF = 4.0  # wordfreq Zipf value (log10 of uses per billion words) from which a word is common: never
#                   respelled ("stand" 5.1, "aprender" in pt 5.0; names made right from "mains" 3.5, "Basil" 3.7:
#                   3.0 loses 5 of the 36 names; a word that only sounds like the term and is known at all
#                   (>= 2.5) loses "mains", 3 names, measured)
KNOWN_ZIPF = 2.5  # Zipf value from which a word that holds the whole term ("roses", "stranded") is a word, not it
CONFIDENT = 0.9  # Whisper's word probability from which a word that only sounds like a term is left alone
#                  (the sound-only matches made right were heard at 0.3-0.6; 73 % of all words are >= 0.9)
WORDFREQ_LANGUAGE = {"no": "nb", "nn": "nb"}  # Whisper's code -> wordfreq's, where they differ
STOPWORDS = frozenset(  # never part of a candidate: these are words, not misheard names
    "a an and are as at be but by for from had has have he her his i in is it its of on or our she so that "
    "the their them they this to was we were what when which who will with you your".split())


def _letters(text: str) -> str:
    return re.sub(r"[^a-zà-öø-ÿ]", "", text.lower())


TITLES = {"dr", "doctor", "prof", "professor", "mr", "mrs", "ms", "mx", "sir", "dame"}  # before a name, often unsaid


def without_title(name: str) -> str:
    """'Dr. Ingrid Sørensen' -> 'Ingrid Sørensen': a respelled name must not add a title nobody said
    ("today's Doctor Ingred Sorensen" became "Doctor Dr. Ingrid Sørensen")."""
    words = name.split()
    while len(words) > 1 and words[0].rstrip(".").lower() in TITLES:
        words = words[1:]
    return " ".join(words)


def _is_word(token: str) -> bool:
    """A token made of letters (with punctuation): numbers like "1465," are never part of a name."""
    return bool(_letters(token)) and not re.search(r"\d", token)


@lru_cache(maxsize=8)
def _lexicon(language: str):
    """wordfreq's Zipf lookup for `language` (a Whisper code), or None where wordfreq has no list for it."""
    from wordfreq import available_languages, zipf_frequency

    base = language.split("-")[0].lower()  # "en-GB" -> "en"
    code = WORDFREQ_LANGUAGE.get(base, base)
    return (lambda word: zipf_frequency(word, code)) if code in available_languages() else None


def is_common(words: Sequence[str], language: str, zipf: float = COMMON_ZIPF) -> bool:
    """True when every word is a word of `language` used at least `zipf` (wordfreq's Zipf scale)."""
    lexicon = _lexicon(language)
    return lexicon is not None and all(lexicon(_letters(w)) >= zipf for w in words)


def _accept(candidate: str, term: str, count: int, sound: bool) -> tuple[float, float] | None:
    """(spelling score, sound score) when `candidate` is a near miss of `term`, else None."""
    if candidate == term or min(len(candidate), len(term)) < MIN_LETTERS:
        return None
    low, high = LENGTH_RATIO if count == 1 else JOINED_LENGTH_RATIO
    if not low <= len(candidate) / len(term) <= high:
        return None
    import jellyfish
    from rapidfuzz import fuzz

    string = fuzz.ratio(candidate, term)
    if string < min(STRING_SCORE, LOOSE_STRING_SCORE):
        return None
    sounds = fuzz.ratio(jellyfish.metaphone(candidate), jellyfish.metaphone(term)) if sound else 0.0
    if string >= STRING_SCORE or (sounds >= SOUND_SCORE and string >= LOOSE_STRING_SCORE):
        return string, sounds
    return None


def _partly_right(said: list[str], own: list[str]) -> bool:
    """A name said partly right ("know Virtanen" for "Aino Virtanen"): the words around the right one must
    each look like the term's own, or the candidate is another word beside a surname."""
    if not set(said) & set(own):
        return False
    from rapidfuzz import fuzz

    return len(said) != len(own) or any(fuzz.ratio(a, b) < LOOSE_STRING_SCORE for a, b in zip(said, own))


def _left_alone(words: Sequence[str], probabilities: Sequence[float] | None, spelling: float, language: str,
                candidate: str, key: str) -> bool:
    """A real word, a word made of the term and more ("roses", "arose" for Rose), or a confident hearing that
    only sounds like the term: never respelled."""
    if probabilities is not None and min(probabilities) >= CONFIDENT and spelling < STRING_SCORE:
        return True
    if key in candidate and is_common(words, language, KNOWN_ZIPF):
        return True
    return is_common(words, language)


def _candidates(words: Sequence[str], terms: Sequence[str], sound: bool, language: str,
                probabilities: Sequence[float] | None):
    keys = {t: (_letters(t), [_letters(w) for w in t.split()]) for t in terms}
    heard = None if probabilities is None else list(probabilities)
    letters = [_letters(w) for w in words]
    usable = [bool(k) and k not in STOPWORDS and _is_word(w) for k, w in zip(letters, words)]
    for start in range(len(words)):
        for count in range(1, MAX_NGRAM + 1):
            if start + count > len(words) or not all(usable[start:start + count]):
                break
            said = letters[start:start + count]
            candidate = "".join(said)
            for term, (key, own) in keys.items():
                if candidate == key:
                    yield EXACT * 2, start, count, term
                elif _partly_right(said, own):
                    continue
                elif (scores := _accept(candidate, key, count, sound)) is not None and not _left_alone(
                        words[start:start + count], None if heard is None else heard[start:start + count],
                        scores[0], language, candidate, key):
                    yield sum(scores), start, count, term


def corrections(words: Sequence[str], terms: Sequence[str], *, sound: bool = True, language: str = "en",
                probabilities: Sequence[float] | None = None) -> list[tuple[int, int, str]]:
    """(first word, words replaced, the term's spelling) for every near miss, best first, none overlapping.
    `probabilities`: Whisper's for each word (None for a text: nothing counts as heard confidently)."""
    taken: set[int] = set()
    found = []
    candidates = _candidates(words, terms, sound, language, probabilities)
    for score, start, count, term in sorted(candidates, key=lambda c: (-c[0], c[1])):
        span = set(range(start, start + count))
        if taken & span:
            continue
        taken |= span
        if score < EXACT * 2:
            found.append((start, count, term))
    return sorted(found)


def correct_text(text: str, terms: Sequence[str], *, sound: bool = True, language: str = "en") -> str:
    """`text` with near misses of `terms` respelled (for tests and the benchmark)."""
    words = text.split()
    for start, count, term in reversed(corrections(words, terms, sound=sound, language=language)):
        words[start:start + count] = [term + _tail(words[start + count - 1])]
    return " ".join(words)


def _tail(word: str) -> str:
    """The punctuation a word ends with, kept after the respelled name ("Subiackel," -> "Subiaco,")."""
    return re.search(r"[^\w]*$", word).group(0)


def correct_segments(segments: Sequence[Segment], terms: Sequence[str], *, sound: bool = True,
                     language: str = "en") -> tuple[tuple[Segment, ...], tuple[TermFix, ...]]:
    """Every segment with near misses of `terms` respelled; a name spread over words keeps the first
    word's start and the last one's end. Names are matched within a segment."""
    if not terms:
        return tuple(segments), ()
    result, fixes = [], []
    for segment in segments:
        found = corrections([w.text for w in segment.words], terms, sound=sound, language=language,
                            probabilities=[w.probability for w in segment.words])
        if not found:
            result.append(segment)
            continue
        words = list(segment.words)
        for start, count, term in reversed(found):
            first, last = words[start], words[start + count - 1]
            fixes.append(TermFix(first.start, " ".join(w.text for w in words[start:start + count]), term))
            words[start:start + count] = [replace(first, text=term + _tail(last.text), end=last.end,
                                                  probability=min(w.probability for w in words[start:start + count]))]
        result.append(replace(segment, words=tuple(words), text=" ".join(w.text for w in words)))
    return tuple(result), tuple(sorted(fixes, key=lambda f: f.at))


def respell(transcript: Transcript, terms: Sequence[str]) -> Transcript:
    """`transcript` with near misses of `terms` respelled and each respelling recorded (term_fixes)."""
    segments, fixes = correct_segments(transcript.segments, terms, sound=transcript.language == "en",
                                       language=transcript.language)
    return replace(transcript, segments=segments, term_fixes=tuple(sorted((*transcript.term_fixes, *fixes),
                                                                          key=lambda f: f.at)))
