"""The episodes stage end to end: cuts, channels, video frames, stings, pauses, tasks and every error path.

Real ffmpeg on tiny generated media; outputs checked as a listener's player
would see them (decoded samples, ffprobe, mutagen), never by comparing bytes.
"""
from __future__ import annotations

import dataclasses
import math
import os
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
from mutagen.mp3 import MP3, BitrateMode

from episodes_helpers import (
    LUMA_STEP, decode, episode_toml, espeak, ffmpeg, first_frames_luma, frame_luma, mp4_boxes, numbered_video,
    published, run_tasks, split_stereo, tone, write_course,
)
from pipeline.episodes import stage as episodes
from pipeline.core import layout
from pipeline.episodes.audio import disk_errors, wav_frames
from pipeline.core.errors import StageError
from pipeline.episodes.loudness import load_report
from pipeline.core.media import probe

RATE = 44100  # Hz of every encode
FREQ = 440.0  # Hz of the test tone


def _task(course, name: str):
    return next(t for t in episodes.tasks(course) if t.name == name)


# -- cutting ---------------------------------------------------------------------------
JOIN_RANGES = [(0.101, 0.901), (1.237, 1.812), (2.457, 2.900)]  # seconds, cut mid-wave


@pytest.fixture(scope="module")
def joined(tmp_path_factory):
    """A 3-range episode cut from one continuous sine, at points where the wave is far from zero."""
    root = tmp_path_factory.mktemp("joined")
    (root / "raw_interviews").mkdir()
    tone(root / "raw_interviews" / "sine.wav", 3.0, freq=FREQ, amplitude=0.5)
    keep = ", ".join(f'["00:00:0{a:.3f}", "00:00:0{b:.3f}"]' for a, b in JOIN_RANGES)
    course = write_course(root, episode_toml("joined", f"""
        [[episodes.sources]]
        file = "sine.wav"
        keep = [{keep}]
        """))
    run_tasks(course, ("artwork", "episodes", "master", "tags"))
    return course


def test_joins_have_no_discontinuity(joined):
    ep = joined.episode("joined")
    samples = decode(layout.episode_audio(joined, ep, "mp3"), rate=RATE)[:, 0]
    lengths = [round(b * RATE) - round(a * RATE) for a, b in JOIN_RANGES]
    xfade = round(0.030 * RATE)
    joins = [lengths[0] - xfade, lengths[0] + lengths[1] - 2 * xfade]
    amplitude = np.abs(samples[RATE // 10: RATE // 2]).max()
    steady = 2 * amplitude * math.sin(math.pi * FREQ / RATE)  # largest step of a clean sine
    for start, (a, b) in zip(joins, zip(JOIN_RANGES, JOIN_RANGES[1:])):
        naive_jump = abs(math.sin(2 * math.pi * FREQ * b[0]) - math.sin(2 * math.pi * FREQ * a[1])) * amplitude
        assert naive_jump > 5 * steady, "the cut points must be ones where a butt join would click"
        window = samples[start - 2000: start + xfade + 2000]
        assert np.abs(np.diff(window)).max() < 1.6 * steady


def test_cut_is_sample_accurate_and_mp3_has_exact_duration(joined):
    ep = joined.episode("joined")
    expected = (sum(round(b * RATE) - round(a * RATE) for a, b in JOIN_RANGES) - 2 * round(0.03 * RATE)) / RATE
    asr = probe(layout.asr_audio(joined, ep))
    assert asr.audio.sample_rate == 16000 and asr.audio.channels == 1
    assert wav_frames(layout.asr_audio(joined, ep)) == pytest.approx(expected * 16000, abs=1)
    mp3_path = layout.episode_audio(joined, ep, "mp3")
    info = MP3(mp3_path).info
    assert info.bitrate_mode == BitrateMode.CBR and info.channels == 1
    assert info.bitrate == pytest.approx(96000, rel=0.01)
    assert info.sample_rate == RATE
    data = mp3_path.read_bytes()
    size = sum(b << (7 * (3 - i)) for i, b in enumerate(data[6:10])) + 10 if data[:3] == b"ID3" else 0
    assert data[size: size + 2] == b"\xff\xfb"  # the first MPEG frame right after the tag ...
    assert b"Info" in data[size: size + 64]  # ... is the Xing/Info frame (CBR) with the frame count
    assert info.length == pytest.approx(expected, abs=0.06)  # whole frames (26 ms) plus encoder delay
    assert decode(mp3_path, rate=RATE).shape[0] / RATE == pytest.approx(expected, abs=0.002)


# -- channels ----------------------------------------------------------------------------
def test_one_speaker_per_channel_comes_out_mono_with_sides_for_asr(tmp_path):
    raw = tmp_path / "raw_interviews"
    raw.mkdir()
    espeak(tmp_path / "host.wav", "Welcome to the course. Today we talk about smart cities.")
    espeak(tmp_path / "guest.wav", "Thank you. Smart cities are about people.", voice="en+f3")
    ffmpeg("-i", str(tmp_path / "host.wav"), "-af", "apad=pad_dur=4", str(tmp_path / "host-pad.wav"))
    ffmpeg("-i", str(tmp_path / "guest.wav"), "-af", "adelay=4000:all=1", str(tmp_path / "guest-late.wav"))
    split_stereo(raw / "remote.wav", tmp_path / "host-pad.wav", tmp_path / "guest-late.wav")
    course = write_course(tmp_path, episode_toml("remote", """
        [[episodes.sources]]
        file = "remote.wav"
        keep = [["00:00:00.000", "00:00:06.000"]]
        channels = { left = "host", right = "guest" }
        """))
    run_tasks(course, ("artwork", "episodes", "master", "tags"))
    ep = course.episode("remote")
    for ext in ("mp3", "m4a"):
        assert probe(layout.episode_audio(course, ep, ext)).audio.channels == 1
    report = load_report(layout.loudness_report(course, ep))
    mono = decode(layout.episode_audio(course, ep, "mp3"), rate=16000)[:, 0]
    left = decode(layout.asr_channel(course, ep, "left"), rate=16000)[:, 0]
    right = decode(layout.asr_channel(course, ep, "right"), rate=16000)[:, 0]

    def rms(x, a, b):
        return float(np.sqrt(np.mean(x[int(a * 16000): int(b * 16000)] ** 2)) + 1e-9)

    assert rms(mono, 0.3, 2.0) > 0.01 and rms(mono, 4.3, 5.5) > 0.01  # both voices in the one channel
    assert rms(left, 0.3, 2.0) > 100 * rms(left, 4.3, 5.5)  # the host only on the left
    assert rms(right, 4.3, 5.5) > 100 * rms(right, 0.3, 2.0)  # the guest only on the right
    assert len(left) == len(right) == len(decode(layout.asr_audio(course, ep), rate=16000))
    assert report.channels == 1 and report.target_lufs == -19.0


# -- video -------------------------------------------------------------------------------
def test_video_cut_lands_on_the_requested_frames(tmp_path):
    (tmp_path / "raw_interviews").mkdir()
    numbered_video(tmp_path / "raw_interviews" / "talk.mp4", 2.0)
    course = write_course(tmp_path, episode_toml("talk", """
        [[episodes.sources]]
        file = "talk.mp4"
        kind = "video"
        keep = [["00:00:00.480", "00:00:01.000"], ["00:00:01.400", "00:00:01.900"]]
        """), audio="video_height = 144\n")
    results = run_tasks(course, ("artwork", "episodes", "master", "tags", "video-encode"))
    ep = course.episode("talk")
    video = layout.episode_video(course, ep)
    assert "video-encode:talk" in results
    info = probe(video)
    assert (info.video.codec, info.video.height, info.audio.codec) == ("h264", 144, "aac")
    full_range = 255 / 219  # the test video's limited-range luma read back as full-range grey

    def frame_number(luma: float) -> float:
        return luma / full_range / LUMA_STEP

    assert frame_number(first_frames_luma(video, 1)[0]) == pytest.approx(12, abs=0.3)  # 0.480 s at 25 fps
    second = round((round(0.52 * RATE) - round(0.03 * RATE)) * 25 / RATE)  # where the second clip starts
    assert frame_number(frame_luma(video, second)) == pytest.approx(35, abs=0.3)  # 1.400 s
    assert frame_number(frame_luma(video, second - 1)) == pytest.approx(12 + second - 1, abs=0.3)
    boxes = mp4_boxes(video)
    assert "moov" in boxes and "mdat" in boxes and boxes.index("moov") < boxes.index("mdat")  # +faststart
    assert info.duration == pytest.approx(probe(layout.episode_audio(course, ep, "m4a")).duration, abs=0.05)


# -- stings and shortened pauses ---------------------------------------------------------
def test_intro_sting_and_shortened_pauses_move_the_chapters(tmp_path):
    raw = tmp_path / "raw_interviews"
    raw.mkdir()
    (tmp_path / "stings").mkdir()
    tone(tmp_path / "stings" / "intro.wav", 1.0, freq=880, amplitude=0.3)
    # a 'word' from 0 to 1.5 s, a 2.5 s pause, a 'word' from 4 to 5.5 s
    ffmpeg("-f", "lavfi", "-i", "aevalsrc=0.3*sin(2*PI*440*t)*between(mod(t\\,4)\\,0\\,1.5):s=44100:d=6",
           str(raw / "talk.wav"))
    chapters = 'chapters = [{ at = "00:00:00.000", title = "Start" }, { at = "00:00:04.970", title = "Second" }]'
    course = write_course(tmp_path, episode_toml("talk", """
        [[episodes.sources]]
        file = "talk.wav"
        """, chapters=chapters), audio='intro = "stings/intro.wav"\nshorten_pauses = true\nmax_pause_s = 0.6\n')
    run_tasks(course, ("artwork", "episodes", "master", "tags"))
    ep = course.episode("talk")
    mp3 = layout.episode_audio(course, ep, "mp3")
    second = MP3(mp3).tags.getall("CHAP")[1].start_time / 1000
    assert 2.5 < second < 3.3  # 4.97 s before shortening, about 1.9 s of pause removed
    audio = decode(mp3, rate=RATE)[:, 0]

    def rms(a, b):
        return float(np.sqrt(np.mean(audio[int(a * RATE): int(b * RATE)] ** 2)))

    assert rms(second + 0.05, second + 0.25) > 20 * rms(second - 0.25, second - 0.05)  # lands on the 'word'
    asr = decode(layout.asr_audio(course, ep), rate=16000)[:, 0]
    assert np.abs(asr[: 14000]).max() < 1e-3  # the sting is muted for the transcriber
    assert len(asr) / 16000 == pytest.approx(len(audio) / RATE, abs=0.06)
    removed = (2.5 - 0.6) + 0.03  # the pause beyond max_pause_s, and the crossfade of the new join
    assert len(audio) / RATE == pytest.approx(1.0 + 6.0 - 0.03 - removed, abs=0.08)  # intro + recording


# -- tasks and staleness -----------------------------------------------------------------
def test_tasks_split_audio_from_tags_so_a_title_change_keeps_the_audio(course_dir):
    from pipeline.core import course_file

    course = course_file.load(course_dir / "course.toml")
    tasks = {t.name: t for t in episodes.tasks(course)}
    assert {"episodes:ep1", "master:ep1", "tags:ep1", "artwork:course", "artwork:module-1"} <= set(tasks)
    audio, master, tags = tasks["episodes:ep1"], tasks["master:ep1"], tasks["tags:ep1"]
    assert all(t.stage == "episodes" for t in tasks.values())
    ep = course.episode("ep1")
    assert audio.inputs == (course_dir / "raw_interviews" / "ep1.wav",)
    assert {layout.asr_audio(course, ep), layout.cut_master(course, ep), layout.timeline(course, ep)} \
        <= set(audio.targets)
    assert layout.untagged_audio(course, ep, "mp3") not in audio.targets  # the cut encodes nothing
    assert set(master.inputs) == {layout.cut_master(course, ep), layout.asr_audio(course, ep),
                                  layout.timeline(course, ep), layout.strikes(course, ep),
                                  layout.voice_turns(course, ep)}  # times and voice indices: levelling's
    assert {layout.loudness_report(course, ep), layout.untagged_audio(course, ep, "m4a"),
            layout.published_timeline(course, ep)} <= set(master.targets)
    assert set(tags.inputs) >= {layout.untagged_audio(course, ep, "mp3"), layout.artwork(course, course.modules[0]),
                                layout.published_timeline(course, ep)}
    assert layout.episode_audio(course, ep, "mp3") in tags.targets
    assert audio.weight == pytest.approx(1.5)
    retitled = dataclasses.replace(course, episodes=(dataclasses.replace(ep, title="New title"),))
    new = {t.name: t for t in episodes.tasks(retitled)}
    assert new["episodes:ep1"].params == audio.params and new["master:ep1"].params == master.params
    assert new["tags:ep1"].params != tags.params


# -- errors: one clear message, nothing in episodes/ ------------------------------------------
def _garbage(raw: Path) -> str:
    (raw / "x.wav").write_bytes(os.urandom(4096))
    return '["00:00:00.000", "00:00:01.000"]'


def _truncated(raw: Path) -> str:
    """A FLAC cut short in transfer: its header still says 3 s, under 1 s of audio remains."""
    ffmpeg("-f", "lavfi", "-i", "sine=d=3", "-f", "flac", str(raw / "x.wav"))
    with open(raw / "x.wav", "r+b") as handle:
        handle.truncate(handle.seek(0, 2) * 2 // 5)
    return '["00:00:00.500", "00:00:02.500"]'


def _past_end(raw: Path) -> str:
    tone(raw / "x.wav", 2.0)
    return '["00:00:01.000", "00:00:05.000"]'


def _no_audio(raw: Path) -> str:
    ffmpeg("-f", "lavfi", "-i", "color=c=blue:s=64x64:r=25:d=2", "-c:v", "libx264", "-f", "matroska",
           str(raw / "x.wav"))
    return '["00:00:00.000", "00:00:01.000"]'


def _silent(raw: Path) -> str:
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", "2", str(raw / "x.wav"))
    return '["00:00:00.000", "00:00:01.500"]'


@pytest.mark.parametrize("make, words", [
    (_garbage, "not a readable recording"),
    (_truncated, "truncated"),
    (_past_end, "past the end"),
    (_no_audio, "no audio stream"),
    (_silent, "silent"),
])
def test_bad_recordings_fail_with_one_clear_message_and_leave_nothing(tmp_path, make, words):
    (tmp_path / "raw_interviews").mkdir()
    keep = make(tmp_path / "raw_interviews")
    course = write_course(tmp_path, episode_toml("bad", f"""
        [[episodes.sources]]
        file = "x.wav"
        keep = [{keep}]
        """))
    with pytest.raises(StageError) as caught:
        _task(course, "episodes:bad").run()
    message = str(caught.value)
    assert words in message and "'bad'" in message and "x.wav" in message
    assert published(tmp_path) == []
    work = layout.work_dir(course, course.episode("bad"))
    assert not work.exists() or not [p for p in work.iterdir() if ".part" in p.name]


def test_full_disk_is_one_clear_message(tmp_path):
    (tmp_path / "raw_interviews").mkdir()
    tone(tmp_path / "raw_interviews" / "x.wav", 3.0)
    course = write_course(tmp_path, episode_toml("full", """
        [[episodes.sources]]
        file = "x.wav"
        """))
    state = tmp_path / ".coursecast"
    state.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(state)],
                             capture_output=True).returncode == 0
    if not mounted:
        pytest.skip("cannot mount a small tmpfs here (needs root); the /dev/full test covers the message")
    try:
        with pytest.raises(StageError, match="disk is full") as caught:
            _task(course, "episodes:full").run()
        assert "'full'" in str(caught.value)
        assert published(tmp_path) == []
    finally:
        subprocess.run(["umount", str(state)], check=True)


def test_ffmpeg_hitting_a_full_device_becomes_a_disk_full_error():
    from pipeline.core.media import run

    with pytest.raises(StageError, match="disk is full") as caught:
        with disk_errors("episode 'x'"):
            run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=5", "-f", "wav", "-y", "/dev/full"],
                what="writing")
    assert "episode 'x'" in str(caught.value)


def test_wav_frame_count_reads_float_wav_headers(tmp_path):
    ffmpeg("-f", "lavfi", "-i", "sine=d=1.25:sample_rate=44100", "-c:a", "pcm_f32le", str(tmp_path / "f.wav"))
    assert wav_frames(tmp_path / "f.wav") == round(1.25 * 44100)
    assert struct.unpack("<H", (tmp_path / "f.wav").read_bytes()[20:22])[0] in (3, 0xFFFE)  # float format


# -- the timeline (pure) -----------------------------------------------------------------
def test_timeline_chains_pieces_with_bounded_crossfades_and_maps_times_across_cuts():
    from pipeline.episodes.timeline import chain, map_time, master_spans, remove

    timeline = chain([(0, 0, 44100), (1, 1000, 1600), (2, 0, 88200)], 44100, 1323)
    assert [c.xfade for c in timeline.clips] == [0, 300, 300]  # never more than half of a short piece
    assert [c.at for c in timeline.clips] == [0, 43800, 44100]
    assert timeline.samples == 44100 + 600 + 88200 - 600
    shortened = remove(timeline, [(1.5, 2.5), (0.1, 0.2)], 0.030)  # (0.1, 0.2) is inside piece 0's interior
    assert shortened.removed == ((0.1, 0.2), (1.5, 2.5))
    assert master_spans(timeline, shortened) == [(0, 4410), (8820, 66150), (110250, timeline.samples)]
    fade = 1323 / 44100
    assert map_time(shortened, 0.05) == pytest.approx(0.05)
    assert map_time(shortened, 1.0) == pytest.approx(1.0 - 0.1 - fade)
    assert map_time(shortened, 2.0) == pytest.approx(1.5 - 0.1 - fade - fade)  # inside a cut: where it ends
    assert map_time(shortened, 2.7) == pytest.approx(2.7 - 0.1 - 1.0 - 2 * fade)
    assert shortened.samples == timeline.samples - round(1.1 * 44100) - 2 * 1323


def test_preflight_reports_missing_stings_before_a_build(course_dir):
    from pipeline.core import course_file

    course = course_file.load(course_dir / "course.toml")
    broken = dataclasses.replace(course, audio=dataclasses.replace(course.audio, intro="stings/missing.wav"))
    assert any("intro sting stings/missing.wav does not exist" in p for p in episodes.preflight(broken))
    assert episodes.preflight(course) == [] and episodes.check(course) == []
