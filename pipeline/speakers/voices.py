"""Voices (embeddings) of pieces of a recording, and of a speaker's voice sample file."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.asr_audio import read_audio
from .encoder import HOP, PARTIAL_FRAMES, embed, embed_many
from .linking import Piece, frames, pieces
from .segmentation import FRAME_HOP, FRAME_SPAN, local_activity

MIN_VOICE_SECONDS = 0.3  # solo speech below which a piece gets no voice
PARTIAL_SAMPLES = PARTIAL_FRAMES * HOP  # samples the encoder reads at once (1.6 s)
MIN_SAMPLE_SECONDS = 2.0  # speech a voice sample must hold to be trusted


def frame_samples(first: int, end: int) -> slice:
    """The samples of global frames [first, end)."""
    return slice(first * FRAME_HOP + (FRAME_SPAN - FRAME_HOP) // 2, end * FRAME_HOP + (FRAME_SPAN + FRAME_HOP) // 2)


def solo_audio(wav: np.ndarray, piece: Piece, count: np.ndarray) -> np.ndarray:
    """The piece's samples where only one person talks."""
    solo = count[piece.start:piece.end] <= 1
    edges = np.flatnonzero(np.diff(np.concatenate([[0], solo.astype(np.int8), [0]])))
    parts = [wav[frame_samples(piece.start + a, piece.start + b)] for a, b in zip(edges[::2], edges[1::2])]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def tiled(speech: np.ndarray) -> np.ndarray:
    """Speech shorter than one encoder partial, repeated to fill it (better than zero padding)."""
    if len(speech) >= PARTIAL_SAMPLES or not len(speech):
        return speech
    return np.tile(speech, int(np.ceil(PARTIAL_SAMPLES / len(speech))))[:PARTIAL_SAMPLES]


def piece_voices(wav: np.ndarray, cut: list[Piece], count: np.ndarray, sample_rate: int, *, threads: int = 1):
    """(voices, solo seconds): an embedding per piece (None when under MIN_VOICE_SECONDS)."""
    solo = np.zeros(len(cut))
    voiced: list[int] = []

    def speech():  # one piece's solo speech at a time: the episode's speech is never held twice
        for i, piece in enumerate(cut):
            found = solo_audio(wav, piece, count)
            solo[i] = len(found) / sample_rate
            if solo[i] >= MIN_VOICE_SECONDS:
                voiced.append(i)
                yield tiled(found)

    embedded = embed_many(speech(), threads=threads)  # fills `solo` and `voiced` as it reads
    voices: list = [None] * len(cut)
    for i, voice in zip(voiced, embedded):
        voices[i] = voice
    return voices, solo


def sample_voice(path: Path, *, threads: int = 1) -> tuple[float, ...]:
    """The voice in a speaker's sample recording (its speech only, found by the segmentation model)."""
    from ..core.errors import CoursecastError
    from .segmentation import SAMPLE_RATE

    wav = read_audio(path)
    summary = frames(local_activity(wav, threads=threads))
    talk = [wav[frame_samples(p.start, p.end)] for p in pieces(summary)]
    speech = np.concatenate(talk) if talk else np.zeros(0, dtype=np.float32)
    if len(speech) < MIN_SAMPLE_SECONDS * SAMPLE_RATE:
        raise CoursecastError(f"{path}: voice sample holds {len(speech) / SAMPLE_RATE:.1f} s of speech; "
                              f"record at least {MIN_SAMPLE_SECONDS:.0f} s of that person talking alone")
    return tuple(float(v) for v in embed(speech, threads=threads))

