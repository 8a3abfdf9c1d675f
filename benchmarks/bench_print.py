"""Print stage benchmark: seconds to render a one-hour transcript and the whole-course booklet.

    python -m benchmarks.bench_print [--hours 1] [--course-hours 10] [--episodes 20] [--out DIR]

Transcripts are synthesised from realistic interview sentences (with Łódź, Ærø,
typographic quotes and dashes) at 150 words a minute, one segment per sentence,
turns of one to nine sentences, one word in 17 below the proof edition's
confidence threshold. Target (issue 7): under 5 s for one hour.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "printing")]  # the print tests' transcript and course synthesisers

from pipeline.core import layout  # noqa: E402
from pipeline.printing import stage as printing  # noqa: E402
from pipeline.printing.jobs import printed_course, printed_episode  # noqa: E402
from print_helpers import WORDS_PER_SECOND, make_transcript, write_course  # noqa: E402

TARGET_ONE_HOUR_S = 5.0  # seconds, issue 7's target for rendering a one-hour transcript
WARM_UP_WORDS = 50  # words of a first, untimed print (font loading happens once per process)


def _episodes(count: int) -> tuple:
    """Episode rows for the course file: modules 1 and 2, chapters every ten minutes."""
    return tuple((f"ep-{n:02d}", 1 + (n > count // 2), n, f"Episode {n}: a conversation", (0, 600, 1200))
                 for n in range(1, count + 1))


def _timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def run(out: Path, *, hours: float = 1.0, course_hours: float = 10.0, episodes: int = 20) -> dict:
    """Render and time; returns seconds, pages and words for `make bench`'s report."""
    course = write_course(out, episodes=_episodes(episodes))
    per_episode = int(course_hours * 3600 * WORDS_PER_SECOND / episodes)
    for index, episode in enumerate(course.episodes):
        words = int(hours * 3600 * WORDS_PER_SECOND) if index == 0 else per_episode
        make_transcript(episode.slug, words).save(layout.transcript(course, episode, "json"))
    printed, first = printed_course(course, ()), printed_episode(course, course.episodes[0])
    printing.print_episode(printed, first, out / "warm-up.pdf")
    reading_s, reading = _timed(lambda: printing.print_episode(printed, first, out / "hour.pdf"))
    proof_s, proof = _timed(lambda: printing.print_episode(printed, first, out / "hour.proof.pdf", proof=True))
    for episode in course.episodes[:1]:  # the course booklet gets course_hours / episodes for each
        make_transcript(episode.slug, per_episode).save(layout.transcript(course, episode, "json"))
    booklet_task = next(t for t in printing.tasks(course) if t.name == "print:course")
    course_s, booklet = _timed(booklet_task.run)
    return {
        "one_hour_words": reading.words, "one_hour_reading_s": round(reading_s, 2), "one_hour_pages": reading.pages,
        "one_hour_proof_s": round(proof_s, 2), "one_hour_proof_pages": proof.pages,
        "course_hours": course_hours, "course_words": booklet.words, "course_booklet_s": round(course_s, 2),
        "course_pages": booklet.pages, "target_one_hour_s": TARGET_ONE_HOUR_S,
        "one_hour_within_target": reading_s < TARGET_ONE_HOUR_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_print", description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=1.0, help="hours of speech in the single episode")
    parser.add_argument("--course-hours", type=float, default=10.0, help="hours of speech in the course booklet")
    parser.add_argument("--episodes", type=int, default=20, help="episodes in the course booklet")
    parser.add_argument("--out", type=Path, help="folder to keep the PDFs in (default: a temp folder)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-print-"))
    out.mkdir(parents=True, exist_ok=True)
    try:
        print(json.dumps(run(out, hours=args.hours, course_hours=args.course_hours, episodes=args.episodes),
                         indent=2))
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
