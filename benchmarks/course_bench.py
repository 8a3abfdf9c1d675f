"""Course-scale benchmark: a full build, the standalone tools doing the same job, and rebuilds.

Everything runs in one process on the same machine and the same input, so the
numbers compare. Results go to bench/results.json and a table on the terminal.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

from .measure import Measurement, measure

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
COURSECAST = [sys.executable, "-m", "pipeline"]


def coursecast(course: Path, *args: str) -> list[str]:
    return [*COURSECAST, "--course", str(course), "-q", "-j", str(os.cpu_count() or 2), *args]


def timed_build(course: Path, label: str, log: Path) -> tuple[Measurement, dict]:
    timings = course.parent / ".coursecast-timings.json"
    result = measure(label, coursecast(course, "build", "--timings", str(timings)), cwd=ROOT, log=log)
    return result, json.loads(timings.read_text())


def per_stage(timings: dict) -> dict[str, float]:
    """Sum of task seconds per task family (the part of a name before ':')."""
    stages: dict[str, float] = {}
    for name, seconds in timings["built"].items():
        family = name.split(":", 1)[0]
        stages[family] = round(stages.get(family, 0.0) + seconds, 2)
    return stages


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    if old not in text:
        raise RuntimeError(f"benchmark edit: {old!r} not found in {path}")
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _recut(course_toml: Path, slug: str) -> None:
    """Shorten the episode's kept range by five seconds."""
    text = course_toml.read_text(encoding="utf-8")
    block = text[text.index(f'slug = "{slug}"'):]
    match = re.search(r'keep = \[\["([^"]+)", "(\d\d):(\d\d):(\d\d)\.(\d\d\d)"\]\]', block)
    h, m, s, ms = (int(g) for g in match.groups()[1:])
    end = h * 3600 + m * 60 + s + ms / 1000 - 5
    new_end = f"{int(end // 3600):02d}:{int(end // 60 % 60):02d}:{int(end % 60):02d}.{int(round(end % 1 * 1000)):03d}"
    _edit(course_toml, match.group(0), match.group(0).replace(match.group(2) + ":" + match.group(3) + ":"
                                                              + match.group(4) + "." + match.group(5), new_end))


def _correct_transcript(course_dir: Path, slug: str) -> None:
    """An editor fixes one word in the episode's editing file."""
    edit = course_dir / "edits" / f"{slug}.txt"
    lines = edit.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        words = line.split()
        if line and not line.startswith(("#", "[")) and len(words) > 3:
            words[1] = "Malmö"
            lines[i] = " ".join(words)
            break
    edit.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _pick(slugs: list[str], index: int) -> str:
    """The index-th episode, or the last one in a smaller course (a quick run with few episodes)."""
    return slugs[min(index, len(slugs) - 1)]


def _retitle(course_toml: Path, slugs: list[str]) -> None:
    number = int(_pick(slugs, 2).rsplit("-", 1)[1])
    _edit(course_toml, f'title = "Benchmark episode {number}"', f'title = "Benchmark episode {number}, corrected"')


REBUILDS = (
    ("nothing changed", lambda course, slugs: None),
    ("one title changed", _retitle),
    ("one episode recut", lambda course, slugs: _recut(course, _pick(slugs, 3))),
    ("one transcript corrected", lambda course, slugs: _correct_transcript(course.parent, _pick(slugs, 4))),
    ("loudness target changed", lambda course, slugs: _edit(course, "\n[[modules]]",
                                                            "\n[audio]\ntarget_lufs_mono = -18.0\n\n[[modules]]")),
)


def rebuilds(course: Path, slugs: list[str], log: Path) -> list[dict]:
    results = []
    for label, change in REBUILDS:
        change(course, slugs)
        result, timings = timed_build(course, f"rebuild: {label}", log)
        results.append({**result.to_dict(), "rebuilt": sorted(timings["built"]),
                        "tasks_rebuilt": len(timings["built"])})
    return results


def fresh_copy(source: Path, dest: Path) -> Path:
    """A clean course folder (recordings linked, nothing built) for a from-scratch build."""
    shutil.rmtree(dest, ignore_errors=True)
    (dest / "raw_interviews").mkdir(parents=True)
    for wav in (source / "raw_interviews").iterdir():
        os.link(wav, dest / "raw_interviews" / wav.name)
    shutil.copy(source / "course.toml", dest / "course.toml")
    return dest / "course.toml"
