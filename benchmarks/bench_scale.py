"""The scale section of `make bench`: the benchmark course at several sizes, built locally and on Dask.

    python -m benchmarks.bench_scale [--hours 1] [--hours 10] [--executors local,dask] [--out bench/scale]
                                     [--generate-only] [--reuse]

The same course generator as the course section (benchmarks/course.py: real voices
from ../shared/speech, six episodes per hour, so 60 at 10 hours), at each size built from scratch with the local
executor and with `--executor dask` (a LocalCluster). Reported: wall and CPU seconds,
peak memory, and seconds per hour of audio, so that growth is seen, not assumed.
`make bench` runs 1 hour; 10 hours is opt-in (`--hours 10`: about an hour here).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from . import course_bench
from .course import make_course
from .measure import measure
from .speech import SPEECH

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "scale"
EPISODES = 6  # per hour of audio: every size has episodes of the same length (about 10 minutes)
VIDEO_MINUTES = 10.0  # of the course that is video, at every size
EXECUTORS = ("local", "dask")
SECONDS = "audio-seconds.txt"  # written beside a generated course: its audio, for --reuse


def episodes_for(hours: float) -> int:
    """Episodes of the benchmark course at `hours`: EPISODES per hour, at least one."""
    return max(1, round(EPISODES * hours))


def build(course: Path, executor: str, log: Path) -> dict:
    """One from-scratch build of `course` (course.toml) with `executor`."""
    label = f"coursecast build --executor {executor}"
    args = ["build"] if executor == "local" else ["build", "--executor", executor]
    found = measure(label, course_bench.coursecast(course, *args), cwd=ROOT, log=log)
    return found.to_dict()


def run(out: Path = OUT, *, hours: tuple[float, ...] = (1.0,), executors: tuple[str, ...] = EXECUTORS,
        known: dict[tuple[float, str], dict] | None = None, reuse: bool = False) -> dict:
    """Each size, each executor: the measurements and a table. `known`: builds already measured in this run
    ((hours, executor) -> measurement: the course section's local build of the same course), not repeated.
    `reuse`: a size's generated course already in `out` is built again instead of generated anew (the
    generator is seeded, so it is the same course; generating 10 hours takes a while)."""
    known = known or {}
    if not SPEECH.is_dir():
        return {"skipped": f"{SPEECH} is missing", "table": [["skipped", f"{SPEECH} is missing"]]}
    out.mkdir(parents=True, exist_ok=True)
    log, rows = out / "bench.log", []
    table = [["audio h", "executor", "wall s", "CPU s", "peak MB", "wall s per audio h", "exit"], ["---"] * 7]
    for size in hours:
        source = out / f"{size:g}h" / "source"
        if reuse and (source / SECONDS).is_file():
            audio_h = float((source / SECONDS).read_text()) / 3600
        else:
            shutil.rmtree(source, ignore_errors=True)
            audio_h = sum(e.seconds for e in make_course(source, SPEECH, hours=size, episodes=episodes_for(size),
                                                         video_minutes=VIDEO_MINUTES)) / 3600
            (source / SECONDS).write_text(f"{audio_h * 3600:.3f}\n")
        for executor in executors:
            print(f"scale: {size:g} h, {executor}", file=sys.stderr, flush=True)
            found = known.get((size, executor)) or build(
                course_bench.fresh_copy(source, out / f"{size:g}h" / executor), executor, log)
            rows.append({"audio_hours": round(audio_h, 3), "executor": executor, **found})
            table.append([f"{audio_h:.2f}", executor, f"{found['wall_s']:.0f}", f"{found['cpu_s']:.0f}",
                          f"{found['peak_rss_mb']:.0f}", f"{found['wall_s'] / audio_h:.0f}", str(found["returncode"])])
    result = {"runs": rows, "table": table}
    (out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_scale", description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, action="append", help="hours of audio (repeatable; default 1)")
    parser.add_argument("--executors", default=",".join(EXECUTORS), help="comma list: local, dask")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--reuse", action="store_true", help="build a size's course already generated in --out")
    parser.add_argument("--generate-only", action="store_true", help="generate the courses, build nothing")
    args = parser.parse_args()
    executors = () if args.generate_only else tuple(args.executors.split(","))
    result = run(args.out, hours=tuple(args.hours or [1.0]), executors=executors, reuse=args.reuse)
    print("\n".join(" | ".join(row) for row in result["table"]))


if __name__ == "__main__":
    main()
