"""Staleness, ordering, atomic writes and the build lock, on real files."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.core import fsutil
from pipeline.core import runner
from pipeline.core.dependency import StateStore, Task
from pipeline.core.errors import BuildLockedError, StageError, StateError
from pipeline.core.progress import Progress


RUNS: list[str] = []  # the actions run, in order (the toy's actions are plain functions of their job)


@dataclass(frozen=True)
class UpperJob:
    src: Path  # text in
    dst: Path  # upper-cased text out


@dataclass(frozen=True)
class CountJob:
    src: Path  # text in
    dst: Path  # JSON out
    title: str  # written into the JSON: a parameter


def upper(job: UpperJob) -> None:
    RUNS.append("upper")
    fsutil.write_text(job.dst, job.src.read_text().upper())


def count(job: CountJob) -> None:
    RUNS.append("count")
    fsutil.write_json(job.dst, {"words": len(job.src.read_text().split()), "title": job.title})


def broken(job: UpperJob) -> None:
    raise StageError("in.txt: unreadable; fix it")


class Pipeline:
    """A two-stage toy pipeline: upper-case a text file, then count its words."""

    def __init__(self, root: Path):
        self.root = root
        self.src = root / "in.txt"
        self.mid = root / "out" / "upper.txt"
        self.end = root / "out" / "count.json"
        self.runs = RUNS
        self.title = "one"

    def tasks(self) -> list[Task]:
        return [
            Task("b", "count", count, CountJob(self.mid, self.end, self.title), inputs=(self.mid,), targets=(self.end,)),
            Task("a", "upper", upper, UpperJob(self.src, self.mid), inputs=(self.src,), targets=(self.mid,),
                 tools=("upper 1",)),
        ]

    def build(self, jobs: int = 2) -> runner.BuildReport:
        self.runs.clear()
        store = StateStore(self.root / ".coursecast")
        return runner.run(self.tasks(), store, jobs=jobs, progress=Progress(quiet=True))


@pytest.fixture
def toy(tmp_path) -> Pipeline:
    pipe = Pipeline(tmp_path)
    pipe.src.write_text("hello small world")
    return pipe


def test_first_build_runs_in_dependency_order_then_nothing(toy):
    assert toy.build().built == ("upper", "count")
    assert toy.runs == ["upper", "count"]
    stamp = toy.end.stat().st_mtime_ns
    report = toy.build()
    assert report.built == () and set(report.up_to_date) == {"upper", "count"}
    assert toy.runs == [] and toy.end.stat().st_mtime_ns == stamp


def test_touch_is_not_a_change_but_content_is(toy):
    toy.build()
    os.utime(toy.src)
    assert toy.build().built == ()
    toy.src.write_text("hello big world out there")
    assert toy.build().built == ("upper", "count")
    assert json.loads(toy.end.read_text())["words"] == 5


def test_parameter_change_rebuilds_only_its_task(toy):
    toy.build()
    toy.title = "two"
    assert toy.build().built == ("count",)


def test_same_output_content_stops_the_cascade(toy):
    toy.build()
    toy.src.write_text("HELLO small world")  # upper-cases to the same text
    report = toy.build()
    assert report.built == ("upper",)


def test_missing_or_hand_edited_target_rebuilds(toy):
    toy.build()
    toy.end.unlink()
    assert toy.build().built == ("count",)
    toy.mid.write_text("edited by hand")
    assert toy.build().built == ("upper",)  # restored; count's input content is back to what it was


def test_failure_keeps_last_good_output_and_blocks_downstream(toy):
    toy.build()
    good = toy.end.read_text()
    tasks = toy.tasks()
    tasks[1] = Task("a", "upper", broken, UpperJob(toy.src, toy.mid), inputs=(toy.src,), targets=(toy.mid,),
                    tools=("upper 2",))
    report = runner.run(tasks, StateStore(toy.root / ".coursecast"), jobs=1, progress=Progress(quiet=True))
    assert report.failed[0].message == "in.txt: unreadable; fix it"
    assert report.blocked == ("count",)
    assert toy.end.read_text() == good
    assert toy.build().built == ("upper",)  # the failed task is retried, its outputs are unchanged


def test_select_takes_upstream_tasks(toy):
    chosen = runner.select(toy.tasks(), ["b"])
    assert {t.name for t in chosen} == {"count", "upper"}
    assert [t.name for t in runner.select(toy.tasks(), ["a"])] == ["upper"]


def test_atomic_path_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "out.mp3"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with fsutil.atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("killed")
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_killed_build_resumes_to_the_same_result(tmp_path):
    """kill -9 in the middle of a task, then build again: same outputs as an uninterrupted build."""
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from pathlib import Path
        from test_runner import Pipeline
        from pipeline.core import fsutil
        pipe = Pipeline(Path(sys.argv[1]))
        if sys.argv[2] == "slow":
            original = fsutil.write_text
            def slow_write(target, text):
                with fsutil.atomic_path(target) as tmp:
                    tmp.write_text(text[:3])
                    print("writing", flush=True)
                    time.sleep(30)
            fsutil.write_text = slow_write
        pipe.build()
    """)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for folder in ("a", "b"):
        (tmp_path / folder / "in.txt").write_text("hello small world")
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "a"), "slow"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    proc.kill()
    proc.wait()
    assert not (tmp_path / "a" / "out" / "upper.txt").exists()
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "a"), "fast"], check=True)
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "b"), "fast"], check=True)
    for name in ("upper.txt", "count.json"):
        assert (tmp_path / "a" / "out" / name).read_bytes() == (tmp_path / "b" / "out" / name).read_bytes()
    leftovers = sorted(p.name for p in (tmp_path / "a" / "out").iterdir() if p.name not in ("upper.txt", "count.json"))
    assert leftovers and all(name.startswith(".") for name in leftovers)  # the killed write's temp file
    assert fsutil.remove_stale_temps(tmp_path / "a" / "out") == len(leftovers)
    assert sorted(p.name for p in (tmp_path / "a" / "out").iterdir()) == ["count.json", "upper.txt"]


def test_a_killed_runs_work_folder_goes_with_its_temp_files_and_nothing_else(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    (out / ".smartcut.k3j.part").mkdir(parents=True)  # a killed smart cut's parts (episodes/smartcut.py)
    (out / ".smartcut.k3j.part" / "0000.mp4").write_bytes(b"half")
    (out / ".video.x1.part.mp4").write_bytes(b"half")
    (out / "video.mp4").write_bytes(b"done")
    (elsewhere / "inside").mkdir(parents=True)
    (out / ".linked.part").symlink_to(elsewhere / "inside", target_is_directory=True)
    assert fsutil.remove_stale_temps(out) == 2  # the folder (with its part) and the file; never through a link
    assert sorted(p.name for p in out.iterdir()) == [".linked.part", "video.mp4"]
    assert (elsewhere / "inside").is_dir()


def test_build_lock_excludes_a_second_build(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from pipeline.core.runner import build_lock\n"
         "with build_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(30)",
         str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(BuildLockedError, match="another coursecast build .pid"):
            with runner.build_lock(tmp_path, wait_for_it=False):
                pass
    finally:
        holder.kill()
        holder.wait()
    with runner.build_lock(tmp_path, wait_for_it=False):  # the OS released the dead holder's lock
        pass


# -- the state store: damaged files, every output remembered, errors wrapped by libraries ------------
@pytest.mark.parametrize("damage", [b'{"upper": {"inputs": {', b"\xff\xfe garbage", b"[]",
                                    b'{"upper": {"inputs": [], "tools": []}}'])
def test_a_damaged_state_file_names_itself_and_the_fix(toy, damage):
    toy.build()
    state = toy.root / ".coursecast" / "state.json"
    state.write_bytes(damage)
    with pytest.raises(StateError, match="state.json: the build's record .*delete it and build again"):
        toy.build()


def test_a_damaged_hash_cache_is_only_hashed_again(toy):
    toy.build()
    (toy.root / ".coursecast" / "hashes.json").write_text('{"x": [1, 2, 3], "y": "z"')
    assert toy.build().built == ()


def test_every_output_ever_written_is_remembered(toy):
    toy.build()
    outputs = json.loads((toy.root / ".coursecast" / "outputs.json").read_text())
    assert set(outputs) == {"out/upper.txt", "out/count.json"}
    assert outputs["out/count.json"] == fsutil.sha256_file(toy.end)
    toy.title = "two"
    toy.build()
    assert json.loads((toy.root / ".coursecast" / "outputs.json").read_text())["out/count.json"] == \
        fsutil.sha256_file(toy.end)


def tag_on_a_full_device(job: UpperJob) -> None:
    from mutagen.id3 import ID3, TIT2

    tags = ID3()
    tags.add(TIT2(encoding=3, text=["title"]))
    tags.save(job.dst)  # mutagen raises its own error type, chained to the OSError


def test_a_full_disk_behind_a_librarys_own_error_is_said_plainly(tmp_path):
    task = Task("a", "tags:x", tag_on_a_full_device, UpperJob(tmp_path / "in.txt", Path("/dev/full")),
                targets=(tmp_path / "out" / "x.mp3",))
    report = runner.run([task], StateStore(tmp_path / ".coursecast"), jobs=1, progress=Progress(quiet=True))
    assert report.failed[0].message == (f"tags:x: the disk is full (writing in {tmp_path / 'out'}); "
                                        "free some space and build again")
