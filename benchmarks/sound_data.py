"""The sound evaluation set, built from real speech in ../shared/speech (16 kHz mono float).

- `two_voices`: two real readers (LJ Speech, the LibriVox sonnets) in quick turns
  (0.3-0.8 s gaps), the second 10 dB under the first, over a quiet room floor;
  the truth turns are where each phrase was placed.
- `drift`: LJ Speech clips read one after another while the level slides down 8 dB
  over a minute.
- `noisy(kind, snr)`: LJ Speech clips with white, pink or brown noise at an SNR
  (speech power over its own phrases against the noise's power), a 50 Hz hum with
  harmonics, or a fan (brown noise low-passed, with a 120 Hz blade tone).
- `clean`: the LJ Speech clips as recorded.
Each item carries its clean reference (for PESQ/STOI) and the words read (for WER).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from pipeline.core.asr_audio import SAMPLE_RATE
from pipeline.core.asr_audio import read_audio as read_mono
from pipeline.episodes.leveler import VoiceTurn

from . import speakers_data

SPEECH = speakers_data.SPEECH
LJ_CLIPS = [f"ljspeech/LJ001-{n:04d}" for n in range(1, 33)]
ROOM_FLOOR_DB = -65.0  # dBFS RMS of the pink room noise under the two-voice and drift items
STUDIO_FLOOR_DB = -80.0  # dBFS RMS of the pink noise under the clean item (a quiet studio, not digital zero)
GAP_S = (0.4, 0.9)  # seconds between read clips
QUIET_VOICE_DB = -10.0  # dB: the second voice against the first
DRIFT_DB = -8.0  # dB the drifting voice slides over the item
SPEECH_LEVEL_DBFS = -22.0  # dBFS RMS of the speech over its phrases
HUM_HZ = 50.0  # mains
HUM_AMPLITUDES = (1.0, 0.6, 0.45, 0.3, 0.2, 0.1)  # fundamental and harmonics, relative
FAN_BLADE_HZ = 120.0  # the fan's blade tone


@dataclass(frozen=True)
class Item:
    name: str  # evaluation item
    audio: np.ndarray  # 16 kHz mono float64: the input
    clean: np.ndarray  # the clean reference (same length), for PESQ and STOI
    text: str  # words read (empty: no WER)
    turns: tuple[VoiceTurn, ...]  # who speaks when (voice index), as the speakers task would give them
    speech: tuple[tuple[float, float], ...]  # where speech truly is, seconds (pauses are the rest)
    voices: tuple[np.ndarray, ...] = ()  # per voice, its part of the input (for per-voice loudness)


def available() -> bool:
    return SPEECH.is_dir()


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


def _noise(kind: str, length: int, rng) -> np.ndarray:
    """Unit-RMS noise of a colour: white, pink (1/f), brown (1/f^2)."""
    spectrum = np.fft.rfft(rng.standard_normal(length))
    index = np.maximum(np.arange(len(spectrum)), 1)
    spectrum /= {"white": 1.0, "pink": np.sqrt(index), "brown": index}[kind]
    noise = np.fft.irfft(spectrum, length)
    return noise / _rms(noise)


def _hum(length: int) -> np.ndarray:
    t = np.arange(length) / SAMPLE_RATE
    hum = sum(a * np.sin(2 * np.pi * HUM_HZ * (k + 1) * t + k) for k, a in enumerate(HUM_AMPLITUDES))
    return hum / _rms(hum)


def _fan(length: int, rng) -> np.ndarray:
    t = np.arange(length) / SAMPLE_RATE
    sos = signal.butter(2, 800, "lowpass", fs=SAMPLE_RATE, output="sos")
    air = signal.sosfilt(sos, _noise("pink", length, rng))
    blade = (np.sin(2 * np.pi * FAN_BLADE_HZ * t) + 0.4 * np.sin(2 * np.pi * 2 * FAN_BLADE_HZ * t))
    fan = air / _rms(air) + 0.5 * blade * (1 + 0.1 * np.sin(2 * np.pi * 0.5 * t))
    return fan / _rms(fan)


def read_clips(count: int, seed: int) -> tuple[np.ndarray, str, list[tuple[float, float]]]:
    """LJ Speech clips one after another with gaps: samples at SPEECH_LEVEL_DBFS, the words, the clips' spans."""
    rng = np.random.default_rng(seed)
    parts, words, spans, t = [np.zeros(int(0.5 * SAMPLE_RATE))], [], [], 0.5
    for name in LJ_CLIPS[:count]:
        clip = read_mono(SPEECH / f"{name}.wav").astype(np.float64)
        gap = np.zeros(int(rng.uniform(*GAP_S) * SAMPLE_RATE))
        parts += [clip, gap]
        spans.append((t, t + len(clip) / SAMPLE_RATE))
        t += (len(clip) + len(gap)) / SAMPLE_RATE
        words.append((SPEECH / f"{name}.txt").read_text(encoding="utf-8").strip())
    audio = np.concatenate(parts)
    speech = np.concatenate([audio[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)] for a, b in spans])
    return audio * 10 ** (SPEECH_LEVEL_DBFS / 20) / _rms(speech), " ".join(words), spans


def _turns(spans: list[tuple[float, float]]) -> tuple[VoiceTurn, ...]:
    return tuple(VoiceTurn(a, b, 0) for a, b in spans)


def clean(count: int = 4) -> Item:
    audio, text, spans = read_clips(count, seed=1)
    audio = audio + _noise("pink", len(audio), np.random.default_rng(1)) * 10 ** (STUDIO_FLOOR_DB / 20)
    return Item("clean", audio, audio, text, _turns(spans), tuple(spans))


def noisy(kind: str, snr_db: float, count: int = 4) -> Item:
    """LJ Speech clips under `kind` noise (white, pink, brown, hum, fan) at `snr_db`."""
    audio, text, spans = read_clips(count, seed=2)
    rng = np.random.default_rng(int(snr_db * 10) + len(kind))
    noise = {"hum": lambda: _hum(len(audio)), "fan": lambda: _fan(len(audio), rng)}.get(
        kind, lambda: _noise(kind, len(audio), rng))()
    level = 10 ** (SPEECH_LEVEL_DBFS / 20) * 10 ** (-snr_db / 20)
    return Item(f"{kind} noise, SNR {snr_db:g} dB" if kind not in ("hum", "fan") else f"{kind}, SNR {snr_db:g} dB",
                audio + noise * level, audio, text, _turns(spans), tuple(spans))


def drift(count: int = 9) -> Item:
    """One voice sliding DRIFT_DB over the item (about a minute with the default clips)."""
    audio, text, spans = read_clips(count, seed=3)
    ramp = 10 ** (np.linspace(0.0, DRIFT_DB, len(audio)) / 20)
    rng = np.random.default_rng(3)
    floor = _noise("pink", len(audio), rng) * 10 ** (ROOM_FLOOR_DB / 20)
    return Item(f"one voice drifting {DRIFT_DB:g} dB", audio * ramp + floor, audio, text, _turns(spans),
                tuple(spans))


def two_voices(seconds: float = 40.0) -> Item:
    """Two real readers in quick turns, the second QUIET_VOICE_DB under the first."""
    pace = speakers_data.Pace(gap_s=(0.3, 0.8), overlap_share=0.0, backchannel_share=0.0)
    item = speakers_data.conversation("two voices", ["lj", "sonnets"], seconds=seconds, seed=21,
                                      levels_db=[-20.0, -20.0 + QUIET_VOICE_DB], pace=pace)
    floor = _noise("pink", len(item.mix), np.random.default_rng(4)) * 10 ** (ROOM_FLOOR_DB / 20)
    index = {label: i for i, label in enumerate(item.labels)}
    turns = tuple(VoiceTurn(s.start, s.end, index[s.speaker]) for s in item.truth)
    mix = item.mix.astype(np.float64) + floor
    return Item(f"two voices {-QUIET_VOICE_DB:g} dB apart", mix, mix, "", turns,
                tuple((t.start, t.end) for t in turns), tuple(s.astype(np.float64) for s in item.sources))


def noise_set() -> list[Item]:
    """The noise cases of the benchmark: three colours at three SNRs, hum, fan."""
    items = [noisy(kind, snr) for kind in ("white", "pink", "brown") for snr in (20.0, 10.0, 5.0)]
    return items + [noisy("hum", 20.0), noisy("fan", 10.0)]
