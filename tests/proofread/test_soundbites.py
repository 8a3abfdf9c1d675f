"""Soundbites an editor marks in the editing file ({{ ... | title }}): timed by the corrected transcript's words,
kept out of its text; a malformed mark is reported with its line and column."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core import layout
from pipeline.core.errors import StageError
from pipeline.core.transcript import load
from pipeline.proofread.editing import parse
from pipeline.proofread.merge import key
from pipeline.proofread.soundbites import place
from proofread_helpers import correct, create_edit_file, edit_once, make_course, synthetic_transcript

MACHINE = [
    ("host", "Welcome to the course about smart cities in Malmo."),
    ("host", "Our guest is Erik Nilson. Erik, welcome."),
    ("guest", "Thank you Anna, a dashboard is not a decision, it is good to be here."),
]
NAMES = {"anna": "Anna Host", "erik": "Erik Guest"}


@pytest.fixture
def episode_dir(tmp_path: Path):
    course, episode = make_course(tmp_path)
    synthetic_transcript(MACHINE).save(layout.machine_transcript(course, episode))
    create_edit_file(course, episode)
    return course, episode


def test_a_marked_passage_becomes_a_soundbite_timed_by_its_words_and_the_text_is_unchanged(episode_dir):
    course, episode = episode_dir
    machine = load(layout.machine_transcript(course, episode))
    edit_once(course, episode, "a dashboard is not a decision,", "{{a dashboard is not a decision, | Dashboards}}")
    edit_once(course, episode, "smart cities in", "{{smart cities in}}")
    result = correct(course, episode, machine)
    assert result.text == machine.text  # the marks are not words
    words = machine.words
    first = next(i for i, w in enumerate(words) if w.text == "dashboard") - 1
    smart = next(i for i, w in enumerate(words) if w.text == "smart")
    assert [(b.start, b.end, b.title) for b in result.soundbites] == [
        (words[smart].start, words[smart + 2].end, "smart cities in"),
        (words[first].start, words[first + 5].end, "Dashboards")]
    result.save(layout.transcript(course, episode, "json"))
    assert load(layout.transcript(course, episode, "json")).soundbites == result.soundbites


def test_a_passage_may_span_lines_of_one_turn():
    doc = parse("[00:00:01] Anna Host:\nHello there. {{This is the passage\nthat matters | A title}} and more.\n",
                file="edits/x.txt", names=NAMES)
    [mark] = doc.soundbites
    assert (mark.line, mark.column, mark.title) == (2, 14, "A title")
    assert mark.words == ("This", "is", "the", "passage", "that", "matters")
    assert doc.turns[0].words == ("Hello", "there.", "This", "is", "the", "passage", "that", "matters", "and", "more.")


@pytest.mark.parametrize("text, where, says", [
    ("Hello {{ never closed\n", "2:7", "never closed; end the passage with '}}'"),
    ("Hello }} x\n", "2:7", "'}}' closes no soundbite"),
    ("Hello {{ a {{ b }} \n", "2:12", "inside the one opened at 2:7"),
    ("{{ | title }} x\n", "2:1", "has no words"),
    ("Hello {{ x\n[00:00:02] Erik Guest:\n y\n", "2:7", "runs into the turn line 3"),
    ("Hello {{ x | a title\nrunning on }}\n", "2:7", "title runs past the end of line 2"),
])
def test_a_malformed_mark_is_reported_with_its_line_and_column(text, where, says):
    with pytest.raises(StageError) as error:
        parse("[00:00:01] Anna Host:\n" + text, file="edits/x.txt", names=NAMES)
    assert f"edits/x.txt:{where}: " in str(error.value) and says in str(error.value), str(error.value)


def test_a_mark_whose_words_are_not_in_the_timed_transcript_is_left_out_with_a_warning():
    doc = parse("[00:00:01] Anna Host:\nSay {{the right words}} now.\n", file="edits/x.txt", names=NAMES)
    timed = synthetic_transcript([("anna", "Say other words now.")]).words
    lines = [line for turn in doc.turns for line in turn.lines]
    found, warnings = place(doc.soundbites, lines, timed, key, doc.file)
    assert found == () and warnings == ["edits/x.txt:2:5: the soundbite's words are not in the transcript (left out)"]
    found, _ = place(doc.soundbites, lines, synthetic_transcript([("anna", "Say the right words now.")]).words,
                     key, doc.file)
    assert [(b.start, b.title) for b in found] == [(0.5, "the right words")]
