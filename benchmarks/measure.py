"""Measure a command as a whole process tree: wall seconds, CPU seconds and peak memory."""
from __future__ import annotations

import shlex
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

SAMPLE_S = 0.05  # seconds between memory samples of the process tree


@dataclass(frozen=True)
class Measurement:
    label: str
    wall_s: float  # elapsed seconds
    cpu_s: float  # user + system seconds of the whole process tree
    peak_rss_mb: float  # highest summed resident memory of the tree, MiB
    returncode: int

    def to_dict(self) -> dict:
        return asdict(self)


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def measure(label: str, cmd: list[str], *, cwd: Path | None = None, log: Path | None = None,
            check: bool = True) -> Measurement:
    """Run `cmd`, sampling the RSS of it and all its children; CPU from the children's rusage."""
    out = open(log, "a") if log else subprocess.DEVNULL
    if log:
        out.write(f"\n$ {shlex.join(cmd)}\n")
        out.flush()
    start = time.monotonic()
    before = psutil.Process().cpu_times()
    popen = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    proc, peak = psutil.Process(popen.pid), 0
    while popen.poll() is None:
        rss = 0
        for p in _tree(proc):
            try:
                rss += p.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        peak = max(peak, rss)
        time.sleep(SAMPLE_S)
    wall = time.monotonic() - start
    after = psutil.Process().cpu_times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    if log:
        out.close()
    if check and popen.returncode != 0:
        raise RuntimeError(f"{label} failed (exit {popen.returncode}): {shlex.join(cmd)}; see {log}")
    return Measurement(label, round(wall, 2), round(cpu, 2), round(peak / 2**20, 1), popen.returncode)
