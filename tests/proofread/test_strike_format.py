"""The strike syntax, the strikes file, the checks on bad strikes, proposals and emptied chapters (no audio)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline import proofread
from pipeline.core import layout
from pipeline.core.errors import StageError
from pipeline.core.transcript import Coverage, Stretch, load
from pipeline.episodes.timeline import Clip, Timeline
from pipeline.proofread.editing import parse
from pipeline.proofread.proposals import proposals

from proofread_helpers import correct, create_edit_file, edit_once, make_course, synthetic_transcript, write_review

MACHINE = [
    ("host", "Welcome to the course about smart cities in Malmö."),
    ("host", "Our guest is Erik Nilsson. Erik, welcome."),
    ("guest", "Thank you Anna, it is good to be here."),
]
NAMES = {"host": "Anna Lindqvist", "guest": "Erik Nilsson"}
RATE = 44100  # Hz of the timelines written here


def _timeline(path: Path, pieces: list[tuple[str, float]]) -> None:
    """timeline.json of recordings played one after another, nothing shortened."""
    clips, at = [], 0
    for index, (_, seconds) in enumerate(pieces):
        clips.append(Clip(index, 0, round(seconds * RATE), at, 0))
        at += round(seconds * RATE)
    timeline = Timeline(RATE, tuple(clips)).to_dict()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pieces": [{"name": n, "start": 0.0, "end": s, "split": False, "sting": False}
                                           for n, s in pieces], "before": timeline, "after": timeline}))


@pytest.fixture
def episode(tmp_path: Path):
    course, episode = make_course(tmp_path)
    machine = synthetic_transcript(MACHINE)
    machine.save(layout.machine_transcript(course, episode))
    create_edit_file(course, episode)
    _timeline(layout.timeline(course, episode), [("raw_interviews/ep1.wav", machine.duration)])
    return course, episode


def _strikes(course, episode) -> dict:
    proofread.write_strikes(proofread.cuts_job(course, episode))
    return json.loads(layout.strikes(course, episode).read_text(encoding="utf-8"))


def test_strikes_run_across_lines_and_turns_and_an_open_one_is_located():
    text = "[00:00:01] Anna:\nhello ~~big world~~ and\n[00:00:02] Erik: ~~more\n[00:00:03] Anna:\nstuff~~ end\n"
    doc = parse(text, file="e.txt", names={"host": "Anna", "guest": "Erik"})
    assert [(t.words, t.struck) for t in doc.turns] == [
        (("hello", "big", "world", "and"), (False, True, True, False)), (("more",), (True,)),
        (("stuff", "end"), (True, False))]
    with pytest.raises(StageError) as caught:
        parse("[00:00:01] Anna:\nfine\n[00:00:02] Anna: one ~~two three\n", file="e.txt", names={"host": "Anna"})
    assert "e.txt:3:22: this '~~' opens a strike that never closes" in str(caught.value)


def test_struck_words_leave_the_text_keep_their_neighbours_times_and_unstriking_restores(episode):
    course, ep = episode
    machine = load(layout.machine_transcript(course, ep))
    edit_once(course, ep, "Our guest is", "~~Our guest is")
    edit_once(course, ep, "welcome.", "welcome.~~")
    result = correct(course, ep, machine)
    assert "Our guest" not in result.text and "Malmö." in result.text and "Thank you" in result.text
    kept = {(w.text, w.start, w.end) for w in machine.words}
    assert all((w.text, w.start, w.end) in kept for w in result.words)  # times as heard: nothing re-timed
    assert "~~Our guest is" in layout.edit_file(course, ep).read_text(encoding="utf-8")
    strikes = _strikes(course, ep)["strikes"]
    words = machine.words
    assert strikes == [{"before": words[8].end, "start": words[9].start, "end": words[15].end,
                        "after": words[16].start}]
    edit_once(course, ep, "~~Our guest is", "Our guest is")
    edit_once(course, ep, "welcome.~~", "welcome.")
    assert correct(course, ep, machine).text == machine.text and _strikes(course, ep) == {"strikes": []}


def test_words_both_respelled_and_struck_are_still_cut(episode):
    course, ep = episode
    machine = load(layout.machine_transcript(course, ep))
    edit_once(course, ep, "smart cities", "~~smart towns~~")
    words = machine.words
    assert _strikes(course, ep)["strikes"] == [{"before": words[4].end, "start": words[5].start,
                                                 "end": words[6].end, "after": words[7].start}]
    assert "towns" not in correct(course, ep, machine).text


def test_a_word_corrected_elsewhere_changes_no_byte_of_the_strikes(episode):
    course, ep = episode
    edit_once(course, ep, "Thank you Anna,", "~~Thank you Anna,~~")
    _strikes(course, ep)
    before = layout.strikes(course, ep).read_bytes()
    edit_once(course, ep, "smart cities", "smart towns")
    _strikes(course, ep)
    assert layout.strikes(course, ep).read_bytes() == before


@pytest.mark.parametrize("old, new, words", [
    ("Welcome", "~~Welcome", "empty"),  # closed at the end below: every word struck
    ("to the course", "~~to the course", "less than 1 s"),  # all but the first word: half a second left
    ("Our guest", "~~Our guest", "cover all of raw_interviews/two.wav"),
])
def test_bad_strikes_are_refused_with_their_line(episode, old, new, words):
    course, ep = episode
    machine = load(layout.machine_transcript(course, ep))
    _timeline(layout.timeline(course, ep), [("raw_interviews/one.wav", 4.2), ("raw_interviews/two.wav", 4.0),
                                            ("raw_interviews/three.wav", machine.duration - 8.2)])
    edit_once(course, ep, old, new)
    closing = {"empty": ("here.", "here.~~"), "less than 1 s": ("here.", "here.~~")}
    edit_once(course, ep, *closing.get(words, ("welcome.", "welcome.~~")))
    with pytest.raises(StageError) as caught:
        _strikes(course, ep)
    assert words in str(caught.value) and "edits/ep1.txt:" in str(caught.value)
    assert not layout.strikes(course, ep).exists()
    from pipeline.proofread import review

    assert [p for p in review.check(course) if words in p]  # `coursecast check` says so too


def test_proposals_name_repeats_false_starts_long_pauses_and_speech_without_words(tmp_path):
    machine = synthetic_transcript([("host", "We we went to the the harbour and- and saw it.")])
    words = list(machine.words)
    words[-1] = type(words[-1])(words[-1].text, words[-1].start + 3.0, words[-1].end + 3.0, 0.9)
    coverage = Coverage(5.0, 0.9, (), (Stretch(2.0, 2.6),))
    found = proposals(words, 1.2, coverage)
    assert [(p.what, round(p.at, 1)) for p in found] == [
        ("repeated words", 0.0), ("repeated words", 2.0), ("speech without words (0.6 s)", 2.0),
        ("false start", 3.5), ("pause of 3.1 s", 4.9)]
    assert found[0].text == "~~We~~ we went to the" and "saw | it." in found[-1].text


def test_the_editing_file_and_review_list_proposals_and_chapters_left_empty(tmp_path):
    course, ep = make_course(tmp_path)
    synthetic_transcript([("host", "Welcome to the the course."), ("guest", "Thank you, thank you.")]) \
        .save(layout.machine_transcript(course, ep))
    create_edit_file(course, ep)
    text = layout.edit_file(course, ep).read_text(encoding="utf-8")
    assert "# Proposal [00:00:01] repeated words: Welcome to ~~the~~ the course." in text
    from dataclasses import replace

    from pipeline.core.course import Chapter

    course = replace(course, episodes=(replace(ep, chapters=(Chapter(0.0, "Welcome"), Chapter(2.4, "Thanks"))),))
    ep = course.episodes[0]
    _timeline(layout.timeline(course, ep), [("raw_interviews/ep1.wav", 6.0)])
    edit_once(course, ep, "Thank you, thank you.", "~~Thank you, thank you.~~")
    write_review(course, ep)
    review = layout.review_file(course, ep).read_text(encoding="utf-8")
    assert "Chapters left empty by strikes (1)" in review and "[00:00:02] Thanks" in review
    assert "Proposed cuts (1)" in review and "~~the~~ the course" in review  # the struck repeat is not proposed
