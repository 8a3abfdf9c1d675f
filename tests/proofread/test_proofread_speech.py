"""The proofreading round trip on real speech: LJ Speech clips joined with known gaps, transcribed
by the real offline tiny.en, edited like an editor would, merged, and written by the real writers."""
from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.printing.jobs import printed_course, printed_episode
from pipeline.proofread import align
from pipeline.captions import stage as captions
from pipeline.feeds import stage as feeds
from pipeline.core import layout
from pipeline.printing import stage as printing
from pipeline.proofread import editing as proofread
from pipeline.proofread import review
from pipeline.core.course import Course, Episode
from pipeline.proofread.merge import key
from pipeline.core.transcript import Transcript, load

from proofread_helpers import Clip, LJ, correct, create_edit_file, diff, join_clips, make_course, transcribe_episode, write_review

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not LJ.is_dir(), reason="../shared/speech/ljspeech is absent (real speech for accuracy tests is not part of "
                            "the repository)")]

CLIPS = ["LJ001-0021", "LJ001-0024", "LJ001-0008", "LJ001-0027", "LJ001-0031"]
FALSE_START = ("LJ001-0021", 1.1)  # seconds of the clip said once before the clip: "The earliest book, the ..."
TURNS = [("Anna Lindqvist", [0, 1]), ("Erik Nilsson", [2]), ("Anna Lindqvist", [3]), ("Erik Nilsson", [4])]
FIXES = ("Gutenberg", "Maintz", "Schoeffer", "Sweynheim", "Pannartz")  # names the editor spells right
TOLERANCE_S = 0.3  # seconds: how close an aligned word must be to where it is spoken


@dataclass(frozen=True)
class Episode1:
    course: Course
    episode: Episode
    clips: list[Clip]
    machine: Transcript
    corrected: Transcript


def _write_edit(course: Course, episode: Episode, clips: list[Clip], turns=TURNS) -> None:
    """The editor's work: every clip's words as spoken (the reference text), one turn per speaker change."""
    path = layout.edit_file(course, episode)
    head = path.read_text(encoding="utf-8").split("\n\n[")[0]
    body = [f"[00:00:{int(clips[parts[0]].start):02d}] {name}:\n" + " ".join(clips[i].text for i in parts)
            for name, parts in turns]
    path.write_text(head + "\n\n" + "\n\n".join(body) + "\n", encoding="utf-8")


def _outputs(course: Course, episode: Episode, transcript: Transcript) -> None:
    captions.write_outputs(transcript, captions.output_paths(course, episode), course.captions)
    source = layout.transcript(course, episode, "json")
    chapters = layout.chapters_json(course, episode)  # the episodes stage's file: no chapters here
    chapters.parent.mkdir(parents=True, exist_ok=True)
    chapters.write_text('{"version": "1.2.0", "chapters": []}', encoding="utf-8")
    printing.print_episode(printed_course(course, ()), printed_episode(course, episode), layout.episode_pdf(course, episode))
    feeds.write_json_transcript(source, layout.podcast_transcript(course, episode))


@pytest.fixture(scope="module")
def edited(tmp_path_factory) -> Episode1:
    root = tmp_path_factory.mktemp("speech")
    course, episode = make_course(root)
    clips = join_clips(CLIPS, root / "recording.wav", false_start=FALSE_START)
    machine = transcribe_episode(course, episode, root / "recording.wav")
    create_edit_file(course, episode)
    _write_edit(course, episode, clips)
    corrected = correct(course, episode, machine)
    _outputs(course, episode, corrected)
    return Episode1(course, episode, clips, machine, corrected)


def _reference_words(clips: list[Clip]) -> list[str]:
    return [w for clip in clips for w in clip.text.split()]


def test_the_machine_made_the_mistakes_this_test_is_about(edited: Episode1):
    heard = edited.machine.text
    assert sum(name not in heard for name in FIXES) >= 3, heard  # tiny.en misspells most of the names
    assert heard.lower().count("the earliest book") == 2, heard  # and wrote the false start


def test_every_output_carries_the_fixes(edited: Episode1):
    course, episode = edited.course, edited.episode
    pdf_text = subprocess.run(["pdftotext", str(layout.episode_pdf(course, episode)), "-"],
                              capture_output=True, text=True, check=True).stdout
    podcast = " ".join(s["body"] for s in json.loads(
        layout.podcast_transcript(course, episode).read_text(encoding="utf-8"))["segments"])
    texts = {ext: layout.transcript(course, episode, ext).read_text(encoding="utf-8")
             for ext in ("vtt", "srt", "txt", "json")}
    for where, text in {**texts, "pdf": pdf_text, "podcast json": podcast}.items():
        flat = " ".join(text.split())
        for name in FIXES:
            assert name in flat, f"{name} missing from the {where}"
        for wrong in ("Guttenberg", "chauffeur", "Schofer", "Swainheim"):
            assert wrong not in flat, f"{wrong} still in the {where}"
    assert texts["txt"].lower().count("the earliest book") == 1  # the false start is gone
    [cue] = [block for block in texts["vtt"].split("\n\n") if "surpassed" in block]
    assert "<v Erik Nilsson>" in cue  # the turn the editor gave to the guest
    [cue] = [block for block in texts["srt"].split("\n\n") if "surpassed" in block]
    assert "Erik Nilsson: has never been surpassed." in cue
    assert "Erik Nilsson: has never been surpassed." in texts["txt"]
    stored = json.loads(texts["json"])["edited"]
    assert stored["file"] == "edits/ep1.txt" and stored["changed_words"] > 0 and stored["deleted_words"] >= 3


def test_the_corrected_words_are_the_editors_and_the_turns_theirs(edited: Episode1):
    assert [w.text for w in edited.corrected.words] == _reference_words(edited.clips)
    speakers = [(s.speaker, s.text) for s in edited.corrected.segments]
    assert ("guest", "has never been surpassed.") in speakers
    turns = [s for i, (s, _) in enumerate(speakers) if i == 0 or speakers[i - 1][0] != s]
    assert turns == ["host", "guest", "host", "guest"]  # split, reassigned, as in the editing file


def test_untouched_words_keep_their_whisper_times_exactly(edited: Episode1):
    heard = {(key(s.word.text), s.word.start, s.word.end) for s in proofread.shown_words(edited.machine)}
    kept = [w for w in edited.corrected.words if w.aligned == "whisper"]
    assert len(kept) >= 0.7 * len(edited.corrected.words)
    assert all((key(w.text), w.start, w.end) in heard for w in kept)


def _by_clip(words, clips):
    index = 0
    for clip in clips:
        count = len(clip.text.split())
        yield clip, words[index:index + count]
        index += count


def test_corrected_words_are_aligned_where_they_are_spoken(edited: Episode1):
    words = list(edited.corrected.words)
    forced = [w for w in words if w.aligned == "forced"]
    assert len(forced) >= 8 and all(w.probability == 1.0 for w in forced)
    boundaries = 0
    for clip, inside in _by_clip(words, edited.clips):
        for word in inside:
            if word.aligned == "forced":
                assert clip.start - TOLERANCE_S <= word.start <= word.end <= clip.end + TOLERANCE_S, (clip, word)
        if inside[-1].aligned == "forced":  # the clip's end is where its last word stops
            assert abs(inside[-1].end - clip.end) <= TOLERANCE_S, (clip, inside[-1])
            boundaries += 1
    assert boundaries >= 1  # "Schoeffer," ends LJ001-0027, "sixty-two)" ends LJ001-0024
    assert all(a.start <= b.start for a, b in zip(words, words[1:]))


def test_forced_alignment_finds_clip_boundaries(edited: Episode1):
    windows = [align.Window(c.start - TOLERANCE_S, c.end + TOLERANCE_S, tuple(c.text.split()))
               for c in edited.clips[2:4]]
    results = align.align(layout.asr_audio(edited.course, edited.episode), windows, model="tiny.en",
                          root=edited.course.root, language="en")
    for clip, timed in zip(edited.clips[2:4], results):
        assert abs(timed[0].start - clip.start) <= TOLERANCE_S, (clip, timed[0])
        assert abs(timed[-1].end - clip.end) <= TOLERANCE_S, (clip, timed[-1])


def test_a_second_merge_changes_nothing(edited: Episode1):
    course, episode = edited.course, edited.episode
    again = correct(course, episode, load(layout.machine_transcript(course, episode)))
    written = layout.transcript(course, episode, "json").read_bytes()
    assert captions.get_writer("json").render(again, ()).encode("utf-8") == written
    assert diff(course, episode).wer > 0.05


def test_a_recut_keeps_the_corrections_that_still_apply_and_lists_the_rest(edited: Episode1, tmp_path: Path):
    course, episode = make_course(tmp_path / "recut")
    shutil.copytree(edited.course.root / layout.EDITS, course.root / layout.EDITS)
    recut = [CLIPS[0], CLIPS[2], CLIPS[3], CLIPS[4], "LJ001-0030"]  # LJ001-0024 cut, a new answer added
    clips = join_clips(recut, tmp_path / "recut.wav", false_start=FALSE_START)
    machine = transcribe_episode(course, episode, tmp_path / "recut.wav")
    corrected = correct(course, episode, machine)
    text = corrected.text
    for name in ("Gutenberg", "Schoeffer", "Sweynheim", "Pannartz"):
        assert name in text
    assert "Maintz" not in text and text.lower().count("the earliest book") == 1
    assert clips[-1].text.split()[-4] in text  # the new answer is kept as heard
    write_review(course, episode)
    listed = layout.review_file(course, episode).read_text(encoding="utf-8")
    assert "Maintz" in listed and "no longer in the recording" in listed  # its correction is listed...
    assert "New passages" in listed  # ...and so is what nobody has proofread yet
    assert any("Maintz" in problem for problem in review.check(course))
    for word in (w for w in corrected.words if w.aligned == "forced"):  # timed on the new recording
        home = [c for c in clips if c.start - TOLERANCE_S <= word.start <= word.end <= c.end + TOLERANCE_S]
        assert home and home[0] is not clips[-1], word  # in its clip; none in the new, unedited one
