"""What `status` says a build will do, the ETA from seconds of audio, and progress inside a long task."""
from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import MINIMAL_COURSE
from pipeline.cli import cli
from pipeline.core import forecast, fsutil, runner
from pipeline.core.dependency import StateStore, Task
from pipeline.core.progress import Progress, running, task_progress


@dataclass(frozen=True)
class CopyJob:
    src: Path  # text in
    dst: Path  # text out, with the suffix
    suffix: str  # a parameter


def copy(job: CopyJob) -> None:
    fsutil.write_text(job.dst, job.src.read_text() + job.suffix)


def chain(folder: Path, first: str = "!") -> list[Task]:
    """a -> b -> c -> d, and e beside them (fed by nothing that changes)."""
    files = [folder / n for n in ("in.txt", "a.txt", "b.txt", "c.txt", "d.txt")]
    names = ["transcribe:ep1", "speakers:ep1", "captions:ep1", "site:ep1"]
    tasks = [Task("s", name, copy, CopyJob(src, dst, first if i == 0 else ""), inputs=(src,), targets=(dst,),
                  episode="ep1", weight=60.0 if i == 0 else 1.0)
             for i, (name, src, dst) in enumerate(zip(names, files, files[1:]))]
    return tasks + [Task("s", "site:index", copy, CopyJob(files[0], folder / "e.txt", ""), inputs=(files[0],),
                         targets=(folder / "e.txt",))]


def test_status_counts_what_runs_after_a_stale_task_and_the_build_agrees(tmp_path):
    (tmp_path / "in.txt").write_text("x")
    store = StateStore(tmp_path / ".state")
    runner.run(chain(tmp_path), store, jobs=1, progress=Progress(io.StringIO(), quiet=True))
    changed = chain(tmp_path, first="?")  # a parameter of the first task only
    found = forecast.plan(changed, StateStore(tmp_path / ".state"))
    assert list(found.stale) == ["transcribe:ep1"] and found.stale["transcribe:ep1"][0].startswith("parameter")
    assert found.downstream == {"speakers:ep1": "transcribe:ep1", "captions:ep1": "speakers:ep1",
                                "site:ep1": "captions:ep1"}
    report = runner.run(changed, StateStore(tmp_path / ".state"), jobs=1, progress=Progress(io.StringIO(), quiet=True))
    assert sorted(report.built) == sorted(found.to_build)  # "1 of 5", then 4 built, is what this fixes
    lines = forecast.status_lines(found, changed, forecast.Rates(None), jobs=2)
    assert lines[-1].startswith("4 of 5 tasks to build (1 stale, 3 after them); 1m00s of audio to transcribe; ETA")
    assert "Then 3 task(s) fed by their outputs will rebuild" in lines[1]


def test_rates_are_learned_per_kind_of_task_and_kept(tmp_path):
    rates = forecast.Rates(tmp_path)
    task = chain(tmp_path)[0]  # 60 s of audio
    assert rates.seconds(task) == 60 * forecast.DEFAULT_RATES["transcribe"]
    guess = forecast.DEFAULT_RATES["transcribe"]
    prior = forecast.PRIOR_SECONDS / guess  # the guess counts as 30 s of work
    rates.observe(task, 12.0)  # 60 s of audio heard in 12 s
    assert rates.seconds(task) == pytest.approx(60 * (guess * prior + 12) / (prior + 60))
    rates.observe(task, 24.0)
    rates.save()
    again = forecast.Rates(tmp_path)
    assert again.seconds(task) == pytest.approx(60 * (guess * prior + 36) / (prior + 120), abs=60 * 5e-5)  # 4 decimals kept
    (tmp_path / "rates.json").write_text("{damaged")
    assert forecast.Rates(tmp_path).seconds(task) == 60 * forecast.DEFAULT_RATES["transcribe"]


def test_a_long_task_reports_how_far_it_is_in_the_log_and_the_eta(tmp_path):
    stream = io.StringIO()
    tasks = chain(tmp_path)
    rates = forecast.Rates(None)
    rates.rates["transcribe"] = 1.0  # 60 s of work: long enough for lines inside it
    progress = Progress(stream, live=False, jobs=1, rates=rates, expected={"transcribe:ep1", "speakers:ep1"})
    progress.begin(tasks)
    assert progress.remaining() == 60 * 1.0 + 1 * forecast.DEFAULT_RATES["speakers"]
    progress.started(tasks[0])

    def work() -> None:  # the task's thread: what the transcriber does while it decodes
        running(tasks[0], progress)
        report = task_progress()
        for seconds in (10, 20, 30, 45, 60):
            report(seconds, 60.0)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    lines = stream.getvalue().splitlines()
    assert [re.sub(r"  \(ETA.*", "", line) for line in lines] == [
        f"    transcribe:ep1: {share} of 1m00s of audio decoded" for share in ("33%", "50%", "75%")]
    assert "(ETA 15s)" in lines[-1]  # a quarter left of 60 s, and the small task after it
    assert task_progress()(1, 2) is None  # outside a task: does nothing


def test_status_on_a_course_names_the_numbers(course_dir):
    result = CliRunner().invoke(cli, ["--course", str(course_dir), "-j", "1", "status"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^(\d+) of \1 tasks to build \(\d+ stale, 0 after them\); 2s of audio to transcribe; ETA about",
                     result.output.splitlines()[-1]) or "1s of audio" in result.output, result.output
