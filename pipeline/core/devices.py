"""Where the models run: the CPU, or a CUDA GPU when the runtime that would use it sees one (issue 25).

`[transcription] device` and `[diarization] device` are "auto", "cpu" or "cuda". The
setting is part of each task's key (it is in the job); what it means on a machine is
decided here, in the task's action, where the task runs: a Dask worker may be another
machine with another card, so the process that plans the build never resolves it.

- "cpu": the CPU, exactly as before the setting existed.
- "auto": the GPU when the runtime sees one (CTranslate2's CUDA device count, torch's
  `cuda.is_available()`, onnxruntime's CUDA provider), else the CPU. A GPU that is seen
  but cannot be used (missing CUDA libraries) falls back to the CPU with a warning.
- "cuda": the GPU, or a `StageError` naming the setting and the fix. Never a silent CPU.

What actually ran is recorded in the output (a transcript's `device` and `compute_type`,
speakers.json's `device`), because float16 on a GPU does not give the CPU's int8 words.
"""
from __future__ import annotations

import logging
import socket
from dataclasses import dataclass

from .errors import StageError
from .settings import DEVICES  # "auto", "cpu", "cuda"

log = logging.getLogger("coursecast.devices")

AUTO, CPU, CUDA = DEVICES
CPU_PROVIDER = "CPUExecutionProvider"  # onnxruntime's
CUDA_PROVIDER = "CUDAExecutionProvider"  # onnxruntime-gpu's
# What to install when a runtime sees no GPU, per runtime.
GPU_BUILDS = {
    "CTranslate2": "an NVIDIA driver with CUDA 12 and cuDNN 9 (what CTranslate2 4.x's wheels use)",
    "torch": "a CUDA build of torch (pip install torch --index-url https://download.pytorch.org/whl/cu124)",
    "onnxruntime": "onnxruntime-gpu in place of onnxruntime (pip uninstall onnxruntime; pip install onnxruntime-gpu)",
}


@dataclass(frozen=True)
class Placement:
    """Where a Whisper engine runs and with what arithmetic; recorded in every transcript."""

    device: str  # "cpu" or "cuda"
    compute_type: str  # the weights' arithmetic there: "int8", "float16" or "float32"
    batched: bool = False  # faster-whisper: decode VAD chunks in batches (BatchedInferencePipeline)


FASTER_WHISPER_CPU = Placement(CPU, "int8")  # half float32's time on the LJ Speech set, same WER
FASTER_WHISPER_CUDA = Placement(CUDA, "float16", batched=True)  # faster-whisper's GPU recipe; not measured here
OPENAI_WHISPER_CPU = Placement(CPU, "float32")  # torch has no fp16 matmul worth having on the CPU
OPENAI_WHISPER_CUDA = Placement(CUDA, "float16")  # whisper.transcribe(fp16=True)


def resolve(setting: str, seen: bool, *, table: str, runtime: str) -> str:
    """"cpu" or "cuda" for a `device` setting, given whether `runtime` sees a GPU on this machine."""
    if setting == CPU or (setting == AUTO and not seen):
        return CPU
    if setting in (AUTO, CUDA) and seen:
        return CUDA
    if setting == CUDA:
        raise StageError(no_gpu(table, runtime))
    raise StageError(f"[{table}].device = {setting!r} is not a device; use one of "
                     + ", ".join(repr(d) for d in DEVICES))


def no_gpu(table: str, runtime: str) -> str:
    """The message for device = "cuda" on a machine where `runtime` sees no GPU: the setting, the host, the fix."""
    return (f"[{table}].device = 'cuda', but {runtime} sees no CUDA GPU on {socket.gethostname()}; "
            f"set device = 'auto' (the GPU when one is seen, else the CPU) or 'cpu', or install "
            f"{GPU_BUILDS[runtime]}")


def ctranslate2_sees_gpu() -> bool:
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except (ImportError, RuntimeError):  # not installed, or a CUDA build whose driver is missing
        return False


def torch_sees_gpu() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except ImportError:
        return False


def onnxruntime_sees_gpu() -> bool:
    try:
        import onnxruntime

        return CUDA_PROVIDER in onnxruntime.get_available_providers()
    except ImportError:
        return False


def whisper_placement(setting: str, engine: str) -> Placement:
    """Where `engine` ("faster-whisper" or "openai-whisper") runs on this machine for `setting`."""
    if engine == "faster-whisper":
        device = resolve(setting, setting != CPU and ctranslate2_sees_gpu(), table="transcription",
                         runtime="CTranslate2")
        return FASTER_WHISPER_CUDA if device == CUDA else FASTER_WHISPER_CPU
    device = resolve(setting, setting != CPU and torch_sees_gpu(), table="transcription", runtime="torch")
    return OPENAI_WHISPER_CUDA if device == CUDA else OPENAI_WHISPER_CPU


def whisper_gpu_problem(setting: str, engine: str) -> str:
    """'' unless `setting` is "cuda" and `engine`'s runtime sees no GPU here (the preflight's question)."""
    if setting != CUDA:
        return ""
    runtime, seen = ("CTranslate2", ctranslate2_sees_gpu) if engine == "faster-whisper" else ("torch", torch_sees_gpu)
    return "" if seen() else no_gpu("transcription", runtime)


def onnx_providers(setting: str) -> tuple[str, ...]:
    """onnxruntime's providers for `setting`, in order of preference: CUDA first when it is used."""
    device = resolve(setting, setting != CPU and onnxruntime_sees_gpu(), table="diarization", runtime="onnxruntime")
    return (CUDA_PROVIDER, CPU_PROVIDER) if device == CUDA else (CPU_PROVIDER,)


def onnx_gpu_problem(setting: str) -> str:
    """'' unless `setting` is "cuda" and onnxruntime has no CUDA provider here."""
    return no_gpu("diarization", "onnxruntime") if setting == CUDA and not onnxruntime_sees_gpu() else ""
