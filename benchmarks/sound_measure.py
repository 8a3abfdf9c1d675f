"""What the sound benchmark and tests measure, and the versions they compare.

Versions of one item: raw; today's pipeline (one linear gain to the target, as
loudness.py applies it); the new pipeline (denoise.clean, then the voice
leveler, then the same linear gain); ffmpeg's own `afftdn` + `speechnorm`
(then the linear gain) as the baseline.
"""
from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass

import numpy as np

from pipeline.core.asr_audio import SAMPLE_RATE
from pipeline.episodes import denoise, leveler, meter, reducers

TARGET_LUFS = -16.0  # LUFS: the linear gain's target (the default mono target)
PAUSE_MARGIN_S = 0.1  # seconds kept off either side of speech when measuring pauses
BASELINE = "afftdn=nr=20:nf=-40:tn=1,speechnorm=e=12.5:r=0.0001:l=1"  # ffmpeg docs' speechnorm example
VERSIONS = ("raw", "today", "new", "baseline")
PESQ_PIECE_S = 60.0  # seconds: longer audio is scored in pieces this long, and their PESQ averaged


def linear(audio: np.ndarray) -> np.ndarray:
    level = meter.integrated(meter.blocks(meter.k_weight(audio, SAMPLE_RATE), SAMPLE_RATE).power)
    return audio * 10 ** ((TARGET_LUFS - level) / 20)


def ffmpeg_baseline(audio: np.ndarray) -> np.ndarray:
    argv = ["ffmpeg", "-nostdin", "-v", "error", "-f", "f64le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", "-",
            "-af", BASELINE, "-f", "f64le", "-"]
    out = np.frombuffer(subprocess.run(argv, input=audio.astype("<f8").tobytes(), capture_output=True,
                                       check=True).stdout, dtype="<f8")
    delay = int(round(reducers.DELAY_S["afftdn"] * SAMPLE_RATE))  # afftdn's lag, taken off as for ours
    out = out[delay:]
    return np.pad(out, (0, max(0, len(audio) - len(out))))[:len(audio)]


def new_pipeline(audio: np.ndarray, turns, mode: str = "auto", level_voices: bool = True) -> tuple[np.ndarray, dict]:
    cleaned, cleaning = denoise.clean(audio, SAMPLE_RATE, mode)
    levelled, levelling = leveler.level(cleaned, SAMPLE_RATE, list(turns)) if level_voices else (cleaned, None)
    return linear(levelled), {"denoise": cleaning.to_dict(), "leveler": levelling}


def version(name: str, audio: np.ndarray, turns) -> tuple[np.ndarray, float]:
    """One version of `audio` and the seconds it took to make."""
    started = time.perf_counter()
    out = {"raw": lambda: audio, "today": lambda: linear(audio), "new": lambda: new_pipeline(audio, turns)[0],
           "baseline": lambda: linear(ffmpeg_baseline(audio))}[name]()
    return out, time.perf_counter() - started


def _pauses(speech: list[tuple[float, float]], length_s: float) -> list[tuple[float, float]]:
    edges = [0.0] + [t for a, b in sorted(speech) for t in (a, b)] + [length_s]
    gaps = [(edges[i] + PAUSE_MARGIN_S, edges[i + 1] - PAUSE_MARGIN_S) for i in range(0, len(edges), 2)]
    return [(a, b) for a, b in gaps if b > a]


def _mean_power(weighted: np.ndarray, spans: list[tuple[float, float]]) -> float:
    parts = [weighted[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)] for a, b in spans]
    joined = np.concatenate(parts) if parts else np.zeros(1)
    return float(np.mean(joined ** 2))


@dataclass(frozen=True)
class Levels:
    """Loudness figures of one version of an item."""

    voices_lufs: tuple[float, ...]  # integrated loudness of each voice's turns, LUFS
    spread_lu: float  # loudest minus quietest voice, LU
    range_lu: float  # short-term loudness over speech, p90 - p10, LU
    floor_db: float  # loudness of the pauses relative to the speech, dB
    pause_short_db: float  # loudest short-term (400 ms) block inside a pause relative to the speech, dB


def levels(audio: np.ndarray, turns, speech: list[tuple[float, float]]) -> Levels:
    weighted = meter.k_weight(audio, SAMPLE_RATE)
    found = meter.blocks(weighted, SAMPLE_RATE)
    centres = found.centres()
    voices = sorted({t.voice for t in turns})
    per_voice = tuple(meter.integrated(found.power[meter.in_spans(centres, [(t.start, t.end) for t in turns
                                                                             if t.voice == v])]) for v in voices)
    in_speech = meter.in_spans(centres, speech)
    overall = meter.integrated(found.power[in_speech])
    short = meter.blocks(weighted, SAMPLE_RATE, meter.SHORT_TERM_S)
    short_speech = meter.in_spans(short.centres(), speech) & (short.lufs() > overall - 20)
    values = short.lufs()[short_speech]
    pauses = _pauses(speech, len(audio) / SAMPLE_RATE)
    floor = float(meter.power_lufs(_mean_power(weighted, pauses))) - overall
    pause_blocks = np.zeros(len(centres), dtype=bool)
    for a, b in pauses:
        pause_blocks |= (centres - found.length_s / 2 >= a) & (centres + found.length_s / 2 <= b)
    loudest = float(found.lufs()[pause_blocks].max()) - overall if pause_blocks.any() else float("nan")
    return Levels(per_voice, max(per_voice) - min(per_voice),
                  float(np.percentile(values, 90) - np.percentile(values, 10)) if len(values) else 0.0,
                  floor, loudest)


def quality(audio: np.ndarray, clean: np.ndarray) -> tuple[float, float]:
    """(PESQ wide-band, STOI) of `audio` against the clean reference; levels don't matter to either."""
    from pesq import pesq
    from pystoi import stoi

    scale = np.max(np.abs(clean)) / max(np.max(np.abs(audio)), 1e-9)
    piece = int(PESQ_PIECE_S * SAMPLE_RATE)  # pesq 0.0.4 crashes the process (SIGSEGV) on ~200 s of audio
    scores = [pesq(SAMPLE_RATE, clean[i:i + piece], audio[i:i + piece] * scale, "wb")
              for i in range(0, len(clean), piece) if len(clean[i:i + piece]) >= SAMPLE_RATE]
    return float(np.mean(scores)), float(stoi(clean, audio, SAMPLE_RATE))


class Transcriber:
    """Standalone faster-whisper (tiny.en, int8, beam 5, no VAD): the WER of each version."""

    def __init__(self):
        from faster_whisper import WhisperModel

        from .report import model_paths

        self.model = WhisperModel(str(model_paths()[0]), device="cpu", compute_type="int8", cpu_threads=2)

    def wer(self, audio: np.ndarray, text: str) -> float:
        from .report import wer

        segments, _ = self.model.transcribe(audio.astype(np.float32), language="en", beam_size=5)
        return wer(text, " ".join(s.text for s in segments))
