"""Speaker embeddings: resemblyzer's voice encoder weights in a small torch module of our own.

The resemblyzer package itself is not installed: it imports librosa and webrtcvad at
import time. Its network (3-layer LSTM 40->256, linear 256->256, ReLU, L2 norm) and its
input (a 40-band *power* mel spectrogram, 25 ms window, 10 ms hop, Slaney mel scale, as
librosa computes it) are rebuilt here with numpy and torch; `pretrained.pt` loads with
strict key matching. Instead of webrtcvad, callers pass only the samples where a speaker
talks (the segmentation model's activity).
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .models import ENCODER, SpeakerModelError, model_path

SAMPLE_RATE = 16000  # Hz: the encoder's input rate
N_FFT = 400  # samples: 25 ms window
HOP = 160  # samples: 10 ms hop
N_MELS = 40  # mel bands
PARTIAL_FRAMES = 160  # mel frames in one partial utterance (1.6 s)
PARTIAL_STEP = 80  # mel frames between partials (0.8 s)
HIDDEN = 256  # LSTM width and embedding size
LAYERS = 3  # LSTM layers
TARGET_DBFS = -30.0  # resemblyzer raises quieter speech to this RMS level before the mel
INT16_MAX = 32767  # full scale of the 16-bit PCM the level is measured in
EMBEDDING_SIZE = 256  # values in one embedding
BATCH = 64  # partials per forward pass


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa htk=False): linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3)
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), mel * 200.0 / 3)


@functools.lru_cache(maxsize=1)
def mel_filters() -> np.ndarray:
    """(N_MELS, N_FFT // 2 + 1) triangular filters, Slaney-normalised (librosa.filters.mel)."""
    fft_hz = np.linspace(0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(SAMPLE_RATE / 2), N_MELS + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    return (weights * (2.0 / (edges[2:] - edges[:-2]))[:, None]).astype(np.float32)


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """(frames, N_MELS) power mel spectrogram, centred frames with zero padding (librosa 0.10)."""
    padded = np.pad(np.asarray(wav, dtype=np.float32), N_FFT // 2)
    count = 1 + (len(padded) - N_FFT) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP][:count]
    window = np.hanning(N_FFT + 1)[:-1].astype(np.float32)  # periodic Hann
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
    return (power @ mel_filters().T).astype(np.float32)


def normalise_level(wav: np.ndarray) -> np.ndarray:
    """Raise quiet speech to TARGET_DBFS RMS (never lower it), as resemblyzer does."""
    rms = float(np.sqrt(np.mean((wav * INT16_MAX) ** 2))) if len(wav) else 0.0
    if rms <= 0:
        return wav
    change = TARGET_DBFS - 20 * np.log10(rms / INT16_MAX)
    return wav * (10 ** (change / 20)) if change > 0 else wav


def _network():
    import torch
    from torch import nn

    class VoiceEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(N_MELS, HIDDEN, LAYERS, batch_first=True)
            self.linear = nn.Linear(HIDDEN, EMBEDDING_SIZE)

        def forward(self, mels: torch.Tensor) -> torch.Tensor:
            _, (hidden, _) = self.lstm(mels)
            raw = torch.relu(self.linear(hidden[-1]))
            return raw / torch.norm(raw, dim=1, keepdim=True).clamp_min(1e-12)

    return VoiceEncoder()


@functools.lru_cache(maxsize=2)
def load_encoder(path: Path | None = None):
    """The voice encoder with resemblyzer's weights (strict keys), in eval mode on the CPU."""
    import torch

    path = path or model_path(ENCODER)
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        state = {k: v for k, v in checkpoint["model_state"].items() if not k.startswith("similarity_")}
        network = _network()
        network.load_state_dict(state, strict=True)
    except (RuntimeError, KeyError, OSError) as e:
        raise SpeakerModelError(f"{path}: not a resemblyzer checkpoint ({e}); delete it and run "
                                "'make setup' to fetch it again") from e
    return network.eval()


def _partials(wav: np.ndarray) -> np.ndarray:
    """(n, PARTIAL_FRAMES, N_MELS) mel partials of 1.6 s stepped by 0.8 s (at least one)."""
    mel = mel_spectrogram(normalise_level(wav))
    if len(mel) < PARTIAL_FRAMES:
        mel = np.pad(mel, ((0, PARTIAL_FRAMES - len(mel)), (0, 0)))
    starts = range(0, len(mel) - PARTIAL_FRAMES + 1, PARTIAL_STEP)
    return np.stack([mel[s:s + PARTIAL_FRAMES] for s in starts])


def _batches(partials: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """The rows of each (n, PARTIAL_FRAMES, N_MELS) array in `partials`, in order, BATCH at a time (the last
    batch may be short): the batches the network sees do not depend on how the rows arrive."""
    held: list[np.ndarray] = []
    rows = 0
    for part in partials:
        held.append(part)
        rows += len(part)
        while rows >= BATCH:
            joined = np.concatenate(held)
            yield joined[:BATCH]
            held, rows = [joined[BATCH:]], rows - BATCH
    if rows:
        yield np.concatenate(held)


def _forward(batches: Iterable[np.ndarray], threads: int) -> np.ndarray:
    """The network on each batch of (n, PARTIAL_FRAMES, N_MELS) partials with `threads` torch CPU threads;
    their embeddings, in order.

    torch's own default is every core, whatever the caller asked (the diarize task asks for
    one: episodes run side by side). The calling thread's setting is put back afterwards.
    Same embeddings with one thread or two; 52 partials took 0.18-0.19 s of CPU with one,
    0.19-0.30 s with two on the loaded 2-core machine.
    """
    import torch

    network = load_encoder()
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            found = [network(torch.from_numpy(batch)).numpy() for batch in batches]
    finally:
        torch.set_num_threads(before)
    return np.concatenate(found) if found else np.zeros((0, EMBEDDING_SIZE), dtype=np.float32)


def partial_embeddings(wav: np.ndarray, *, threads: int = 1) -> np.ndarray:
    """(n, EMBEDDING_SIZE) embeddings of 1.6 s partials stepped by 0.8 s (at least one)."""
    return _forward(_batches([_partials(wav)]), threads)


def embed(wav: np.ndarray, *, threads: int = 1) -> np.ndarray:
    """One L2-normed embedding of `wav` (16 kHz mono float32 speech of one voice)."""
    return embed_many([wav], threads=threads)[0]


def embed_many(wavs: Iterable[np.ndarray], *, threads: int = 1) -> list[np.ndarray]:
    """`embed` of each wav, their partials run through the network together (much faster). The wavs are taken
    one at a time and their partials a batch at a time, so a whole episode's speech and its partials are never
    held at once (docs/speakers.md, "Cost": memory)."""
    counts: list[int] = []

    def partials() -> Iterator[np.ndarray]:
        for wav in wavs:
            found = _partials(wav)
            counts.append(len(found))
            yield found

    embedded = _forward(_batches(partials()), threads)
    if not counts:
        return []
    outputs = np.split(embedded, np.cumsum(counts)[:-1])
    means = [o.mean(axis=0) for o in outputs]
    return [m / max(float(np.linalg.norm(m)), 1e-12) for m in means]
