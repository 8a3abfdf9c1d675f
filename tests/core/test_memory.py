"""Memory a long episode no longer holds twice (issue 25, "keep memory under 2 GB"): a command's output read
into one buffer, and the heap's free pages handed back after each task."""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import psutil
import pytest

from pipeline.core import media, runner
from pipeline.core.dependency import Task
from pipeline.core.errors import MediaError

SECONDS = 30.0
RATE = 48000


def test_a_commands_output_is_read_whole_into_one_buffer(monkeypatch):
    monkeypatch.setattr(media, "READ_CHUNK", 4099)  # many reads, one buffer
    raw = media.pipe(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
                      f"sine=frequency=440:sample_rate={RATE}:duration={SECONDS}", "-f", "f32le", "-"], None,
                     what="a tone")
    samples = np.frombuffer(raw, dtype="<f4")
    assert len(samples) == int(SECONDS * RATE)
    assert 0.12 < float(np.abs(samples).max()) < 0.13  # ffmpeg's sine source: amplitude 1/8


def test_a_failing_command_still_says_what_went_wrong(tmp_path):
    missing = tmp_path / "missing.wav"
    with pytest.raises(MediaError) as caught:
        media.pipe(["ffmpeg", "-nostdin", "-v", "error", "-i", str(missing), "-f", "f32le", "-"], None,
                   what=f"{missing}: reading")
    assert str(missing) in str(caught.value) and "No such file" in str(caught.value)


@dataclass(frozen=True)
class FragmentJob:
    pieces: int  # 100 kB arrays made; one in 50 stays (in KEPT)


KEPT: list[np.ndarray] = []


def fragment(job: FragmentJob) -> None:
    """Many small arrays (under mmap's threshold: they live in the thread's glibc arena), most freed again and
    a few kept, so the arena cannot simply shrink from its top."""
    arrays = [np.ones(100_000 // 8) for _ in range(job.pieces)]
    KEPT.extend(arrays[::50])


def test_after_a_task_the_heap_gives_back_what_its_thread_freed():
    if runner._malloc_trim() is None:
        pytest.skip("no malloc_trim here (not glibc)")
    process = psutil.Process()
    task = Task("toy", "toy:fragment", fragment, FragmentJob(3000))  # 300 MB made, 6 MB kept
    before = process.memory_info().rss
    worker = threading.Thread(target=runner._timed, args=(task,))  # as the local executor's threads run it
    worker.start()
    worker.join()
    grown = process.memory_info().rss - before
    KEPT.clear()
    assert grown < 50 * 2 ** 20, f"the process kept {grown / 2 ** 20:.0f} MB"  # measured 6 MB; 300 MB untrimmed
