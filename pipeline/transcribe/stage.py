"""The transcribe stage's listening tasks: the episode's 16 kHz audio -> what Whisper heard.

`transcribe:<slug>` hears asr.wav; an episode recorded one speaker per channel
also gets `transcribe:<slug>:left` and `:right`, each side heard on its own, so
overlapping speech stays readable. The result (work/<slug>/heard*.json) has word
times and no speakers yet: the speakers task (pipeline.speakers) names them, so
a new turn hint never re-transcribes. Only new audio, a new model, new
decoding options or a new `device` setting make Whisper listen again; loudness, encoding, titles and
chapters are not inputs.

Whisper is decoded without a prompt (a glossary before every window makes it jump
over whole turns of a conversation), and every stretch of speech left without
words is decoded again on its own (`coverage`); the transcript records it. The
roster's names and the vocabulary are respelled after decoding (`glossary`) by the
cheap speakers task, so renaming a speaker never makes Whisper listen again.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from ..core import devices, layout
from ..core.asr_audio import SAMPLE_RATE, read_audio
from ..core.asr_audio import seconds as audio_seconds
from ..core.course import Course, Episode
from ..core.course_lines import line_of, place
from ..core.course_list import kept_seconds
from ..core.course_media import ProbeCache
from ..core.dependency import Task
from ..core.errors import StageError
from ..core.fsutil import sha256_file
from ..core.languages import whisper_code
from ..core.model_choice import ModelChoice
from ..core.settings import TranscriptionSettings
from ..core.transcript import Coverage, Transcript, load
from . import engines, glossary, speech_check
from . import models as whisper_models
from .engines import DecodeOptions

log = logging.getLogger("coursecast.transcribe")

# What shapes what each engine hears (the code is keyed by itself). The speech detection of both engines
# and the coverage pass is faster-whisper's Silero model, run by onnxruntime, so openai-whisper lists them too.
ENGINE_LIBRARIES = {
    "faster-whisper": ("faster-whisper", "ctranslate2", "tokenizers", "onnxruntime", "numpy"),
    "openai-whisper": ("openai-whisper", "torch", "tiktoken", "numba", "faster-whisper", "onnxruntime", "numpy"),
}
UNKNOWN_SECONDS = 60.0  # weight of an episode whose audio is not cut yet and has no keep ranges


@dataclass(frozen=True)
class HeardResult:
    path: Path  # the transcript written
    engine: str  # engine that listened
    model: str  # model it loaded
    duration: float  # seconds of audio
    segments: int  # segments kept
    dropped: int  # segments or loops removed by the hallucination guards
    language: str  # the language decoded in (detected when the episode's is "auto")
    coverage: Coverage  # share of the speech with words, stretches found again, stretches still without words


@dataclass(frozen=True)
class ListenJob:
    """What a listening task reads."""

    episode: str  # slug, recorded in the transcript
    audio: Path  # 16 kHz mono WAV
    target: Path  # what was heard (Transcript JSON, speakers unknown)
    engine: str  # "faster-whisper" or "openai-whisper" (the setting resolved)
    model: ModelChoice  # the [transcription] model setting, classified
    options: DecodeOptions  # everything that shapes what the engine writes
    device: str = "cpu"  # the [transcription] device setting: resolved by the action, on the machine it runs on


@dataclass(frozen=True)
class Heard:
    part: str  # "mix", "left" or "right"
    audio: Path  # the 16 kHz audio heard
    heard: Path  # what was heard in it


def listen(job: ListenJob) -> HeardResult:
    """The listening task's action: Whisper hears `job.audio` and writes `job.target`."""
    samples = read_audio(job.audio)
    engine = engines.get(job.engine, job.model, job.device)
    log.info("%s: transcribing %.1f s with %s (%s) on %s (%s)", job.episode, len(samples) / SAMPLE_RATE, engine.name,
             engine.model, engine.placement.device, engine.placement.compute_type)
    heard = engines.listen(engine, samples, job.options)
    segments = heard.segments
    transcript = Transcript(
        episode=job.episode, language=heard.language, engine=engine.name, model=engine.model,
        options=replace(job.options, vad=heard.vad).to_dict(), audio_sha256=sha256_file(job.audio),
        duration=round(len(samples) / SAMPLE_RATE, 3), segments=segments, coverage=heard.coverage,
        language_probability=heard.language_probability, device=engine.placement.device,
        compute_type=engine.placement.compute_type)
    transcript.save(job.target)
    return HeardResult(Path(job.target), engine.name, engine.model, transcript.duration, len(segments),
                       heard.removed, heard.language, heard.coverage)


def transcribe(audio: Path, dst: Path, *, episode: str, language: str, settings: TranscriptionSettings,
               root: Path, prompt: str = "", terms: Sequence[str] = ()) -> HeardResult:
    """Transcribe `audio` into `dst` with the course file's [transcription] settings (tests, benchmarks).

    `prompt` puts text before every window, which the stage never does (tests use it to force a skip);
    near misses of `terms` are then respelled, as the speakers task does in a build.
    """
    job = ListenJob(episode, Path(audio), Path(dst), engines.resolve(settings.engine),
                    whisper_models.choose(settings.model, root), decode_options(settings, language, prompt),
                    settings.device)
    result = listen(job)
    if terms:
        glossary.respell(load(dst), tuple(terms)).save(dst)
    return result


def decode_options(settings: TranscriptionSettings, language: str, prompt: str = "") -> DecodeOptions:
    return DecodeOptions(
        language=whisper_code(language) or language.split("-")[0].lower() or "en", beam_size=settings.beam_size,
        temperatures=engines.FALLBACK_TEMPERATURES if settings.temperature_fallback else (0.0,),
        compression_ratio_threshold=settings.compression_ratio_threshold,
        log_prob_threshold=settings.log_prob_threshold, no_speech_threshold=settings.no_speech_threshold,
        condition_on_previous_text=settings.condition_on_previous_text,
        prompt=prompt, vad=engines.VadOptions() if settings.vad else None,
    )


def glossary_terms(names: Sequence[str], vocabulary: Sequence[str]) -> tuple[str, ...]:
    """The roster's names (without a title such as "Dr.") and the vocabulary, each once: what is respelled
    after decoding."""
    return tuple(dict.fromkeys(t.strip() for t in (*map(glossary.without_title, names), *vocabulary) if t.strip()))


def vocabulary_prompt(names: Sequence[str], vocabulary: Sequence[str]) -> str:
    """'Glossary: Anna Lindqvist, Malmö, digital twin.': the prompt the stage gave every window until
    issue 14 measured what it costs; kept for the benchmark's side-by-side and the forced-skip test."""
    terms = glossary_terms(names, vocabulary)
    return "Glossary: " + ", ".join(terms) + "." if terms else ""


def episode_terms(course: Course, episode: Episode) -> tuple[str, ...]:
    return glossary_terms([s.name for s in course.episode_speakers(episode)], course.transcription.vocabulary)


def heard_parts(course: Course, episode: Episode) -> tuple[Heard, ...]:
    """What the engine hears in an episode: the mix, and each side of a one-speaker-per-channel recording."""
    sides = sorted(dict(next((s.channels for s in episode.sources if s.channels), ())))
    split = len(sides) == 2
    parts = [] if split and all(s.channels for s in episode.sources) else ["mix"]
    parts += sides if split else []
    return tuple(Heard(part, layout.asr_audio(course, episode) if part == "mix" else layout.asr_channel(course, episode, part),
                       layout.heard_transcript(course, episode, part)) for part in parts)


def _tools(model: str) -> tuple[str, ...]:
    offline = whisper_models.offline_version(model)
    return (offline,) if offline else ()  # the pinned offline copy, used when the model cannot be downloaded


def _weight(audio: Path, course: Course, episode: Episode, cache: ProbeCache) -> float:
    """Expected seconds of audio: the WAV's length when it exists, else what the episode keeps of its
    recordings (keep ranges, or the recordings' probed lengths), else a guess."""
    return audio_seconds(audio) or kept_seconds(course, episode, cache) or UNKNOWN_SECONDS


def tasks(course: Course) -> list[Task]:
    """Per episode: one listening task per audio heard (the mix and/or each side)."""
    settings = course.transcription
    try:
        engine = engines.resolve(settings.engine)
        models = {e.slug: whisper_models.choose(course.model_of(e), course.root) for e in course.episodes}
    except StageError:
        return []  # the preflight names the problem before any build starts
    result, cache = [], ProbeCache(course.folder(layout.STATE) / "probe.json")  # filled when the course loaded
    for episode in course.episodes:
        options, model = decode_options(settings, episode.language), models[episode.slug]
        tools = _tools(model.setting)
        for part in heard_parts(course, episode):
            job = ListenJob(episode.slug, part.audio, part.heard, engine, model, options, settings.device)
            result.append(Task(
                stage="transcribe", name=f"transcribe:{episode.slug}" + ("" if part.part == "mix" else f":{part.part}"),
                action=listen, job=job, inputs=(part.audio, *model.files), targets=(part.heard,), tools=tools,
                libraries=ENGINE_LIBRARIES[engine],
                episode=episode.slug, weight=_weight(part.audio, course, episode, cache)))
    return result


def preflight(course: Course) -> list[str]:
    """What stops transcription before a build starts: the engine, the model, the prompt, a GPU demanded
    on a machine without one (when the tasks run on this machine: a remote scheduler's workers may have one)."""
    problems, settings = [], course.transcription
    try:
        engine = engines.resolve(settings.engine)
    except StageError as e:
        problems.append(f"{line_of(course.path, '[transcription].engine')}: {e}")
        engine = ""
    if engine and not course.run.scheduler and (why := devices.whisper_gpu_problem(settings.device, engine)):
        problems.append(f"{line_of(course.path, '[transcription].device')}: {why}")
    for setting in dict.fromkeys([course.model_of(e) for e in course.episodes] or [settings.model]):
        try:
            choice = whisper_models.choose(setting, course.root)
        except StageError as e:
            problems.append(f"{line_of(course.path, '[transcription].model')}: {e}")
            continue
        if choice.kind == "checkpoint" and engine == "faster-whisper":
            problems.append(f"{place(course.path, '[transcription].model')}: {choice.setting!r} is a PyTorch "
                            "checkpoint, which faster-whisper cannot run; set engine = 'openai-whisper' or give a "
                            "CTranslate2 folder")
    return problems


def _gaps(course: Course) -> list[speech_check.SpeechGaps]:
    return [g for e in course.episodes
            for g in speech_check.episode_gaps(course, e, tuple((h.part, h.heard) for h in heard_parts(course, e)))]


def check(course: Course) -> list[str]:
    """The preflight's problems, and episodes whose words cover too little of their speech."""
    return preflight(course) + speech_check.problems(_gaps(course), course)


def notes(course: Course) -> list[str]:
    """Every stretch of speech that still has no words, with its times (`coursecast check` lists them)."""
    return speech_check.notes(_gaps(course))
