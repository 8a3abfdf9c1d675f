"""The glossary never replaces a real word (issue 20): the false-positive set (benchmarks/glossary_check.py)
counts every word respelled into a roster name that looks like a word; names made right are counted on the
conversational set (test_conversation.py) and by `make bench`.
"""
from __future__ import annotations

import pytest

from benchmarks import glossary_check
from benchmarks.speech import multilingual
from paths import SPEECH
from pipeline.core.transcript import Segment, Word
from pipeline.transcribe import glossary


def test_the_portuguese_verb_is_not_respelled_into_a_speakers_name():
    roster = glossary_check.roster()
    assert "A reader" in roster
    said = multilingual("pt").with_suffix(".txt").read_text(encoding="utf-8").strip()  # tests/speech
    assert "aprender" in said  # "Uma raposa velha não consegue aprender nenhum ofício."
    assert glossary.correct_text(said, roster, sound=False, language="pt") == said
    # the same roster still respells a near miss that is no word ("Lundh" is a surname in Swedish lists only)
    assert glossary.correct_text("Mikhail Lindkvist och Astrid Bergstrom", roster, sound=False,
                                 language="sv") == "Mikael Lindqvist och Astrid Bergström"


@pytest.mark.parametrize("said, expected", [
    ("We stand on the land and bring the roses.", "We stand on the land and bring the roses."),  # common words
    ("They left the stranded boat.", "They left the stranded boat."),  # "stranded" holds "Strand" and more
    ("Astrid Bergstrom and Ingred Sorensen came.", "Astrid Bergström and Ingrid Sørensen came."),  # names, rare
])
def test_words_that_look_like_roster_names_stay_words(said, expected):
    assert glossary.correct_text(said, glossary_check.roster(), language="en") == expected


def _segment(text: str, probability: float) -> Segment:
    words = tuple(Word(w, i * 0.5, i * 0.5 + 0.4, probability) for i, w in enumerate(text.split()))
    return Segment(words[0].start, words[-1].end, text, words)


def test_a_confident_hearing_that_only_sounds_like_a_term_is_left_alone():
    # "Krilter" matches "Quilter" by sound only (spelling ratio 71 < STRING_SCORE): tiny.en heard it at 0.6
    unsure, _ = glossary.correct_segments([_segment("said Krilter today", 0.6)], ["Quilter"], language="en")
    sure, fixes = glossary.correct_segments([_segment("said Krilter today", glossary.CONFIDENT)], ["Quilter"],
                                            language="en")
    assert unsure[0].text == "said Quilter today"
    assert sure[0].text == "said Krilter today" and fixes == ()
    # a near spelling is respelled however confident ("Guttenberg", heard at 0.35-0.67)
    near, _ = glossary.correct_segments([_segment("said Guttenberg today", 0.99)], ["Gutenberg"], language="en")
    assert near[0].text == "said Gutenberg today"
    # "stared" (Zipf 3.6, under COMMON_ZIPF) sounds like "Strand": left alone when heard confidently
    stared, _ = glossary.correct_segments([_segment("they stared at us", 0.95)], ["Strand"], language="en")
    assert stared[0].text == "they stared at us"


def test_a_language_without_a_word_list_still_gets_names_respelled():
    assert glossary._lexicon("xx") is None and glossary._lexicon("en-GB") is not None
    assert glossary._lexicon("no") is not None  # Whisper's Norwegian is wordfreq's "nb"
    assert glossary.correct_text("Swain Heim printed", ["Sweynheim"], language="xx") == "Sweynheim printed"


def test_no_common_word_of_eleven_languages_is_respelled_into_a_false_friend():
    wrong = glossary_check.wrong_in_lexicon()
    assert wrong == [], wrong[:20]  # 5000 words each of en sv da nb fi de es fr it pt nl: 56 before issue 20


@pytest.mark.real_speech
def test_no_word_of_the_real_speech_references_is_respelled_into_a_false_friend():
    items = glossary_check.texts(SPEECH)  # the repository's own (it, pt) even without ../shared
    assert {"it", "pt"} <= {t.language for t in items}
    assert glossary_check.wrong_in_texts(items) == []
    if not SPEECH.is_dir():
        pytest.skip(f"real speech not available: {SPEECH} is missing (../shared/speech is not beside the repo)")
    assert {t.language for t in items} >= {"en", "de", "es", "fr", "it", "pt"} and len(items) >= 46
    assert sum(len(t.text.split()) for t in items) >= 1000
