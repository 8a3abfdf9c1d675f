"""One time base: course-file times land on the right words after stings, joins and shortened pauses.

Chapters and turn hints are written in the course file's time (the episode as cut,
intro included, before pauses are shortened). With `shorten_pauses = true` every
later word moves earlier; a time that is not mapped lands seconds late, on the
previous speaker's words. The course here has an intro sting, two recordings and
two long pauses, so each later turn moves further.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SPEAKERS, course_head
from pipeline.core.timecode import format_timecode

pytestmark = pytest.mark.slow
RATE = 44100  # Hz of the generated recordings
CROSSFADE_S = 0.03  # [audio] crossfade_ms = 30
PAUSE_S = 3.0  # seconds of silence inside each recording: shortened to 1.2 s
LEAD_S = 0.5  # seconds of silence at each end of a recording
HINT_BEFORE_S = 0.25  # seconds before a sentence's first word that its turn hint and chapter are set
LINES = (  # (recording, speaker, voice, text, chapter)
    ("one.wav", "host", "en-gb+m3", "Welcome to the harbour episode of the course.", "Welcome"),
    ("one.wav", "guest", "en-us+f2", "Thank you. The city opened its data about the harbour.", "Harbour data"),
    ("two.wav", "host", "en-gb+m3", "Tell us about the bicycle lanes in the old town.", "Bicycle lanes"),
    ("two.wav", "guest", "en-us+f2", "The city measured every bicycle trip for a whole year.", "A year of trips"),
)
MARKERS = ("welcome", "thank", "tell", "measured")  # one word of each line that tiny.en hears reliably


def _run(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def _seconds(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True)
    return float(out.stdout)


def _line(folder: Path, index: int, voice: str, text: str) -> Path:
    raw, wav = folder / f"line{index}.espeak.wav", folder / f"line{index}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True)
    _run("-i", str(raw), "-ar", str(RATE), "-ac", "1", "-c:a", "pcm_s16le", str(wav))
    return wav


def _recording(lines: list[Path], target: Path) -> None:
    parts = [LEAD_S, lines[0], PAUSE_S, lines[1], LEAD_S]
    inputs, labels = [], []
    for index, part in enumerate(parts):
        inputs += ["-f", "lavfi", "-t", str(part), "-i", f"anullsrc=r={RATE}:cl=mono"] if isinstance(part, float) \
            else ["-i", str(part)]
        labels.append(f"[{index}:a]")
    _run(*inputs, "-filter_complex", "".join(labels) + f"concat=n={len(parts)}:v=0:a=1[a]", "-map", "[a]",
         "-c:a", "pcm_s16le", str(target))


def _course_times(intro: float, lengths: list[float], one: float) -> list[float]:
    """Where each line starts in the course file's time: intro, then the recordings, crossfaded."""
    start_one = intro - CROSSFADE_S
    start_two = start_one + one - CROSSFADE_S
    return [start_one + LEAD_S, start_one + LEAD_S + lengths[0] + PAUSE_S,
            start_two + LEAD_S, start_two + LEAD_S + lengths[2] + PAUSE_S]


def _marks(key: str, label: str, times: list[float], values: list[str]) -> str:
    items = ", ".join(f'{{ at = "{format_timecode(max(0.0, t - HINT_BEFORE_S))}", {label} = "{v}" }}'
                      for t, v in zip(times, values))
    return f"{key} = [{items}]"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("timebase")
    raw = root / "raw_interviews"
    raw.mkdir()
    lines = [_line(root, i, voice, text) for i, (_, _, voice, text, _) in enumerate(LINES)]
    _recording(lines[:2], raw / "one.wav")
    _recording(lines[2:], raw / "two.wav")
    (root / "media").mkdir()
    _run("-f", "lavfi", "-i", "sine=frequency=660:duration=2", "-ar", str(RATE), "-ac", "1", str(root / "media/intro.wav"))
    times = _course_times(_seconds(root / "media/intro.wav"), [_seconds(p) for p in lines], _seconds(raw / "one.wav"))
    episode = f"""
[[episodes]]
slug = "harbour"
module = 1
number = 1
title = "The harbour"
summary = "Stings, two recordings and long pauses."
date = 2026-09-01
speakers = ["host", "guest"]
{_marks("chapters", "title", times, [c for *_, c in LINES])}
{_marks("turns", "speaker", times, [s for _, s, *_ in LINES])}

[[episodes.sources]]
file = "one.wav"

[[episodes.sources]]
file = "two.wav"

[audio]
intro = "media/intro.wav"
shorten_pauses = true
max_pause_s = 1.2
"""
    (root / "course.toml").write_text(course_head() + SPEAKERS + episode, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "pipeline", "--course", str(root / "course.toml"), "-j", "2",
                             "build"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return root


def _words(root: Path) -> list[tuple[str, float, str | None]]:
    """(lower-case word, start, speaker) of the final transcript, in order."""
    data = json.loads((root / "transcripts/harbour.json").read_text(encoding="utf-8"))
    return [(w["text"].strip().lower().strip(".,!?"), w["start"], s.get("speaker"))
            for s in data["segments"] for w in s["words"]]


def _first(words, marker: str) -> tuple[str, float, str | None]:
    return next(w for w in words if w[0].startswith(marker))


def test_pauses_were_shortened(built):
    published = _seconds(built / "episodes/harbour.mp3")
    uncut = 2.0 - CROSSFADE_S + _seconds(built / "raw_interviews/one.wav") - CROSSFADE_S \
        + _seconds(built / "raw_interviews/two.wav")
    assert published < uncut - 2 * (PAUSE_S - 1.2) + 0.5  # both long pauses came out


def test_turn_hints_name_the_first_word_of_every_turn(built):
    words = _words(built)
    for marker, (_, speaker, *_) in zip(MARKERS, LINES):
        assert _first(words, marker)[2] == speaker, (marker, words)


def test_chapters_start_at_their_first_word_in_tags_and_chapters_json(built):
    words = _words(built)
    chapters = json.loads((built / "episodes/harbour.chapters.json").read_text(encoding="utf-8"))["chapters"]
    assert [c["title"] for c in chapters] == [c for *_, c in LINES]
    for chapter, marker in zip(chapters[1:], MARKERS[1:]):
        first = _first(words, marker)[1]
        assert first - 1.0 < chapter["startTime"] <= first + 0.1, (chapter, first)


def test_pdf_chapter_headings_sit_between_the_turns_they_separate(built):
    text = subprocess.run(["pdftotext", str(built / "transcripts/harbour.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = " ".join(text.split())
    lower = flat.lower()
    for index in range(1, len(LINES)):
        heading = flat.index(LINES[index][4])
        before, after = lower.index(MARKERS[index - 1]), lower.index(MARKERS[index])
        assert before < heading < after, (LINES[index][4], flat)


def test_a_struck_line_takes_its_chapter_and_later_times_still_land(built):
    """A strike on top of the sting and the shortened pauses: the struck line's chapter is dropped (the review
    file says so) and every later chapter and turn still starts on its first word."""
    import io
    import re

    from pipeline.core import course_file, layout, runner, stages
    from pipeline.core.dependency import StateStore
    from pipeline.core.progress import Progress

    edit = built / "edits/harbour.txt"
    text = edit.read_text(encoding="utf-8")
    body = text.split("\n\n[", 1)
    struck = re.sub(r"(Thank you.*?arbou?r\.)", r"~~\1~~", body[1], count=1, flags=re.S)  # tiny.en: "Harbor"
    assert struck != body[1]
    edit.write_text(body[0] + "\n\n[" + struck, encoding="utf-8")
    course = course_file.load(built / "course.toml")
    report = runner.run(stages.all_tasks(course), StateStore(built / layout.STATE), jobs=2,
                        progress=Progress(io.StringIO(), live=False))
    assert report.ok, report.failed
    assert not [t for t in report.built if t.startswith(("transcribe:", "episodes:"))], report.built
    words = _words(built)
    assert not any(w[0].startswith("thank") for w in words)
    chapters = json.loads((built / "episodes/harbour.chapters.json").read_text(encoding="utf-8"))["chapters"]
    assert [c["title"] for c in chapters] == ["Welcome", "Bicycle lanes", "A year of trips"]
    for chapter, marker in zip(chapters[1:], MARKERS[2:]):
        first = _first(words, marker)[1]
        assert first - 1.0 < chapter["startTime"] <= first + 0.1, (chapter, first)
    for marker, (_, speaker, *_) in zip(MARKERS[2:], LINES[2:]):
        assert _first(words, marker)[2] == speaker
    review = (built / "transcripts/harbour.review.txt").read_text(encoding="utf-8")
    assert "Chapters left empty by strikes (1)" in review and "Harbour data" in review
    edit.write_text(text, encoding="utf-8")
