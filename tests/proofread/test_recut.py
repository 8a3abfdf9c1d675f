"""After a recut, the editing file is never silently stale: `check` names what to proofread, and
`update-edits` brings it up to date with the editor's work kept."""
from __future__ import annotations

from click.testing import CliRunner

from pipeline import proofread
from pipeline.cli import cli
from pipeline.core import layout
from pipeline.core.transcript import load

from proofread_helpers import create_edit_file, make_course, plan, synthetic_transcript

FIRST = [("host", "Welcome to the course about smart cities"),
         ("guest", "Thanks for having me here today"),
         ("host", "We start with the word smart in city plans")]
RECUT = [("host", "Welcome to the course about smart cities"),  # the second turn is cut out,
         ("host", "We start with the word smart in city plans"),
         ("guest", "Tampere opened its planning to the residents")]  # and a new passage comes in


def _setup(tmp_path):
    course, episode = make_course(tmp_path / "c")
    machine = layout.machine_transcript(course, episode)
    synthetic_transcript(FIRST).save(machine)
    create_edit_file(course, episode)
    edit = layout.edit_file(course, episode)
    edit.write_text(edit.read_text(encoding="utf-8").replace("smart in city plans", "“smart” in city plans."),
                    encoding="utf-8")  # the editor's correction
    return course, episode, machine, edit


def test_a_recut_fails_check_naming_the_new_passage_and_the_fix(tmp_path):
    course, episode, machine, edit = _setup(tmp_path)
    assert proofread.check(course) == []  # edited, not recut: nothing to say
    synthetic_transcript(RECUT).save(machine)
    (problem,) = proofread.check(course)
    assert problem.startswith("edits/ep1.txt: made from an earlier cut or transcription of the episode (1 new passage(s) "
                              "not in it, 6 word(s) no longer in the recording): proofread [00:00:")
    assert '"Tampere opened its planning to the residents"' in problem
    assert problem.endswith("run 'coursecast update-edits ep1' to bring it up to date (your corrections are kept), "
                            "then proofread the new passages there")


def test_update_edits_keeps_the_editors_work_and_takes_the_new_words(tmp_path):
    course, episode, machine, edit = _setup(tmp_path)
    before = edit.read_text(encoding="utf-8")
    synthetic_transcript(RECUT).save(machine)
    merged = [w.text for w in plan(course, episode, load(machine)).plan.words]
    result = CliRunner().invoke(cli, ["--course", str(course.root), "update-edits"])
    assert result.exit_code == 0, result.output
    assert "ep1: edits/ep1.txt brought up to date (1 new passage(s) to proofread, listed at its top)" in result.output
    text = edit.read_text(encoding="utf-8")
    assert "“smart” in city plans." in text and "Thanks for having me" not in text  # kept; cut out
    assert "\nTampere opened its planning to the residents\n" in text and "# New passages, not proofread yet (1):" in text
    assert "] Erik Nilsson:\nTampere" in text  # the new passage under its speaker's turn line
    (kept,) = edit.parent.glob("ep1.before-update-*.txt")
    assert kept.read_text(encoding="utf-8") == before
    assert load(layout.edit_base(course, episode)) == load(machine)  # the next merge starts from today's words
    assert proofread.check(course) == []  # up to date: check is content
    again = plan(course, episode, load(machine))
    assert [w.text for w in again.plan.words] == merged and not again.plan.new_words  # the same corrected text
    result = CliRunner().invoke(cli, ["--course", str(course.root), "update-edits", "ep1"])
    assert result.output.strip() == "ep1: up to date"
    result = CliRunner().invoke(cli, ["--course", str(course.root), "update-edits", "ep-1"])
    assert result.exit_code == 2 and "did you mean 'ep1'" in result.output


def test_a_correction_that_cannot_be_carried_is_kept_as_a_comment(tmp_path):
    course, episode, machine, edit = _setup(tmp_path)
    edit.write_text(edit.read_text(encoding="utf-8").replace("having me here", "having me there"), encoding="utf-8")
    synthetic_transcript(RECUT).save(machine)
    assert any("could not be placed" in p for p in proofread.check(course))
    proofread.update_course(course)
    text = edit.read_text(encoding="utf-8")
    assert "# Corrections not carried over (1); put them in by hand where they apply:" in text
    assert '"here" -> "there"' in text
