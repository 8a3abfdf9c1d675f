"""Local speakers in 10 s windows: pyannote segmentation-3.0 (ONNX) on the CPU, or a CUDA GPU.

The model reads 10 s of 16 kHz audio and gives, for each of 589 frames (one per 270
samples, 16.9 ms), log-probabilities of 7 powerset classes over 3 *local* speakers:
{}, {1}, {2}, {3}, {1,2}, {1,3}, {2,3}. A speaker's probability is the sum of the
classes that contain it. Windows are stepped by 1 s, so each frame is seen by about
ten windows; `linking.py` decides which local speakers are the same person.

`device` is the [diarization] setting, resolved here, where the task runs
(core/devices.py): onnxruntime's CUDA provider when it is installed and asked for, else
the CPU. On the CPU the model runs in OpenVINO, in float32: the same probabilities as
onnxruntime's CPU provider to 1.1e-5, in a fifth less time (its LSTMs are faster;
docs/speakers.md#cost). Where the model actually ran is reported
(`WindowActivity.device`): onnxruntime falls back to the CPU by itself when CUDA's
libraries are missing, and that is an error only with device = "cuda".
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.devices import CPU, CUDA, CUDA_PROVIDER, onnx_providers  # not all of it: no CTranslate2
from ..core.errors import StageError
from .models import SEGMENTATION, SpeakerModelError, model_path

log = logging.getLogger("coursecast.speakers")

SAMPLE_RATE = 16000  # Hz: the model's input rate
WINDOW = 160_000  # samples: 10 s, the model's training chunk
STEP = 16_000  # samples: 1 s between window starts
FRAME_HOP = 270  # samples between output frames (SincNet strides 10*3*3*3)
FRAME_SPAN = 721  # samples one output frame sees (receptive field)
FRAMES = 589  # output frames per 10 s window
LOCAL_SPEAKERS = 3  # speakers the model can tell apart inside one window
POWERSET = ((), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2))  # class index -> local speakers active
BATCH = 8  # windows per call on the CPU (OpenVINO): 4 to 32 within 2 %, the same outputs; 8 holds 40 MB of samples
GPU_BATCH = 32  # windows per ONNX call on a GPU: a guess that fills it better, not measured


@dataclass(frozen=True)
class WindowActivity:
    offsets: np.ndarray  # (windows,) int: first global frame of each window
    activity: np.ndarray  # (windows, FRAMES, LOCAL_SPEAKERS) float32 probability each local speaker talks
    frames: int  # global frames covering the recording
    device: str = CPU  # where the model ran: "cpu" or "cuda"

    @property
    def windows(self) -> int:
        return len(self.offsets)


def frame_time(index) -> np.ndarray | float:
    """Seconds at the middle of global frame `index` (array or int)."""
    return (np.asarray(index) * FRAME_HOP + FRAME_SPAN / 2) / SAMPLE_RATE


def time_frame(seconds: float) -> int:
    """The global frame whose middle is nearest `seconds`."""
    return max(0, int(round((seconds * SAMPLE_RATE - FRAME_SPAN / 2) / FRAME_HOP)))


def powerset_to_speakers() -> np.ndarray:
    """(7, 3) 0/1 matrix: class -> which local speakers it contains."""
    matrix = np.zeros((len(POWERSET), LOCAL_SPEAKERS), dtype=np.float32)
    for index, members in enumerate(POWERSET):
        matrix[index, list(members)] = 1.0
    return matrix


@functools.lru_cache(maxsize=4)
def _compiled(path: Path, threads: int):
    """The model compiled by OpenVINO for the CPU: float32 (its default on a CPU with bf16 is not), any batch."""
    import openvino

    try:
        core = openvino.Core()
        model = core.read_model(str(path))
        model.reshape({"input": [-1, 1, WINDOW]})
        return core.compile_model(model, "CPU", {"INFERENCE_NUM_THREADS": threads, "NUM_STREAMS": 1,
                                                 "INFERENCE_PRECISION_HINT": "f32", "ENABLE_CPU_PINNING": False})
    except RuntimeError as e:  # OpenVINO raises RuntimeError for a file it cannot read
        raise SpeakerModelError(f"{path}: OpenVINO cannot load it ({e}); delete it and run "
                                "'make setup' to fetch it again") from e


@functools.lru_cache(maxsize=4)
def _session(path: Path, threads: int, providers: tuple[str, ...]):
    """onnxruntime's session, for a GPU (its CUDA provider first)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=list(providers))
    except Exception as e:  # onnxruntime raises its own untyped errors for a bad file
        raise SpeakerModelError(f"{path}: onnxruntime cannot load it ({e}); delete it and run "
                                "'make setup' to fetch it again") from e


def window_starts(samples: int) -> list[int]:
    """Sample offsets of the windows: every STEP, plus one flush with the end."""
    if samples <= WINDOW:
        return [0]
    starts = list(range(0, samples - WINDOW + 1, STEP))
    if starts[-1] + WINDOW < samples:
        starts.append(samples - WINDOW)
    return starts


def local_activity(wav: np.ndarray, *, threads: int = 1, device: str = CPU) -> WindowActivity:
    """Run the model over `wav` (16 kHz mono float32) in 10 s windows stepped by 1 s, on `device` (a setting)."""
    run, used = placed_model(device, threads)
    wav = np.asarray(wav, dtype=np.float32)
    starts = window_starts(len(wav))
    padded = wav if len(wav) >= WINDOW else np.pad(wav, (0, WINDOW - len(wav)))  # a long recording is not copied
    to_speakers = powerset_to_speakers()
    outputs, step = [], GPU_BATCH if used == CUDA else BATCH
    for first in range(0, len(starts), step):
        batch = np.stack([padded[s:s + WINDOW] for s in starts[first:first + step]])[:, None, :]
        outputs.append(np.exp(run(batch)) @ to_speakers)
    offsets = np.array([int(round(s / FRAME_HOP)) for s in starts])
    frames = max(1, int(np.ceil((len(wav) - FRAME_SPAN) / FRAME_HOP)) + 1)
    return WindowActivity(offsets, np.concatenate(outputs).astype(np.float32), frames, used)


def placed_model(device: str, threads: int) -> tuple[Callable[[np.ndarray], np.ndarray], str]:
    """(a function from a batch of windows to the model's log-probabilities, where it runs: "cpu" or "cuda")
    for the `device` setting."""
    providers = onnx_providers(device)
    path = model_path(SEGMENTATION)
    if providers[0] == CUDA_PROVIDER:
        session = _session(path, threads, providers)
        if session.get_providers()[0] == CUDA_PROVIDER:
            return (lambda batch: session.run(None, {"input": batch})[0]), CUDA
        if device == CUDA:
            raise StageError("[diarization].device = 'cuda': onnxruntime has a CUDA provider but could not start "
                             "it (its CUDA and cuDNN libraries are missing or do not match); install the ones "
                             "onnxruntime-gpu names, or set device = 'auto' or 'cpu'")
        log.warning("onnxruntime could not start its CUDA provider; segmenting on the CPU")
    request = _compiled(path, threads).create_infer_request()  # one per call: requests are not shared by threads
    return (lambda batch: request.infer({0: batch})[0]), CPU
