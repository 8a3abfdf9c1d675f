"""Word assignment and segment splitting: speaker changes fall between words."""
from __future__ import annotations

from pipeline.speakers import SpeakerTurn, assign_words, split_segments
from pipeline.core.transcript import Segment, Word


def word(text: str, start: float, end: float) -> Word:
    return Word(text, start, end, 0.9)


def segment(*words: Word) -> Segment:
    return Segment(words[0].start, words[-1].end, " ".join(w.text for w in words), tuple(words))


TURNS = (SpeakerTurn(0.0, 2.0, "SPEAKER_1"), SpeakerTurn(2.2, 4.0, "SPEAKER_2"))


def test_each_word_goes_to_the_turn_it_falls_in():
    words = [word("hello", 0.1, 0.5), word("there", 0.6, 1.0), word("yes", 2.3, 2.6)]
    assert assign_words(words, TURNS) == ("SPEAKER_1", "SPEAKER_1", "SPEAKER_2")


def test_a_word_across_a_change_goes_to_whoever_talks_most_during_it():
    assert assign_words([word("straddling", 1.5, 2.6)], TURNS) == ("SPEAKER_1",)  # 0.5 s against 0.4 s
    assert assign_words([word("straddling", 1.9, 2.8)], TURNS) == ("SPEAKER_2",)  # 0.1 s against 0.6 s


def test_in_overlap_a_tie_keeps_the_previous_speaker():
    turns = (SpeakerTurn(0.0, 3.0, "SPEAKER_1"), SpeakerTurn(1.0, 3.0, "SPEAKER_2"))
    words = [word("one", 0.2, 0.6), word("two", 1.5, 1.9), word("three", 2.0, 2.4)]
    assert assign_words(words, turns) == ("SPEAKER_1",) * 3


def test_a_word_in_a_gap_goes_to_the_nearest_turn_within_reach():
    words = [word("between", 2.13, 2.16), word("far", 9.0, 9.5), word("instant", 1.0, 1.0)]
    assert assign_words(words, TURNS) == ("SPEAKER_2", None, "SPEAKER_1")


def test_a_segment_spanning_a_change_is_split_at_the_word_where_it_happens():
    seg = segment(word("so", 1.2, 1.4), word("true.", 1.5, 1.9), word("Indeed", 2.3, 2.7), word("it", 2.8, 3.0))
    parts = split_segments([seg], TURNS, names={"SPEAKER_1": "host", "SPEAKER_2": "guest"})
    assert [(p.speaker, p.text, p.start, p.end) for p in parts] == [
        ("host", "so true.", 1.2, 1.9), ("guest", "Indeed it", 2.3, 3.0)]
    assert [len(p.words) for p in parts] == [2, 2]


def test_a_segment_of_one_speaker_stays_whole_and_unnamed_labels_stay():
    seg = segment(word("all", 0.1, 0.3), word("mine", 0.4, 0.8))
    (part,) = split_segments([seg], TURNS)
    assert (part.speaker, part.text, part.words) == ("SPEAKER_1", "all mine", seg.words)


def test_a_segment_without_words_gets_the_speaker_of_its_span():
    seg = Segment(2.4, 3.5, "[music]", ())
    assert split_segments([seg], TURNS)[0].speaker == "SPEAKER_2"


def test_a_diarization_survives_its_json_form():
    from pipeline.speakers import Diarization

    result = Diarization(TURNS, ("SPEAKER_1", "SPEAKER_2"), ((0.6, 0.8), ()), 4.0, 1.2)
    back = Diarization.from_dict(result.to_dict())
    assert (back.turns, back.labels, back.voices, back.duration) == (TURNS, result.labels, result.voices, 4.0)
