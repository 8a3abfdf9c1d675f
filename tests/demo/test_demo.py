"""The demo course generator: valid, deterministic, and shaped like the real recordings.

Everything is checked the way a producer would see it: the course file through
the course loader, the recordings through ffprobe, ffmpeg-decoded samples and a
loudness meter.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest

from pipeline.core import course_file
from pipeline.core import course_media
from pipeline.demo.generate import generate
from pipeline.core.media import probe

from paths import REPO
RATE = 16000  # Hz, analysis sample rate
WINDOW_S = 0.1  # seconds per analysis window
TONE_SHARE = 0.9  # share of a window's energy within TONE_BAND_HZ that makes it "a test tone"
TONE_BAND_HZ = (980.0, 1020.0)
DIGITAL_SILENCE_DBFS = -90.0  # a window quieter than this is digital silence (room tone is ~ -60)


def decode(path: Path, *, channels: int = 1, rate: int = RATE) -> np.ndarray:
    """The first audio stream as float samples, shape (frames, channels)."""
    cmd = ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", str(channels),
           "-ar", str(rate), "-f", "f32le", "-"]
    raw = subprocess.run(cmd, capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype="<f4").reshape(-1, channels).astype(np.float64)


def windows(mono: np.ndarray) -> np.ndarray:
    size = int(WINDOW_S * RATE)
    count = len(mono) // size
    return mono[: count * size].reshape(count, size)


def rms_dbfs(frames: np.ndarray) -> np.ndarray:
    return 20 * np.log10(np.sqrt(np.mean(frames ** 2, axis=-1)) + 1e-12)


def tone_windows(mono: np.ndarray) -> list[float]:
    """Start times (s) of windows that are almost all 1 kHz sine and not quiet."""
    frames = windows(mono)
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(frames.shape[1]), axis=1)) ** 2
    freqs = np.fft.rfftfreq(frames.shape[1], 1 / RATE)
    band = (freqs >= TONE_BAND_HZ[0]) & (freqs <= TONE_BAND_HZ[1])
    share = spectrum[:, band].sum(axis=1) / (spectrum.sum(axis=1) + 1e-20)
    loud = rms_dbfs(frames) > -40
    return [i * WINDOW_S for i in np.nonzero((share > TONE_SHARE) & loud)[0]]


def silent_windows(mono: np.ndarray) -> list[float]:
    return [i * WINDOW_S for i in np.nonzero(rms_dbfs(windows(mono)) < DIGITAL_SILENCE_DBFS)[0]]


def inside_keep(source: course_file.Source, start: float) -> bool:
    end = start + WINDOW_S
    return any(start < r.end and end > r.start for r in source.keep)


def loudness(path: Path) -> float:
    samples = decode(path, channels=2, rate=48000)
    return pyloudnorm.Meter(48000).integrated_loudness(samples)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    dest = tmp_path_factory.mktemp("demo")
    report = generate(dest)
    return dest, report, course_file.load(dest / "course.toml")


@pytest.fixture(scope="module")
def second(tmp_path_factory):
    dest = tmp_path_factory.mktemp("demo-again")
    generate(dest)
    return dest


def sources(course, predicate=lambda s: True):
    return [s for e in course.episodes for s in e.sources if predicate(s)]


def test_generated_course_validates_and_has_the_issue_shape(demo):
    dest, report, course = demo
    infos = course_media.probe_sources(course)
    assert len(infos) == len(report.recordings) == 7
    assert [m.number for m in course.modules] == [1, 2, 3]
    assert all(len(course.module_episodes(m.number)) == 2 for m in course.modules)
    assert any(len(e.sources) == 2 for e in course.episodes), "one episode is assembled from two recordings"
    assert [e.kind for e in course.episodes].count("video") == 1
    assert len(sources(course, lambda s: s.channels)) == 1
    assert sum(bool(e.chapters) for e in course.episodes) >= 3
    single = [e for e in course.episodes if len(e.sources) == 1 and not e.sources[0].channels]
    assert single and all(e.turns for e in single), "turn hints on every plain one-recording episode"
    assert all(s.affiliation and s.bio for s in course.speakers)
    assert all(e.summary for e in course.episodes)
    assert course.info.title == "Smart cities for city officials (demo)"


def test_committed_course_file_is_what_the_generator_writes(demo):
    dest, _, _ = demo
    committed = (REPO / "demo" / "course.toml").read_text(encoding="utf-8")
    assert committed == (dest / "course.toml").read_text(encoding="utf-8"), (
        "demo/course.toml is stale: run `python -m pipeline.demo generate --dest demo` and commit it")


def test_every_episode_is_one_to_three_minutes_after_cutting(demo):
    _, report, course = demo
    for episode in course.episodes:
        kept = sum(r.duration for s in episode.sources for r in s.keep)
        assert 60 <= kept <= 180, f"{episode.slug}: {kept:.1f} s kept"
        assert dict(report.episode_seconds)[episode.slug] == pytest.approx(kept, abs=0.01)


def test_keep_ranges_leave_out_the_line_up_tone_and_the_long_silence(demo):
    dest, _, course = demo
    toned, silenced = [], []
    for source in sources(course):
        mono = decode(source.path)
        tones, silences = tone_windows(mono), silent_windows(mono)
        toned += [source.file] if tones else []
        silenced += [source.file] if len(silences) >= 30 else []  # 3 s and more
        assert not [t for t in tones if inside_keep(source, t)], f"{source.file}: kept tone"
        assert not [t for t in silences if inside_keep(source, t)], f"{source.file}: kept digital silence"
    assert len(toned) >= 2, "the demo has line-up tones to cut (an audio take and the video)"
    assert silenced, "the demo has a long silence to cut"


def test_stereo_recording_has_the_interviewer_left_and_the_guest_right(demo):
    _, _, course = demo
    (source,) = sources(course, lambda s: s.channels)
    assert dict(source.channels) == {"left": "lindqvist", "right": "virtanen"}
    stereo = decode(source.path, channels=2)
    left, right = rms_dbfs(windows(stereo[:, 0])), rms_dbfs(windows(stereo[:, 1]))
    assert np.sum(left > right + 20) > 50, "the interviewer speaks alone on the left"
    assert np.sum(right > left + 20) > 50, "the guest speaks alone on the right"
    assert np.corrcoef(left, right)[0, 1] < 0.3


def test_quiet_recording_needs_a_lot_of_gain(demo):
    dest, _, course = demo
    quiet = dest / "raw_interviews" / "module3" / "overgaard-quiet.wav"
    assert loudness(quiet) < -36.0
    normal = dest / "raw_interviews" / "module3" / "overgaard-security.wav"
    assert -28.0 < loudness(normal) < -16.0


def test_video_recording_is_720p25_h264_with_aac(demo):
    _, _, course = demo
    (episode,) = [e for e in course.episodes if e.kind == "video"]
    info = probe(episode.sources[0].path)
    assert (info.video.codec, info.video.width, info.video.height) == ("h264", 1280, 720)
    assert info.video.frame_rate == pytest.approx(25.0)
    assert info.audio.codec == "aac"
    assert info.duration > max(r.end for r in episode.sources[0].keep)


def test_generating_twice_gives_identical_bytes(demo, second):
    first, _, _ = demo
    names = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert Path("course.toml") in names and len(names) >= 8
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), f"{name} differs"


def test_rerun_writes_nothing(demo):
    dest, report, _ = demo
    stamps = {p: p.stat().st_mtime_ns for p in report.recordings}
    again = generate(dest)
    assert again.written == ()
    assert {p: p.stat().st_mtime_ns for p in report.recordings} == stamps
    assert again.course_file.read_bytes() == report.course_file.read_bytes()


def test_a_damaged_recording_is_regenerated(demo, second):
    first, _, _ = demo
    damaged = second / "raw_interviews" / "module1" / "sorensen-words-part2.flac"
    damaged.write_bytes(b"not a recording")
    report = generate(second)
    assert report.written == (damaged,)
    assert damaged.read_bytes() == (first / damaged.relative_to(second)).read_bytes()


def test_command_line_reports_a_no_op(demo):
    dest, _, _ = demo
    proc = subprocess.run([sys.executable, "-m", "pipeline.demo", "generate", "--dest", str(dest)],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "0 file(s) written" in proc.stdout
