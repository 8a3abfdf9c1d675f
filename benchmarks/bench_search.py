"""The course search index of a built course: its size (raw, gzipped, per hour of speech), its build time and
its query time in headless Chromium; and the query time on ten hours of speech made from the course's own
sentences (its episodes repeated). The ten hours' gzipped size is estimated from the course's own kB per hour:
gzip would find the repeats of a short course (its window is 32 kB) and report far less than ten real hours.

    python -m benchmarks.bench_search [COURSE.toml]   (default: bench/course, else the demo; it must be built)
"""
from __future__ import annotations

import gzip
import json
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests")]  # the browser tests' Chromium driver

from pipeline.core import course_file, layout  # noqa: E402
from pipeline.core.transcript import load  # noqa: E402
from pipeline.site import search  # noqa: E402

TARGET_HOURS = 10.0  # the course size
QUERIES = ("city", "data", "decision", "Malmo", "participation", "zz")  # a common word, folded, none
SECONDS_PER_HOUR = 3600


def _hours(job: search.SearchJob) -> float:
    return sum(load(path).duration for path in job.inputs) / SECONDS_PER_HOUR


def _sizes(path: Path, hours: float) -> dict:
    data = path.read_bytes()
    packed = len(gzip.compress(data, 9))
    return {"hours": round(hours, 3), "bytes": len(data), "gzip_bytes": packed,
            "gzip_kb_per_hour": round(packed / 1000 / hours, 1)}


def ten_hours(job: search.SearchJob, target: Path) -> float:
    """An index of TARGET_HOURS made of the course's episodes repeated; returns its hours."""
    data = search.index_data(job)
    lengths = [load(path).duration for path in job.inputs]
    episodes, hours, copy = [], 0.0, 0
    while hours < TARGET_HOURS:
        copy += 1
        for entry, seconds in zip(data["episodes"], lengths):
            episodes.append({**entry, "title": f"{entry['title']} ({copy})"})
            hours += seconds / SECONDS_PER_HOUR
    target.write_text(search.index_script({**data, "episodes": episodes}), encoding="utf-8")
    return hours


def query_ms(site: Path, index: Path) -> dict:
    """Milliseconds from typing each query to its results laid out, in Chromium, from file://."""
    from browser.chromium import CHROMIUM, Chromium
    from browser.site_pages import open_offline, wait_for

    if not Path(CHROMIUM).exists():
        return {"skipped": f"{CHROMIUM} not installed"}
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "site"
        shutil.copytree(site, copy)
        shutil.copy(index, copy / "assets" / search.INDEX_NAME)
        with Chromium(1280, 800) as chrome:
            open_offline(chrome, (copy / "index.html").as_uri())
            wait_for(chrome, "document.readyState === 'complete'")
            return {query: chrome.evaluate(f"""(() => {{ const i = document.getElementById('search-q');
                const t0 = performance.now(); i.value = {json.dumps(query)}; i.dispatchEvent(new Event('input'));
                document.body.offsetHeight; return Math.round((performance.now() - t0) * 10) / 10; }})()""")
                    for query in QUERIES}


def measure(course_toml: Path) -> dict:
    course = course_file.load(course_toml)
    job = search.plan(course)
    site = course.folder(layout.SITE)
    with tempfile.TemporaryDirectory() as folder:
        built = replace(job, target=Path(folder) / search.INDEX_NAME)
        started = time.perf_counter()
        report = search.write_index(built)
        build_s = time.perf_counter() - started
        own = {**_sizes(built.target, _hours(job)), "sentences": report.sentences, "build_s": round(build_s, 3),
               "query_ms": query_ms(site, built.target)}
        large = Path(folder) / "ten-hours.js"
        hours = ten_hours(job, large)
        estimate = round(own["gzip_kb_per_hour"] * hours * 1000)
        ten = {"hours": round(hours, 3), "bytes": large.stat().st_size, "gzip_bytes": f"~{estimate} (estimated)",
               "gzip_kb_per_hour": own["gzip_kb_per_hour"], "query_ms": query_ms(site, large)}
    return {"course": str(course_toml), "course_index": own, "ten_hours": ten, "table": table(own, ten)}


def table(own: dict, ten: dict) -> list[list]:
    def slowest(result: dict) -> str:
        times = result["query_ms"]
        return "skipped" if "skipped" in times else f"{max(times.values())} ms (first query: {times[QUERIES[0]]} ms)"
    rows = [["index", "hours", "bytes", "gzipped", "kB gz / hour", "build", "slowest query (Chromium)"],
            ["---"] * 7]
    rows.append(["this course", own["hours"], own["bytes"], own["gzip_bytes"], own["gzip_kb_per_hour"],
                 f"{own['build_s']} s", slowest(own)])
    rows.append(["10 hours of its sentences", ten["hours"], ten["bytes"], ten["gzip_bytes"],
                 ten["gzip_kb_per_hour"], "", slowest(ten)])
    return rows


def default_course() -> Path | None:
    for candidate in (ROOT / "bench" / "course" / "course.toml", ROOT / "demo" / "course.toml"):
        if (candidate.parent / layout.SITE / "index.html").is_file():
            return candidate
    return None


def run(course_toml: Path | None = None) -> dict:
    course_toml = course_toml or default_course()
    if course_toml is None:
        return {"skipped": "no built course (bench/course or demo): run 'make demo' or the course section first"}
    return measure(course_toml)


def main() -> None:
    result = run(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    print(json.dumps({k: v for k, v in result.items() if k != "table"}, indent=2))
    for row in result.get("table", []):
        print(" | ".join(str(cell) for cell in row))


if __name__ == "__main__":
    main()
