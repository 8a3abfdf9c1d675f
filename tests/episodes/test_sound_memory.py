"""Producing a long episode in pieces gives what the whole-array code gave (issue 25, "keep memory under 2 GB").

The filters, the crossfade back to the stings and the leveler's gain run
FILTER_CHUNK / GAIN_CHUNK samples at a time in float32; here on real speech
from ../shared/speech (chunks made small so that a few seconds cross many
boundaries), against scipy's own sosfiltfilt/filtfilt and the formulas the
whole-array code used. Measured figures are in the comments.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from benchmarks import sound_data as data
from pipeline.core.asr_audio import SAMPLE_RATE
from pipeline.episodes import denoise, leveler, meter

RATE = SAMPLE_RATE
SMALL_CHUNK = 4099  # samples: an odd chunk size, so that chunks and filter edges fall anywhere
EQUAL_BELOW_DB = -100.0  # dB: the difference from scipy's float64 result, against the signal


@pytest.fixture(scope="module", autouse=True)
def speech_present():
    if not data.available():
        pytest.skip(f"real speech not available: {data.SPEECH} is missing (../shared/speech is not beside the repo)")


@pytest.fixture()
def small_chunks(monkeypatch):
    monkeypatch.setattr(denoise, "FILTER_CHUNK", SMALL_CHUNK)
    monkeypatch.setattr(leveler, "GAIN_CHUNK", SMALL_CHUNK)


def _below_db(found: np.ndarray, reference: np.ndarray) -> float:
    """dB of the difference's energy under the reference's."""
    return float(10 * np.log10(np.sum((found - reference) ** 2) / np.sum(reference ** 2)))


def _hum_speech() -> np.ndarray:
    return data.noisy("hum", 20.0).audio.astype(np.float32)  # as read_audio gives it


def test_the_chunked_highpass_is_scipys_sosfiltfilt(small_chunks):
    speech = _hum_speech()
    sos = signal.butter(2, denoise.HIGHPASS_HZ, "highpass", fs=RATE, output="sos")
    reference = signal.sosfiltfilt(sos, speech.astype(np.float64))
    found = denoise.highpass(speech, RATE)
    assert found.dtype == np.float32 and found.shape == speech.shape
    assert _below_db(found, reference) < EQUAL_BELOW_DB  # measured -148.9 dB (float32 storage)
    assert np.array_equal(denoise.highpass(speech.astype(np.float64), RATE), reference)  # float64: the same bits


def test_the_chunked_notches_are_scipys_filtfilt(small_chunks):
    speech = _hum_speech()
    reference = speech.astype(np.float64)
    for k in (1, 2, 3):
        b, a = signal.iirnotch(50.0 * k, 50.0 * k / denoise.HUM_NOTCH_BW_HZ, fs=RATE)
        reference = signal.filtfilt(b, a, reference)
    found = denoise.notch_hum(speech, RATE, 50.0, (1, 2, 3))
    assert found.dtype == np.float32
    assert _below_db(found, reference) < EQUAL_BELOW_DB  # measured -144.1 dB; the three cascaded into one
    # zero-phase pass instead measured -70 dB (the edges settle differently), so each stays a pass of its own


def test_channels_are_filtered_each_as_scipy_does(small_chunks):
    speech = _hum_speech()
    stereo = np.stack([speech, speech[::-1] * 0.5], axis=1)
    sos = signal.butter(2, denoise.HIGHPASS_HZ, "highpass", fs=RATE, output="sos")
    reference = signal.sosfiltfilt(sos, stereo.astype(np.float64), axis=0)
    assert _below_db(denoise.highpass(stereo, RATE), reference) < EQUAL_BELOW_DB


def test_stings_are_restored_as_the_whole_array_crossfade_did(small_chunks):
    speech = _hum_speech()
    cleaned = denoise.highpass(speech, RATE)
    keep = [(0.0, 0.7), (1.2, 1.25), (3.0, 3.5)]  # the middle one shorter than its fades
    times = np.arange(len(speech)) / RATE
    weight = np.zeros(len(speech))
    for start, end in keep:
        rise = np.clip((times - (start - denoise.KEEP_FADE_S)) / denoise.KEEP_FADE_S, 0, 1)
        fall = np.clip(((end + denoise.KEEP_FADE_S) - times) / denoise.KEEP_FADE_S, 0, 1)
        weight = np.maximum(weight, np.minimum(rise, fall))
    expected = (weight * speech + (1 - weight) * cleaned).astype(np.float32)
    assert np.array_equal(denoise._restore(denoise._kept(speech, RATE, keep), cleaned.copy(), RATE, keep), expected)


def test_filtered_in_place_the_episode_is_held_once_and_comes_out_the_same(small_chunks):
    """The master's sound is produced in the one array read from the cut master (sound.py); filtering and
    levelling it in place gives the bits a new array gets, the stings' original samples included."""
    speech = _hum_speech()
    keep = [(0.0, 0.7), (3.0, 3.5)]
    as_read = speech.copy()
    fresh, cleaning = denoise.clean(speech, RATE, "on", keep=keep)
    assert np.array_equal(speech, as_read)  # without in_place the samples are left as they are
    assert len(cleaning.applied) == 3 and cleaning.before.hum_hz == 50.0  # high-pass, notches and the reducer
    cleaned, _ = denoise.clean(speech.copy(), RATE, "on", keep=keep, in_place=True)
    assert np.array_equal(cleaned, fresh)
    filtered = speech.copy()
    highpassed = denoise.highpass(filtered, RATE, filtered)
    assert highpassed is filtered and np.array_equal(highpassed, denoise.highpass(speech, RATE))
    notched = denoise.notch_hum(filtered, RATE, 50.0, (1, 2, 3), filtered)
    assert notched is filtered and np.array_equal(notched, denoise.notch_hum(denoise.highpass(speech, RATE), RATE,
                                                                             50.0, (1, 2, 3)))
    blocks = int(len(speech) / RATE / meter.HOP_S)
    gain_db = np.linspace(-6.0, 6.0, blocks)
    into = speech.copy()
    assert np.array_equal(leveler.apply_gain(into, gain_db, RATE, keep, into), leveler.apply_gain(speech, gain_db,
                                                                                                RATE, keep))


def test_the_chunked_gain_is_the_whole_array_gain(small_chunks):
    speech = _hum_speech()
    blocks = int(len(speech) / RATE / meter.HOP_S)
    gain_db = np.linspace(-6.0, 6.0, blocks)
    stings = [(0.0, 0.5), (2.0, 2.3)]
    expected = (speech * leveler.sample_gain(gain_db, len(speech), RATE, stings)).astype(np.float32)
    found = leveler.apply_gain(speech, gain_db, RATE, stings)
    assert found.dtype == np.float32 and np.array_equal(found, expected)


def test_the_noise_floor_is_measured_on_scipys_stft():
    speech = _hum_speech()
    size = int(denoise.FLOOR_FRAME_S * RATE)
    _, _, spectrum = signal.stft(speech.astype(np.float64), nperseg=size, noverlap=size // 2)
    power = (np.abs(spectrum) ** 2).astype(np.float32)
    blocks = np.concatenate([block for _, block in denoise._power_blocks(speech, size)], axis=1)
    assert np.allclose(blocks, power, rtol=1e-5, atol=1e-12)
    frames = power.sum(axis=0, dtype=np.float64)
    loud = frames[frames > np.percentile(frames, denoise.SPEECH_PERCENTILE)]
    expected = 10 * np.log10(np.percentile(power, denoise.FLOOR_PERCENTILE, axis=1).sum() / loud.mean())
    assert denoise.noise_floor(speech, RATE) == pytest.approx(expected, abs=1e-4)


def _whole_spectrum_floor(audio: np.ndarray) -> float:
    """The noise floor as np.percentile gives it on the whole spectrum in memory (what the code did before)."""
    size = int(denoise.FLOOR_FRAME_S * RATE)
    power = np.concatenate([block for _, block in denoise._power_blocks(audio, size)], axis=1)
    frames = power.sum(axis=0, dtype=np.float64)
    loud = frames[frames > np.percentile(frames, denoise.SPEECH_PERCENTILE)]
    return float(10 * np.log10(np.percentile(power, denoise.FLOOR_PERCENTILE, axis=1).sum() / loud.mean()))


def test_the_noise_floor_is_exact_without_the_whole_spectrum(monkeypatch):
    """The floor's 10th percentile per frequency comes from a radix select over the powers' bits, never the whole
    spectrum in memory: the same float as np.percentile on the whole spectrum, whether the last pass keeps and
    sorts the few powers left (a recording) or every bit is counted (long digital silence, a steady tone), and
    whether the spectrum is held (FLOOR_HELD_BYTES) or transformed again for each pass. Measured on a 45-minute
    episode: 380 -> 101 MB above the samples, 10.1 s of CPU either way; on 10.7 minutes (held): 240 -> 186 MB,
    1.9 -> 1.8 s."""
    speech = _hum_speech()
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(3 * RATE) / RATE)).astype(np.float32)
    whole = {"speech": _whole_spectrum_floor(speech), "tone": _whole_spectrum_floor(tone)}
    monkeypatch.setattr(denoise, "FRAMES_AT_ONCE", 37)  # blocks end anywhere
    keep_values = denoise.FLOOR_KEEP_VALUES
    for held in (denoise.FLOOR_HELD_BYTES, 0):  # the spectrum held for every pass, or transformed again for each
        monkeypatch.setattr(denoise, "FLOOR_HELD_BYTES", held)
        monkeypatch.setattr(denoise, "FLOOR_KEEP_VALUES", keep_values)
        assert {"speech": denoise.noise_floor(speech, RATE), "tone": denoise.noise_floor(tone, RATE)} == whole
        monkeypatch.setattr(denoise, "FLOOR_KEEP_VALUES", 0)  # every bit counted, nothing kept
        assert {"speech": denoise.noise_floor(speech, RATE), "tone": denoise.noise_floor(tone, RATE)} == whole
