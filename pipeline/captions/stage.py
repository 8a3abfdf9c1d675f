"""The captions task of the transcribe stage, and `check` of the files it wrote.

The corrected transcript, moved onto the published episode, becomes broadcast-style
cues (`split_cues`, in split.py), the first cue of every speaker turn opening with a
visible "Name: " label (web players ignore the VTT's <v Name> tags, which are kept
too); `write_outputs` (writers.py) writes vtt, srt, txt and json atomically and lints
the cues it wrote with the rules in lint.py.
"""
from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from .. import proofread
from ..core import layout
from ..core import transcript as transcript_io
from ..core.course import Course, Episode
from ..core.dependency import Task
from ..core.errors import StageError
from ..core.model_choice import ModelChoice
from ..core.settings import CaptionSettings
from ..proofread import EditSources, WordTiming
from ..transcribe import choose as choose_model
from ..transcribe import offline_version
from ..speakers import speaker_names  # everyone the episode names: (roster id, name)
from .lint import Cue, Violation, lint_caption_file
from .split import split_cues
from .writers import OUTPUT_EXTENSIONS, CaptionReport, get_writer, write_outputs

__all__ = ["Cue", "Violation", "CaptionReport", "split_cues", "get_writer", "write_outputs",
           "build_transcript_outputs", "tasks", "check", "OUTPUT_EXTENSIONS"]

log = logging.getLogger("coursecast.captions")

# What times the words an editor wrote (forced alignment: openai-whisper on torch, whatever the engine), besides
# the code (keyed by itself) and the model's files (inputs).
LIBRARIES = ("openai-whisper", "torch", "tiktoken", "numba", "numpy")
TASK_WEIGHT = 0.05  # relative cost of a captions task (a transcription weighs its seconds of audio)


# -- the stage -------------------------------------------------------------------------
@dataclass(frozen=True)
class CaptionsJob:
    """What the `captions:<slug>` task reads."""

    machine: Path  # the machine transcript
    corrections: EditSources  # the editing file, replacements and roster
    timing: WordTiming  # how words the editors wrote are timed
    speakers: tuple[tuple[str, str], ...]  # (roster id, name) of the episode's speakers
    keep_together: tuple[str, ...]  # multi-word names a caption must not split
    settings: CaptionSettings
    outputs: tuple[tuple[str, Path], ...]  # (extension, file) of every format written
    timeline: Path  # published.json: the transcript's times (the cut's) -> the published episode's


def keep_together(course: Course, episode: Episode) -> tuple[str, ...]:
    """Multi-word names a caption must not split: the speakers' names and the course vocabulary's."""
    candidates = [*dict(speaker_names(course, episode)).values(), *course.transcription.vocabulary]
    return tuple(dict.fromkeys(n for n in candidates if len(n.split()) > 1))


def output_paths(course: Course, episode: Episode) -> dict[str, Path]:
    return {ext: layout.transcript(course, episode, ext) for ext in OUTPUT_EXTENSIONS}


def captions_job(course: Course, episode: Episode) -> CaptionsJob:
    return CaptionsJob(layout.machine_transcript(course, episode), proofread.edit_sources(course, episode),
                       proofread.word_timing(course, episode), speaker_names(course, episode),
                       keep_together(course, episode), course.captions, tuple(output_paths(course, episode).items()),
                       layout.published_timeline(course, episode))


def build_transcript_outputs(job: CaptionsJob) -> CaptionReport:
    """The captions task's action: machine transcript + editors' corrections + roster names -> json, vtt, srt, txt,
    every time on the published episode (strikes taken out)."""
    machine = transcript_io.load(job.machine)
    corrected = proofread.retimed(proofread.corrected_transcript(job.corrections, job.timing, machine), job.timeline)
    named = dataclasses.replace(corrected, speakers={**corrected.speakers, **dict(job.speakers)})
    report = write_outputs(named, dict(job.outputs), job.settings, job.keep_together)
    log.info("captions:%s: %d cues, fastest %.1f cps, %d warning(s) where the speech is too fast",
             machine.episode, report.cues, report.max_cps, len(report.violations) - len(report.errors))
    return report


def tasks(course: Course) -> list[Task]:
    """One captions task per episode, in the transcribe stage, after the engine's machine transcript."""
    return [_task(course, episode) for episode in course.episodes]


def _task(course: Course, episode: Episode) -> Task:
    job = captions_job(course, episode)
    model = _model(course)
    return Task(stage="transcribe", name=f"captions:{episode.slug}", action=build_transcript_outputs, job=job,
                inputs=(job.machine, *job.corrections.files, job.timing.audio, job.timeline,
                        *(model.files if model else ())),
                targets=tuple(path for _, path in job.outputs), libraries=LIBRARIES,
                tools=_offline_model(course), episode=episode.slug, weight=TASK_WEIGHT)


def _model(course: Course) -> ModelChoice | None:
    """The model that times the editors' words (its files are inputs); None when the setting names none."""
    try:
        return choose_model(course.transcription.model, course.root)
    except StageError:
        return None  # the transcribe stage's preflight names the problem before any build starts


def _offline_model(course: Course) -> tuple[str, ...]:
    """The pinned offline copy of a model given by name, used when it cannot be downloaded."""
    offline = offline_version(course.transcription.model)
    return (offline,) if offline else ()


def check(course: Course) -> list[str]:
    """Rule errors in every episode's existing .vtt and .srt.

    Warnings (cues too fast or too short only because the words are spoken fast) are left out:
    nothing in the captions can fix them.
    """
    problems = []
    for episode in course.episodes:
        problems += _episode_problems(course, episode)
    return problems


def _episode_problems(course: Course, episode: Episode) -> list[str]:
    problems = []
    for ext in ("vtt", "srt"):
        path = layout.transcript(course, episode, ext)
        if path.exists():
            found = lint_caption_file(path, course.captions, media_end=_media_end(course, episode))
            problems += [f"{path.relative_to(course.root)}: {v}" for v in found if v.severity == "error"]
    return problems


def _media_end(course: Course, episode: Episode) -> float | None:
    """The episode's duration from its final transcript, when it can be read."""
    try:
        return json.loads(layout.transcript(course, episode, "json").read_text(encoding="utf-8"))["duration"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
