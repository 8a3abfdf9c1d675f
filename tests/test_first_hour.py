"""A producer's first hour: init, list, --course FOLDER, --episode typos, the README's key reference."""
from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from click.testing import CliRunner

from conftest import MINIMAL_COURSE, make_tone
from paths import REPO
from pipeline.cli import cli
from pipeline.core import course_file, course_init
from pipeline.core.settings import STAGE_SETTINGS

README = (REPO / "README.md").read_text(encoding="utf-8")
TABLES = {"course": course_file._COURSE_FIELDS, "modules": course_file._MODULE_FIELDS,
          "speakers": course_file._SPEAKER_FIELDS, "episodes": course_file._EPISODE_FIELDS,
          "episodes.sources": course_file._SOURCE_FIELDS}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_init_writes_a_course_file_that_loads_and_the_folders(tmp_path):
    proc = run("init", str(tmp_path / "new"), "--title", "Urban planning")
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "new"
    for name in ("raw_interviews", "raw_interviews/module1", "raw_interviews/voices", "edits"):
        assert (folder / name).is_dir(), name
    course = course_file.load(folder / "course.toml")
    assert course.info.title == "Urban planning"
    assert [(e.slug, e.sources[0].file) for e in course.episodes] == [
        ("welcome", "module1/welcome.wav"), ("second-episode", "module1/second.wav")]
    assert "Created" in proc.stdout and "build" in proc.stdout


def test_init_refuses_to_overwrite_a_course_file(tmp_path):
    (tmp_path / "course.toml").write_text("# mine\n", encoding="utf-8")
    proc = run("init", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "a course file is already there; init never overwrites one" in proc.stderr
    assert (tmp_path / "course.toml").read_text(encoding="utf-8") == "# mine\n"


def test_init_shows_every_key_with_a_default_or_example_and_a_meaning(tmp_path):
    text = course_init.template("T", ".")
    tomllib.loads(text)
    missing = []
    for table, fields in {**TABLES, **{t: {f: 0 for f in c.__dataclass_fields__} for t, c in STAGE_SETTINGS.items()}}.items():
        keys = set(fields) - {"sources"}
        for key in keys:
            if not re.search(rf"^(# )?{key} = \S.*  # \S", text, flags=re.M):
                missing.append(f"{table}.{key}")
    assert not missing, missing


def _mark_keys() -> dict[str, list[str]]:
    """The keys of chapters and turns, as the loader itself lists them for an unknown key."""
    found = {}
    for mark in ("chapters", "turns"):
        text = MINIMAL_COURSE.replace('speakers = ["host", "guest"]', f'speakers = ["host", "guest"]\n{mark} = [{{ x = 1 }}]')
        try:
            course_file.parse(tomllib.loads(text), Path("/nonexistent/course.toml"), text)
        except course_file.CourseFileError as e:
            (allowed,) = [p.split("allowed: ")[1] for p in e.problems if "unknown key" in p]
            found[mark] = allowed.split(", ")
    assert found["chapters"] == ["at", "title"] and set(found) == set(course_init.MARK_KEYS)
    return found


def test_every_key_the_loader_accepts_is_in_the_readme_key_reference():
    start = README.index("\n## Course file keys")
    section = README[start:README.index("\n## ", start + 1)]
    missing = [f"{table}.{key}" for table, fields in TABLES.items() for key in fields
               if f"| `{key}` |" not in section.split(f"`[{table}]`" if table == "course" else f"`[[{table}]]`", 1)[-1]]
    missing += [f"{mark}.{key}" for mark, keys in _mark_keys().items() for key in keys if f"`{key}`" not in section]
    assert "`[[episodes]]`" in section and "`[[episodes.sources]]`" in section
    assert not missing, f"course-file keys missing from README.md's key reference: {missing}"
    for table in STAGE_SETTINGS:  # the settings have their own tables (tests/test_docs.py checks each key)
        assert f"`[{table}]`" in section


def test_course_takes_a_folder_and_list_shows_modules_and_episodes(course_dir):
    runner = CliRunner()
    result = runner.invoke(cli, ["--course", str(course_dir), "list"])
    assert result.exit_code == 0, result.output
    assert "Test course (1 module, 1 episode)" in result.output
    assert "Module 1: Module one (one, 1 episode)" in result.output
    assert "  1. ep1: Episode one [audio, 00:00:01, not built]" in result.output
    result = runner.invoke(cli, ["--course", str(course_dir), "-q", "episodes"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["--course", str(course_dir), "list"])
    assert re.search(r"ep1: Episode one \[audio, 00:00:01, \d+ of \d+ tasks built\]", result.output), result.output


def test_a_whole_recording_counts_its_length_and_a_missing_one_says_so(course_dir):
    make_tone(course_dir / "raw_interviews" / "ep2.wav", 3.0)
    second = MINIMAL_COURSE[MINIMAL_COURSE.index("[[episodes]]"):].replace('"ep1"', '"ep2"').replace(
        "number = 1\ntitle", "number = 2\ntitle").replace('file = "ep1.wav"\nkeep = [["00:00:00.000", "00:00:01.500"]]',
                                                          'file = "ep2.wav"')
    (course_dir / "course.toml").write_text(MINIMAL_COURSE + second, encoding="utf-8")
    (course_dir / "raw_interviews" / "ep1.wav").unlink()
    result = CliRunner().invoke(cli, ["--course", str(course_dir), "list"])
    assert "ep2: Episode one [audio, 00:00:03, not built]" in result.output, result.output
    assert "ep1: Episode one [audio, 00:00:01, not built]" in result.output  # keep ranges need no recording


def test_an_unknown_episode_is_refused_with_the_closest_slug(course_dir):
    proc = run("--course", str(course_dir), "episodes", "--episode", "ep-1")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "course.toml: no episode 'ep-1'; did you mean 'ep1'? 'coursecast list' shows them all" in proc.stderr
    assert not (course_dir / "episodes").exists()  # nothing built, nothing probed


def _make_dry_run(venv: Path, *targets: str) -> list[str]:
    """What make would run (-n: nothing is run) for the targets, with the set-up stamp in `venv`."""
    proc = subprocess.run(["make", "-n", "--no-print-directory", "-C", str(REPO), *targets, f"VENV={venv}", "COURSE=my-course"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_make_targets_skip_setup_once_done_and_take_a_course_folder(tmp_path):
    stamp = tmp_path / ".coursecast-setup"
    stamp.write_text("key\n")
    assert _make_dry_run(tmp_path, "status", "check") == [
        f"{tmp_path}/bin/coursecast --course my-course -j {_jobs()} status",
        f"{tmp_path}/bin/coursecast --course my-course -j {_jobs()} check"]
    old = (REPO / "pyproject.toml").stat().st_mtime - 60
    import os

    os.utime(stamp, (old, old))  # pyproject.toml changed after the last setup: set up again first
    assert _make_dry_run(tmp_path, "status")[0] == "scripts/setup.sh"
    assert "scripts/setup.sh" in _make_dry_run(tmp_path, "setup")  # `make setup` always runs it


def _jobs() -> str:
    return subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or "2"


def test_a_missing_course_says_how_to_start_one(tmp_path):
    proc = run("--course", str(tmp_path / "new-course"), "status")
    assert proc.returncode == 2
    assert f"start one with 'coursecast init {tmp_path / 'new-course'}'" in proc.stderr
