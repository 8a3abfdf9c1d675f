"""The Dask executor on real clusters: a LocalCluster, and a `dask scheduler` with two `dask worker` processes.

Same published bytes as the local executor; an unreachable scheduler, one without workers and a worker that
cannot see the course are named before any task runs; a killed worker's task is retried or fails by name.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SHARED_SPEECH, MINIMAL_COURSE
from pipeline.core import runner
from pipeline.core.dependency import StateStore, Task
from pipeline.core.executors import local_cluster
from pipeline.core.progress import Progress

pytestmark = pytest.mark.slow
HELPERS = Path(__file__).parent / "dask_helpers"
BIN = Path(sys.executable).parent
PUBLISHED = ("episodes", "transcripts", "feeds", "site")
JFK = SHARED_SPEECH / "whisper_jfk.flac"
NAMING_LIMIT_S = 30  # seconds the issue allows to name a scheduler's problem


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(Path.cwd()), str(HELPERS), env.get("PYTHONPATH", "")) if p)
    return env


def _coursecast(folder: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "coursecast"), "-q", "-j", "2", *args], cwd=folder, env=_env(),
                          capture_output=True, text=True, timeout=timeout)


def _published(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for name in PUBLISHED for p in sorted((folder / name).rglob("*")) if p.is_file()}


class Cluster:
    """A `dask scheduler` on a free port and its `dask worker`s, each a process of its own."""

    def __init__(self, workers: int, worker_prefix: tuple[str, ...] = ()):
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        self.procs = [self._start("scheduler", "--host", "127.0.0.1", "--port", self.address.rsplit(":", 1)[1])]
        self._wait_for_port()
        for _ in range(workers):
            self.procs.append(self._start("worker", self.address, "--nthreads", "1", prefix=worker_prefix))

    def _start(self, *args: str, prefix: tuple[str, ...] = ()) -> subprocess.Popen:
        return subprocess.Popen([*prefix, str(BIN / "dask"), *args, "--no-dashboard"], env=_env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def _wait_for_port(self) -> None:
        host, port = self.address.removeprefix("tcp://").split(":")
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex((host, int(port))) == 0:
                    return
            time.sleep(0.2)
        raise RuntimeError("dask scheduler did not start")

    def close(self) -> None:
        for proc in reversed(self.procs):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            proc.wait(timeout=30)


@pytest.fixture
def speech_course(tmp_path: Path) -> Path:
    if not JFK.is_file():
        pytest.skip(f"real speech not found: {JFK} (../shared/speech beside the project)")
    folder = tmp_path / "local"
    (folder / "raw_interviews").mkdir(parents=True)
    shutil.copy(JFK, folder / "raw_interviews" / "ep1.flac")
    text = MINIMAL_COURSE.replace("ep1.wav", "ep1.flac").replace("00:00:01.500", "00:00:10.500")
    (folder / "course.toml").write_text(text, encoding="utf-8")
    return folder


def test_dask_builds_publish_the_same_bytes_as_the_local_build(speech_course):
    local = _coursecast(speech_course, "build")
    assert local.returncode == 0, local.stderr
    expected = _published(speech_course)
    assert any(name.endswith(".mp3") for name in expected) and any(name.endswith(".vtt") for name in expected)

    on_local_cluster = speech_course.parent / "local-cluster"
    shutil.copytree(speech_course / "raw_interviews", on_local_cluster / "raw_interviews")
    shutil.copy(speech_course / "course.toml", on_local_cluster)
    built = _coursecast(on_local_cluster, "build", "--executor", "dask")
    assert built.returncode == 0, built.stderr
    assert _published(on_local_cluster) == expected

    on_cluster = speech_course.parent / "cluster"
    shutil.copytree(speech_course / "raw_interviews", on_cluster / "raw_interviews")
    (on_cluster / "course.toml").write_text(speech_course.joinpath("course.toml").read_text(), encoding="utf-8")
    cluster = Cluster(workers=2)
    try:
        with (on_cluster / "course.toml").open("a", encoding="utf-8") as f:
            f.write(f'\n[run]\nscheduler = "{cluster.address}"\n')  # the course file's way, not the option
        built = _coursecast(on_cluster, "build")
        assert built.returncode == 0, built.stderr
        assert _published(on_cluster) == expected
        again = _coursecast(on_cluster, "status")
        assert "up to date" in again.stdout
    finally:
        cluster.close()


def test_an_unreachable_scheduler_is_named_with_the_fix(course_dir):
    address = f"tcp://127.0.0.1:{_free_port()}"
    start = time.monotonic()
    result = _coursecast(course_dir, "build", "--scheduler", address, timeout=120)
    assert time.monotonic() - start < NAMING_LIMIT_S
    assert result.returncode == 2
    assert f"no Dask scheduler answers at {address}" in result.stderr and "dask scheduler" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (course_dir / "episodes" / "ep1.mp3").exists()  # nothing ran


def test_a_scheduler_without_workers_is_named_with_the_fix(course_dir):
    cluster = Cluster(workers=0)
    try:
        start = time.monotonic()
        result = _coursecast(course_dir, "episodes", "--scheduler", cluster.address, timeout=120)
        assert time.monotonic() - start < NAMING_LIMIT_S
    finally:
        cluster.close()
    assert result.returncode == 2
    assert f"the Dask scheduler at {cluster.address} has no workers" in result.stderr
    assert f"dask worker {cluster.address}" in result.stderr


def test_a_bad_scheduler_address_is_refused(course_dir):
    result = _coursecast(course_dir, "build", "--scheduler", "my-laptop", timeout=60)
    assert result.returncode == 2 and "--scheduler 'my-laptop'" in result.stderr and "tcp://" in result.stderr


def test_a_worker_that_cannot_see_the_course_is_named(course_dir):
    """The worker runs in its own mount namespace with an empty file system mounted over the course folder."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare to give a worker a file system of its own")
    blind = ("unshare", "-m", "sh", "-c", f'mount -t tmpfs none "{course_dir}" && exec "$0" "$@"')
    cluster = Cluster(workers=1, worker_prefix=blind)
    try:
        result = _coursecast(course_dir, "episodes", "--scheduler", cluster.address, timeout=120)
    finally:
        cluster.close()
    assert result.returncode == 2, result.stderr
    assert "1 of 1 Dask worker(s) cannot see the course folder" in result.stderr
    assert "same path" in result.stderr
    assert not list((course_dir / ".coursecast").glob("dask-probe-*"))  # the probe file is cleaned up


def _kill_tasks(root: Path, action) -> tuple[list[Task], Path]:
    from dask_actions import KillJob

    dst = root / "out" / "made.txt"
    dst.parent.mkdir(parents=True)
    task = Task("toy", "made", action, KillJob(root / "tried", dst), inputs=(), targets=(dst,))
    return [task], dst


@pytest.mark.parametrize("outcome", ["retried", "failed"])
def test_a_killed_worker_means_retried_or_failed_by_name(tmp_path, monkeypatch, outcome):
    monkeypatch.setenv("PYTHONPATH", _env()["PYTHONPATH"])  # the LocalCluster's workers import the actions
    sys.path.insert(0, str(HELPERS))
    try:
        import dask_actions

        action = dask_actions.die_once if outcome == "retried" else dask_actions.always_die
        tasks, dst = _kill_tasks(tmp_path, action)
        store = StateStore(tmp_path / ".coursecast")
        executor = local_cluster(2)
        try:
            report = runner.run(tasks, store, jobs=2, progress=Progress(quiet=True), executor=executor)
        finally:
            executor.close()
    finally:
        sys.path.remove(str(HELPERS))
    if outcome == "retried":
        assert report.built == ("made",) and dst.read_text() == "made on the second try"
    else:
        assert report.built == () and [f.task for f in report.failed] == ["made"]
        assert "made: the Dask workers running it died" in report.failed[0].message
        assert not dst.exists()  # the half-written temp file never took the output's name
        assert store.verdict(tasks[0]).stale  # nothing recorded as built
