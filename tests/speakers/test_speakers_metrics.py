"""DER with a collar and words on the right speaker, on hand-made turns."""
from __future__ import annotations

import pytest

from pipeline.speakers.metrics import Span, der, words_right

REF = (Span(0.0, 10.0, "a"), Span(10.0, 20.0, "b"))


def test_labels_are_mapped_so_a_perfect_answer_under_other_names_scores_zero():
    result = der(REF, [Span(0.0, 10.0, "x"), Span(10.0, 20.0, "y")])
    assert result.der == 0.0 and dict(result.mapping) == {"x": "a", "y": "b"}


def test_missed_confused_and_false_alarm_speech_are_counted_apart():
    result = der(REF, [Span(0.0, 5.0, "x"), Span(5.0, 10.0, "y"), Span(10.0, 22.0, "y")], collar=0.0)
    assert result.miss == pytest.approx(0.0)
    assert result.confusion == pytest.approx(5.0)  # 5-10 s given to b's voice
    assert result.false_alarm == pytest.approx(2.0)  # 20-22 s nobody talks
    assert result.der == pytest.approx(7.0 / 20.0)


def test_the_collar_forgives_boundaries_only():
    late = [Span(0.2, 10.2, "x"), Span(10.2, 20.0, "y")]
    assert der(REF, late, collar=0.25).der == 0.0
    assert der(REF, late, collar=0.0).der == pytest.approx(0.4 / 20.0)


def test_overlap_counts_each_speaker():
    ref = (Span(0.0, 4.0, "a"), Span(2.0, 4.0, "b"))
    assert der(ref, [Span(0.0, 4.0, "x")], collar=0.0).miss == pytest.approx(2.0)


def test_words_right_uses_the_mapping_and_skips_words_without_truth():
    assert words_right(["a", "b", None, "b"], ["x", "y", "x", "x"], {"x": "a", "y": "b"}) == pytest.approx(2 / 3)
