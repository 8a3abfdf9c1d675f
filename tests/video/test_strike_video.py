"""A struck sentence leaves the captioned video too: picture and sound cut at the same place, in sync.

The recording is real read speech (LJ Speech clips) under a picture whose frame N
is grey at luminance 16 + 4*(N mod 50), so each frame says which source frame it
is. After a strike, the sound at a published time is found in the recording by
cross-correlation, and the picture shown then must be the source frame of that
sound, within one frame.
"""
from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import SPEAKERS, course_head, episode_table
from paths import SPEECH
from pipeline.core import course_file, layout, runner, stages
from pipeline.core.dependency import StateStore
from pipeline.core.progress import Progress
from pipeline.core.transcript import load
from pipeline.proofread.editing import shown_words

LJ = SPEECH / "ljspeech"
CLIPS = ["LJ001-0001", "LJ001-0002", "LJ001-0003", "LJ001-0004"]
GAP_S = 1.0  # seconds of silence before each clip
FPS = 25  # frames per second of the recording
LUMA_STEP = 4  # luminance step per frame number
CYCLE = 50  # frames after which the luminance repeats
RATE = 16000  # Hz the sound is compared at
WINDOW_S = 1.5  # seconds of sound compared
SEARCH_S = 0.6  # seconds searched either side of the expected source time

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not LJ.is_dir(), reason="../shared/speech/ljspeech is not there")]

EPISODE = '\n[audio]\nvideo_height = 144\n' + episode_table(
    "talk", "talk.mp4", title="Printing, on video", summary="A reading on video, cut by editing the text.", kind="video")


def _run(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def _seconds(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True)
    return float(out.stdout)


def _pcm(path: Path) -> np.ndarray:
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", str(RATE),
                          "-f", "f32le", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(out, dtype="<f4").astype(np.float64)


def _recording(root: Path) -> tuple[Path, list[tuple[float, float]]]:
    inputs, labels, clips, at = [], [], [], 0.0
    for index, name in enumerate(CLIPS):
        length = _seconds(LJ / f"{name}.wav")
        clips.append((at + GAP_S, at + GAP_S + length))
        at += GAP_S + length
        inputs += ["-i", str(LJ / f"{name}.wav")]
        labels.append(f"[{index}:a]aresample=22050,adelay={int(GAP_S * 1000)}:all=1[a{index}]")
    wav = root / "speech.wav"
    graph = ";".join(labels) + ";" + "".join(f"[a{i}]" for i in range(len(CLIPS))) + \
        f"concat=n={len(CLIPS)}:v=0:a=1,apad=pad_dur={GAP_S}[out]"
    _run(*inputs, "-filter_complex", graph, "-map", "[out]", "-c:a", "pcm_s16le", str(wav))
    video = root / "raw_interviews" / "talk.mp4"
    luma = f"16+{LUMA_STEP}*mod(N\\,{CYCLE})"
    _run("-f", "lavfi", "-i", f"color=c=black:s=128x72:r={FPS}:d={_seconds(wav):.3f}", "-i", str(wav),
         "-vf", f"geq=lum='{luma}':cb=128:cr=128,format=yuv420p", "-c:v", "libx264", "-preset", "ultrafast",
         "-qp", "0", "-c:a", "aac", "-b:a", "128k", "-shortest", str(video))
    return wav, clips


def _build(root: Path):
    course = course_file.load(root / "course.toml")
    tasks = runner.select(stages.all_tasks(course), ["episodes", "transcribe", "video"])
    report = runner.run(tasks, StateStore(root / layout.STATE), jobs=2, progress=Progress(io.StringIO(), live=False))
    assert report.ok, report.failed
    return course, report


def _frame_number(path: Path, index: int) -> float:
    """Which source frame (mod CYCLE) frame `index` of the video shows, from its grey level."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-vf", f"select=eq(n\\,{index})",
                          "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                         capture_output=True, check=True).stdout
    grey = float(np.frombuffer(out, dtype=np.uint8).mean())
    return grey * 219 / 255 / LUMA_STEP  # limited-range luma read back as full-range grey


def _source_of_sound(published: np.ndarray, at: float, raw: np.ndarray, guess: float) -> float:
    """Seconds of the recording whose sound plays at `at` of the published file (cross-correlation)."""
    piece = published[int(at * RATE): int((at + WINDOW_S) * RATE)]
    lo = max(0, int((guess - SEARCH_S) * RATE))
    hay = raw[lo: int((guess + SEARCH_S + WINDOW_S) * RATE)]
    return (lo + int(np.argmax(np.correlate(hay, piece, mode="valid")))) / RATE


def _strike_words(text: str, first: int, last: int) -> str:
    places = []
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if not line.lstrip().startswith("#") and not re.match(r"^\s*\[\s*\d", line):
            places += [(index, m.start(), m.end()) for m in re.finditer(r"\S+", line)]
    for line, column in sorted([(places[last][0], places[last][2]), (places[first][0], places[first][1])],
                               reverse=True):
        lines[line] = lines[line][:column] + "~~" + lines[line][column:]
    return "\n".join(lines)


def test_a_strike_cuts_the_captioned_video_with_picture_and_sound_in_sync(tmp_path):
    (tmp_path / "raw_interviews").mkdir()
    wav, clips = _recording(tmp_path)
    (tmp_path / "course.toml").write_text(course_head() + SPEAKERS + EPISODE, encoding="utf-8")
    course, _ = _build(tmp_path)
    ep = course.episodes[0]
    video = layout.captioned_video(course, ep)
    before = _seconds(video)
    machine = load(layout.machine_transcript(course, ep))
    struck = [i for i, s in enumerate(shown_words(machine)) if clips[2][0] - 0.2 <= s.word.start < clips[2][1]]
    edit = layout.edit_file(course, ep)
    edit.write_text(_strike_words(edit.read_text(encoding="utf-8"), struck[0], struck[-1]), encoding="utf-8")
    course, report = _build(tmp_path)
    assert not [t for t in report.built if t.startswith(("transcribe:", "episodes:"))], report.built
    assert {"master:talk", "video-encode:talk", "video:talk"} <= set(report.built)
    removed = clips[2][1] - clips[2][0] + GAP_S
    print(f"\nvideo: expected {removed:.3f} s out, {before - _seconds(video):.3f} s out")
    assert before - _seconds(video) == pytest.approx(removed, abs=0.3)
    raw, published = _pcm(wav), _pcm(video)
    cut_at = clips[2][0] - GAP_S / 2  # published time of the cut, about (nothing before it moved)
    for at in (cut_at - 3.0, cut_at + 1.0, cut_at + 4.0):
        guess = at + (removed if at > cut_at else 0.0)
        sound = _source_of_sound(published, at, raw, guess)
        picture = _frame_number(video, round(at * FPS)) / FPS  # source seconds, modulo CYCLE frames
        period = CYCLE / FPS
        off = (picture - sound + period / 2) % period - period / 2
        print(f"\nvideo at {at:.2f} s: sound from {sound:.3f} s of the recording, picture {off * FPS:+.2f} frames off")
        assert abs(off) <= 1.0 / FPS + 0.01, (at, sound, picture)
