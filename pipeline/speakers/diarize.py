"""Who speaks when in a one-channel recording: windows, pieces, voices, clusters, turns."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.asr_audio import SAMPLE_RATE, read_audio
from .clustering import Evidence, cluster
from .linking import Frames, Piece, frames, pieces, window_votes
from .models import ENCODER, SEGMENTATION
from .segmentation import frame_time, local_activity
from .voices import piece_voices

log = logging.getLogger("coursecast.speakers")

MIN_GAP_SECONDS = 0.1  # a speaker's pauses shorter than this are bridged
MIN_TURN_SECONDS = 0.05  # talk shorter than this is dropped
OVERLAP_REACH_SECONDS = 3.0  # the second voice of an overlap is someone who talks this near
LABEL = "SPEAKER_{}"  # label of the n-th speaker to talk (1-based)


@dataclass(frozen=True)
class DiarizeOptions:
    """Everything the turns depend on besides the audio: the staleness key of a diarization.

    Naming is not in it: renaming a speaker or adding a voice sample re-labels the saved
    turns (`name_speakers`) without diarizing again.
    """
    speakers: int | None = None  # how many people talk (the episode's `speakers`); None: estimated
    segmentation_sha256: str = SEGMENTATION.sha256  # the segmentation-3.0 ONNX file
    encoder_sha256: str = ENCODER.sha256  # the resemblyzer weights
    device: str = "cpu"  # the [diarization] device setting for segmentation, resolved where the task runs


@dataclass(frozen=True)
class SpeakerTurn:
    start: float  # seconds from the start of the recording
    end: float  # seconds
    speaker: str  # label, e.g. "SPEAKER_1" (numbered in order of first speech)


@dataclass(frozen=True)
class Diarization:
    turns: tuple[SpeakerTurn, ...]  # by start time; two turns overlap where two people talk
    labels: tuple[str, ...]  # speakers in order of first speech
    voices: tuple[tuple[float, ...], ...]  # per label: L2-normed voice embedding (empty if none)
    duration: float  # seconds of audio
    seconds_taken: float  # wall-clock seconds the diarization took
    device: str = "cpu"  # where segmentation ran: "cpu" or "cuda" (the voice encoder runs on the CPU)

    def to_dict(self) -> dict:
        return {"duration": round(self.duration, 3), "device": self.device, "labels": list(self.labels),
                "voices": [[round(v, 5) for v in voice] for voice in self.voices],
                "turns": [[round(t.start, 3), round(t.end, 3), t.speaker] for t in self.turns]}

    @classmethod
    def from_dict(cls, raw: dict) -> "Diarization":
        return cls(tuple(SpeakerTurn(float(a), float(b), str(s)) for a, b, s in raw["turns"]),
                   tuple(raw["labels"]), tuple(tuple(v) for v in raw["voices"]), float(raw["duration"]), 0.0,
                   str(raw.get("device", "cpu")))  # files written before the setting: the CPU


def diarize_file(path: Path, *, speakers: int | None, threads: int = 1) -> Diarization:
    """`diarize` on any file ffmpeg reads (mixed down to one channel)."""
    return diarize(read_audio(path), speakers=speakers, threads=threads)


def diarize(wav: np.ndarray, *, speakers: int | None, threads: int = 1, device: str = "cpu") -> Diarization:
    """Turns of `speakers` people (None: estimated) in `wav`, 16 kHz mono float32; segmentation on `device`
    (a [diarization] device setting)."""
    began = time.perf_counter()
    activity = local_activity(wav, threads=threads, device=device)
    summary = frames(activity)
    cut = pieces(summary)
    voices, solo = piece_voices(wav, cut, summary.count, SAMPLE_RATE, threads=threads)
    same, different = window_votes(activity, cut)
    evidence = Evidence(voices, solo, same, different)
    labels = cluster(cut, evidence, speakers)
    talk = speaker_frames(cut, labels, summary, speakers)
    order = sorted(range(len(talk)), key=lambda g: _first(talk[g]))
    order = [g for g in order if talk[g].any()]
    names = {g: LABEL.format(n + 1) for n, g in enumerate(order)}
    turns = sorted((SpeakerTurn(a, b, names[g]) for g in order for a, b in _runs(talk[g])),
                   key=lambda t: (t.start, t.end))
    taken = time.perf_counter() - began
    log.info("diarized %.1f s in %.1f s (segmentation on %s): %d pieces, %d speakers, %d turns",
             len(wav) / SAMPLE_RATE, taken, activity.device, len(cut), len(order), len(turns))
    group_voices = tuple(_group_voice(g, labels, evidence) for g in order)  # () for one only heard in overlap
    return Diarization(tuple(turns), tuple(names[g] for g in order), group_voices, len(wav) / SAMPLE_RATE, taken,
                       activity.device)


def speaker_frames(cut: list[Piece], labels: list[int], summary: Frames, speakers: int | None) -> np.ndarray:
    """(speakers, frames) bool: each piece's speaker, plus a second voice where two talk.

    The second voice is the nearest other speaker (within OVERLAP_REACH_SECONDS, else
    anywhere); when there is none near and the episode has room for one more (or the count
    is unknown and only one was found), it is a speaker heard only while someone else talks.
    """
    groups = max(labels, default=-1) + 1
    talk = np.zeros((groups + 1, len(summary.speech)), dtype=bool)
    reach = int(OVERLAP_REACH_SECONDS / (frame_time(1) - frame_time(0)))
    for i, (piece, g) in enumerate(zip(cut, labels)):
        talk[g, piece.start:piece.end] = True
        both = np.flatnonzero(summary.count[piece.start:piece.end] >= 2) + piece.start
        other = _other_voice(i, cut, labels, reach)
        if other is None and groups < (speakers or 2):
            other = groups
        elif other is None:
            other = _other_voice(i, cut, labels, len(summary.speech))
        if other is not None and len(both):
            talk[other, both] = True
    return talk if talk[groups].any() else talk[:groups]


def _other_voice(i: int, cut: list[Piece], labels: list[int], reach: int) -> int | None:
    """The speaker of the nearest piece (within `reach` frames) that is not piece i's speaker."""
    near = [(abs(p.start - cut[i].start), labels[j]) for j, p in enumerate(cut)
            if labels[j] != labels[i] and abs(p.start - cut[i].start) <= reach]
    return min(near)[1] if near else None


def _first(row: np.ndarray) -> int:
    hits = np.flatnonzero(row)
    return int(hits[0]) if len(hits) else len(row)


def _runs(row: np.ndarray) -> list[tuple[float, float]]:
    """Runs of True frames in seconds, short gaps bridged, blips dropped."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], row.astype(np.int8), [0]])))
    merged: list[list[float]] = []
    for a, b in zip(edges[::2], edges[1::2]):
        start, end = float(frame_time(a - 0.5)), float(frame_time(b - 0.5))
        if merged and start - merged[-1][1] < MIN_GAP_SECONDS:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged if b - a >= MIN_TURN_SECONDS]


def _group_voice(g: int, labels: list[int], evidence: Evidence) -> tuple[float, ...]:
    members = [i for i, label in enumerate(labels) if label == g and evidence.voices[i] is not None]
    if not members:
        return ()
    total = sum(evidence.voices[i] * evidence.solo[i] for i in members)
    return tuple(float(v) for v in total / max(float(np.linalg.norm(total)), 1e-12))
