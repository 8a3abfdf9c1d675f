"""Where the runner's tasks execute: threads in this process, or the workers of a Dask cluster.

The runner keeps the planning, the staleness verdicts and the state: it hands an
executor one stale task at a time (when the task's inputs are ready) and asks it
which submitted tasks have finished. Only the coordinating process records
results, so `state.json` has one writer whatever runs the actions.

`DaskExecutor` runs tasks on `distributed` workers: a `LocalCluster` of worker
processes on this machine, or an existing cluster (`dask scheduler` and `dask
worker`s on other machines) that must see the course folder at the same path.
Before any task runs it checks, within CONNECT_TIMEOUT_S + WORKERS_TIMEOUT_S,
that the scheduler answers, that it has workers and that every worker reads a
probe file written into the course's state folder. A worker that dies mid-task
has its task run again elsewhere (Dask's own retry, `allowed-failures`); a task
that kills its workers every time fails by name. An output is never half
written: actions write to temp names and replace (core/fsutil), and a task
counts as built only when the coordinator has recorded it.
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Callable, Iterable

from .errors import CoursecastError
from .settings import EXECUTORS  # noqa: F401  (the choices, for the CLI)

log = logging.getLogger("coursecast.executors")

CONNECT_TIMEOUT_S = 10  # seconds a scheduler has to answer
WORKERS_TIMEOUT_S = 15  # seconds a reachable scheduler has to show one worker
PROBE_PREFIX = "dask-probe-"  # state-folder file the workers must read (removed after the check)
SCHEDULER_PORT = 8786  # dask scheduler's default port, for the messages


class ExecutorError(CoursecastError):
    """A cluster that cannot run this build: unreachable, no workers, or workers that cannot see the course."""


class LocalExecutor:
    """Threads in this process: `jobs` tasks at once (the default)."""

    name = "local"

    def __init__(self, jobs: int):
        self.pool = ThreadPoolExecutor(max_workers=max(1, jobs))

    def submit(self, fn: Callable, task: Any, progress: Any = None) -> Future:
        """fn(task, progress): the task may report how far it is through `progress` (core/progress.py)."""
        return self.pool.submit(fn, task, progress)

    def finished(self, futures: Iterable[Future]) -> set:
        done, _ = wait(list(futures), return_when=FIRST_COMPLETED)
        return set(done)

    def outcome(self, future: Future, task_name: str) -> tuple[str | None, float]:
        return future.result()

    def close(self) -> None:
        self.pool.shutdown(wait=True)


class DaskExecutor:
    """Tasks run on the workers of a `distributed` cluster; results come back here to be recorded."""

    name = "dask"

    def __init__(self, client: Any, cluster: Any = None):
        self.client, self.cluster = client, cluster

    def submit(self, fn: Callable, task: Any, progress: Any = None) -> Any:
        """fn(task, None) on a worker: progress lines stay with the coordinator (started, finished)."""
        # pure=False: a task is an action with side effects (files), never deduplicated or cached by Dask
        return self.client.submit(fn, task, None, pure=False, key=f"{task.name}#{secrets.token_hex(4)}")

    def finished(self, futures: Iterable[Any]) -> set:
        from distributed import wait as dask_wait

        done, _ = dask_wait(list(futures), return_when="FIRST_COMPLETED")
        return set(done)

    def outcome(self, future: Any, task_name: str) -> tuple[str | None, float]:
        from distributed import KilledWorker

        try:
            return future.result()
        except KilledWorker as e:
            return (f"{task_name}: the Dask workers running it died each time it was tried ({e}); its outputs "
                    "were not recorded; look at the workers' logs (memory?) and build again"), 0.0
        except Exception as e:  # lost connection, cancelled: nothing was recorded for the task
            return (f"{task_name}: the Dask cluster lost the task ({type(e).__name__}: {e}); its outputs were not "
                    "recorded; build again"), 0.0

    def run_on_workers(self, fn: Callable, *args: Any) -> dict[str, Any]:
        """fn(*args) once in every worker process: {worker address: result}."""
        return self.client.run(fn, *args)

    def workers_per_host(self) -> int:
        """The most worker processes on one machine: how many tasks share its cores."""
        hosts: dict[str, int] = {}
        for address in self.client.scheduler_info().get("workers", {}):
            host = address.split("://")[-1].rsplit(":", 1)[0]
            hosts[host] = hosts.get(host, 0) + 1
        return max(hosts.values(), default=1)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _quiet_dask() -> None:
    """distributed logs every worker's start and stop at INFO; a build shows only its errors (unless -v)."""
    if log.isEnabledFor(logging.DEBUG):
        return
    for name in [n for n in logging.root.manager.loggerDict if n.split(".")[0] in ("distributed", "tornado")]:
        logging.getLogger(name).setLevel(logging.ERROR)


def local_cluster(workers: int) -> DaskExecutor:
    """A LocalCluster of `workers` single-threaded worker processes on this machine."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:
        raise ExecutorError("--executor dask needs the 'distributed' package; run 'make setup'") from e
    _quiet_dask()
    cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR)
    return DaskExecutor(Client(cluster), cluster)


def connect(address: str) -> DaskExecutor:
    """A client of the scheduler at `address`, checked to answer and to have a worker, or ExecutorError."""
    try:
        from distributed import Client
    except ImportError as e:
        raise ExecutorError("--scheduler needs the 'distributed' package; run 'make setup'") from e
    _quiet_dask()
    try:
        client = Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
    except (OSError, TimeoutError, ValueError) as e:
        raise ExecutorError(
            f"no Dask scheduler answers at {address} ({type(e).__name__}: {e}); start one there with "
            f"'dask scheduler --port {SCHEDULER_PORT}', or fix --scheduler / [run] scheduler in the course file") from e
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
    except (TimeoutError, OSError) as e:
        client.close()
        raise ExecutorError(
            f"the Dask scheduler at {address} has no workers (none joined within {WORKERS_TIMEOUT_S} s); start one "
            f"on each machine with 'dask worker {address} --nthreads 1' (the course folder at the same path)") from e
    return DaskExecutor(client)


def _read_probe(path: str, token: str) -> str:
    """Run on a worker: '' when it reads the probe file with the token, else what it saw."""
    try:
        with open(path, encoding="utf-8") as handle:
            seen = handle.read()
    except OSError as e:
        return f"cannot read it on {socket.gethostname()}: {e.strerror or e}"
    return "" if seen == token else f"on {socket.gethostname()} it holds something else (another folder at that path?)"


def check_course_visible(executor: DaskExecutor, state_dir: Path) -> None:
    """Every worker must see the course folder at the same path: a probe file proves it, or ExecutorError."""
    token = secrets.token_hex(16)
    probe = state_dir / f"{PROBE_PREFIX}{token[:8]}"
    state_dir.mkdir(parents=True, exist_ok=True)
    probe.write_text(token, encoding="utf-8")
    try:
        answers = executor.run_on_workers(_read_probe, str(probe), token)
    finally:
        probe.unlink(missing_ok=True)
    blind = {worker: why for worker, why in answers.items() if why}
    if blind:
        listed = "; ".join(f"{worker}: {why}" for worker, why in sorted(blind.items()))
        raise ExecutorError(
            f"{len(blind)} of {len(answers)} Dask worker(s) cannot see the course folder {state_dir.parent} "
            f"({listed}); every worker must see it at the same path (a shared file system mounted there)")


def open_executor(kind: str, jobs: int, scheduler: str, state_dir: Path) -> LocalExecutor | DaskExecutor:
    """The executor a build asked for: a scheduler address implies Dask."""
    if not scheduler and kind == "local":
        return LocalExecutor(jobs)
    executor = connect(scheduler) if scheduler else local_cluster(jobs)
    try:
        check_course_visible(executor, state_dir)
    except BaseException:
        executor.close()
        raise
    log.debug("dask: %d worker(s), pid %d coordinating", len(executor.client.scheduler_info().get("workers", {})),
              os.getpid())
    return executor
