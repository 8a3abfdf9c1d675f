"""The editing file (write, parse, line-numbered errors) and the course-wide replacements."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core import layout
from pipeline.proofread import bounds
from pipeline.proofread import editing as proofread
from pipeline.core.errors import StageError
from pipeline.proofread.replacements import apply_to_words, load_rules, make_rules
from pipeline.core.transcript import Segment, Word

from proofread_helpers import create_edit_file, make_course, roster, synthetic_transcript

NAMES = {"host": "Anna Lindqvist", "guest": "Erik Nilsson"}


def _parse(text: str):
    return proofread.parse(text, file="edits/ep1.txt", names=NAMES)


def _problems(text: str) -> str:
    with pytest.raises(StageError) as caught:
        _parse(text)
    return str(caught.value)


# -- writing ---------------------------------------------------------------------------
def test_written_file_has_help_turn_lines_and_reads_back_to_the_same_words(tmp_path: Path):
    course, episode = make_course(tmp_path)
    machine = synthetic_transcript([("host", "Welcome to the course."), ("host", "Today: Malmo."),
                                    ("guest", "Thanks, Anna."), (None, "Hello?")])
    text = proofread.render(machine, title="Episode 1: One (ep1)", names=proofread.editor_names(roster(course)),
                            listed=["Anna Lindqvist", "Erik Nilsson"], base="edits/ep1.base.json",
                            rules=make_rules([("Malmo", "Malmö", False)]))
    lines = text.splitlines()
    assert lines[0] == "# Episode 1: One (ep1)"
    assert all(line.startswith("#") for line in lines[: lines.index("")])
    assert "Speakers: Anna Lindqvist, Erik Nilsson" in " ".join(lines)
    assert "[00:00:00] Anna Lindqvist:" in lines and "[00:00:04] Erik Nilsson:" in lines
    assert "[00:00:05] Speaker:" in lines  # an unknown speaker is written so it reads back
    doc = proofread.parse(text, file="edits/ep1.txt", names=proofread.editor_names(roster(course)))
    assert [t.speaker for t in doc.turns] == ["host", "guest", None]
    assert doc.turns[0].words == ("Welcome", "to", "the", "course.", "Today:", "Malmö.")  # rule applied
    assert max(len(line) for line in lines if not line.startswith("#")) <= proofread.WRAP_COLUMNS


def test_words_whisper_split_are_written_as_one_word():
    words = (Word("self", 1.0, 1.3, 0.9), Word("-substantial", 1.3, 2.0, 0.8), Word("fuel,", 2.0, 2.4, 0.9),
             Word("42 line", 2.4, 3.2, 0.9))
    machine = synthetic_transcript([("host", "x")])
    machine = machine.with_segments([Segment(1.0, 3.2, "self-substantial fuel, 42 line", words, "host")])
    shown = proofread.shown_words(machine)
    assert [(s.word.text, s.word.start, s.word.end) for s in shown] == [
        ("self-substantial", 1.0, 2.0), ("fuel,", 2.0, 2.4), ("42", 2.4, 2.7), ("line", 2.7, 3.2)]


def test_create_edit_file_writes_once_and_never_overwrites(tmp_path: Path):
    course, episode = make_course(tmp_path)
    synthetic_transcript([("host", "One two three.")]).save(layout.machine_transcript(course, episode))
    first = create_edit_file(course, episode)
    assert first.created and layout.edit_base(course, episode).exists()
    path = layout.edit_file(course, episode)
    path.write_text(path.read_text(encoding="utf-8").replace("two", "TWO"), encoding="utf-8")
    synthetic_transcript([("host", "Four five six.")]).save(layout.machine_transcript(course, episode))
    again = create_edit_file(course, episode)
    assert not again.created
    assert "TWO" in path.read_text(encoding="utf-8") and "Four" not in path.read_text(encoding="utf-8")


def test_edit_tasks_are_create_only_and_follow_the_machine_transcript(tmp_path: Path):
    course, episode = make_course(tmp_path)
    [task] = proofread.edit_tasks(course)
    assert task.name == "edits:ep1" and task.stage == "transcribe" and task.create_only
    assert task.inputs == (layout.machine_transcript(course, episode),)
    assert task.targets == (layout.edit_file(course, episode), layout.edit_base(course, episode))


# -- parsing ---------------------------------------------------------------------------
def test_editors_may_merge_split_and_reassign_turns():
    doc = _parse("# comment\n\n[00:00:01] anna lindqvist:\nHello there,\nand more.\n"
                 "[0:07] guest: Inline words\n[00:00:09.5] Speaker:\nwho?\n[00:00:12] Erik Nilsson:\n\n")
    assert [(t.line, t.at, t.speaker, t.words) for t in doc.turns] == [
        (3, 1.0, "host", ("Hello", "there,", "and", "more.")),
        (6, 7.0, "guest", ("Inline", "words")),
        (7, 9.5, None, ("who?",)),
    ]  # the empty last turn is dropped
    assert doc.turns[0].lines == (4, 4, 5, 5)


def test_a_broken_timecode_is_reported_with_its_line_number():
    message = _problems("[00:00:01] Anna Lindqvist:\nHello.\n\n[00:7x:03] Erik Nilsson:\nHi.\n")
    assert "edits/ep1.txt:4: [00:7x:03] is not a time; write [HH:MM:SS]" in message


def test_an_unknown_speaker_is_reported_with_the_valid_names():
    message = _problems("[00:00:01] Ana Lindqvist:\nHello.\n")
    assert "edits/ep1.txt:1: 'Ana Lindqvist' is not a speaker of this course (did you mean 'Anna Lindqvist'?)" \
        in message
    assert "use one of: Anna Lindqvist, Erik Nilsson, or 'Speaker' when unknown" in message


def test_every_problem_is_reported_at_once():
    message = _problems("Stray words\n[00:00:01] Nobody:\nx\n[00:00:02 Anna Lindqvist:\ny\n")
    assert "3 problems" in message
    assert "edits/ep1.txt:1: words before the first turn line" in message
    assert "edits/ep1.txt:2: 'Nobody' is not a speaker" in message
    assert "edits/ep1.txt:4: '[00:00:02 Anna Lindqvist:' is not a turn line" in message


def test_a_file_without_words_is_an_error_not_an_empty_transcript():
    assert "no turns with words" in _problems("# only comments\n[00:00:00] Anna Lindqvist:\n")


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path):
    path = tmp_path / "ep1.txt"
    path.write_bytes("[00:00:00] Anna Lindqvist:\nok\nMalm\xf6\n".encode("latin-1"))
    with pytest.raises(StageError, match=r"edits/ep1.txt:3: not UTF-8 text"):
        bounds.read(path, file="edits/ep1.txt", names=NAMES)


def test_bracketed_words_that_are_not_timecodes_are_text():
    doc = _parse("[00:00:00] Anna Lindqvist:\n[laughs] Yes.\n")
    assert doc.turns[0].words == ("[laughs]", "Yes.")


# -- replacements ----------------------------------------------------------------------
def test_replacements_respect_word_boundaries_and_keep_punctuation():
    rules = make_rules([("Malmo", "Malmö", False)])
    words, changes = apply_to_words("Malmo, Malmoe and MALMO's (Malmo) port".split(), rules)
    assert words == ["Malmö,", "Malmoe", "and", "Malmö's", "(Malmö)", "port"]
    assert [(c.before, c.after, c.index) for c in changes] == [
        ("Malmo", "Malmö", 0), ("MALMO", "Malmö", 3), ("Malmo", "Malmö", 4)]


def test_lower_case_replacements_keep_sentence_capitals_only():
    rules = make_rules([("smart-city", "smart city", False), ("Smart City", "smart city", False)])
    words, changes = apply_to_words("Smart City plans. The Smart City and a smart-city".split(), rules)
    assert " ".join(words) == "Smart city plans. The smart city and a smart city"
    assert len(changes) == 3


def test_exact_case_rules_leave_other_cases_alone():
    rules = make_rules([("IT", "information technology", True)])
    words, _ = apply_to_words("IT is it".split(), rules)
    assert words == ["information", "technology", "is", "it"]


def test_replacements_file_is_read_and_its_mistakes_named(tmp_path: Path):
    path = tmp_path / "edits" / "replacements.toml"
    path.parent.mkdir()
    path.write_text('[replace]\n"Malmo" = "Malmö"\n"Lindkvist" = "Lindqvist"\n'
                    '[replace_exact_case]\n"IT" = "IT systems"\n', encoding="utf-8")
    rules = load_rules(path, tmp_path)
    assert {(r.find, r.replace, r.exact_case) for r in rules.rules} == {
        ("Malmo", "Malmö", False), ("Lindkvist", "Lindqvist", False), ("IT", "IT systems", True)}
    path.write_text('[replace]\n"Malmo" = \n', encoding="utf-8")
    with pytest.raises(StageError, match=r"edits/replacements.toml: not valid TOML: .*line 2"):
        load_rules(path, tmp_path)
    path.write_text('[replaec]\n"a" = "b"\n[replace]\n"x" = 3\n', encoding="utf-8")
    with pytest.raises(StageError, match=r"\[replaec\] is not a rules table.*\"x\": the replacement must be text"):
        load_rules(path, tmp_path)
