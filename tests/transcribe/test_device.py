"""[transcription] and [diarization] device (issue 25): the setting checked, "cuda" refused where no GPU is
seen, "auto" on the CPU here, and what ran recorded. Real engines and real course files; the GPU itself is
not exercised on a machine without one (these tests skip where a GPU is seen, since their point is its absence)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.core import course_file, devices
from pipeline.core.dependency import job_params
from pipeline.core.errors import StageError
from pipeline.core.settings import TranscriptionSettings
from pipeline.core.transcript import load
from pipeline.speakers import found, segmentation
from pipeline.transcribe import engines, models, stage

from transcribe_helpers import espeak, model_cache, wer  # noqa: F401  (fixture)

SENTENCE = "The city council met on Monday to discuss the new tram line."
NO_GPU = pytest.mark.skipif(devices.ctranslate2_sees_gpu() or devices.onnxruntime_sees_gpu(),
                            reason="a GPU is seen here: these tests are about a machine without one")


def _coursecast(course: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", "--course", str(course / "course.toml"), *args],
                          capture_output=True, text=True, timeout=300)


def _with(course: Path, tables: str) -> None:
    path = course / "course.toml"
    path.write_text(path.read_text(encoding="utf-8") + tables, encoding="utf-8")


def test_a_device_that_is_not_one_is_refused_with_its_place_and_the_choices(course_dir):
    _with(course_dir, '\n[transcription]\ndevice = "gpu"\n\n[diarization]\ndevice = "CUDA"\n')
    proc = _coursecast(course_dir, "check")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    for table, value in (("transcription", "gpu"), ("diarization", "CUDA")):
        assert re.search(rf"course\.toml:\d+: \[{table}\]\.device: '{value}': use one of 'auto', 'cpu', 'cuda'",
                         proc.stderr), proc.stderr


@NO_GPU
def test_cuda_on_a_machine_without_a_gpu_stops_the_build_before_any_work_naming_the_setting_and_fix(course_dir):
    _with(course_dir, '\n[transcription]\ndevice = "cuda"\n\n[diarization]\ndevice = "cuda"\n')
    proc = _coursecast(course_dir, "build")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "stop the build before it starts" in proc.stderr
    assert re.search(r"course\.toml:\d+: \[transcription\]\.device = 'cuda', but CTranslate2 sees no CUDA GPU on "
                     r".+; set device = 'auto' .* or 'cpu', or install an NVIDIA driver", proc.stderr), proc.stderr
    assert re.search(r"course\.toml:\d+: \[diarization\]\.device = 'cuda', but onnxruntime sees no CUDA GPU on "
                     r".+; set device = 'auto' .* or 'cpu', or install onnxruntime-gpu", proc.stderr), proc.stderr
    assert not (course_dir / "episodes").exists() or not any((course_dir / "episodes").iterdir())


@NO_GPU
def test_cuda_is_refused_where_the_task_runs_too_a_dask_worker_without_a_gpu(tmp_path, model_cache):  # noqa: F811
    """The coordinator cannot see a remote worker's card, so the action resolves the setting itself."""
    choice = models.choose("tiny.en", tmp_path)
    with pytest.raises(StageError, match=r"\[transcription\]\.device = 'cuda', but CTranslate2 sees no CUDA GPU"):
        engines.get("faster-whisper", choice, devices.CUDA)
    with pytest.raises(StageError, match=r"\[transcription\]\.device = 'cuda', but torch sees no CUDA GPU"):
        engines.get("openai-whisper", choice, devices.CUDA)
    with pytest.raises(StageError, match=r"\[diarization\]\.device = 'cuda', but onnxruntime sees no CUDA GPU"):
        segmentation.local_activity(np.zeros(16000, dtype=np.float32), device=devices.CUDA)


@NO_GPU
def test_auto_transcribes_on_the_cpu_here_and_the_transcript_records_cpu_int8(tmp_path, model_cache):  # noqa: F811
    wav = espeak(SENTENCE, tmp_path / "speech.wav")
    for engine, compute_type in (("faster-whisper", "int8"), ("openai-whisper", "float32")):
        dst = tmp_path / f"{engine}.json"
        stage.transcribe(wav, dst, episode="ep1", language="en", root=tmp_path,
                         settings=TranscriptionSettings(engine=engine, device="auto"))
        heard = load(dst)
        assert (heard.engine, heard.device, heard.compute_type) == (engine, "cpu", compute_type)
        assert wer(SENTENCE, heard.text) < 0.2


@NO_GPU
def test_auto_segments_on_the_cpu_here_and_says_so():
    activity = segmentation.local_activity(np.zeros(16000 * 2, dtype=np.float32), device=devices.AUTO)
    assert activity.device == "cpu" and activity.windows == 1


def test_the_batched_pipeline_the_gpu_uses_hears_the_words(tmp_path, model_cache):  # noqa: F811
    """The GPU's decoding path (BatchedInferencePipeline), run on the CPU: the code, not the card."""
    from pipeline.core.asr_audio import read_audio

    choice = models.choose("tiny.en", tmp_path)
    batched = engines.FasterWhisperEngine(choice, threads=1, workers=1,
                                          placement=devices.Placement("cpu", "int8", batched=True))
    audio = read_audio(espeak(SENTENCE, tmp_path / "speech.wav"))
    heard = engines.listen(batched, audio, engines.DecodeOptions())
    assert wer(SENTENCE, " ".join(s.text for s in heard.segments)) < 0.2
    assert all(w.start < w.end for s in heard.segments for w in s.words) and heard.segments[0].words
    alone = engines.listen(batched, audio, engines.DecodeOptions(vad=None))  # no VAD: the sequential decode
    assert wer(SENTENCE, " ".join(s.text for s in alone.segments)) < 0.2


def test_the_device_setting_is_in_the_listening_and_diarize_keys(course_dir):
    """A changed setting rebuilds: the listening job and the diarize options carry it (resolved only later)."""
    _with(course_dir, '\n[transcription]\ndevice = "cpu"\n\n[diarization]\ndevice = "cuda"\n')
    course = course_file.load(course_dir / "course.toml")
    listening = next(t for t in stage.tasks(course) if t.name == "transcribe:ep1")
    assert job_params(listening.job)["device"] == "cpu"
    assert found.by_voice(course, course.episodes[0])
    assert job_params(found.diarize_task(course, course.episodes[0]).job)["options"]["device"] == "cuda"
