"""Helpers for the transcribe tests: real speech from ../shared/speech, espeak-ng speech, WER.

Every WAV is made by real ffmpeg / espeak-ng into the test's tmp_path; nothing here
mocks an engine.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import jiwer
import pytest

from paths import SPEECH
RATE = 16000  # Hz: what the transcribe stage reads


def speech(name: str) -> Path:
    """A file from ../shared/speech, or skip the test saying why."""
    path = SPEECH / name
    if not path.exists():
        pytest.skip(f"real speech not available: {path} is missing (../shared/speech is not beside the repo)")
    return path


def reference(name: str) -> str:
    return speech(name).read_text(encoding="utf-8")


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def asr_wav(src: Path, dst: Path, *, channel: int | None = None) -> Path:
    """16 kHz mono 16-bit WAV of `src` (or of one channel of it), as the episodes stage writes."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    pan = ["-af", f"pan=mono|c0=c{channel}"] if channel is not None else ["-ac", "1"]
    ffmpeg("-i", str(src), *pan, "-ar", str(RATE), "-c:a", "pcm_s16le", str(dst))
    return dst


def espeak(text: str, dst: Path, *, voice: str = "en-us", speed: int = 150) -> Path:
    """Speech synthesised by espeak-ng, converted to the stage's 16 kHz mono WAV."""
    raw = dst.with_suffix(".espeak.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    return asr_wav(raw, dst)


def lavfi(source: str, seconds: float, dst: Path) -> Path:
    """A generated 16 kHz mono WAV (silence, noise) from an ffmpeg lavfi source."""
    ffmpeg("-f", "lavfi", "-i", source, "-t", str(seconds), "-ac", "1", "-ar", str(RATE),
           "-c:a", "pcm_s16le", str(dst))
    return dst


def concat(parts: list[tuple[Path | float, ...]], dst: Path) -> Path:
    """Join WAVs and gaps (floats, seconds of silence) into one 16 kHz mono WAV."""
    inputs, labels = [], []
    for index, part in enumerate(parts):
        if isinstance(part, (int, float)):
            inputs += ["-f", "lavfi", "-t", str(part), "-i", f"anullsrc=r={RATE}:cl=mono"]
        else:
            inputs += ["-i", str(part)]
        labels.append(f"[{index}:a]")
    graph = "".join(labels) + f"concat=n={len(parts)}:v=0:a=1[out]"
    ffmpeg(*inputs, "-filter_complex", graph, "-map", "[out]", "-ar", str(RATE), "-ac", "1",
           "-c:a", "pcm_s16le", str(dst))
    return dst


def stereo(left: Path, right: Path, dst: Path) -> Path:
    """Two mono WAVs as the left and right channel of one stereo WAV (one speaker per side)."""
    ffmpeg("-i", str(left), "-i", str(right), "-filter_complex", "[0:a][1:a]amerge=inputs=2[out]",
           "-map", "[out]", "-c:a", "pcm_s16le", str(dst))
    return dst


def normalise(text: str) -> str:
    """Lower case, no punctuation, single spaces: what WER is measured on."""
    text = text.lower().replace("-", " ")
    text = re.sub(r"[^\w\s']", " ", text)
    return " ".join(text.replace("'", "").split())


def wer(ref: str, hyp: str) -> float:
    return jiwer.wer(normalise(ref), normalise(hyp))


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    """A fresh model cache for this test session (XDG_CACHE_HOME), so conversion is really tested.

    The speaker models `make setup` fetched are linked into it: they are not what these tests test,
    and every later build that finds speakers by voice needs them."""
    from pipeline.core.model_choice import cache_dir
    from pipeline.speakers.models import MODELS

    cache = tmp_path_factory.mktemp("xdg-cache")
    installed = cache_dir()
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(cache)
    cache_dir().mkdir(parents=True, exist_ok=True)
    for model in MODELS:
        if (installed / model.name).is_file():
            (cache_dir() / model.name).symlink_to(installed / model.name)
    yield cache
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


def identity_timeline(path: Path, seconds: float, rate: int = 44100) -> Path:
    """The timeline file of an episode cut from one whole recording, nothing shortened (course times = episode times)."""
    import json

    from pipeline.episodes.timeline import Clip, Timeline

    timeline = Timeline(rate, (Clip(0, 0, round(seconds * rate), 0, 0),)).to_dict()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pieces": [], "before": timeline, "after": timeline}), encoding="utf-8")
    return path
