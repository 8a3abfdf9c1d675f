"""The transcriber says how far it is inside its task: the share of the audio decoded, rising to all of it."""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from pipeline.core import forecast
from pipeline.core.dependency import Task
from pipeline.core.progress import Progress, running
from pipeline.core.settings import TranscriptionSettings
from pipeline.transcribe import stage

from transcribe_helpers import asr_wav, speech


@dataclass(frozen=True)
class NoJob:
    name: str  # nothing: the test calls the stage itself


def nothing(job: NoJob) -> None:
    """The task's action is not run here: the test decodes in the task's place."""


class Recorder(Progress):
    def __init__(self):
        super().__init__(io.StringIO(), live=False, rates=forecast.Rates(None))
        self.steps: list[tuple[float, float]] = []

    def step(self, task, done, total):
        self.steps.append((round(done, 2), round(total, 2)))
        super().step(task, done, total)


def test_faster_whisper_reports_the_seconds_decoded_as_it_goes(tmp_path):
    wav = asr_wav(speech("whisper_jfk.flac"), tmp_path / "jfk.wav")
    task = Task("transcribe", "transcribe:jfk", nothing, NoJob("jfk"), weight=11.0)
    progress = Recorder()
    progress.begin([task])
    running(task, progress)
    try:
        stage.transcribe(wav, tmp_path / "heard.json", episode="jfk", language="en", root=tmp_path,
                         settings=TranscriptionSettings(engine="faster-whisper"))
    finally:
        running(None, None)
    done = [d for d, _ in progress.steps]
    assert len(done) >= 2 and done == sorted(done), progress.steps  # several reports, never backwards
    assert {t for _, t in progress.steps} == {11.0} and done[-1] == 11.0  # of the whole audio, to the end
    assert progress.shares["transcribe:jfk"] == 1.0
