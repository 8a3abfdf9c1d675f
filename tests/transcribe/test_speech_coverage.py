"""No speech left without words: the coverage check, decoding again what the decoder skipped, and what
`coursecast check` and the review file say about what stays without words.

The skip is forced on real speech (benchmarks/forced_skip.py): 33 s of the conversational set's
round table decoded with the old glossary prompt, over which both engines jump across JFK's "ask what
you can do for your country"; before it, a sentence heard through a wall (low-passed at 250 Hz) that
Silero calls speech and tiny.en cannot decode at all.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from paths import SPEECH
from pipeline import proofread, speakers
from pipeline.core import course_file, layout
from pipeline.core.settings import TranscriptionSettings
from pipeline.core.transcript import Segment, Stretch, Word, load
from pipeline.transcribe import coverage, stage

from conftest import SPEAKERS, course_head
from transcribe_helpers import identity_timeline, model_cache, normalise, speech  # noqa: F401,F811  (fixture)


def _word(text: str, start: float, end: float) -> Word:
    return Word(text, start, end, 0.9)


def test_uncovered_finds_speech_without_words():
    speech_spans = [Stretch(0.0, 5.0), Stretch(6.0, 9.0)]
    words = [_word("a", 0.2, 0.5), _word("b", 3.6, 4.0), _word("c", 6.1, 6.4)]
    gaps = coverage.uncovered(speech_spans, words, min_gap=1.0, pad=0.3)
    assert gaps == (Stretch(0.8, 3.3), Stretch(6.7, 9.0)) and str(gaps[0]) == "0.8-3.3 s"
    assert coverage.covered_share(speech_spans, words, pad=0.3) == pytest.approx(1 - (2.5 + 2.3 + 0.7) / 8, abs=1e-3)
    assert coverage.covered_share([], words) == 1.0


def test_a_short_hole_is_decoded_again_only_where_the_speech_runs_to_the_recordings_end():
    words = [_word("printing", 6.76, 7.22)]  # LJ001-0012 by telephone: "beautiful letters" after it, dropped
    to_end = [Stretch(5.89, 8.239)]
    assert coverage.uncovered(to_end, words) == ()  # 0.72 s: under MIN_GAP_S
    assert coverage.ending_gap(to_end, words, duration=8.239) == (Stretch(7.22, 8.239),)  # from the last word
    assert coverage.ending_gap(to_end, words, duration=9.5) == ()  # a pause follows: the speech ended
    assert coverage.ending_gap([Stretch(5.89, 7.8)], words, duration=7.8) == ()  # 0.28 s: a word's tail
    assert coverage.ending_gap([Stretch(5.0, 9.0)], [_word("a", 5.1, 5.4)], duration=9.0) == ()  # uncovered's
    assert coverage.ending_gap([], words, duration=8.239) == ()


def test_words_found_again_are_kept_only_inside_the_stretch_and_only_when_they_are_words():
    found = Segment(0.0, 3.0, "Oh. ask what you", (_word("Oh.", 0.05, 0.2), _word("...", 0.4, 0.5),
                                                    _word("ask", 0.6, 0.8), _word("what", 0.9, 1.1),
                                                    _word("you", 2.8, 3.0)))
    pieces = []

    def decode(piece):
        pieces.append(len(piece))
        return [found]

    segments, recovered = coverage.redecode(np.zeros(16000 * 20, dtype=np.float32),
                                            [Stretch(10.5, 11.6), Stretch(12.0, 12.5)], decode, pad=0.3)
    assert pieces == [int((12.5 + 0.3) * 16000) - int((10.5 - 0.3) * 16000)]  # close stretches: one piece
    assert recovered == (Stretch(10.5, 11.6),)
    assert [(w.text, w.start) for w in segments[0].words] == [("ask", 10.8), ("what", 11.1)]
    assert segments[0].text == "ask what"


@pytest.fixture(scope="module")
def forced(tmp_path_factory):
    from benchmarks import forced_skip

    speech("ljspeech")
    return forced_skip.build(SPEECH.parent, tmp_path_factory.mktemp("forced-skip"))


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["faster-whisper", "openai-whisper"])
def test_a_skip_is_decoded_again_and_what_cannot_be_recovered_is_recorded(engine, forced, tmp_path, model_cache):  # noqa: F811
    stage.transcribe(forced.audio, tmp_path / "heard.json", episode="skip", language="en", root=tmp_path,
                     settings=TranscriptionSettings(engine=engine), prompt=forced.prompt)
    heard = load(tmp_path / "heard.json")
    found = heard.coverage
    assert any(r.start < forced.skipped.end and forced.skipped.start < r.end for r in found.redecoded), found
    skipped = [w.text for w in heard.words if forced.skipped.start <= (w.start + w.end) / 2 <= forced.skipped.end]
    assert normalise(" ".join(skipped)) == normalise(forced.skipped_text)
    assert found.without_words, found
    assert all(forced.muffled.start <= s.start and s.end <= forced.muffled.end for s in found.without_words)
    assert found.covered_share < 0.9 and found.speech_s > 30


COURSE = course_head() + SPEAKERS + """
[[episodes]]
slug = "skip"
module = 1
number = 1
title = "A skip"
summary = "Speech the decoder skipped, and speech it cannot hear."
date = 2026-09-01
speakers = ["host"]

[[episodes.sources]]
file = "skip.wav"
"""


def _check(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", "--course", "course.toml", "check"], cwd=root,
                          capture_output=True, text=True, timeout=180)


@pytest.mark.slow
def test_check_and_the_review_file_list_speech_without_words_with_its_times(forced, tmp_path, model_cache):  # noqa: F811
    (tmp_path / "raw_interviews").mkdir()
    shutil.copy(forced.audio, tmp_path / "raw_interviews" / "skip.wav")
    (tmp_path / "course.toml").write_text(COURSE, encoding="utf-8")
    course = course_file.load(tmp_path / "course.toml")
    episode = course.episodes[0]
    heard = layout.heard_transcript(course, episode)
    stage.transcribe(forced.audio, heard, episode="skip", language="en", root=tmp_path,
                     settings=TranscriptionSettings(), prompt=forced.prompt)
    gaps = load(heard).coverage.without_words
    said = _check(tmp_path)
    assert said.returncode == 1
    for gap in gaps:
        assert f"  skip: {gap}: speech but no words; listen there and write what is said into edits/skip.txt" \
            in said.stdout, said.stdout
    assert "the words cover" in said.stdout and "under [transcription].min_speech_coverage = 0.95" in said.stdout

    identity_timeline(layout.timeline(course, episode), load(heard).duration)
    next(t for t in speakers.tasks(course) if t.name == "speakers:skip").run()
    proofread.write_review(proofread.review_job(course, episode))
    review = layout.review_file(course, episode).read_text(encoding="utf-8")
    assert f"Speech without words ({len(gaps)}); listen there and write what is said into edits/skip.txt" in review
    assert all(f"] {gap}: speech but no words" in review for gap in gaps)

    machine = load(layout.machine_transcript(course, episode))  # an editor writes the first stretch's words
    middle = (gaps[0].start + gaps[0].end) / 2
    written = Segment(middle, middle + 0.4, "Printing.", (Word("Printing.", middle, middle + 0.4, 1.0, "forced"),))
    replace(machine, segments=tuple(sorted((*machine.segments, written), key=lambda s: s.start))).save(
        layout.transcript(course, episode, "json"))
    said = _check(tmp_path)
    assert f"skip: {gaps[0]}: speech but no words" not in said.stdout
    assert all(f"skip: {gap}: speech but no words" in said.stdout for gap in gaps[1:])
