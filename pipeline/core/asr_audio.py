"""The ASR audio: 16 kHz mono 16-bit WAV of an episode's timeline, what Whisper and the speaker models hear.

The episodes stage writes it (`layout.asr_audio`); transcription, speaker
segmentation and the timing of editors' words read it here, whole or a window
at a time. Any other audio file is converted with ffmpeg first.
"""
from __future__ import annotations

import tempfile
import wave
from pathlib import Path

import numpy as np

from .errors import StageError
from .media import run

SAMPLE_RATE = 16000  # Hz: what Whisper hears
FULL_SCALE = 32768.0  # int16 full scale


def _is_asr_wav(wav: wave.Wave_read) -> bool:
    return (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, SAMPLE_RATE)


def read_window(path: Path, start: float = 0.0, end: float | None = None) -> np.ndarray:
    """float32 samples of [start, end) seconds of an ASR WAV, without reading the rest."""
    path = Path(path)
    try:
        with wave.open(str(path)) as wav:
            if not _is_asr_wav(wav):
                raise StageError(f"{path}: not 16 kHz mono 16-bit WAV; run 'coursecast episodes' to rebuild it")
            first = min(int(start * SAMPLE_RATE), wav.getnframes())
            last = wav.getnframes() if end is None else min(int(end * SAMPLE_RATE), wav.getnframes())
            wav.setpos(first)
            frames = wav.readframes(max(0, last - first))
    except FileNotFoundError as e:
        raise StageError(f"{path}: the episode's audio is missing; run 'coursecast episodes' first") from e
    except (wave.Error, EOFError) as e:
        raise StageError(f"{path}: not a readable WAV ({e}); run 'coursecast episodes' to rebuild it") from e
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float32)
    del frames
    samples /= FULL_SCALE  # in place: a 45-minute episode is 173 MB of float32, held once
    return samples


def read_audio(path: Path) -> np.ndarray:
    """float32 samples at 16 kHz mono of any audio file (an ASR WAV is read directly)."""
    path = Path(path)
    if not path.is_file():
        raise StageError(f"{path}: audio to transcribe is missing; run 'coursecast episodes' first")
    try:
        with wave.open(str(path)) as wav:
            if _is_asr_wav(wav):
                return read_window(path)
    except (wave.Error, EOFError):
        pass  # not a WAV ffmpeg-free Python can read: convert it
    with tempfile.TemporaryDirectory(prefix="coursecast-asr-") as tmp:
        converted = Path(tmp) / "asr.wav"
        run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(SAMPLE_RATE),
             "-c:a", "pcm_s16le", str(converted)], what=f"{path}: reading audio to transcribe")
        return read_window(converted)


def seconds(path: Path) -> float:
    """The length of an ASR WAV from its header (0.0 when it is not there yet)."""
    try:
        with wave.open(str(path)) as wav:
            return wav.getnframes() / wav.getframerate()
    except (FileNotFoundError, wave.Error, EOFError):
        return 0.0
