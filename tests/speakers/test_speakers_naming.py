"""Naming labels from the roster: voice samples first (Hungarian), else the stated rule."""
from __future__ import annotations

import numpy as np

from pipeline.speakers import RosterEntry, name_speakers

ROSTER = (RosterEntry("erik", "guest"), RosterEntry("anna", "host"), RosterEntry("li", "guest"))


def unit(*values: float) -> tuple[float, ...]:
    v = np.array(values, dtype=float)
    return tuple(v / np.linalg.norm(v))


def test_without_samples_the_host_speaks_first_then_guests_in_roster_order():
    named = name_speakers(["SPEAKER_1", "SPEAKER_2", "SPEAKER_3"], {}, ROSTER)
    assert [(n.label, n.speaker, n.how) for n in named] == [
        ("SPEAKER_1", "anna", "rule"), ("SPEAKER_2", "erik", "rule"), ("SPEAKER_3", "li", "rule")]


def test_samples_pair_voices_one_to_one_by_total_similarity():
    voices = {"SPEAKER_1": unit(1, 0.2, 0), "SPEAKER_2": unit(0.9, 1, 0)}
    # greedy would give SPEAKER_1 to anna (0.98) and leave SPEAKER_2 with erik (0.74);
    # the best pairing overall is SPEAKER_1 -> erik, SPEAKER_2 -> anna
    samples = {"anna": unit(1, 0.9, 0), "erik": unit(1, 0, 0)}
    named = name_speakers(["SPEAKER_1", "SPEAKER_2"], voices, ROSTER, samples)
    assert [(n.speaker, n.how) for n in named] == [("erik", "voice sample"), ("anna", "voice sample")]
    assert all(n.similarity > 0.6 for n in named)


def test_a_weak_match_is_left_to_the_rule_and_the_rule_skips_names_taken():
    voices = {"SPEAKER_1": unit(0, 0, 1), "SPEAKER_2": unit(1, 0, 0)}
    samples = {"erik": unit(1, 0, 0), "anna": unit(0, 1, 0)}  # nobody sounds like anna's sample
    named = name_speakers(["SPEAKER_1", "SPEAKER_2"], voices, ROSTER, samples)
    assert [(n.speaker, n.how) for n in named] == [("anna", "rule"), ("erik", "voice sample")]


def test_more_voices_than_roster_entries_leaves_the_rest_unnamed():
    named = name_speakers(["SPEAKER_1", "SPEAKER_2"], {}, (RosterEntry("anna", "host"),))
    assert [n.speaker for n in named] == ["anna", None]


def test_samples_of_people_not_in_the_roster_are_ignored():
    voices = {"SPEAKER_1": unit(1, 0)}
    named = name_speakers(["SPEAKER_1"], voices, ROSTER, {"stranger": unit(1, 0)})
    assert (named[0].speaker, named[0].how) == ("anna", "rule")
