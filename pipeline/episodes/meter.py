"""Loudness of audio held in memory (ITU-R BS.1770 K-weighting): per block, integrated, over chosen times.

The leveler and the noise reducer measure with this; the encodes are still
measured by ffmpeg's ebur128 (loudness.py), the reference the gate uses.
Blocks are 400 ms (momentary) or 3 s (short-term) long, every HOP_S.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import signal

HOP_S = 0.1  # seconds between block starts
MOMENTARY_S = 0.4  # seconds: a momentary block (BS.1770 gating block)
SHORT_TERM_S = 3.0  # seconds: a short-term block (EBU Tech 3341)
ABSOLUTE_GATE_LUFS = -70.0  # BS.1770 absolute gate
RELATIVE_GATE_LU = -10.0  # BS.1770 relative gate, below the ungated mean
LOUDNESS_OFFSET = -0.691  # BS.1770: LUFS = offset + 10 log10(mean square of the K-weighted signal)
SILENT_LUFS = -120.0  # what an all-zero block measures (instead of -inf)
CHUNK_HOPS = 256  # hops K-weighted at once by k_blocks (25.6 s): memory, not results
# K-weighting stages as analogue prototypes, designed for any rate by the bilinear transform as libebur128 and
# ffmpeg's ebur128 do: at 48 kHz they give BS.1770's own coefficients (a full-scale 997 Hz sine reads -3.01 LUFS)
SHELF_HZ, SHELF_Q, SHELF_DB = 1681.974450955533, 0.7071752369554196, 3.999843853973347
SHELF_BASE = 0.4996667741545416  # the shelf's mid gain is its high gain to this power
HIGHPASS_HZ, HIGHPASS_Q = 38.13547087602444, 0.5003270373238773


def _biquad(b: list[float], a: list[float]) -> np.ndarray:
    return np.array([x / a[0] for x in b] + [x / a[0] for x in a])


def k_sections(rate: int) -> np.ndarray:
    """The K-weighting filter at `rate` as second-order sections: the shelf, then the high-pass."""
    k = math.tan(math.pi * SHELF_HZ / rate)
    high = 10 ** (SHELF_DB / 20)
    mid = high ** SHELF_BASE
    shelf = _biquad([high + mid * k / SHELF_Q + k * k, 2 * (k * k - high), high - mid * k / SHELF_Q + k * k],
                    [1 + k / SHELF_Q + k * k, 2 * (k * k - 1), 1 - k / SHELF_Q + k * k])
    k = math.tan(math.pi * HIGHPASS_HZ / rate)
    a0 = 1 + k / HIGHPASS_Q + k * k
    highpass = _biquad([a0, -2 * a0, a0], [a0, 2 * (k * k - 1), 1 - k / HIGHPASS_Q + k * k])
    return np.vstack([shelf, highpass])


def work_type(samples: np.ndarray) -> type:
    """The float type audio is worked on in: float32 stays float32, anything else is float64."""
    return np.float32 if samples.dtype == np.float32 else np.float64


def k_weight(samples: np.ndarray, rate: int) -> np.ndarray:
    """The K-weighted signal (channels last axis summed later), in the samples' float type."""
    dtype = work_type(samples)
    return signal.sosfilt(k_sections(rate).astype(dtype), samples.astype(dtype, copy=False), axis=0)


@dataclass(frozen=True)
class Blocks:
    """Mean square of the K-weighted signal per block, blocks starting every HOP_S."""

    power: np.ndarray  # per block: mean square summed over channels (BS.1770, all channels weight 1)
    hop_s: float  # seconds between block starts
    length_s: float  # seconds each block spans

    def lufs(self) -> np.ndarray:
        """Each block's loudness, LUFS."""
        return power_lufs(self.power)

    def centres(self) -> np.ndarray:
        """Seconds at each block's centre."""
        return np.arange(len(self.power)) * self.hop_s + self.length_s / 2


def power_lufs(power: np.ndarray | float) -> np.ndarray:
    power = np.asarray(power, dtype=float)
    return np.where(power > 0, LOUDNESS_OFFSET + 10 * np.log10(np.maximum(power, 1e-30)), SILENT_LUFS)


def blocks(weighted: np.ndarray, rate: int, length_s: float = MOMENTARY_S, hop_s: float = HOP_S) -> Blocks:
    """Block powers of an already K-weighted signal (1-D, or samples x channels)."""
    squares = np.square(weighted) if weighted.ndim == 1 else np.square(weighted).sum(axis=1)
    size, hop = max(1, int(round(length_s * rate))), max(1, int(round(hop_s * rate)))
    count = max(1, (len(squares) - size) // hop + 1)
    if size % hop == 0 and len(squares) >= size:  # sums per hop (float64), each block the sum of size/hop of them
        hops = squares[:(count - 1) * hop + size].reshape(-1, hop).sum(axis=1, dtype=np.float64)
        return _from_hops(hops, size // hop, count, size, hop_s, length_s)
    cumulative = np.concatenate(([0.0], np.cumsum(squares, dtype=np.float64)))  # float64: an hour of float32 sums
    starts = np.arange(0, max(1, len(squares) - size + 1), hop)
    ends = np.minimum(starts + size, len(squares))
    power = (cumulative[ends] - cumulative[starts]) / np.maximum(ends - starts, 1)
    return Blocks(power, hop_s, length_s)


def k_blocks(samples: np.ndarray, rate: int, length_s: float = MOMENTARY_S, hop_s: float = HOP_S) -> Blocks:
    """`blocks(k_weight(samples, rate), rate, length_s, hop_s)`, K-weighted CHUNK_HOPS hops at a time with the
    filter's state carried over, so no K-weighted copy of the whole episode is made."""
    size, hop = max(1, int(round(length_s * rate))), max(1, int(round(hop_s * rate)))
    if size % hop or len(samples) < size:
        return blocks(k_weight(samples, rate), rate, length_s, hop_s)
    dtype = work_type(samples)
    sections = k_sections(rate).astype(dtype)
    state = np.zeros((len(sections), 2, *samples.shape[1:]), dtype=dtype)
    count = (len(samples) - size) // hop + 1
    needed = (count - 1) * hop + size
    hops = np.empty(needed // hop)
    step = CHUNK_HOPS * hop
    for first in range(0, needed, step):
        weighted, state = signal.sosfilt(sections, samples[first:min(first + step, needed)].astype(dtype, copy=False),
                                         axis=0, zi=state)
        squares = np.square(weighted) if weighted.ndim == 1 else np.square(weighted).sum(axis=1)
        hops[first // hop:first // hop + len(squares) // hop] = squares.reshape(-1, hop).sum(axis=1, dtype=np.float64)
    return _from_hops(hops, size // hop, count, size, hop_s, length_s)


def _from_hops(hops: np.ndarray, span: int, count: int, size: int, hop_s: float, length_s: float) -> Blocks:
    """`count` blocks, each the sum of `span` consecutive hop sums over `size` samples."""
    running = np.concatenate(([0.0], np.cumsum(hops)))
    return Blocks((running[span:span + count] - running[:count]) / size, hop_s, length_s)


def integrated(power: np.ndarray) -> float:
    """BS.1770 gated integrated loudness of momentary block powers, LUFS (SILENT_LUFS when all are gated)."""
    power = np.asarray(power, dtype=float)
    loud = power[power_lufs(power) > ABSOLUTE_GATE_LUFS]
    if not len(loud):
        return SILENT_LUFS
    gate = float(power_lufs(loud.mean())) + RELATIVE_GATE_LU
    kept = loud[power_lufs(loud) > gate]
    return float(power_lufs(kept.mean())) if len(kept) else SILENT_LUFS


def in_spans(centres: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
    """A mask of the blocks whose centre lies inside any of the (start, end) spans, seconds."""
    mask = np.zeros(len(centres), dtype=bool)
    for start, end in spans:
        mask |= (centres >= start) & (centres < end)
    return mask
