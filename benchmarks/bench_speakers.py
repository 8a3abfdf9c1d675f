"""Speakers benchmark: who speaks when on the evaluation set, ours against the turn-hint path and two baselines.

    python -m benchmarks.bench_speakers [--only stereo,conv,...] [--out DIR]

The evaluation set is built from the real voices in ../shared/speech by
benchmarks/speakers_data.py; each method is scored by benchmarks/speakers_eval.py:
DER with a 0.25 s collar (overlap scored) and the share of Whisper's words given the
right speaker. Issue 16's target for two people on one channel: DER <= 15 %, >= 90 %
of words right.
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path

from . import speakers_data as data
from . import speakers_eval as evaluation

OUT = Path(__file__).resolve().parents[1] / "bench" / "speakers"
COLUMNS = ("segmentation", "turn hints", "alternate", "voice windows")  # methods, in the table's order
TARGET_DER = 0.15  # issue 16: two people on one channel
TARGET_WORDS = 0.90  # issue 16: share of words on the right speaker


def run(out: Path, only: set[str] | None = None) -> dict:
    """Score every method on every item; the table `make bench` prints, and the scores."""
    if not data.available():
        return {"table": [["speakers", f"skipped: {data.SPEECH} is missing"]]}
    began = time.perf_counter()
    scores = evaluation.evaluate(only, COLUMNS)
    result = {"scores": [asdict(s) for s in scores], "table": table(scores),
              "seconds": round(time.perf_counter() - began, 1), "two_people": two_people(scores)}
    out.mkdir(parents=True, exist_ok=True)
    (out / "speakers.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def _cell(score: evaluation.Score | None) -> str:
    return "" if score is None else f"{score.der:.1%} / {score.words_right:.1%}"


def table(scores: list[evaluation.Score]) -> list[list[str]]:
    """One row per item: DER / words right for each method, the words scored, ours' seconds."""
    rows = [["item (DER / words right)", "ours", "turn hints", "alternate", "voice windows", "words", "audio s",
             "ours s"], ["---"] * 8]
    for item in dict.fromkeys(s.item for s in scores):
        by = {s.method: s for s in scores if s.item == item}
        ours = by.get("segmentation")
        rows.append([item, *(_cell(by.get(m)) for m in COLUMNS), ours.words if ours else "",
                     f"{ours.seconds:.0f}" if ours else "", f"{ours.taken:.1f}" if ours else ""])
    return rows


def two_people(scores: list[evaluation.Score]) -> dict:
    """Ours on the two-person conversations (the issue's target), worst case."""
    ours = [s for s in scores if s.method == "segmentation" and s.item.startswith("2 voices")]
    if not ours:
        return {}
    worst_der, worst_words = max(s.der for s in ours), min(s.words_right for s in ours)
    return {"items": len(ours), "worst_der": round(worst_der, 4), "worst_words_right": round(worst_words, 4),
            "meets_target": worst_der <= TARGET_DER and worst_words >= TARGET_WORDS}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_speakers", description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help="comma list of items: stereo, three, conv, conv-phone, ...")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    result = run(args.out, set(args.only.split(",")) if args.only else None)
    print("\n".join("| " + " | ".join(str(c) for c in row) + " |" for row in result["table"]))
    print(json.dumps(result.get("two_people", {})))


if __name__ == "__main__":
    main()
