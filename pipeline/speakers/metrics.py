"""Scoring speaker turns: diarization error rate with a collar, and words on the right speaker.

DER = (missed speech + false alarm + speaker confusion) / reference speech, counted per
speaker (two people talking at once count twice), on a 10 ms grid, with the hypothesis
labels mapped one-to-one onto the reference's to maximise their shared time (Hungarian).
A collar of COLLAR seconds on each side of every reference boundary is not scored, as in
NIST md-eval (`-c 0.25`). Overlapping speech is scored.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

COLLAR = 0.25  # seconds not scored on each side of a reference turn boundary
GRID = 0.01  # seconds per scoring frame


@dataclass(frozen=True)
class Span:
    start: float  # seconds
    end: float  # seconds
    speaker: str  # label (reference or hypothesis)


@dataclass(frozen=True)
class DerResult:
    der: float  # (miss + false alarm + confusion) / scored reference speech
    miss: float  # seconds of reference speech with no hypothesis speaker
    false_alarm: float  # seconds of hypothesis speech beyond the reference
    confusion: float  # seconds given to the wrong speaker
    scored: float  # seconds of reference speech scored (per speaker)
    mapping: tuple[tuple[str, str], ...]  # (hypothesis label, reference label)


def _grid(spans: Sequence[Span], labels: list[str], frames: int) -> np.ndarray:
    grid = np.zeros((len(labels), frames), dtype=bool)
    for span in spans:
        grid[labels.index(span.speaker), int(round(span.start / GRID)):int(round(span.end / GRID))] = True
    return grid


def _scored_frames(reference: Sequence[Span], frames: int, collar: float) -> np.ndarray:
    scored = np.ones(frames, dtype=bool)
    pad = int(round(collar / GRID))
    for span in reference:
        for edge in (int(round(span.start / GRID)), int(round(span.end / GRID))):
            scored[max(0, edge - pad):edge + pad] = False
    return scored


def best_mapping(reference: Sequence[Span], hypothesis: Sequence[Span]) -> dict[str, str]:
    """Hypothesis label -> reference label, one-to-one, maximising shared seconds."""
    from scipy.optimize import linear_sum_assignment

    ref_labels = sorted({s.speaker for s in reference})
    hyp_labels = sorted({s.speaker for s in hypothesis})
    frames = int(np.ceil(max([s.end for s in (*reference, *hypothesis)], default=0) / GRID)) + 1
    ref, hyp = _grid(reference, ref_labels, frames), _grid(hypothesis, hyp_labels, frames)
    shared = hyp.astype(np.int64) @ ref.T.astype(np.int64)
    rows, cols = linear_sum_assignment(-shared) if shared.size else ([], [])
    return {hyp_labels[r]: ref_labels[c] for r, c in zip(rows, cols)}


def der(reference: Sequence[Span], hypothesis: Sequence[Span], *, collar: float = COLLAR) -> DerResult:
    """Diarization error rate of `hypothesis` against `reference`."""
    mapping = best_mapping(reference, hypothesis)
    labels = sorted({s.speaker for s in reference} | set(mapping.values()))
    hyp_mapped = [Span(s.start, s.end, mapping.get(s.speaker, f"\0{s.speaker}")) for s in hypothesis]
    extra = sorted({s.speaker for s in hyp_mapped} - set(labels))
    frames = int(np.ceil(max([s.end for s in (*reference, *hypothesis)], default=0) / GRID)) + 1
    ref, hyp = _grid(reference, labels + extra, frames), _grid(hyp_mapped, labels + extra, frames)
    keep = _scored_frames(reference, frames, collar)
    n_ref, n_hyp = ref[:, keep].sum(0), hyp[:, keep].sum(0)
    correct = (ref & hyp)[:, keep].sum(0)
    miss = np.maximum(n_ref - n_hyp, 0).sum() * GRID
    false_alarm = np.maximum(n_hyp - n_ref, 0).sum() * GRID
    confusion = (np.minimum(n_ref, n_hyp) - correct).sum() * GRID
    scored = n_ref.sum() * GRID
    rate = (miss + false_alarm + confusion) / scored if scored else 0.0
    return DerResult(float(rate), float(miss), float(false_alarm), float(confusion), float(scored),
                     tuple(sorted(mapping.items())))


def words_right(truth: Sequence[str | None], given: Sequence[str | None], mapping: dict[str, str]) -> float:
    """Share of words (with a known true speaker) whose given label maps onto it."""
    pairs = [(t, g) for t, g in zip(truth, given, strict=True) if t is not None]
    if not pairs:
        return 0.0
    return sum(1 for t, g in pairs if g is not None and mapping.get(g) == t) / len(pairs)
