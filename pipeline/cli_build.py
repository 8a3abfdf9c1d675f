"""The build commands' half of the command line: running stages (locally or on Dask), and how they fail.

`cli.py` declares the commands; this module runs a build for them and turns its errors into exit codes.
"""
from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import click

from .core import course_list, executors, forecast, layout, paths, runner, stages
from .core.course_media import probe_sources
from .core.dependency import StateStore
from .core.errors import CoursecastError, PreflightError
from .core.fsutil import remove_stale_temps, write_json
from .core.progress import Progress
from .core.settings import RunSettings

EXIT_FAILED = 1  # a stage failed or check found problems
EXIT_BAD_INPUT = 2  # the course file or a recording is wrong


def _fail(error: CoursecastError, code: int) -> None:
    click.echo(f"Error: {error}", err=True)
    sys.exit(code)


def build_stages(ctx, stage_names: list[str] | None, episodes: tuple[str, ...] = (),
                 timings: Path | None = None, executor: str | None = None, scheduler: str | None = None) -> None:
    """Load, lock, run the selected stages (and what they need); exit non-zero on failure."""
    try:
        course = ctx.load(probe=False)
        course_list.require_episodes(course, episodes)  # a typo refused before any recording is probed
        paths.require(course)  # wrong-kind paths next: ffprobe, hashing or reading a FIFO would never return
        probe_sources(course, course.folder(layout.STATE) / "probe.json")
        # --scheduler's workers are other machines: the preflight must not ask this one for their GPU
        course = replace(course, run=replace(course.run, scheduler=_scheduler(course, scheduler)))
        if problems := stages.preflight(course):
            raise PreflightError(problems)
        tasks = runner.select(stages.all_tasks(course), stage_names, episodes or None)
        state = course.folder(layout.STATE)
        with runner.build_lock(state, wait_for_it=ctx.wait, notify=lambda m: click.echo(m, err=True)):
            for name in (layout.EPISODES, layout.TRANSCRIPTS, layout.FEEDS, layout.SITE, layout.EDITS, layout.STATE):
                remove_stale_temps(course.folder(name))
            store = StateStore(state)
            expected = set(forecast.plan(tasks, store).to_build)  # the ETA counts what will run, in audio seconds
            progress = Progress(quiet=ctx.quiet, jobs=ctx.jobs, rates=forecast.Rates(state), expected=expected)
            where = executors.open_executor(executor or course.run.executor, ctx.jobs,
                                            _scheduler(course, scheduler), state)
            try:
                _share_cores(tasks, ctx.jobs, where)
                report = runner.run(tasks, store, jobs=ctx.jobs, progress=progress, executor=where)
            finally:
                where.close()
        if timings:
            write_json(timings, {"seconds": round(report.seconds, 3), "built": report.timings,
                                 "up_to_date": list(report.up_to_date), "failed": [f.task for f in report.failed]})
    except CoursecastError as e:
        _fail(e, EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        click.echo("\nInterrupted. Finished outputs are kept; run the same command again to continue.", err=True)
        os._exit(130)
    if not report.ok:
        click.echo(f"{len(report.failed)} task(s) failed; fix the problems above and run again.", err=True)
        sys.exit(EXIT_FAILED)


def _scheduler(course, given: str | None) -> str:
    """--scheduler when given (checked like [run] scheduler), else the course file's."""
    if given is None:
        return course.run.scheduler
    for _, fix in RunSettings(scheduler=given).problems():
        raise CoursecastError(f"--scheduler {given!r}: {fix}")
    return given


def _share_cores(tasks, jobs: int, where) -> None:
    """Tell the transcriber how many of its tasks may run at once, so each takes its share of cores.

    Threads here: the tasks share this machine's cores. Dask: each worker process runs one task at a time,
    so a machine's cores are shared by the workers on it.
    """
    listening = sum(1 for t in tasks if t.name.startswith("transcribe:"))
    if listening:
        from .transcribe import set_parallelism

        if where.name == "dask":
            where.run_on_workers(set_parallelism, where.workers_per_host())
        else:
            set_parallelism(max(1, min(jobs, listening)))


def where_options(command):
    """--executor and --scheduler: where a build's tasks run (never what they make)."""
    command = click.option(
        "--scheduler", metavar="ADDRESS", default=None,
        help="A running Dask scheduler (tcp://host:8786) whose workers see the course folder at the same path; "
             "implies --executor dask [default: [run] scheduler].")(command)
    return click.option(
        "--executor", type=click.Choice(executors.EXECUTORS), default=None,
        help="Where tasks run: 'local' threads, or 'dask' (a LocalCluster of -j worker processes) "
             "[default: [run] executor, else local].")(command)
