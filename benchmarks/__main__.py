"""`make bench`: the whole pipeline against the standalone tools, in one run, on this machine.

    python -m benchmarks [--hours 1.0] [--episodes 6] [--video-minutes 10] [--only course,stages,speakers,search,translation,scale]

Writes bench/results.json and prints a table. Real speech comes from
../shared/speech; without it the course benchmark cannot run and says so.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

from . import baseline, bench_scale, bench_search, bench_speakers, bench_translate, course_bench, report
from .course import make_course
from .speech import SPEECH

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=1.0, help="hours of audio in the benchmark course")
    parser.add_argument("--episodes", type=int, default=6, help="episodes in the benchmark course")
    parser.add_argument("--video-minutes", type=float, default=10.0, help="minutes of it that are video")
    parser.add_argument("--whisper-cli-episodes", type=int, default=1,
                        help="episodes the (slow) whisper CLI transcribes in the baseline")
    parser.add_argument("--only", default="course,stages,speakers,search,translation,scale",
                        help="comma list: course, stages (each stage's benchmark and the accuracy section), speakers, "
                             "search (the course's search index: size, build and query time; bench/course, else the "
                             "demo), translation (chrF of the translate stage's engines), scale (the course built "
                             "locally and with --executor dask; 10 hours: python -m benchmarks.bench_scale --hours 10)")
    return parser.parse_args()


def course_section(args: argparse.Namespace, log: Path) -> dict:
    if not SPEECH.is_dir():
        sys.exit(f"benchmark: {SPEECH} is missing; the course benchmark needs the real speech there")
    source = OUT / "source"
    shutil.rmtree(source, ignore_errors=True)
    started = time.monotonic()
    episodes = make_course(source, SPEECH, hours=args.hours, episodes=args.episodes, video_minutes=args.video_minutes)
    audio_s = sum(e.seconds for e in episodes)
    print(f"benchmark course: {len(episodes)} episodes, {audio_s / 60:.1f} min, made in "
          f"{time.monotonic() - started:.0f}s", file=sys.stderr)
    course = course_bench.fresh_copy(source, OUT / "course")
    full, timings = course_bench.timed_build(course, "coursecast build (from scratch)", log)
    print(f"full build: {full.wall_s:.0f}s", file=sys.stderr)
    accuracy = report.our_accuracy(OUT / "course", source / "reference")
    rebuilds = course_bench.rebuilds(course, [e.slug for e in episodes], log)
    models = baseline.Models(*report.model_paths())
    base = baseline.run(source / "course.toml", OUT / "baseline", models, log,
                        whisper_cli_episodes=args.whisper_cli_episodes)
    return {"audio_seconds": audio_s, "episodes": len(episodes), "full_build": full.to_dict(),
            "stages": course_bench.per_stage(timings), "rebuilds": rebuilds,
            "baseline": [m.to_dict() for m in base],
            "accuracy": {**accuracy, **report.baseline_accuracy(OUT / "baseline", source / "reference")}}


def main() -> None:
    args = parse_args()
    OUT.mkdir(exist_ok=True)
    log = OUT / "bench.log"
    log.write_text("")
    sections = set(args.only.split(","))
    results: dict = {"machine": {"cores": os.cpu_count(), "platform": platform.platform(),
                                 "python": platform.python_version()},
                     "args": vars(args)}
    save = lambda: (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")  # noqa: E731
    if "course" in sections:
        results["course"] = course_section(args, log)
        save()
        print(report.table({"course": results["course"]}), flush=True)
    if "stages" in sections:
        results["stages"] = {}
        report.stage_benchmarks(OUT / "stages", log, lambda partial: (results["stages"].update(partial), save()))
    if "speakers" in sections:
        print("speakers benchmark: the evaluation set (benchmarks/speakers_data.py)", file=sys.stderr, flush=True)
        results["speakers"] = bench_speakers.run(OUT / "speakers")
        save()
    if "search" in sections:
        print("search benchmark: the built course's index, and ten hours of it in Chromium", file=sys.stderr, flush=True)
        results["search"] = bench_search.run()
        save()
    if "translation" in sections:
        print("translation benchmark: Whisper translate and Apertium eng-spa, chrF", file=sys.stderr, flush=True)
        results["translation"] = bench_translate.run()
        save()
        print("\n".join(bench_translate.table(results["translation"])), flush=True)
    if "scale" in sections:
        print("scale benchmark: the course built locally and with --executor dask", file=sys.stderr, flush=True)
        local = results.get("course", {}).get("full_build")
        same = args.episodes == bench_scale.episodes_for(args.hours) and args.video_minutes == bench_scale.VIDEO_MINUTES
        results["scale"] = bench_scale.run(known={(args.hours, "local"): local} if local and same else {},
                                           hours=(args.hours,))
        save()
    save()
    print(report.table(results))
    print(f"\n(full results: {OUT / 'results.json'}; commands and their output: {log})")


if __name__ == "__main__":
    main()
