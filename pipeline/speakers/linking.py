"""From windows of local speakers to pieces of one voice, and what the windows say about them.

segmentation-3.0 finds speech, overlaps and most changes of speaker reliably, but inside a
10 s window it sometimes gives two different voices the same local speaker (clean read
voices at similar levels, measured on the evaluation set). So identity is not taken from
the windows alone:

1. The windows are averaged into global frames: speech probability, how many talk at once
   (pyannote's speaker count), and how many windows see a change of local speaker.
2. Speech is cut into *pieces* at every pause and every change the windows agree on, and
   pieces longer than MAX_PIECE_SECONDS are halved: each piece is meant to hold one voice.
3. For each pair of pieces seen by the same windows: in how many of them they had the same
   local speaker, in how many different ones. "Different" is strong evidence (two voices
   the model told apart); "same" is weak (see above). `clustering.py` uses both with the
   pieces' voices.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .segmentation import FRAME_HOP, FRAMES, SAMPLE_RATE, WindowActivity

ACTIVE = 0.5  # probability above which a local speaker talks in a frame
CHANGE_SHARE = 0.3  # share of the windows seeing a frame that must see a change there to cut
CHANGE_REACH = 3  # frames: a window's change counts this far either side (windows disagree by a few)
MIN_PIECE_FRAMES = 6  # frames (0.1 s): shorter speech is joined to its neighbour
MAX_PIECE_SECONDS = 3.0  # longer pieces are cut in equal parts (a change the model missed)
FRAME_SECONDS = FRAME_HOP / SAMPLE_RATE  # seconds between global frames


@dataclass(frozen=True)
class Frames:
    speech: np.ndarray  # (frames,) probability that someone talks
    count: np.ndarray  # (frames,) int: how many talk (0, 1, 2)
    change: np.ndarray  # (frames,) share of the windows that see a change of speaker there


@dataclass(frozen=True)
class Piece:
    start: int  # first global frame
    end: int  # global frame after the last

    @property
    def seconds(self) -> float:
        return (self.end - self.start) * FRAME_SECONDS


def frames(activity: WindowActivity) -> Frames:
    """Window outputs averaged onto the global frames (Hamming-weighted, as pyannote does)."""
    weight = np.hamming(FRAMES).astype(np.float32)
    size = activity.frames + FRAMES
    speech, count, change, seen = (np.zeros(size, dtype=np.float32) for _ in range(4))
    for w, offset in enumerate(activity.offsets):
        local = activity.activity[w]
        span = slice(offset, offset + FRAMES)
        speech[span] += weight * np.clip(local.sum(axis=1), 0, 1)
        count[span] += weight * local.sum(axis=1)
        change[span] += weight * _changes(local > ACTIVE)
        seen[span] += weight
    seen = np.maximum(seen, 1e-6)
    n = activity.frames
    return Frames((speech / seen)[:n], np.rint(count / seen)[:n].astype(int), (change / seen)[:n])


def _changes(talking: np.ndarray) -> np.ndarray:
    """(FRAMES,) 1 near frames where the set of local speakers talking changes without a pause."""
    busy = talking.any(axis=1)
    hit = np.concatenate([[False], busy[1:] & busy[:-1] & (talking[1:] != talking[:-1]).any(axis=1)])
    spread = np.convolve(hit.astype(np.float32), np.ones(2 * CHANGE_REACH + 1), mode="same")
    return (spread > 0).astype(np.float32)


def pieces(summary: Frames) -> list[Piece]:
    """Speech cut at pauses and at agreed changes; long pieces split evenly."""
    talking = summary.speech > ACTIVE
    edges = np.flatnonzero(np.diff(np.concatenate([[0], talking.astype(np.int8), [0]])))
    result: list[Piece] = []
    for a, b in zip(edges[::2], edges[1::2]):
        cuts = [a, *_change_points(summary.change[a:b], a), b]
        for x, y in zip(cuts[:-1], cuts[1:]):
            result.extend(_split_long(int(x), int(y)))
    return [p for p in result if p.end - p.start >= MIN_PIECE_FRAMES]


def _change_points(change: np.ndarray, offset: int) -> list[int]:
    """The middle of each run of frames where enough windows saw a change."""
    hot = change >= CHANGE_SHARE
    edges = np.flatnonzero(np.diff(np.concatenate([[0], hot.astype(np.int8), [0]])))
    points = [offset + (a + b) // 2 for a, b in zip(edges[::2], edges[1::2])]
    return [p for p in points if offset + MIN_PIECE_FRAMES <= p <= offset + len(change) - MIN_PIECE_FRAMES]


def _split_long(a: int, b: int) -> list[Piece]:
    parts = max(1, int(np.ceil((b - a) * FRAME_SECONDS / MAX_PIECE_SECONDS)))
    bounds = np.linspace(a, b, parts + 1).astype(int)
    return [Piece(int(x), int(y)) for x, y in zip(bounds[:-1], bounds[1:])]


def window_votes(activity: WindowActivity, cut: list[Piece]) -> tuple[np.ndarray, np.ndarray]:
    """(same, different): per pair of pieces, windows giving them the same / different local speaker."""
    n = len(cut)
    same, different = np.zeros((n, n), dtype=np.int32), np.zeros((n, n), dtype=np.int32)
    starts = np.array([p.start for p in cut])
    for w, offset in enumerate(activity.offsets):
        inside = np.flatnonzero((starts >= offset) & (starts < offset + FRAMES))
        slots = {i: _slot(activity.activity[w], cut[i], int(offset)) for i in inside}
        known = [i for i in inside if slots[i] >= 0]
        for x in known:
            for y in known:
                if x < y:
                    matrix = same if slots[x] == slots[y] else different
                    matrix[x, y] += 1
                    matrix[y, x] += 1
    return same, different


def _slot(local: np.ndarray, piece: Piece, offset: int) -> int:
    """The local speaker talking through most of `piece` in this window, -1 if none clearly."""
    part = local[piece.start - offset:min(piece.end, offset + FRAMES) - offset]
    if len(part) < MIN_PIECE_FRAMES:
        return -1
    mean = part.mean(axis=0)
    return int(np.argmax(mean)) if mean.max() > ACTIVE else -1
