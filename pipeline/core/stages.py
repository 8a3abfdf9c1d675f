"""The stages, in build order, and the subpackages that declare their tasks.

Each stage subpackage's public interface (its `__init__.py`) has
`tasks(course) -> list[Task]` and may have `preflight(course) -> list[str]`
(what stops a build before it starts), `check(course) -> list[str]` (that,
and problems in what was built) and `notes(course) -> list[str]` (what `check`
shows a producer without failing, e.g. speech without words). They are
looked up by name, so core imports no stage, and the heavy libraries stay behind
the functions that need them: a no-op build never imports torch.
"""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass

from .course import Course
from .dependency import Task


@dataclass(frozen=True)
class Stage:
    name: str  # the CLI command and Task.stage
    modules: tuple[str, ...]  # pipeline subpackages declaring its tasks
    help: str  # one line for --help and the README


STAGES: tuple[Stage, ...] = (
    Stage("episodes", ("episodes",), "Cut, loudness-normalise, encode and tag episodes (raw_interviews/ -> episodes/)."),
    Stage("transcribe", ("transcribe", "speakers", "proofread", "captions"), "Transcribe episodes and write JSON, WebVTT, SRT and text (-> transcripts/)."),
    Stage("translate", ("translate",), "Translate captions and transcripts into the course's other languages (-> transcripts/<slug>.<lang>.*)."),
    Stage("video", ("video",), "Add closed (and optional open) captions to video episodes."),
    Stage("print", ("printing",), "Render the reading and proofreading PDFs, module and course booklets."),
    Stage("feeds", ("feeds",), "Write one podcast feed per module and one for the course (-> feeds/)."),
    Stage("site", ("site",), "Build the course website: pages with player, captions and live transcript (-> site/)."),
)


def available() -> tuple[Stage, ...]:
    """Stages whose modules are present in this installation."""
    return tuple(s for s in STAGES if all(importlib.util.find_spec(f"pipeline.{m}") for m in s.modules))


def _module(name: str):
    return importlib.import_module(f"pipeline.{name}")


def all_tasks(course: Course) -> list[Task]:
    tasks: list[Task] = []
    for stage in available():
        for name in stage.modules:
            tasks.extend(_module(name).tasks(course))
    return tasks


def preflight(course: Course) -> list[str]:
    """What would stop a build that the course file alone cannot tell: tools, fonts, models, artwork.

    Runs before any task, so a build refuses at once with every such problem listed.
    """
    problems: list[str] = []
    for stage in available():
        for name in stage.modules:
            check = getattr(_module(name), "preflight", None)
            if check:
                problems.extend(check(course))
    return list(dict.fromkeys(problems))


def checks(course: Course) -> list[str]:
    problems: list[str] = []
    for stage in available():
        for name in stage.modules:
            check = getattr(_module(name), "check", None)
            if check:
                problems.extend(check(course))
    return problems


def notes(course: Course) -> list[str]:
    """What `check` lists without failing: things in the built outputs someone should look at."""
    found: list[str] = []
    for stage in available():
        for name in stage.modules:
            note = getattr(_module(name), "notes", None)
            if note:
                found.extend(note(course))
    return found
