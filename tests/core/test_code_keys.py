"""Keys that see what an action runs: its code (per source file) and the versions of the libraries it calls.

Nothing is upgraded here: the code test edits one action's source in a copy of the tree and builds a tiny
course with that copy (real ffmpeg); the library test changes the version the lookup answers.
"""
from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from paths import REPO

from conftest import MINIMAL_COURSE, make_tone
from pipeline.core import action_code, fsutil, runner
from pipeline.core.dependency import StateStore, Task
from pipeline.core.progress import Progress

from core.test_runner import UpperJob, upper

CLI_TIMEOUT_S = 300  # seconds for one command of the tiny course (a cold episodes build takes a few)


# -- the tree copied, one action's source changed ------------------------------------------
def coursecast(tree: Path, course: Path, *args: str) -> subprocess.CompletedProcess:
    """The CLI of the copied tree (its `pipeline` first on the path), run outside the repository."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    result = subprocess.run([sys.executable, "-m", "pipeline", "--course", str(course), "-j", "2", *args],
                            capture_output=True, text=True, env=env, cwd=course.parent, timeout=CLI_TIMEOUT_S)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def stale(tree: Path, course: Path) -> dict[str, str]:
    """Task name -> why it is stale, as `status` says it."""
    lines = coursecast(tree, course, "status").stdout.splitlines()[:-1]
    return dict(line.split(": ", 1) for line in lines)


def change_function(source: Path, function: str) -> None:
    """A change a developer might make: one more statement in `function`'s body."""
    text = source.read_text(encoding="utf-8")
    node = next(n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.FunctionDef) and n.name == function)
    last = node.body[-1]
    lines = text.splitlines(keepends=True)
    lines.insert(last.lineno - 1, " " * last.col_offset + "assert True  # changed in the copy\n")
    source.write_text("".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def copied(tmp_path_factory) -> tuple[Path, Path]:
    """(the copied tree, the course file) with the episodes stage built by the copy."""
    root = tmp_path_factory.mktemp("keys")
    tree = root / "tree"
    shutil.copytree(REPO / "pipeline", tree / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    course = root / "course" / "course.toml"
    make_tone(course.parent / "raw_interviews" / "ep1.wav")
    course.write_text(MINIMAL_COURSE, encoding="utf-8")
    coursecast(tree, course, "episodes")
    return tree, course


def test_changing_an_actions_source_rebuilds_its_tasks_and_nothing_else(copied):
    tree, course = copied
    before = stale(tree, course)
    built = {"episodes:ep1", "tags:ep1"}
    assert not built & set(before), before  # the episodes stage is up to date; later stages are not built
    change_function(tree / "pipeline" / "episodes" / "tags.py", "tag_mp3")
    after = stale(tree, course)
    assert set(after) - set(before) == {"tags:ep1"}  # not the audio task, which never runs tag_mp3
    assert after["tags:ep1"] == "code changed: pipeline/episodes/tags.py"
    progress = coursecast(tree, course, "episodes").stderr
    assert "tags:ep1: done" in progress and "Built 1," in progress  # rebuilt by the build, alone ...
    assert not built & set(stale(tree, course))  # ... and then up to date


def test_changing_a_module_the_action_never_reaches_rebuilds_nothing(copied):
    tree, course = copied
    before = stale(tree, course)
    change_function(tree / "pipeline" / "episodes" / "tags.py", "read_chapters")  # the PDFs and feeds read it
    change_function(tree / "pipeline" / "printing" / "pages.py", "render")
    after = stale(tree, course)
    assert set(after) == set(before) and not {"episodes:ep1", "tags:ep1"} & set(after)


def test_the_state_names_each_source_file_and_library(copied):
    tree, course = copied
    records = json.loads((course.parent / ".coursecast" / "state.json").read_text(encoding="utf-8"))
    audio = records["episodes:ep1"]
    assert "pipeline/episodes/audio.py" in audio["code"] and "pipeline/core/ffgraph.py" in audio["code"]
    assert "pipeline/core/dependency.py" not in audio["code"]  # the build machinery never shapes an output
    assert set(audio["libraries"]) == {"ffmpeg", "ffmpeg-python", "numpy"}
    assert records["tags:ep1"]["libraries"]["mutagen"] == action_code.version("mutagen")


# -- a library upgraded (the lookup says so) ----------------------------------------------------
def toy_task(root: Path) -> Task:
    job = UpperJob(root / "in.txt", root / "out.txt")
    return Task("a", "upper", upper, job, inputs=(job.src,), targets=(job.dst,), libraries=("reportlab",))


def test_a_new_library_version_rebuilds_and_status_names_it(tmp_path, monkeypatch):
    (tmp_path / "in.txt").write_text("hello")
    build = lambda: runner.run([toy_task(tmp_path)], StateStore(tmp_path / ".coursecast"), jobs=1,  # noqa: E731
                               progress=Progress(quiet=True))
    assert build().built == ("upper",)
    assert build().built == ()
    installed = action_code.version("reportlab")
    monkeypatch.setattr(action_code, "version", lambda name: "99.0" if name == "reportlab" else installed)
    verdict = StateStore(tmp_path / ".coursecast").verdict(toy_task(tmp_path))
    assert verdict.stale and verdict.reasons == (f"library changed: reportlab {installed} -> 99.0",)
    assert build().built == ("upper",)
    assert build().built == ()


def test_a_record_from_before_code_keys_is_rebuilt_once(tmp_path):
    (tmp_path / "in.txt").write_text("hello")
    task, store = toy_task(tmp_path), StateStore(tmp_path / ".coursecast")
    runner.run([task], store, jobs=1, progress=Progress(quiet=True))
    state = tmp_path / ".coursecast" / "state.json"
    records = json.loads(state.read_text(encoding="utf-8"))
    for record in records.values():
        del record["code"], record["libraries"]
    fsutil.write_json(state, records)
    verdict = StateStore(tmp_path / ".coursecast").verdict(task)
    assert verdict.reasons[0] == "code changed: not recorded (built by an older coursecast)"


# -- what the code of an action is ---------------------------------------------------------------
def test_the_code_followed_is_what_the_action_reaches():
    from pipeline.printing.stage import print_editions
    from pipeline.speakers.stage import attribute_speakers
    from pipeline.transcribe.stage import listen

    listening, naming = action_code.code_digests(listen), action_code.code_digests(attribute_speakers)
    assert "pipeline/transcribe/engines.py" in listening and "pipeline/transcribe/coverage.py" in listening
    assert "pipeline/transcribe/glossary.py" not in listening  # a respelling fix never makes Whisper listen again
    assert "pipeline/transcribe/glossary.py" in naming  # ... the speakers task, which respells, runs again
    printing = action_code.code_digests(print_editions)  # decorated: the function it wraps is followed
    assert "pipeline/episodes/tags.py" in printing  # read_chapters
    assert "pipeline/episodes/audio.py" not in printing
    from pipeline.translate.stage import translate  # its job's field `engine` is not the function `engine`

    translating = action_code.code_digests(translate)
    assert "pipeline/translate/engines.py" in translating
    assert "pipeline/transcribe/glossary.py" not in translating and "pipeline/captions/stage.py" not in translating


def test_a_template_the_action_reads_is_keyed_like_its_code(tmp_path):
    template = tmp_path / "page.html"
    template.write_text("<p>{{ text }}</p>")
    first = action_code.code_digests(upper, (template,))
    assert first[template.as_posix()] and "pipeline/core/fsutil.py" in first
    assert first["tests/core/test_runner.py"]  # the action's own module, wherever it lives


# Libraries the reached code imports that do not shape the task's outputs, and why.
NOT_SHAPING = {
    "speakers": {"openvino", "onnxruntime", "torch"},  # it reads the voices found; diarize: and voice: run the models, keyed there
    "captions": {"jiwer"},  # the review file's measure, reached through proofread's interface
    "feeds": {"pillow"},  # the artwork check refuses a bad cover, never changes the feed
    "master": {"pyrnnoise"},  # the benchmark's comparison reducer (reducers.py): no course setting chooses it
}


def test_every_library_the_code_imports_is_declared_or_known_not_to_shape_the_output():
    from pipeline.core import course_file, stages
    from pipeline.transcribe.stage import ENGINE_LIBRARIES

    course = course_file.load(REPO / "demo" / "course.toml")
    distributions = importlib.metadata.packages_distributions()
    other_engine = {name for libraries in ENGINE_LIBRARIES.values() for name in libraries}
    for task in stages.all_tasks(course):
        imported = {d.lower() for name in action_code.imported_outside(task.action)
                    for d in distributions.get(name, [name])}
        kind = task.name.split(":")[0]
        allowed = other_engine if kind == "transcribe" else NOT_SHAPING.get(kind, set())  # one engine runs
        assert imported - {n.lower() for n in task.libraries} - allowed == set(), task.name


def test_caption_timing_keys_the_models_files_and_whisper(tmp_path):
    from pipeline import captions
    from pipeline.core import course_file
    from pipeline.core.model_choice import CT2_FILES

    for name in CT2_FILES:  # a CTranslate2 folder: the forced alignment converts and runs it
        (tmp_path / "model" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "model" / name).write_text(name)
    (tmp_path / "course.toml").write_text(MINIMAL_COURSE + '\n[transcription]\nmodel = "./model"\n', encoding="utf-8")
    (task,) = captions.tasks(course_file.load(tmp_path / "course.toml"))
    assert {tmp_path / "model" / name for name in CT2_FILES} <= set(task.inputs)
    assert {"openai-whisper", "torch"} <= set(task.libraries)


def test_openai_whisper_keys_faster_whispers_version_for_its_speech_detection(tmp_path):
    from pipeline import transcribe
    from pipeline.core import course_file

    (tmp_path / "course.toml").write_text(MINIMAL_COURSE + '\n[transcription]\nengine = "openai-whisper"\n',
                                          encoding="utf-8")
    (task,) = transcribe.tasks(course_file.load(tmp_path / "course.toml"))
    assert {"openai-whisper", "torch", "faster-whisper", "onnxruntime"} <= set(task.libraries)
    assert "ctranslate2" not in task.libraries  # faster-whisper's decoder does not run


def test_no_time_is_written_that_is_not_an_input_and_older_transcripts_still_load():
    from pipeline.core.transcript import EditInfo, Transcript, from_dict

    edited = Transcript("ep1", "en", "faster-whisper", "tiny.en", {}, "0" * 64, 1.0, (),
                        edited=EditInfo("edits/ep1.txt", "1" * 64, 2, 0))
    raw = edited.to_dict()
    assert "applied_at" not in raw["edited"]  # the editing file's content (sha256) says which edits were merged
    raw["edited"]["applied_at"] = "2026-11-30T10:00:00Z"  # what format 2 wrote
    assert from_dict(raw).edited == edited.edited


def test_remembered_digests_are_read_again_when_a_file_changes_or_the_cache_is_damaged(tmp_path):
    source, reads = tmp_path / "module.py", []
    source.write_text("A = 1\n")

    def read():
        reads.append(source.read_text())
        return {"module.py": source.read_text()}, [source]

    (tmp_path / "cache.json").write_text("{not json")
    assert action_code.Remembered(tmp_path / "cache.json").get("k", read) == {"module.py": "A = 1\n"}
    assert action_code.Remembered(tmp_path / "cache.json").get("k", read) == {"module.py": "A = 1\n"}
    assert len(reads) == 1  # the second run read nothing
    source.write_text("A = 22\n")
    assert action_code.Remembered(tmp_path / "cache.json").get("k", read) == {"module.py": "A = 22\n"}
