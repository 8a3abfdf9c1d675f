"""Labels -> roster ids: by voice samples when there are some, else by a stated rule.

A pure function: the voices (embeddings) are computed elsewhere, nothing is read here.

- Voice samples (`raw_interviews/voices/<speaker-id>.*`): each label's voice is compared
  with each sample's by cosine similarity; labels and samples are paired one-to-one to
  maximise the total (Hungarian). A pair below MIN_SIMILARITY is not trusted.
- The rule, for every label left: in order of first speech, the host (a speaker whose role
  is in LEADING_ROLES) first, then the other roster speakers in roster order. An editor fixes
  a wrong guess by renaming one turn.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

MIN_SIMILARITY = 0.6  # cosine: a voice-sample match below this is left to the rule
LEADING_ROLES = ("host", "interviewer", "lecturer")  # roles that speak first by the rule
RULE = "order of first speech: the host or interviewer first, then the others in roster order"
UNNAMED = "Speaker {}"  # the display name of a voice the roster has nobody left for (its number)
FIX = ("A wrong name? Change the name on that turn's line. If every turn of a voice has the wrong name, add a "
       "voice sample of each speaker (raw_interviews/voices/<speaker-id>.wav: 10 s or more of that person "
       "talking alone) and build again.")  # how an editor fixes a wrong guess, shown in the editing file


@dataclass(frozen=True)
class RosterEntry:
    id: str  # roster speaker id
    role: str  # its role (course.SPEAKER_ROLES)


@dataclass(frozen=True)
class Named:
    label: str  # diarization label, e.g. "SPEAKER_1"
    speaker: str | None  # roster id, None when the roster has nobody left for it
    how: str  # "voice sample" | "rule"
    similarity: float | None  # cosine with the chosen sample (voice sample only)


def name_speakers(labels: Sequence[str], voices: Mapping[str, Sequence[float]], roster: Sequence[RosterEntry],
                  samples: Mapping[str, Sequence[float]] | None = None) -> tuple[Named, ...]:
    """Name each label (given in order of first speech) with a roster id."""
    samples = {k: v for k, v in (samples or {}).items() if any(r.id == k for r in roster)}
    named = _by_samples(labels, voices, samples)
    taken = {n.speaker for n in named.values()}
    left = [r.id for r in rule_order(roster) if r.id not in taken]
    for label in labels:
        if label not in named:
            named[label] = Named(label, left.pop(0) if left else None, "rule", None)
    return tuple(named[label] for label in labels)


def rule_order(roster: Sequence[RosterEntry]) -> list[RosterEntry]:
    """The roster as the rule expects it to speak: leading roles first, then roster order."""
    return sorted(roster, key=lambda r: r.role not in LEADING_ROLES)


def _by_samples(labels, voices, samples) -> dict[str, Named]:
    from scipy.optimize import linear_sum_assignment

    heard = [label for label in labels if len(voices.get(label, ())) > 0]
    ids = list(samples)
    if not heard or not ids:
        return {}
    a = _normed([voices[label] for label in heard])
    b = _normed([samples[i] for i in ids])
    similarity = a @ b.T
    rows, cols = linear_sum_assignment(-similarity)
    return {heard[r]: Named(heard[r], ids[c], "voice sample", round(float(similarity[r, c]), 3))
            for r, c in zip(rows, cols) if similarity[r, c] >= MIN_SIMILARITY}


def _normed(vectors) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float64)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def display_names(named: Sequence[Named]) -> dict[str, str]:
    """Label -> the name a voice nobody was found for is shown under ('Speaker 3')."""
    return {n.label: UNNAMED.format(n.label.rsplit("_", 1)[-1]) for n in named if n.speaker is None}


def describe(named: Sequence[Named], roster: Sequence[RosterEntry], names: Mapping[str, str],
             samples: Mapping[str, str]) -> tuple[str, ...]:
    """How the voices were found and named, a sentence each: what the editing file tells its editor.

    `names`: roster id -> display name; `samples`: roster id -> the voice sample's file name.
    """
    roles = {r.id: r.role for r in roster}
    count = f"{len(named)} voice{'s' if len(named) != 1 else ''}"
    lines = [f"Speakers found by voice (no turn hints in the course file): {count}, numbered in order of "
             "first speech." if named else "Speakers found by voice: nobody was heard talking."]
    for index, n in enumerate(named, 1):
        if n.speaker is None:
            lines.append(f"Voice {index} is {display_names([n])[n.label]}: the episode's speakers list has "
                         "nobody left for it.")
        elif n.how == "voice sample":
            lines.append(f"Voice {index} is {names.get(n.speaker, n.speaker)}: by voice sample "
                         f"{samples.get(n.speaker, n.speaker)} (similarity {n.similarity:.2f}).")
        else:
            why = (f"the {roles.get(n.speaker)} speaks first" if roles.get(n.speaker) in LEADING_ROLES
                   else "the next in the episode's speakers list")
            lines.append(f"Voice {index} is {names.get(n.speaker, n.speaker)}: by rule, {why}.")
    return (*lines, FIX) if named else tuple(lines)
