"""Pieces -> the episode's speakers: their voices and the windows' votes, clustered.

The distance between two pieces is 1 - cosine(voices) (voices centred on the recording's
mean voice), lowered when windows gave them the
same local speaker and raised past any voice distance when windows told them apart.
Pieces with enough solo speech are clustered (average linkage) into the number of
speakers (given, or estimated by silhouette); short ones then join the nearest cluster; pieces with no solo speech (all
overlap) follow the windows' votes, else their neighbour in time.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .linking import Piece

MIN_CLUSTER_SECONDS = 0.5  # solo speech a piece needs to take part in the clustering
SAME_BONUS = 0.1  # distance removed at full "same local speaker" agreement (weak evidence)
APART_PENALTY = 0.5  # distance added when most shared windows told two pieces apart
APART_SHARE = 0.5  # share of the shared windows that must tell two pieces apart
MIN_SPEAKER_SHARE = 0.05  # a cluster with less of the solo speech is not a speaker of its own
MAX_SPEAKERS = 8  # the most speakers estimated when the count is not given
ONE_VOICE = 0.91  # cosine of the two halves' mean voices above which a recording has one speaker


@dataclass(frozen=True)
class Evidence:
    voices: list  # per piece: L2-normed embedding or None (no solo speech)
    solo: np.ndarray  # (pieces,) seconds of solo speech embedded
    same: np.ndarray  # (pieces, pieces) windows with the same local speaker
    different: np.ndarray  # (pieces, pieces) windows with different local speakers


def distances(evidence: Evidence, members: list[int]) -> np.ndarray:
    """(m, m) distances between the pieces `members`."""
    voices = np.stack([evidence.voices[i] for i in members])
    same = evidence.same[np.ix_(members, members)].astype(np.float64)
    different = evidence.different[np.ix_(members, members)].astype(np.float64)
    shared = np.maximum(same + different, 1)
    apart = (different / shared >= APART_SHARE) & (different > 0)
    result = 1 - voices @ voices.T - SAME_BONUS * same / shared + APART_PENALTY * apart
    np.fill_diagonal(result, 0)
    return np.maximum(result, 0)


def cluster(cut: list[Piece], evidence: Evidence, speakers: int | None) -> list[int]:
    """A cluster index per piece (0-based, dense); `speakers` None: estimated."""
    raw, evidence = evidence, centred(evidence)
    core = [i for i in range(len(cut)) if evidence.voices[i] is not None and evidence.solo[i] >= MIN_CLUSTER_SECONDS]
    if speakers is None and core:
        speakers = estimate_speakers(raw, evidence, core)
    labels = [-1] * len(cut)
    for i, g in zip(core, _tree(distances(evidence, core), evidence.solo[core], speakers) if core else []):
        labels[i] = g
    if not core:
        labels = [0 if evidence.voices[i] is not None else -1 for i in range(len(cut))]
    centroids = _centroids(labels, evidence)
    for i in range(len(cut)):
        if labels[i] < 0 and evidence.voices[i] is not None:
            labels[i] = _nearest(i, labels, centroids, evidence)
    for i in range(len(cut)):
        if labels[i] < 0:
            labels[i] = _by_votes(i, labels, cut, evidence)
    return _dense(labels)


def centred(evidence: Evidence) -> Evidence:
    """Voices less the recording's mean voice, renormed.

    What all pieces share (the room, the phone line, the noise, the microphone) sits in the
    mean; without it, two voices on one telephone line stop looking alike (measured: cosine
    0.79 within a speaker and 0.68 across becomes 0.22 and -0.22).
    """
    known = [i for i, v in enumerate(evidence.voices) if v is not None]
    if len(known) < 2:
        return evidence
    weights = evidence.solo[known][:, None]
    mean = (np.stack([evidence.voices[i] for i in known]) * weights).sum(axis=0) / max(float(weights.sum()), 1e-9)
    voices = [None if v is None else (v - mean) / max(float(np.linalg.norm(v - mean)), 1e-12) for v in evidence.voices]
    return replace(evidence, voices=voices)


def _tree(matrix: np.ndarray, seconds: np.ndarray, speakers: int) -> list[int]:
    """Average-linkage clusters; clusters too small to be a speaker are given to the nearest."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    if len(matrix) == 1:
        return [0]
    tree = linkage(squareform(matrix, checks=False), method="average")
    for count in range(speakers, len(matrix) + 1):
        groups = _absorb_small(fcluster(tree, count, "maxclust") - 1, matrix, seconds)
        if len(set(groups)) >= speakers:
            return groups
    return groups


def estimate_speakers(raw: Evidence, evidence: Evidence, core: list[int]) -> int:
    """How many speakers, when nobody said.

    One, when the two halves of a two-way split still sound alike (their mean raw voices
    closer than ONE_VOICE). Otherwise the count whose clusters stand apart best: each
    candidate is clustered and the highest silhouette (weighted by speech) wins. A count
    needs at least two pieces per speaker to be a candidate.
    """
    matrix, seconds = distances(evidence, core), evidence.solo[core]
    if len(core) < 4 or _halves_alike(raw, core, np.array(_tree(matrix, seconds, 2))):
        return 1
    best, best_score = 2, -1.0
    for count in range(2, min(MAX_SPEAKERS, len(matrix) // 2) + 1):
        groups = np.array(_tree(matrix, seconds, count))
        if len(set(groups)) == count:
            score = _silhouette(matrix, groups, seconds)
            if score > best_score:
                best, best_score = count, score
    return best


def _halves_alike(raw: Evidence, core: list[int], groups: np.ndarray) -> bool:
    means = []
    for g in (0, 1):
        members = [i for i, h in zip(core, groups) if h == g]
        if not members:
            return True
        means.append(_centroid(members, raw))
    return float(means[0] @ means[1]) >= ONE_VOICE


def _centroid(members: list[int], evidence: Evidence) -> np.ndarray:
    total = sum(evidence.voices[i] * evidence.solo[i] for i in members)
    return total / max(float(np.linalg.norm(total)), 1e-12)


def _silhouette(matrix: np.ndarray, groups: np.ndarray, seconds: np.ndarray) -> float:
    values = []
    for i, g in enumerate(groups):
        own = groups == g
        own[i] = False
        inside = matrix[i, own].mean() if own.any() else 0.0
        nearest = min(matrix[i, groups == h].mean() for h in set(groups) if h != g)
        values.append((nearest - inside) / max(inside, nearest, 1e-9))
    return float(np.average(values, weights=seconds))


def _absorb_small(groups: np.ndarray, matrix: np.ndarray, seconds: np.ndarray) -> list[int]:
    """Members of clusters under MIN_SPEAKER_SHARE of the speech join the closest large cluster."""
    total = seconds.sum()
    size = {g: seconds[groups == g].sum() for g in set(groups)}
    large = [g for g in size if size[g] >= MIN_SPEAKER_SHARE * total] or [max(size, key=size.get)]
    result = groups.copy()
    for i in np.flatnonzero(~np.isin(groups, large)):
        result[i] = min(large, key=lambda g: matrix[i, groups == g].mean())
    return [int(g) for g in result]


def _centroids(labels: list[int], evidence: Evidence) -> dict[int, np.ndarray]:
    return {g: _centroid([i for i, label in enumerate(labels) if label == g], evidence)
            for g in sorted(set(labels) - {-1})}


def _nearest(i: int, labels: list[int], centroids: dict, evidence: Evidence) -> int:
    """The cluster closest to piece i's voice, unless windows told it apart from that cluster."""
    def score(g: int) -> float:
        members = [j for j, label in enumerate(labels) if label == g]
        apart = evidence.different[i, members].sum() > evidence.same[i, members].sum()
        return float(evidence.voices[i] @ centroids[g]) - APART_PENALTY * apart
    return max(centroids, key=score) if centroids else 0


def _by_votes(i: int, labels: list[int], cut: list[Piece], evidence: Evidence) -> int:
    """A piece with no solo speech: the cluster windows most often gave its local speaker."""
    votes: dict[int, float] = {}
    for j, g in enumerate(labels):
        if g >= 0:
            votes[g] = votes.get(g, 0) + evidence.same[i, j] - evidence.different[i, j]
    if votes and max(votes.values()) > 0:
        return max(votes, key=votes.get)
    known = [j for j, g in enumerate(labels) if g >= 0]
    if not known:
        return 0
    return labels[min(known, key=lambda j: abs(cut[j].start - cut[i].start))]


def _dense(labels: list[int]) -> list[int]:
    order = {g: n for n, g in enumerate(dict.fromkeys(labels))}
    return [order[g] for g in labels]
