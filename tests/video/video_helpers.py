"""Fixtures' building blocks for the video stage tests: generated clips, hand-written captions,
and ways to look at the results as a viewer would (ffprobe, extracted tracks, decoded frames)."""
from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import numpy as np

from pipeline.core import course_file
from conftest import course_head

FRAME_RATE = 25  # frames per second of generated clips
BIG_CHANGE = 64  # 0-255: a pixel differs "visibly" when a channel moves more than this

# Two speakers, a speaker change, Nordic letters and markup that must be escaped; written as the
# captions stage writes them: voice tags, and a visible "Name: " label opening each speaker's turn.
CAPTIONS_EN = """WEBVTT

00:00:00.200 --> 00:00:01.300
<v Anna Lindqvist>Anna Lindqvist: Welcome to smart cities,
Åsa and Øystein.

00:00:01.500 --> 00:00:02.000
<v Anna Lindqvist>Data &amp; trust.

00:00:02.200 --> 00:00:02.900
<v Erik Guest>Erik Guest: Cities are 3 &lt; 4 people?
"""
# What a player shows for each cue of CAPTIONS_EN: the text as written, the label once a turn.
SHOWN_EN = [
    (0.2, 1.3, "Anna Lindqvist: Welcome to smart cities,\nÅsa and Øystein."),
    (1.5, 2.0, "Data & trust."),
    (2.2, 2.9, "Erik Guest: Cities are 3 < 4 people?"),
]
CAPTIONS_SV = """WEBVTT

00:00:00.400 --> 00:00:01.400
<v Anna Lindqvist>Anna Lindqvist:
Välkommen till smarta städer.

00:00:01.800 --> 00:00:02.600
<v Erik Guest>Erik Guest: Här är Åsa från Örebro.
"""
GAP_TIME = 1.4  # seconds: between the first two English cues


def make_clip(path: Path, *, seconds: float = 3.0, width: int = 1280, height: int = 720,
              audio: bool = True, video: bool = True) -> Path:
    """An H.264 + AAC MP4 from ffmpeg's testsrc2 and a sine tone (what the episodes stage writes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cmd = ["ffmpeg", "-v", "error", "-y"]
    if video:
        cmd += ["-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={FRAME_RATE}:duration={seconds}"]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}:sample_rate=44100"]
    if video:
        cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        cmd += ["-c:a", "aac", "-b:a", "64k"]
    subprocess.run([*cmd, "-movflags", "+faststart", "-f", "mp4", str(path)], check=True)
    return path


def make_cover(path: Path, size: int = 1400) -> Path:
    """Square JPEG artwork, as the episodes stage publishes it."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (size, size), "navy").save(path, "JPEG", quality=80)
    return path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def ffprobe(path: Path, *show: str) -> dict:
    """ffprobe's JSON of the streams (and whatever else `show` asks for, e.g. "-show_chapters")."""
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", *show, str(path)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def subtitle_streams(path: Path) -> list[dict]:
    return [s for s in ffprobe(path)["streams"] if s["codec_type"] == "subtitle"]


def extract_track(path: Path, index: int, out: Path) -> list[tuple[float, float, str]]:
    """Extract subtitle track `index` to SRT with ffmpeg and read back (start, end, text) per cue."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(path), "-map", f"0:s:{index}", str(out)], check=True)
    cues = []
    for block in out.read_text(encoding="utf-8").strip().split("\n\n"):
        lines = block.strip().splitlines()
        start, end = (_srt_seconds(t) for t in lines[1].split(" --> "))
        cues.append((start, end, "\n".join(lines[2:])))
    return cues


def _srt_seconds(stamp: str) -> float:
    hours, minutes, seconds, millis = map(int, re.split(r"[:,]", stamp.strip()))
    return round(hours * 3600 + minutes * 60 + seconds + millis / 1000, 3)


def packet_md5s(path: Path, stream: str) -> list[str]:
    """MD5 of every packet of one stream, stream-copied ('v:0', 'a:0'): equal lists = bit-identical."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", f"0:{stream}", "-c", "copy",
                          "-f", "framemd5", "-"], capture_output=True, text=True, check=True).stdout
    return [line.rsplit(",", 1)[1].strip() for line in out.splitlines() if line and not line.startswith("#")]


def frame(path: Path, seconds: float, width: int, height: int) -> np.ndarray:
    """The decoded frame shown at `seconds`, as height x width x RGB integers."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", f"{seconds:.3f}", "-i", str(path), "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(height, width, 3).astype(np.int16)


def changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Boolean mask of pixels that visibly differ between two frames."""
    return np.abs(a - b).max(axis=2) > BIG_CHANGE


def bounding_box(mask: np.ndarray, min_pixels: int = 3) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the rows and columns with at least `min_pixels` changed pixels."""
    rows = np.nonzero(mask.sum(axis=1) >= min_pixels)[0]
    cols = np.nonzero(mask.sum(axis=0) >= min_pixels)[0]
    if not len(rows) or not len(cols):
        raise AssertionError("no visible change found")
    return int(cols[0]), int(rows[0]), int(cols[-1]), int(rows[-1])


COURSE = course_head("Video test course") + """
[[speakers]]
id = "anna"
name = "Anna Lindqvist"
role = "host"

[[episodes]]
slug = "talk"
module = 1
number = 1
title = "A video talk"
summary = "On camera."
date = 2026-09-01
speakers = ["anna"]

[[episodes.sources]]
file = "talk.mp4"
kind = "video"
keep = [["00:00:00.000", "00:00:03.000"]]

[[episodes]]
slug = "chat"
module = 1
number = 2
title = "An audio chat"
summary = "Sound only."
date = 2026-09-02
speakers = ["anna"]

[[episodes.sources]]
file = "chat.wav"
"""


def make_course(folder: Path, video_table: str = "") -> course_file.Course:
    """A parsed course with one video episode ('talk') and one audio episode ('chat')."""
    path = write(folder / "course.toml", COURSE + ("\n[video]\n" + video_table if video_table else ""))
    return course_file.parse(tomllib.loads(path.read_text(encoding="utf-8")), path)
