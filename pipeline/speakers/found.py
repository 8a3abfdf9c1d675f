"""Speakers found by voice: the `diarize:<slug>` and `voice:<speaker-id>` tasks of the transcribe stage.

`diarize:<slug>` runs for an episode heard as one mix, with no turn hints and no
one-speaker-per-channel source, that names two or more speakers: who speaks when
in its ASR audio, written to work/<slug>/speakers.json as turns labelled
SPEAKER_1, SPEAKER_2, ... (in order of first speech) and one voice per label. Its
key is the audio's content and `DiarizeOptions` (how many voices, both models'
hashes, the device setting), besides the code it runs and its runtimes' versions, so it runs once per recording content: a renamed
speaker or a new voice sample never runs it again.

`voice:<speaker-id>` hears a speaker's voice sample (raw_interviews/voices/<id>.*)
once per sample content and keeps its voice in .coursecast/voices/<id>.json; the
cheap speakers task names the labels from these (see `naming.py`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..core import layout
from ..core.asr_audio import read_audio
from ..core.asr_audio import seconds as audio_seconds
from ..core.course import Course, Episode
from ..core.course_lines import line_of
from ..core.devices import onnx_gpu_problem
from ..core.dependency import Task
from ..core.errors import CoursecastError, MediaError, StageError
from ..core.fsutil import sha256_file, write_json
from ..transcribe import heard_parts
from .diarize import Diarization, DiarizeOptions, diarize
from .models import ENCODER, SEGMENTATION
from .naming import RosterEntry, rule_order

# The runtimes the turns and voices come from (the code is keyed by itself): OpenVINO or onnxruntime (on a GPU)
# segment, torch embeds the voices.
LIBRARIES = ("openvino", "onnxruntime", "torch", "numpy", "scipy")
THREADS = 1  # CPU threads per diarization: episodes run side by side (-j) instead
WEIGHT_PER_SECOND = 0.05  # relative cost per second of audio (a transcription weighs 1 per second)
UNKNOWN_SECONDS = 60.0  # weight of an episode whose audio is not cut yet


@dataclass(frozen=True)
class DiarizeJob:
    """What the `diarize:<slug>` task reads."""

    episode: str  # slug, for messages
    audio: Path  # the episode's 16 kHz mono ASR audio
    target: Path  # speakers.json: turns and a voice per label
    options: DiarizeOptions  # how many voices, model hashes


@dataclass(frozen=True)
class VoiceOptions:
    """What a voice sample's voice depends on besides the sample."""

    segmentation_sha256: str = SEGMENTATION.sha256  # finds the speech in the sample
    encoder_sha256: str = ENCODER.sha256  # turns it into a voice


@dataclass(frozen=True)
class VoiceJob:
    """What the `voice:<speaker-id>` task reads."""

    speaker: str  # roster id
    sample: Path  # raw_interviews/voices/<id>.<ext>: that person talking alone
    target: Path  # .coursecast/voices/<id>.json
    options: VoiceOptions = field(default_factory=VoiceOptions)


def find_speakers(job: DiarizeJob) -> Diarization:
    """The diarize task's action: who speaks when in the episode's audio -> speakers.json."""
    result = diarize(read_audio(job.audio), speakers=job.options.speakers, threads=THREADS, device=job.options.device)
    write_json(job.target, {"episode": job.episode, "audio_sha256": sha256_file(job.audio),
                            "speakers": job.options.speakers, **result.to_dict()})
    return result


def load_found(path: Path) -> Diarization:
    """speakers.json as written by `find_speakers`; StageError naming the file and the fix."""
    try:
        return Diarization.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise StageError(f"{path}: not a speaker segmentation ({e}); delete it and build again") from e


def learn_voice(job: VoiceJob) -> tuple[float, ...]:
    """The voice task's action: the voice in a speaker's sample -> .coursecast/voices/<id>.json."""
    from .voices import sample_voice

    try:
        voice = sample_voice(job.sample, threads=THREADS)
    except MediaError as e:
        raise StageError(f"{job.sample}: the voice sample of '{job.speaker}' cannot be read as audio ({e}); "
                         "convert it to WAV, FLAC or MP3, or remove it") from e
    write_json(job.target, {"speaker": job.speaker, "sample": job.sample.name,
                            "sample_sha256": sha256_file(job.sample), "voice": [round(v, 6) for v in voice]})
    return voice


def load_voice(path: Path) -> tuple[tuple[float, ...], str]:
    """(the voice, the sample's file name) as written by `learn_voice`."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return tuple(float(v) for v in raw["voice"]), str(raw["sample"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise StageError(f"{path}: not a voice ({e}); delete it and build again") from e


# -- which episodes, and the tasks --------------------------------------------------------
def roster(course: Course, episode: Episode) -> tuple[RosterEntry, ...]:
    """The episode's speakers (id, role) in its `speakers` order: whom its voices are named from."""
    return tuple(RosterEntry(s, course.speaker(s).role) for s in episode.speakers)


def voice_count(course: Course, episode: Episode) -> int:
    """How many voices the episode's one-channel audio holds: the [diarization] setting, else its speakers list."""
    return course.diarization.speakers or len(episode.speakers)


def by_voice(course: Course, episode: Episode) -> bool:
    """Whether the episode's speakers are found by voice: one mix heard, no turn hints, no channels, 2+ voices."""
    heard = heard_parts(course, episode)
    return (course.diarization.enabled and not episode.turns and [h.part for h in heard] == ["mix"]
            and voice_count(course, episode) >= 2)


def sole_speaker(course: Course, episode: Episode) -> str | None:
    """The one speaker of a one-channel episode that lists one voice (no turn hints, no channels): all words are theirs."""
    heard = heard_parts(course, episode)
    if (not course.diarization.enabled or episode.turns or [h.part for h in heard] != ["mix"]
            or voice_count(course, episode) != 1 or not episode.speakers):
        return None
    return rule_order(roster(course, episode))[0].id


def sampled(course: Course, episode: Episode) -> tuple[tuple[str, Path], ...]:
    """(speaker id, voice file) of the episode's speakers that have a voice sample, when found by voice."""
    if not by_voice(course, episode):
        return ()
    samples = layout.voice_samples(course)
    return tuple((s, layout.voice_print(course, s)) for s in episode.speakers if len(samples.get(s, ())) == 1)


def diarize_task(course: Course, episode: Episode) -> Task:
    audio = layout.asr_audio(course, episode)
    job = DiarizeJob(episode.slug, audio, layout.speaker_turns(course, episode),
                     DiarizeOptions(speakers=voice_count(course, episode), device=course.diarization.device))
    seconds = audio_seconds(audio) or sum(r.duration for s in episode.sources for r in s.keep) or UNKNOWN_SECONDS
    return Task(stage="transcribe", name=f"diarize:{episode.slug}", action=find_speakers, job=job, inputs=(audio,),
                targets=(job.target,), libraries=LIBRARIES, episode=episode.slug, weight=seconds * WEIGHT_PER_SECOND)


def voice_tasks(course: Course) -> list[Task]:
    """One task per voice sample that an episode found by voice uses."""
    used = dict.fromkeys(s for e in course.episodes for s, _ in sampled(course, e))
    samples = layout.voice_samples(course)
    result = []
    for speaker in used:
        job = VoiceJob(speaker, samples[speaker][0], layout.voice_print(course, speaker))
        result.append(Task(stage="transcribe", name=f"voice:{speaker}", action=learn_voice, job=job,
                           inputs=(job.sample,), targets=(job.target,), libraries=LIBRARIES, weight=1.0))
    return result


def sample_problems(course: Course) -> list[str]:
    """Voice samples that name nobody, or two samples for one speaker."""
    problems, ids = [], {s.id for s in course.speakers}
    folder = layout.voices_folder(course).relative_to(course.root)
    for stem, paths in layout.voice_samples(course).items():
        if stem not in ids:
            problems.append(f"{folder / paths[0].name}: '{stem}' is not a speaker id in [[speakers]]; "
                            f"name a voice sample after its speaker's id, e.g. {folder}/{course.speakers[0].id}.wav"
                            if course.speakers else f"{folder / paths[0].name}: the course has no [[speakers]]")
        elif len(paths) > 1:
            problems.append(f"{folder}: {', '.join(p.name for p in paths)} are all voice samples of '{stem}'; "
                            "keep one")
    return problems


def device_problems(course: Course) -> list[str]:
    """device = "cuda" where onnxruntime has no CUDA provider, when an episode is diarized on this machine."""
    if course.run.scheduler or not any(by_voice(course, e) for e in course.episodes):
        return []  # a remote scheduler's workers may have the GPU this machine lacks
    why = onnx_gpu_problem(course.diarization.device)
    return [f"{line_of(course.path, '[diarization].device')}: {why}"] if why else []


def model_problems(course: Course) -> list[str]:
    """The speaker models, when an episode needs them: missing or corrupt files, with the fix."""
    from .models import MODELS, model_path

    if not any(by_voice(course, e) for e in course.episodes):
        return []
    problems = []
    for model in MODELS:
        try:
            model_path(model)
        except CoursecastError as e:
            problems.append(f"speakers found by voice need {model.name}: {e}")
    return problems
