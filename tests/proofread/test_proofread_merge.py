"""Merging edits onto the machine words, carrying them over a recut, and the review views (no audio)."""
from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.proofread import align
from pipeline.core import course_file, layout
from pipeline.proofread import review
from pipeline.core.errors import StageError
from pipeline.core.transcript import Transcript, load

from proofread_helpers import correct, create_edit_file, diff, make_course, plan, synthetic_transcript, write_review

MACHINE = [
    ("host", "Welcome to the the course about smart cities in Malmo."),
    ("host", "Our guest is Erik Nilson. Erik, welcome."),
    ("guest", "Thank you Anna, it is good to be here."),
]


@pytest.fixture
def episode_dir(tmp_path: Path):
    """A course whose episode has a machine transcript and its (unchanged) editing file."""
    course, episode = make_course(tmp_path)
    synthetic_transcript(MACHINE).save(layout.machine_transcript(course, episode))
    create_edit_file(course, episode)
    return course, episode


def _edit(course, episode, body: str) -> None:
    path = layout.edit_file(course, episode)
    head = path.read_text(encoding="utf-8").split("\n\n[")[0]
    path.write_text(head + "\n\n" + body, encoding="utf-8")


def _machine(course, episode) -> Transcript:
    return load(layout.machine_transcript(course, episode))


def _plan(course, episode):
    return plan(course, episode, _machine(course, episode))


def test_an_untouched_editing_file_changes_nothing(episode_dir):
    course, episode = episode_dir
    machine = _machine(course, episode)
    result = correct(course, episode, machine)
    assert result.edited is None
    assert [(w.text, w.start, w.end, w.aligned) for w in result.words] == \
        [(w.text, w.start, w.end, w.aligned) for w in machine.words]
    assert [s.speaker for s in result.segments] == ["host", "host", "guest"]


def test_changes_reassignments_splits_merges_and_deletions_are_planned(episode_dir):
    course, episode = episode_dir
    _edit(course, episode,
          "[00:00:00] Anna Lindqvist:\nWelcome to the course about smart cities in Malmö.\n"
          "Our guest is Erik Nilsson.\n\n[00:00:09] Erik Nilsson:\nErik, welcome. Thank you, Anna.\n"
          "[00:00:12] Anna Lindqvist:\nIt is good to be here.\n")
    edits = _plan(course, episode)
    plan = edits.plan
    words = [(w.text, w.speaker, w.source is not None) for w in plan.words]
    assert ("the", "host", True) in words and [w[0] for w in words].count("the") == 1  # false start deleted
    assert ("Malmö.", "host", False) in words and ("Nilsson.", "host", False) in words  # re-timed
    assert ("Erik,", "guest", True) in words  # split inside a segment, given to the guest
    assert ("It", "host", True) in words  # the last turn reassigned to the host
    assert plan.edited and plan.changed == 5 and plan.deleted == 1  # Malmö. Nilsson. Thank you, It
    assert not plan.unplaced
    kept = [w for w in plan.words if w.source is not None and not w.written]
    assert all(edits.machine[w.source].word.text == w.text for w in kept)


def test_words_that_cannot_be_aligned_are_interpolated_between_their_neighbours(tmp_path: Path):
    course, episode = make_course(tmp_path)
    long = " ".join(f"w{i}" for i in range(70))  # 35 s of words at 0.5 s each: more than one Whisper window
    synthetic_transcript([("host", f"Start here. {long} end here.")]).save(layout.machine_transcript(course, episode))
    create_edit_file(course, episode)
    rewritten = " ".join(f"new{i}" for i in range(60))
    _edit(course, episode, f"[00:00:00] Anna Lindqvist:\nStart here. {rewritten} end here.\n")
    plan = _plan(course, episode).plan
    timer = functools.partial(align.align, tmp_path / "no-audio.wav", model="tiny.en", root=tmp_path,
                              language="en")  # would raise if called: the window is too long to try
    words = align.time_words(plan, 36.0, timer)
    new = [w for w in words if w.text.startswith("new")]
    assert {w.aligned for w in new} == {"interpolated"} and len(new) == 60
    here = [w for w in words if w.text == "here."]
    assert here[0].end <= new[0].start and new[-1].end <= here[1].start
    assert all(a.end <= b.start + 1e-9 for a, b in zip(new, new[1:]))


def test_edited_words_need_the_episode_audio(episode_dir):
    course, episode = episode_dir
    _edit(course, episode, "[00:00:00] Anna Lindqvist:\nWelcome to the course about smart cities in Lund.\n"
                           "Our guest is Erik Nilson. Erik, welcome. Thank you Anna, it is good to be here.\n")
    with pytest.raises(StageError, match=r"asr.wav: the episode's audio is missing.*coursecast episodes"):
        correct(course, episode, _machine(course, episode))


def test_a_malformed_editing_file_fails_with_its_line_and_check_reports_it(episode_dir):
    course, episode = episode_dir
    _edit(course, episode, "[00:00:00] Anna Lindqvist:\nHello.\n\n[00:00:05] Eric:\nHi.\n")
    with pytest.raises(StageError, match=r"edits/ep1.txt:\d+: 'Eric' is not a speaker"):
        _plan(course, episode)
    assert any("'Eric' is not a speaker" in p for p in review.check(course))


def test_replacements_apply_without_an_editing_file_and_keep_times(tmp_path: Path):
    course, episode = make_course(tmp_path)
    machine = synthetic_transcript(MACHINE)
    machine.save(layout.machine_transcript(course, episode))
    layout.replacements_file(course).parent.mkdir(parents=True)
    layout.replacements_file(course).write_text('[replace]\n"Malmo" = "Malmö"\n"Nilson" = "Nilsson"\n',
                                                encoding="utf-8")
    result = correct(course, episode, machine)
    assert "Malmö." in result.text and "Nilsson." in result.text and result.edited is None
    before = {w.start: w for w in machine.words}
    assert all(w.end == before[w.start].end for w in result.words)
    report = diff(course, episode)
    assert {(r.where, r.before, r.after) for r in report.replaced} == {
        ("[00:00:04]", "Malmo", "Malmö"), ("[00:00:07]", "Nilson", "Nilsson")}
    assert report.substitutions == 2 and report.reference_words == len(machine.words)
    create_edit_file(course, episode)  # the editor sees the rules' spelling...
    path = layout.edit_file(course, episode)
    assert "Malmö." in path.read_text(encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8").replace("Malmö.", "Malmo harbour."), encoding="utf-8")
    write_review(course, episode)  # ...and a rule still wins over a slip in the editing file
    listed = layout.review_file(course, episode).read_text(encoding="utf-8")
    assert 'edits/ep1.txt:29 "Malmo" → "Malmö"' in listed and '[00:00:07] "Nilson" → "Nilsson"' in listed


# -- recut: the audio changed after editing --------------------------------------------
RECUT = [
    ("host", "Welcome to the the course about smart cities in Malmo."),
    ("host", "Erik, welcome."),  # "Our guest is Erik Nilson." was cut
    ("guest", "Thank you Anna, it is good to be here."),
    ("guest", "A new answer that was added later."),
]


def test_corrections_survive_a_recut_or_are_listed(episode_dir):
    course, episode = episode_dir
    _edit(course, episode, "[00:00:00] Anna Lindqvist:\nWelcome to the course about smart cities in Malmö.\n"
                           "Our guest is Erik Nilsson. Erik, welcome.\n\n"
                           "[00:00:09] Erik Nilsson:\nThank you, Anna. It is good to be here.\n")
    synthetic_transcript(RECUT).save(layout.machine_transcript(course, episode))
    plan = _plan(course, episode).plan
    text = " ".join(w.text for w in plan.words)
    assert text.startswith("Welcome to the course about smart cities in Malmö. Erik, welcome. Thank you, Anna.")
    assert text.endswith("A new answer that was added later.")  # new speech kept, not dropped
    assert [(c.before, c.after) for c in plan.unplaced] == [(("Nilson.",), ("Nilsson.",))]
    write_review(course, episode)
    listed = layout.review_file(course, episode).read_text(encoding="utf-8")
    assert 'edits/ep1.txt:' in listed and '"Nilson." → "Nilsson."' in listed
    assert "no longer in the recording" in listed and "A new answer that was added later." in listed
    [problem, stale] = review.check(course)
    assert problem.startswith("edits/ep1.txt:") and "'Nilson.' → 'Nilsson.'" in problem
    assert "transcripts/ep1.review.txt" in problem
    assert stale.startswith("edits/ep1.txt: made from an earlier cut") and "update-edits ep1" in stale  # test_recut.py


def test_a_correction_is_placed_where_the_new_recording_was_heard_differently(episode_dir):
    course, episode = episode_dir
    _edit(course, episode, "[00:00:00] Anna Lindqvist:\nWelcome to the course about smart cities in Malmö.\n"
                           "Our guest is Erik Nilsson. Erik, welcome.\n\n"
                           "[00:00:09] Erik Nilsson:\nThank you, Anna. It is good to be here.\n")
    heard_again = [MACHINE[0], ("host", "Our guest is Eric Nillson. Erik, welcome."), MACHINE[2]]
    synthetic_transcript(heard_again).save(layout.machine_transcript(course, episode))
    plan = _plan(course, episode).plan
    assert not plan.unplaced and "Our guest is Erik Nilsson." in " ".join(w.text for w in plan.words)


def test_the_review_file_says_when_there_is_nothing_to_review(episode_dir):
    course, episode = episode_dir
    assert write_review(course, episode)
    assert "Nothing to review" in layout.review_file(course, episode).read_text(encoding="utf-8")
    assert not write_review(course, episode)  # unchanged content is not rewritten
    assert review.check(course) == []


def test_diff_report_shows_words_speakers_and_word_error_rate(episode_dir):
    course, episode = episode_dir
    _edit(course, episode, "[00:00:00] Anna Lindqvist:\nWelcome to the course about smart cities in Malmö.\n"
                           "Our guest is Erik Nilsson. Erik, welcome.\n\n"
                           "[00:00:09] Anna Lindqvist:\nThank you Anna, it is good to be here.\n")
    report = diff(course, episode)
    assert (report.substitutions, report.deletions, report.insertions) == (2, 0, 1)
    assert report.reference_words == 25 and report.wer == pytest.approx(3 / 25)
    text = report.render()
    assert "Word error rate of the machine transcript: 12.0%" in text
    assert "[-the-]" in text and "[-Malmo.-]{+Malmö.+}" in text and "[-Nilson.-]{+Nilsson.+}" in text
    assert "9 words: Erik Nilsson → Anna Lindqvist" in text


def test_review_tasks_declare_their_inputs(tmp_path: Path):
    course, episode = make_course(tmp_path)
    names = {t.name: t for t in review.tasks(course)}
    assert set(names) == {"edits:ep1", "cuts:ep1", "review:ep1"}
    task = names["review:ep1"]
    assert layout.edit_file(course, episode) in task.inputs and layout.edit_base(course, episode) in task.inputs
    assert layout.replacements_file(course) in task.inputs and task.targets == (layout.review_file(course, episode),)


def test_the_build_creates_the_editing_file_once_and_fails_on_a_broken_one(episode_dir):
    import io

    from pipeline.core import runner
    from pipeline.core.dependency import StateStore
    from pipeline.core.progress import Progress

    course, episode = episode_dir
    layout.edit_file(course, episode).unlink()
    build = lambda: runner.run(review.tasks(course), StateStore(course.root / layout.STATE), jobs=2,  # noqa: E731
                               progress=Progress(io.StringIO(), live=False))
    assert set(build().built) == {"edits:ep1", "cuts:ep1", "review:ep1"}
    path = layout.edit_file(course, episode)
    path.write_text(path.read_text(encoding="utf-8").replace("Malmo", "Malmö"), encoding="utf-8")
    synthetic_transcript(RECUT).save(layout.machine_transcript(course, episode))  # the audio changed
    report = build()
    assert "Malmö" in path.read_text(encoding="utf-8") and set(report.built) == {"cuts:ep1", "review:ep1"}
    good = layout.review_file(course, episode).read_bytes()
    path.write_text(path.read_text(encoding="utf-8") + "\n[00:00:09] Nobody:\nwords\n", encoding="utf-8")
    report = build()
    assert [f.task for f in report.failed] == ["review:ep1"] and "'Nobody' is not a speaker" in report.failed[0].message
    assert "cuts:ep1" in report.built  # no strike in the file: the episode's audio does not wait for the fix
    assert layout.review_file(course, episode).read_bytes() == good  # the last good output is kept


def _relabelled(machine: Transcript, speakers: list[str]) -> Transcript:
    """The machine transcript with its segments given to other speakers (a voice sample re-labelled them)."""
    return machine.with_segments(replace(s, speaker=who) for s, who in zip(machine.segments, speakers))


def test_speakers_the_machine_relabels_follow_it_where_the_editor_kept_the_name(episode_dir):
    course, episode = episode_dir  # machine: host, host, guest; the editing file as it was written
    result = correct(course, episode, _relabelled(_machine(course, episode), ["guest", "guest", "guest"]))
    assert [s.speaker for s in result.segments] == ["guest", "guest", "guest"]
    _edit(course, episode, "[00:00:00] Anna Lindqvist:\nWelcome to the the course about smart cities in Malmo.\n"
                           "Our guest is Erik Nilson. Erik, welcome.\n\n"
                           "[00:00:10] Anna Lindqvist:\nThank you Anna, it is good to be here.\n")  # the editor's fix
    result = correct(course, episode, _relabelled(_machine(course, episode), ["guest", "guest", "guest"]))
    assert [s.speaker for s in result.segments] == ["guest", "guest", "host"]


def test_a_speaker_renamed_in_the_course_file_keeps_the_editing_file_readable(tmp_path: Path):
    course, episode = make_course(tmp_path)
    names = {"host": "Anna Lindqvist", "guest": "Erik Nilsson"}
    replace(synthetic_transcript(MACHINE), speakers=names).save(layout.machine_transcript(course, episode))
    create_edit_file(course, episode)
    path = tmp_path / "course.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('"Erik Nilsson"', '"Erik Nilsén"'), encoding="utf-8")
    course = course_file.load(path)
    episode = course.episodes[0]
    machine = replace(_machine(course, episode), speakers={**names, "guest": "Erik Nilsén"})
    edits = plan(course, episode, machine)  # the file still says "Erik Nilsson:" on the guest's turn line
    assert [t.speaker for t in edits.doc.turns] == ["host", "guest"]
