"""Fixtures for the episodes-stage tests: tiny generated media, a course folder, an independent meter.

Media are made with ffmpeg lavfi sources or espeak-ng inside the test's
tmp_path. The meter is independent of the stage: pyloudnorm (BS.1770) on PCM
decoded by ffmpeg, and a 4x-oversampled true peak computed with scipy.
"""
from __future__ import annotations

import math
import shutil
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pyloudnorm
from scipy.signal import resample_poly

from pipeline.core import course_file as course_mod

METER_RATE = 48000  # Hz the meter decodes at
OVERSAMPLE = 4  # true-peak oversampling (BS.1770-4)
VIDEO_FPS = 25  # frames per second of generated video
LUMA_STEP = 4  # luminance step per frame number in generated video


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def tone(path: Path, seconds: float, *, freq: float = 440.0, amplitude: float = 0.3, rate: int = 44100,
         channels: int = 1) -> Path:
    """A sine (continuous, so cuts through it show any click)."""
    ffmpeg("-f", "lavfi", "-i", f"aevalsrc={amplitude}*sin(2*PI*{freq}*t):s={rate}:d={seconds}",
           "-ac", str(channels), "-c:a", "pcm_s16le" if amplitude < 1 else "pcm_f32le", str(path))
    return path


def speechlike(path: Path, seconds: float, *, lufs: float = -23.0, rate: int = 44100, channels: int = 1) -> Path:
    """Pink noise gated into 'syllables' and 'pauses', about `lufs` integrated: speech-like level statistics."""
    gain = 0.25 * 10 ** ((lufs + 37.08) / 20)  # 0.25 measures -37.08 LUFS
    expr = f"{gain}*(0.55+0.45*sin(2*PI*3.1*t))*gt(sin(2*PI*0.37*t)+0.35,0)"
    ffmpeg("-f", "lavfi", "-i", f"anoisesrc=d={seconds}:c=pink:r={rate}:a=0.5:seed=7",
           "-af", f"volume='{expr}':eval=frame", "-ac", str(channels), "-c:a", "pcm_f32le", str(path))
    return path


def peaky(path: Path, seconds: float, *, lufs: float = -24.0, rate: int = 44100) -> Path:
    """Speech-like audio with a few full-scale plosive clicks: the gain to target would clip them."""
    speech = speechlike(path.with_name(path.stem + ".speech.wav"), seconds, lufs=lufs, rate=rate)
    clicks = "+".join(f"0.97*between(t\\,{at}\\,{at + 0.003})*sin(2*PI*1500*t)" for at in (0.7, 1.3, 2.1, 2.6))
    ffmpeg("-i", str(speech), "-f", "lavfi", "-i", f"aevalsrc={clicks}:s={rate}:d={seconds}",
           "-filter_complex", "[0:a][1:a]amix=inputs=2:normalize=0", "-c:a", "pcm_f32le", str(path))
    speech.unlink()
    return path


def espeak(path: Path, text: str, *, voice: str = "en") -> Path:
    if not shutil.which("espeak-ng"):
        raise RuntimeError("espeak-ng is not installed")
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True, capture_output=True)
    return path


def split_stereo(path: Path, left: Path, right: Path) -> Path:
    """One speaker per channel: `left` only on the left, `right` only on the right."""
    ffmpeg("-i", str(left), "-i", str(right), "-filter_complex",
           "[0:a]aresample=44100,aformat=channel_layouts=mono[l];[1:a]aresample=44100,aformat=channel_layouts=mono[r];"
           "[l][r]join=inputs=2:channel_layout=stereo", "-c:a", "pcm_s16le", str(path))
    return path


def numbered_video(path: Path, seconds: float, *, size: str = "128x72", encoder: tuple[str, ...] = ()) -> Path:
    """Video whose frame N is flat grey at luminance 16 + LUMA_STEP*N (N < 50), with a tone; x264 ultrafast,
    lossless, unless `encoder` gives other video options."""
    luma = f"16+{LUMA_STEP}*mod(N\\,50)"
    ffmpeg("-f", "lavfi", "-i", f"color=c=black:s={size}:r={VIDEO_FPS}:d={seconds}",
           "-f", "lavfi", "-i", f"sine=f=440:d={seconds}:sample_rate=48000",
           "-vf", f"geq=lum='{luma}':cb=128:cr=128,format=yuv420p",
           *(encoder or ("-c:v", "libx264", "-preset", "ultrafast", "-qp", "0")),
           "-c:a", "aac", "-b:a", "96k", "-shortest", str(path))
    return path


def first_frames_luma(path: Path, count: int) -> list[float]:
    """Mean luminance of the first `count` frames of a video."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-frames:v", str(count), "-f", "rawvideo",
                          "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    frames = np.frombuffer(out, dtype=np.uint8)
    return [float(f.mean()) for f in np.array_split(frames, count)]


def frame_luma(path: Path, index: int) -> float:
    """Mean luminance of frame `index` (0-based) of a video."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-vf", f"select=eq(n\\,{index})",
                          "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                         capture_output=True, check=True).stdout
    return float(np.frombuffer(out, dtype=np.uint8).mean())


def decode(path: Path, rate: int = METER_RATE) -> np.ndarray:
    """(samples, channels) float64 PCM as ffmpeg decodes it."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                            "stream=channels", "-of", "csv=p=0", str(path)], capture_output=True, text=True,
                           check=True)
    channels = int(probe.stdout.strip())
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0", "-ar", str(rate),
                          "-f", "f32le", "-acodec", "pcm_f32le", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(out, dtype="<f4").astype(np.float64).reshape(-1, channels)


def integrated_lufs(path: Path) -> float:
    return float(pyloudnorm.Meter(METER_RATE).integrated_loudness(decode(path)))


def true_peak_db(path: Path) -> float:
    data = decode(path)
    up = resample_poly(data, OVERSAMPLE, 1, axis=0)
    return 20 * math.log10(max(np.abs(up).max(), 1e-12))


COURSE_HEAD = """
[course]
title = "Test course"
subtitle = "Stage tests"
author = "Course Team"
owner_name = "Course Team"
owner_email = "team@example.org"
language = "en"
base_url = "https://example.org/c/"
copyright = "© 2026 Course Team"
categories = ["Education > Courses"]

[[modules]]
number = 1
slug = "one"
title = "Ontology: definitions"

[[speakers]]
id = "host"
name = "Åsa Host"
role = "host"

[[speakers]]
id = "guest"
name = "Guest Person"
role = "guest"
"""


def write_course(root: Path, episodes: str, audio: str = "") -> course_mod.Course:
    """A course folder with the given [[episodes]] (and [audio]) TOML; returns the loaded course."""
    (root / "raw_interviews").mkdir(parents=True, exist_ok=True)
    (root / "episodes").mkdir(exist_ok=True)
    text = textwrap.dedent(COURSE_HEAD) + ("\n[audio]\n" + textwrap.dedent(audio) if audio else "")
    (root / "course.toml").write_text(text + textwrap.dedent(episodes), encoding="utf-8")
    return course_mod.load(root / "course.toml")


def episode_toml(slug: str, sources: str, *, number: int = 1, chapters: str = "") -> str:
    return textwrap.dedent(f"""
    [[episodes]]
    slug = "{slug}"
    module = 1
    number = {number}
    title = "Episode {slug}: smart cities, defined"
    summary = "What we mean by a smart city."
    date = 2026-09-01
    speakers = ["host", "guest"]
    {chapters}
    """) + textwrap.dedent(sources)


def run_tasks(course, names: tuple[str, ...] | None = None) -> dict[str, object]:
    """Run the stage's tasks in declaration order (artwork first), optionally only some ('episodes' runs the
    cut, 'master' the encodes); returns results."""
    from pipeline.episodes import save_strikes, save_turns
    from pipeline.episodes import stage as episodes

    results = {}
    for task in episodes.tasks(course):
        if names is None or task.name in names or task.name.split(":")[0] in names:
            if task.name.startswith("master:") and not task.job.sources.strikes.exists():
                save_strikes(task.job.sources.strikes, [])  # nothing struck: the proofreading stage is not run here
            if task.name.startswith("master:") and not task.job.sources.turns.exists():
                save_turns(task.job.sources.turns, [])  # no turns (no speech found): the speakers task is not run
            results[task.name] = task.run()
    return results


def published(root: Path) -> list[str]:
    folder = root / "episodes"
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def mp4_boxes(path: Path) -> list[str]:
    """The types of an MP4's top-level boxes, in file order ('ftyp', 'moov', 'mdat', ...)."""
    data, boxes, at = path.read_bytes(), [], 0
    while at + 8 <= len(data):
        size, kind = int.from_bytes(data[at:at + 4], "big"), data[at + 4:at + 8].decode("latin-1")
        if size == 1:  # a 64-bit size follows the type
            size = int.from_bytes(data[at + 8:at + 16], "big")
        elif size == 0:  # the box runs to the end of the file
            size = len(data) - at
        if size < 8:
            raise AssertionError(f"{path}: broken box {kind!r} of {size} bytes at offset {at}")
        boxes.append(kind)
        at += size
    return boxes
