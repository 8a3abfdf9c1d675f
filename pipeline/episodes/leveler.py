"""The voice leveler: every speaker, and every passage of one speaker, at one loudness.

It knows who speaks when (speaker turns: times and a voice index, no names),
so it levels per voice, not per guess:
  1. each voice's integrated loudness (BS.1770, gated) over its own turns gives
     that voice one gain towards the loudness of all the speech;
  2. within a voice, a slow ride follows its speech-only short-term loudness
     (3 s of that voice's speech), smoothed over seconds, so a speaker who
     drifts away from the microphone comes back, while syllables, breaths and
     laughter keep their shape;
  3. gains are measured on speech blocks only and carried across pauses by
     interpolation between the speech on either side, so a pause gets the gain
     of the speech around it and never more: its noise is never lifted towards
     speech level (no pumping);
  4. stings (intro, outro) keep gain 0 dB.
A voice with little speech gets a bounded gain (FEW_SPEECH_*), every voice at
most MAX_VOICE_GAIN_DB, the ride at most MAX_RIDE_DB. The absolute level is the
loudness normalisation's job afterwards (loudness.py); this only evens out.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from . import meter

SPEECH_WITHIN_LU = 12.0  # LU: a block this far under its voice's level or nearer counts as speech
MAX_VOICE_GAIN_DB = 12.0  # dB: the most a voice is raised or lowered
FEW_SPEECH_S = 10.0  # seconds of speech under which a voice counts as "a few seconds"
FEW_SPEECH_GAIN_DB = 6.0  # dB: the most such a voice is raised or lowered
MIN_SPEECH_S = 1.5  # seconds: less speech in the whole episode and nothing is levelled
MAX_RIDE_DB = 6.0  # dB: the most the ride within a voice moves from the voice's gain
RIDE_MIN_SPEECH_S = 1.0  # seconds of a voice's speech a short-term window needs to steer the ride
RIDE_SMOOTH_S = 2.0  # seconds: time constant of the ride (applied forwards and backwards)
STING_RAMP_S = 0.05  # seconds: the gain ramps to 0 dB this long before a sting starts and after it ends
GAIN_CHUNK = 2 ** 20  # samples whose gain is computed at once (float64): memory, not results


@dataclass(frozen=True)
class VoiceTurn:
    """Who speaks when, as levelling needs it: no names."""

    start: float  # seconds on the cut episode
    end: float  # seconds on the cut episode
    voice: int  # 0-based index of the voice


@dataclass(frozen=True)
class VoiceLevel:
    """One voice's loudness before levelling and the gain it got."""

    voice: int  # the voice index of its turns
    speech_s: float  # seconds of its speech that were measured
    before_lufs: float  # integrated loudness of its speech as recorded, LUFS
    gain_db: float  # the voice's gain (the ride within it comes on top)
    bounded: bool  # the gain it needed was larger than its bound


@dataclass(frozen=True)
class Levelling:
    """What the leveler did."""

    applied: bool  # False: the audio was left as it is
    reason: str  # why not, when not applied ("" when applied)
    reference_lufs: float  # loudness of all the speech, which every voice is brought to, LUFS
    voices: tuple[VoiceLevel, ...]  # per voice, in voice order
    ride_db: tuple[float, float]  # lowest and highest ride within voices, dB


def _speech_blocks(found: meter.Blocks, lufs: np.ndarray, mask: np.ndarray) -> tuple[float, np.ndarray]:
    """A voice's integrated loudness over its turns, and which of its blocks are speech."""
    level = meter.integrated(found.power[mask])
    return level, mask & (lufs > level - SPEECH_WITHIN_LU)


def bound_for(speech_s: float) -> float:
    """dB: the largest gain a voice with this much speech may get."""
    return FEW_SPEECH_GAIN_DB if speech_s < FEW_SPEECH_S else MAX_VOICE_GAIN_DB


def _smooth(values: np.ndarray, hop_s: float) -> np.ndarray:
    pole = np.exp(-hop_s / RIDE_SMOOTH_S)
    if len(values) <= 6:
        return np.full_like(values, values.mean())
    return signal.filtfilt([1 - pole], [1, -pole], values, method="gust")


def _fill(values: np.ndarray) -> np.ndarray:
    """NaNs replaced by a straight line between the known values on either side (held at the ends)."""
    known = ~np.isnan(values)
    index = np.arange(len(values))
    return np.interp(index, index[known], values[known])


def _window_sum(values: np.ndarray, width: int) -> np.ndarray:
    """Sum over `width` blocks centred on each block; as long as `values`, even when the window is longer."""
    start = (width - 1) // 2
    return np.convolve(values, np.ones(width), mode="full")[start:start + len(values)]


def _ride(power: np.ndarray, speech: np.ndarray, level: float, hop_s: float) -> np.ndarray:
    """dB per block of one voice's blocks (in order): its speech-only short-term loudness back to `level`."""
    width = max(1, int(round(meter.SHORT_TERM_S / hop_s)))
    summed = _window_sum(power * speech, width)
    count = _window_sum(speech.astype(float), width)
    enough = speech & (count * hop_s >= RIDE_MIN_SPEECH_S)
    if not enough.any():
        return np.zeros(len(power))
    short = meter.power_lufs(summed / np.maximum(count, 1))
    ride = np.where(enough, np.clip(level - short, -MAX_RIDE_DB, MAX_RIDE_DB), np.nan)
    return _smooth(_fill(ride), hop_s)


def _unchanged(reason: str, reference: float = meter.SILENT_LUFS) -> Levelling:
    return Levelling(False, reason, reference, (), (0.0, 0.0))


def plan(samples: np.ndarray, rate: int, turns: list[VoiceTurn], stings: list[tuple[float, float]]
         ) -> tuple[np.ndarray, Levelling]:
    """Gain in dB per block (every meter.HOP_S), and what it does; all zeros when nothing is levelled."""
    found = meter.k_blocks(samples, rate)
    centres, lufs = found.centres(), found.lufs()
    outside = ~meter.in_spans(centres, stings)
    voices = sorted({t.voice for t in turns})
    masks = {v: meter.in_spans(centres, [(t.start, t.end) for t in turns if t.voice == v]) & outside
             for v in voices}
    measured = {v: _speech_blocks(found, lufs, mask) for v, mask in masks.items()}
    speech = np.zeros(len(lufs), dtype=bool)
    for _, blocks in measured.values():
        speech |= blocks
    if not turns:
        return np.zeros(len(lufs)), _unchanged("no speech found: no speaker turns (music, silence or a tone?)")
    if speech.sum() * found.hop_s < MIN_SPEECH_S:
        return np.zeros(len(lufs)), _unchanged(f"no speech found: under {MIN_SPEECH_S:.1f} s of speech in the turns")
    reference = meter.integrated(found.power[speech])
    gain = np.full(len(lufs), np.nan)
    levels, rides = [], []
    for v in voices:
        level, blocks = measured[v]
        seconds = float(blocks.sum() * found.hop_s)
        wanted = reference - level
        bound = bound_for(seconds)
        voice_gain = float(np.clip(wanted, -bound, bound)) if blocks.any() else 0.0
        levels.append(VoiceLevel(v, round(seconds, 2), round(level, 2), round(voice_gain, 2), abs(wanted) > bound))
        mask = masks[v]
        if mask.any():
            ride = _ride(found.power[mask], blocks[mask], level, found.hop_s) if blocks.any() else 0.0
            gain[mask] = voice_gain + ride
            rides.append(np.atleast_1d(ride))
    gain[~outside] = 0.0
    ride_all = np.concatenate(rides) if rides else np.zeros(1)
    result = Levelling(True, "", round(reference, 2), tuple(levels),
                       (round(float(ride_all.min()), 2), round(float(ride_all.max()), 2)))
    return _fill(gain), result


def _gain_at(gain_db: np.ndarray, first: int, count: int, rate: int, stings: list[tuple[float, float]]
             ) -> np.ndarray:
    """Linear gain of samples first .. first + count (float64), as `sample_gain` gives them."""
    times = np.arange(first, first + count) / rate
    centres = np.arange(len(gain_db)) * meter.HOP_S + meter.MOMENTARY_S / 2
    db = np.interp(times, centres, gain_db)
    for start, end in stings:
        if times[-1] < start - STING_RAMP_S or times[0] >= end + STING_RAMP_S:
            continue
        before = (times >= start - STING_RAMP_S) & (times < start)
        after = (times >= end) & (times < end + STING_RAMP_S)
        db[before] *= (start - times[before]) / STING_RAMP_S
        db[after] *= (times[after] - end) / STING_RAMP_S
        db[(times >= start) & (times < end)] = 0.0
    return 10 ** (db / 20)


def sample_gain(gain_db: np.ndarray, count: int, rate: int, stings: list[tuple[float, float]]) -> np.ndarray:
    """Linear gain per sample from the per-block dB plan; exactly 1 inside stings, ramped just outside them."""
    return _gain_at(gain_db, 0, count, rate, stings) if count else np.ones(0)


def apply_gain(samples: np.ndarray, gain_db: np.ndarray, rate: int, stings: list[tuple[float, float]],
               out: np.ndarray | None = None) -> np.ndarray:
    """`samples * sample_gain(...)` (per channel), GAIN_CHUNK samples at a time into one array of the samples'
    float type (`out`, which may be `samples` itself): float32 audio needs no float64 copy of its whole length."""
    dtype = np.float32 if samples.dtype == np.float32 else np.float64
    out = np.empty(samples.shape, dtype=dtype) if out is None else out
    for first in range(0, len(samples), GAIN_CHUNK):
        piece = samples[first:first + GAIN_CHUNK]
        gain = _gain_at(gain_db, first, len(piece), rate, stings)
        out[first:first + len(piece)] = piece * (gain if samples.ndim == 1 else gain[:, None])
    return out


def level(samples: np.ndarray, rate: int, turns: list[VoiceTurn], stings: list[tuple[float, float]] = (), *,
          in_place: bool = False) -> tuple[np.ndarray, Levelling]:
    """The levelled audio (same shape: samples, or samples x channels; float32 stays float32) and what was done;
    `in_place`: written into `samples` (a float32 or float64 array), not a new array."""
    stings = list(stings)
    gain_db, result = plan(samples, rate, turns, stings)
    if not result.applied:
        return samples, result
    return apply_gain(samples, gain_db, rate, stings, samples if in_place else None), result
