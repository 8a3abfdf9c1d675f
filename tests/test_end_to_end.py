"""The whole pipeline on a tiny course: a clean build, a no-op rebuild, a title change, kill -9 and resume."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import MINIMAL_COURSE

pytestmark = pytest.mark.slow
PUBLISHED = ("episodes", "transcripts", "feeds", "site")


def speech(path: Path, text: str, voice: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True)


def make_course(root: Path) -> Path:
    speech(root / "raw_interviews" / "ep1.wav",
           "Welcome to the course. Today we talk about smart cities in the Nordic countries, "
           "and how city officials can use data to make better decisions for everyone.", "en-gb+m3")
    text = MINIMAL_COURSE.replace('keep = [["00:00:00.000", "00:00:01.500"]]', 'keep = [["00:00:00.200", "00:00:07.500"]]')
    text = text.replace('summary = "The first episode."', 'summary = "The first episode."\n'
                        'chapters = [{ at = "00:00:00.000", title = "Welcome" }]\n'
                        'turns = [{ at = "00:00:00.000", speaker = "host" }]')
    (root / "course.toml").write_text(text, encoding="utf-8")
    return root / "course.toml"


def coursecast(course: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", "--course", str(course), "-j", "2", *args],
                          capture_output=True, text=True, **kwargs)


def fingerprint(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in PUBLISHED for p in sorted((root / folder).rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    course = make_course(tmp_path_factory.mktemp("clean"))
    result = coursecast(course, "build", "--timings", str(course.parent / "timings.json"))
    assert result.returncode == 0, result.stderr
    return course


def test_clean_build_makes_every_form(built):
    files = fingerprint(built.parent)
    for name in ("episodes/ep1.mp3", "episodes/ep1.m4a", "transcripts/ep1.vtt", "transcripts/ep1.srt",
                 "transcripts/ep1.json", "transcripts/ep1.txt", "transcripts/ep1.pdf", "transcripts/ep1.proof.pdf",
                 "transcripts/course.pdf", "feeds/one.xml", "feeds/course.xml", "site/index.html",
                 "site/episodes/ep1.html", "transcripts/ep1.html"):
        assert name in files, sorted(files)
    assert "smart cities" in (built.parent / "transcripts" / "ep1.txt").read_text().lower()
    assert (built.parent / "edits" / "ep1.txt").is_file()


def test_second_build_does_nothing_and_touches_nothing(built):
    before = {p: p.stat().st_mtime_ns for p in built.parent.rglob("*") if p.is_file() and ".coursecast" not in p.parts}
    result = coursecast(built, "build")
    assert result.returncode == 0, result.stderr
    assert "Nothing to do" in result.stderr
    after = {p: p.stat().st_mtime_ns for p in before}
    assert after == before
    status = coursecast(built, "status")
    assert "up to date" in status.stdout


def test_title_change_rebuilds_what_shows_the_title_only(built):
    text = built.read_text(encoding="utf-8")
    built.write_text(text.replace('title = "Episode one"', 'title = "Episode one, corrected"'), encoding="utf-8")
    timings = built.parent / "title-timings.json"
    result = coursecast(built, "build", "--timings", str(timings))
    assert result.returncode == 0, result.stderr
    rebuilt = set(json.loads(timings.read_text())["built"])
    families = {name.split(":")[0] for name in rebuilt}
    assert families <= {"tags", "print", "feeds", "artwork", "review", "site"}, rebuilt
    assert {"tags:ep1", "print:ep1", "feeds:one", "site:episode:ep1", "site:index"} <= rebuilt
    assert not any(n.startswith(("episodes:", "transcribe:", "captions:")) for n in rebuilt)
    built.write_text(text, encoding="utf-8")
    assert coursecast(built, "build").returncode == 0


def test_kill_minus_nine_then_build_equals_a_clean_build(built, tmp_path):
    course = make_course(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "--course", str(course), "-j", "2", "build"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    state = tmp_path / ".coursecast" / "state.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if state.exists() and len(json.loads(state.read_text() or "{}")) >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the build finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    result = coursecast(course, "build")
    assert result.returncode == 0, result.stderr
    assert fingerprint(tmp_path) == fingerprint(built.parent)
    assert not [p for p in tmp_path.rglob(".*.part*")], "a killed build's temp files were left behind"
