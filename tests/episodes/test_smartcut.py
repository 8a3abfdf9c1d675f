"""Smart cutting on real x264 recordings made here: whole GOPs copied bit for bit, the frames around each cut
encoded with the recording's own settings, every frame where the plan puts it; and the recordings it must
leave alone, encoded whole as before."""
from __future__ import annotations

import subprocess
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest

from episodes_helpers import (LUMA_STEP, VIDEO_FPS, episode_toml, first_frames_luma, numbered_video, run_tasks,
                              tone, write_course)
from pipeline.core import layout
from pipeline.core.media import probe
from pipeline.episodes import smartcut

FULL_RANGE = 255 / 219  # the test video's limited-range luma read back as full-range grey


def frame_hashes(path: Path, count: int | None = None) -> list[str]:
    """MD5 of each decoded frame (ffmpeg's framemd5)."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v:0",
                          *(["-frames:v", str(count)] if count else []), "-f", "framemd5", "-"],
                         capture_output=True, text=True, check=True).stdout
    return [line.rsplit(",", 1)[1].strip() for line in out.splitlines() if line and not line.startswith("#")]


def aac_tone(folder: Path, seconds: float) -> Path:
    """A tone as AAC in an M4A: the sound a video episode copies."""
    audio = folder / "sound.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(tone(folder / "sound.wav", seconds)), "-c:a", "aac", str(audio)],
                   check=True)
    return audio


def video_course(tmp_path: Path, keep: str, *, audio: str = "video_height = 144\n", **video):
    (tmp_path / "raw_interviews").mkdir(exist_ok=True)
    numbered_video(tmp_path / "raw_interviews" / "talk.mp4", 4.0, **video)
    return write_course(tmp_path, episode_toml("talk", textwrap.dedent(f"""
        [[episodes.sources]]
        file = "talk.mp4"
        kind = "video"
        keep = {keep}
        """)), audio=audio)


def test_whole_gops_are_copied_and_every_frame_lands_where_the_plan_puts_it(tmp_path):
    """Keyframes every 10 frames; two kept ranges. Lossless, so each frame's grey says which it is."""
    course = video_course(tmp_path, '[["00:00:00.480", "00:00:01.900"], ["00:00:02.200", "00:00:03.700"]]',
                          size="256x144", encoder=("-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-g", "10"))
    result = run_tasks(course, ("artwork", "episodes", "master", "tags", "video-encode"))["video-encode:talk"]
    video = layout.episode_video(course, course.episode("talk"))
    assert result.copied >= 40  # frames 20-39 and 60-89 at least: whole GOPs inside the kept ranges
    lumas = first_frames_luma(video, result.frames)
    numbers = [round(luma / FULL_RANGE / LUMA_STEP) for luma in lumas]
    split = next(n for n in range(1, len(numbers)) if numbers[n] != (numbers[n - 1] + 1) % 50)  # the join
    assert numbers[:split] == [n % 50 for n in range(12, 12 + split)]  # 0.480 s: frame 12, then every one
    assert numbers[split:] == [n % 50 for n in range(55, 55 + len(numbers) - split)]  # 2.200 s: frame 55
    assert split == pytest.approx((1.9 - 0.48) * VIDEO_FPS, abs=2)  # less the crossfade, to the nearest frame
    assert probe(video).duration == pytest.approx(probe(layout.episode_audio(course, course.episode("talk"),
                                                                              "m4a")).duration, abs=0.05)


def test_b_frames_are_copied_bit_for_bit_and_the_encoded_frames_match_the_recording(tmp_path):
    """x264 veryfast (B-frames, pyramid, CRF): the copied frames decode to the recording's exactly."""
    source = numbered_video(tmp_path / "talk.mp4", 4.0, encoder=("-c:v", "libx264", "-preset", "veryfast",
                                                                 "-crf", "30", "-g", "25"))
    src = smartcut.source(source, 128, 72, Fraction(VIDEO_FPS))
    assert "bframes=3" in src.params and src.keys[:3] == (0, 25, 50)
    parts = smartcut.plan([(src, 7, 70)])
    assert [(p.first, p.count, p.copy) for p in parts] == [(7, 18, False), (25, 50, True), (75, 2, False)]
    audio = aac_tone(tmp_path, 3.0)
    out = tmp_path / "out.mp4"
    assert smartcut.build(parts, {source: src}, (128, 72), Fraction(VIDEO_FPS), audio, out, what="test") == 50
    got, want = frame_hashes(out), frame_hashes(source, 77)
    assert len(got) == 70 and got[18:68] == want[25:75]  # the copied GOPs, decoded
    numbers = [round(luma / FULL_RANGE / LUMA_STEP) for luma in first_frames_luma(out, 70)]
    assert numbers == [n % 50 for n in range(7, 77)]  # the encoded ones are the right frames too


def test_at_30_fps_the_copies_start_on_their_keyframes(tmp_path):
    """A keyframe's time at 30 fps has no exact decimal: the seek that copies from it must still land on it."""
    source = tmp_path / "talk.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=128x72:rate=30", "-t", "4",
                    "-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-pix_fmt", "yuv420p", str(source)],
                   check=True)
    src = smartcut.source(source, 128, 72, Fraction(30))
    parts = smartcut.plan([(src, 17, 80)])
    # the first copied keyframe is frame 25, at 0.8333.. s
    assert [(p.first, p.count, p.copy) for p in parts] == [(17, 8, False), (25, 50, True), (75, 22, False)]
    audio = aac_tone(tmp_path, 3.0)
    out = tmp_path / "out.mp4"
    assert smartcut.build(parts, {source: src}, (128, 72), Fraction(30), audio, out, what="test") == 50
    got, want = frame_hashes(out), frame_hashes(source)
    assert len(got) == 80 and got[8:58] == want[25:75]


def test_a_recording_it_cannot_copy_is_encoded_whole(tmp_path):
    """Another size than the episode's: the whole picture is encoded, as before smart cutting."""
    course = video_course(tmp_path, '[["00:00:00.480", "00:00:03.000"]]', size="128x72",
                          encoder=("-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-g", "10"))
    result = run_tasks(course, ("artwork", "episodes", "master", "tags", "video-encode"))["video-encode:talk"]
    assert result.copied == 0 and result.height == 144
    assert probe(layout.episode_video(course, course.episode("talk"))).video.height == 144


@pytest.mark.parametrize("settings, why", [
    ({}, "not made by x264"),
    ({"cabac": "1", "open_gop": "1"}, "open_gop"),
    ({"cabac": "1", "interlaced": "tff"}, "interlaced"),
])
def test_settings_that_rule_copying_out_say_why(settings, why):
    with pytest.raises(smartcut.NotSmart, match=why):
        smartcut.x264_params(settings)


def test_x264s_printed_settings_become_its_parameters():
    printed = {"cabac": "1", "ref": "3", "deblock": "1:-1:-1", "psy_rd": "1.00:0.15", "aq": "1:1.00",
               "b_pyramid": "2", "direct": "1", "rc": "crf", "crf": "23.0", "threads": "3", "analyse": "0x3:0x113"}
    params = dict(item.split("=") for item in smartcut.x264_params(printed).split(":"))
    assert params == {"cabac": "1", "ref": "3", "deblock": "-1,-1", "psy-rd": "1.00,0.15", "aq-mode": "1",
                      "aq-strength": "1.00", "b-pyramid": "normal", "direct": "spatial", "crf": "23.0"}


def test_chromium_plays_a_smart_cut_video_frame_for_frame(tmp_path):
    """Debian's headless Chromium decodes the joined stream (B-frames, encoded and copied parts, one set of
    parameter sets) and shows, at each time, the frame the plan puts there: in the encoded head, the copied
    GOPs and the encoded tail."""
    import io

    import numpy as np
    from PIL import Image

    from browser.chromium import CHROMIUM, Chromium, StaticServer
    from paths import BROWSER

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (apt install chromium)")
    source = numbered_video(tmp_path / "talk.mp4", 4.0, size="256x144",
                            encoder=("-c:v", "libx264", "-preset", "veryfast", "-crf", "8", "-g", "25"))
    src = smartcut.source(source, 256, 144, Fraction(VIDEO_FPS))
    parts = smartcut.plan([(src, 7, 70)])
    assert [p.copy for p in parts] == [False, True, False]
    audio = aac_tone(tmp_path, 2.8)
    site = tmp_path / "site"
    site.mkdir()
    smartcut.build(parts, {source: src}, (256, 144), Fraction(VIDEO_FPS), audio, site / "cut.mp4", what="test")
    (site / "none.vtt").write_text("WEBVTT\n\n", encoding="utf-8")
    (site / "captions.html").write_bytes((BROWSER / "captions.html").read_bytes())
    with StaticServer(site) as server, Chromium(1280, 720) as chrome:
        chrome.goto(f"{server.url}captions.html?video=cut.mp4&vtt=none.vtt")
        ready = chrome.evaluate("captionsReady()")
        assert (ready["width"], ready["height"]) == (256, 144)
        shown = {}
        for frame in (0, 17, 18, 40, 67, 68, 69):  # head 0-17, copied 18-67, tail 68-69
            chrome.evaluate(f"captionAt({(frame + 0.5) / VIDEO_FPS})")
            picture = np.asarray(Image.open(io.BytesIO(chrome.screenshot())).convert("L"), dtype=float)
            shown[frame] = round(picture[200:520, 300:980].mean() / FULL_RANGE / LUMA_STEP)
    assert shown == {frame: (frame + 7) % 50 for frame in shown}


def test_with_no_whole_gop_to_copy_the_course_settings_encode_everything(tmp_path):
    """Keyframes 50 frames apart and a 30-frame range: nothing to copy, so nothing is encoded at the recording's
    quality either; the caller encodes the whole picture with video_crf and video_preset."""
    source = numbered_video(tmp_path / "talk.mp4", 3.0, encoder=("-c:v", "libx264", "-preset", "ultrafast",
                                                                 "-crf", "20", "-g", "50"))
    src = smartcut.source(source, 128, 72, Fraction(VIDEO_FPS))
    parts = smartcut.plan([(src, 10, 30)])
    assert [(p.first, p.count, p.copy) for p in parts] == [(10, 30, False)]
    with pytest.raises(smartcut.NotSmart, match="no keyframe-to-keyframe stretch"):
        smartcut.build(parts, {source: src}, (128, 72), Fraction(VIDEO_FPS), aac_tone(tmp_path, 1.0),
                       tmp_path / "out.mp4", what="test")
    assert not (tmp_path / "out.mp4").exists()
