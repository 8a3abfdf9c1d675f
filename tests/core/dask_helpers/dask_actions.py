"""Actions that kill the Dask worker running them: imported by the workers (PYTHONPATH), so kept apart."""
from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

from pipeline.core import fsutil


@dataclass(frozen=True)
class KillJob:
    marker: Path  # exists once the first attempt has run
    dst: Path  # the output


def die_once(job: KillJob) -> None:
    """The first attempt dies mid-write (its worker is killed); a retry writes the output."""
    if not job.marker.exists():
        job.marker.write_text("tried")
        _die_writing(job.dst)
    fsutil.write_text(job.dst, "made on the second try")


def always_die(job: KillJob) -> None:
    """Every attempt kills its worker halfway through writing the output."""
    _die_writing(job.dst)


def _die_writing(dst: Path) -> None:
    with fsutil.atomic_path(dst) as tmp:
        tmp.write_text("half")
        os.kill(os.getpid(), signal.SIGKILL)
