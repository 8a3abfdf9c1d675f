"""The transcribe stage: the episode's 16 kHz audio -> what Whisper heard -> the machine transcript.

Two steps, so that each re-runs only for what it depends on:
  `transcribe`  audio + model + decoding options -> work/<slug>/heard*.json (speakers unknown);
                run on asr.wav, and on each side (asr.left.wav, asr.right.wav) of an episode
                recorded one speaker per channel: overlapping speech stays readable that way;
  `attribute`   heard*.json + the sides' audio + roster and turn hints -> transcripts/<slug>.machine.json.
Changing a turn hint re-attributes speakers in milliseconds; only new audio, a new
model or new decoding options make Whisper listen again. Loudness, encoding, titles
and chapters are not inputs of either step.
"""
from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import logging
import tempfile
import wave
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from . import engines
from ..core import layout
from . import models as whisper_models
from ..core.course import Course, Episode, TurnHint
from ..core.dependency import Task
from .engines import SAMPLE_RATE, DecodeOptions
from ..core.errors import StageError
from ..core.fsutil import sha256_file
from ..core.media import run
from ..core.settings import TranscriptionSettings
from ..core.transcript import Segment, Transcript, Word, load

log = logging.getLogger("coursecast.transcribe")

STAGE_VERSION = 1  # bump when this stage writes something different from the same inputs
SILENT_RMS = 10 ** (-60 / 20)  # -60 dBFS: a side this quiet over a word has nothing to say (unsplit parts are 0)
BLEED_RATIO = 10 ** (15 / 20)  # 15 dB: a word this much louder on another side is that side's speech leaking in
CHANNEL_PAD_S = 0.05  # seconds added around a word when measuring channel energy


@dataclass(frozen=True)
class ChannelSpeaker:
    side: str  # "left" or "right"
    audio: Path  # 16 kHz mono WAV of that side, on the episode's timeline
    heard: Path  # what the engine heard on that side (transcribed on its own)
    speaker: str  # roster id of the person on that side


@dataclass(frozen=True)
class SpeakerHints:
    names: tuple[tuple[str, str], ...] = ()  # (roster id, display name) of the episode's speakers
    channels: tuple[ChannelSpeaker, ...] = ()  # both sides, when recorded one speaker per channel
    turns: tuple[TurnHint, ...] = ()  # the course file's turn hints, in time order


@dataclass(frozen=True)
class HeardResult:
    path: Path  # the transcript written
    engine: str  # engine that listened
    model: str  # model it loaded
    duration: float  # seconds of audio
    segments: int  # segments kept
    dropped: int  # segments or loops removed by the hallucination guards


@dataclass(frozen=True)
class AttributionResult:
    path: Path  # the machine transcript written
    by_channel: int  # words attributed from the stereo channels
    by_turns: int  # words attributed from turn hints
    unknown: int  # words left without a speaker


# -- step 1: listen ----------------------------------------------------------------------
def transcribe(audio: Path, dst: Path, *, episode: str, language: str, settings: TranscriptionSettings,
               root: Path, prompt: str = "") -> HeardResult:
    """Transcribe `audio` (16 kHz mono WAV) into `dst` (Transcript JSON, speakers unknown)."""
    samples = read_audio(audio)
    options = decode_options(settings, language, prompt)
    engine = engines.get(engines.resolve(settings.engine), whisper_models.choose(settings.model, root))
    log.info("%s: transcribing %.1f s with %s (%s)", episode, len(samples) / SAMPLE_RATE, engine.name, engine.model)
    segments, dropped = engines.listen(engine, samples, options)
    transcript = Transcript(
        episode=episode, language=options.language, engine=engine.name, model=engine.model,
        options=options.to_dict(), audio_sha256=sha256_file(audio),
        duration=round(len(samples) / SAMPLE_RATE, 3), segments=segments)
    transcript.save(dst)
    return HeardResult(Path(dst), engine.name, engine.model, transcript.duration, len(segments), dropped)


def decode_options(settings: TranscriptionSettings, language: str, prompt: str) -> DecodeOptions:
    return DecodeOptions(
        language=language.split("-")[0].lower() or "en", beam_size=settings.beam_size,
        temperatures=engines.FALLBACK_TEMPERATURES if settings.temperature_fallback else (0.0,),
        compression_ratio_threshold=settings.compression_ratio_threshold,
        log_prob_threshold=settings.log_prob_threshold, no_speech_threshold=settings.no_speech_threshold,
        condition_on_previous_text=settings.condition_on_previous_text,
        prompt=prompt, vad=engines.VadOptions() if settings.vad else None,
    )


def vocabulary_prompt(names: Sequence[str], vocabulary: Sequence[str]) -> str:
    """'Glossary: Anna Lindqvist, Malmö, digital twin.': the roster's spelling, shown to every window.

    The 'Glossary:' form was measured best with tiny.en: a bare list made Whisper
    insert the listed names into sentences that did not say them.
    """
    terms = list(dict.fromkeys(t.strip() for t in (*names, *vocabulary) if t.strip()))
    return "Glossary: " + ", ".join(terms) + "." if terms else ""


def read_audio(path: Path) -> np.ndarray:
    """float32 samples at 16 kHz mono; other formats are converted with ffmpeg first."""
    path = Path(path)
    if not path.is_file():
        raise StageError(f"{path}: audio to transcribe is missing; run 'coursecast episodes' first")
    samples = _read_pcm16(path)
    if samples is not None:
        return samples
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "asr.wav"
        run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(SAMPLE_RATE),
             "-c:a", "pcm_s16le", str(wav)], what=f"{path}: reading audio to transcribe")
        return _read_pcm16(wav)


def _read_pcm16(path: Path) -> np.ndarray | None:
    try:
        with wave.open(str(path)) as wav:
            if (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) != (1, 2, SAMPLE_RATE):
                return None
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError):
        return None
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0  # int16 full scale


# -- step 2: speakers ------------------------------------------------------------------------
def attribute(mix: Path | None, dst: Path, hints: SpeakerHints) -> AttributionResult:
    """Merge what was heard into the machine transcript `dst`, each segment with its speaker.

    With one speaker per channel, each side was transcribed on its own: its words are
    that side's speaker's, except bleed (the other side far louder over the word).
    Words of the mix (`mix`, when some source is not split) count only where both
    sides are silent; they take the latest turn hint at or before them, or stay unknown.
    """
    sides = [(c, read_audio(c.audio)) for c in hints.channels]
    counts = {"channel": 0, "turns": 0, "unknown": 0}
    segments: list[Segment] = []
    for channel, _ in sides:
        for segment in load(channel.heard).segments:
            words = [w for w in segment.words if not _bleed(w, channel, sides)]
            counts["channel"] += len(words)
            segments.extend(_keep(segment, words, [channel.speaker] * len(words)))
    base = load(mix) if mix else load(hints.channels[0].heard)
    if mix:
        segments.extend(_from_mix(base, sides, hints.turns, counts))
    segments.sort(key=lambda s: (s.start, s.end))
    result = replace(base, segments=tuple(segments), speakers=dict(hints.names),
                     audio_sha256=_audio_hash(mix, hints), duration=_duration(mix, hints))
    result.save(dst)
    return AttributionResult(Path(dst), counts["channel"], counts["turns"], counts["unknown"])


def _from_mix(mix: Transcript, sides: list, turns: Sequence[TurnHint], counts: dict) -> list[Segment]:
    ats, segments = [t.at for t in turns], []
    for segment in mix.segments:
        words = [w for w in segment.words if not _any_side_active(w.start, w.end, sides)]
        speakers = []
        for word in words:
            index = bisect.bisect_right(ats, (word.start + word.end) / 2) - 1  # middle: robust to early starts
            speakers.append(turns[index].speaker if index >= 0 else None)
            counts["turns" if speakers[-1] else "unknown"] += 1
        segments.extend(_keep(segment, words, speakers))
    return segments


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0


def _level(samples: np.ndarray, start: float, end: float) -> float:
    first = int(max(0.0, start - CHANNEL_PAD_S) * SAMPLE_RATE)
    return _rms(samples[first:int((end + CHANNEL_PAD_S) * SAMPLE_RATE)])


def _any_side_active(start: float, end: float, sides: list) -> bool:
    return any(_level(samples, start, end) >= SILENT_RMS for _, samples in sides)


def _bleed(word: Word, channel: ChannelSpeaker, sides: list) -> bool:
    """A word heard on this side that is another side's speech leaking in (far louder there)."""
    own = next(_level(a, word.start, word.end) for c, a in sides if c is channel)
    return any(_level(a, word.start, word.end) >= max(own, SILENT_RMS) * BLEED_RATIO
               for c, a in sides if c is not channel)


def _keep(segment: Segment, words: list[Word], speakers: list[str | None]) -> list[Segment]:
    """The segment cut down to `words`, split wherever the speaker changes."""
    if len(words) == len(segment.words) and len(set(speakers)) <= 1:
        return [replace(segment, speaker=speakers[0] if speakers else None)] if words else []
    parts = []
    for speaker, group in itertools.groupby(zip(words, speakers), key=lambda pair: pair[1]):
        kept = tuple(w for w, _ in group)
        parts.append(replace(segment, start=kept[0].start, end=kept[-1].end, words=kept,
                             text=" ".join(w.text for w in kept), speaker=speaker))
    return parts


def _audio_hash(mix: Path | None, hints: SpeakerHints) -> str:
    """The hash of what was heard: the mix's, or of every side's when only sides were heard."""
    if mix:
        return load(mix).audio_sha256
    joined = ",".join(f"{c.side}:{load(c.heard).audio_sha256}" for c in hints.channels)
    return hashlib.sha256(joined.encode()).hexdigest()


def _duration(mix: Path | None, hints: SpeakerHints) -> float:
    return max(load(p).duration for p in ([mix] if mix else [c.heard for c in hints.channels]))


# -- tasks and checks --------------------------------------------------------------------------
def speaker_hints(course: Course, episode: Episode) -> SpeakerHints:
    sides = dict(next((s.channels for s in episode.sources if s.channels), ()))
    channels = tuple(
        ChannelSpeaker(side, layout.asr_channel(course, episode, side),
                       layout.heard_transcript(course, episode, side), speaker)
        for side, speaker in sorted(sides.items())) if len(sides) == 2 else ()
    ids = list(dict.fromkeys((*episode.speakers, *sides.values(), *(t.speaker for t in episode.turns))))
    names = tuple((i, course.speaker(i).name) for i in ids if any(s.id == i for s in course.speakers))
    return SpeakerHints(names, channels, episode.turns)


def _model_key(course: Course) -> tuple[str, tuple[Path, ...], tuple[str, ...]]:
    """(engine, model files, tool versions) for the staleness key; errors wait for the action."""
    settings = course.transcription
    try:
        engine = engines.resolve(settings.engine)
        tools = (f"transcribe-stage {STAGE_VERSION}", engines.engine_version(engine))
    except StageError:
        engine, tools = settings.engine, (f"transcribe-stage {STAGE_VERSION}",)
    try:
        files = whisper_models.choose(settings.model, course.root).files
    except StageError:
        files = ()
    if settings.model == whisper_models.OFFLINE_MODEL:
        tools += (whisper_models.offline_version(),)
    return engine, files, tools


def _seconds(audio: Path, episode: Episode) -> float:
    """Expected audio length: from the WAV's size when it exists, else from the keep ranges."""
    if audio.is_file():
        return max(0.0, (audio.stat().st_size - 44) / (2 * SAMPLE_RATE))  # 16-bit mono after a 44-byte header
    return sum(r.duration for s in episode.sources for r in s.keep) or 60.0


def tasks(course: Course) -> list[Task]:
    """Per episode: one listening task per audio heard (the mix and/or each side), then speakers."""
    key = _model_key(course)
    return [task for episode in course.episodes for task in _episode_tasks(course, episode, key)]


def _episode_tasks(course: Course, episode: Episode, key: tuple) -> list[Task]:
    hints = speaker_hints(course, episode)
    needs_mix = not hints.channels or any(not s.channels for s in episode.sources)
    heard = [("mix", layout.asr_audio(course, episode))] if needs_mix else []
    heard += [(c.side, c.audio) for c in hints.channels]
    listens = [_listen_task(course, episode, part, audio, hints, key) for part, audio in heard]
    mix = layout.heard_transcript(course, episode) if needs_mix else None
    speakers = Task(
        stage="transcribe", name=f"speakers:{episode.slug}", episode=episode.slug, weight=1.0,
        action=functools.partial(attribute, mix, layout.machine_transcript(course, episode), hints),
        inputs=tuple(t.targets[0] for t in listens) + tuple(c.audio for c in hints.channels),
        targets=(layout.machine_transcript(course, episode),), tools=(f"transcribe-stage {STAGE_VERSION}",),
        params={"names": [list(n) for n in hints.names], "channels": [[c.side, c.speaker] for c in hints.channels],
                "turns": [[t.at, t.speaker] for t in hints.turns]})
    return [*listens, speakers]


def _listen_task(course: Course, episode: Episode, part: str, audio: Path, hints: SpeakerHints, key) -> Task:
    engine, model_files, tools = key
    settings, dst = course.transcription, layout.heard_transcript(course, episode, part)
    prompt = vocabulary_prompt([name for _, name in hints.names], settings.vocabulary)
    options = decode_options(settings, episode.language, prompt)
    return Task(
        stage="transcribe", name=f"transcribe:{episode.slug}" + ("" if part == "mix" else f":{part}"),
        episode=episode.slug, weight=_seconds(audio, episode),
        action=functools.partial(transcribe, audio, dst, episode=episode.slug, language=episode.language,
                                 settings=settings, root=course.root, prompt=prompt),
        inputs=(audio, *model_files), targets=(dst,), tools=tools,
        params={"engine": engine, "model": settings.model, "options": options.to_dict()})


MAX_PROMPT_CHARS = 600  # about 220 tokens: Whisper keeps at most 223 tokens of prompt per window


def check(course: Course) -> list[str]:
    """Problems `coursecast check` reports for the [transcription] table and speaker channels."""
    where = f"{course.path.name}, [transcription]"
    problems, settings = [], course.transcription
    try:
        engine = engines.resolve(settings.engine)
    except StageError as e:
        problems.append(f"{course.path.name}, {e}")
        engine = ""
    try:
        choice = whisper_models.choose(settings.model, course.root)
    except StageError as e:
        return problems + [f"{course.path.name}, {e}"]
    known = _model_names(engine) if choice.kind == "name" and engine else ()
    if known and settings.model not in known:
        problems.append(f"{where}.model: {settings.model!r} is not a Whisper model; use one of "
                        f"{', '.join(known)}, a checkpoint path or a CTranslate2 folder")
    if choice.kind == "checkpoint" and engine == "faster-whisper":
        problems.append(f"{where}.model: {settings.model!r} is a PyTorch checkpoint, which faster-whisper "
                        "cannot run; set engine = 'openai-whisper' or give a CTranslate2 folder")
    if settings.model.endswith(".en"):
        problems += [f"{course.path.name}, [[episodes]] '{e.slug}'.language: {e.language!r}, but model "
                     f"{settings.model!r} knows English only; use a multilingual model such as "
                     f"{settings.model[:-3]!r}" for e in course.episodes if not e.language.startswith("en")]
    return problems + _check_prompt(course, where) + _check_channels(course)


def _model_names(engine: str) -> tuple[str, ...]:
    if engine == "faster-whisper":
        from faster_whisper.utils import available_models
    else:
        from whisper import available_models
    return tuple(available_models())


def _check_prompt(course: Course, where: str) -> list[str]:
    longest = max((vocabulary_prompt([n for _, n in speaker_hints(course, e).names],
                                     course.transcription.vocabulary) for e in course.episodes), key=len, default="")
    if len(longest) > MAX_PROMPT_CHARS:
        return [f"{where}.vocabulary: the prompt (speaker names + vocabulary) is {len(longest)} characters; "
                f"Whisper reads only about {MAX_PROMPT_CHARS}, so shorten the vocabulary to the terms it gets wrong"]
    return []


def _check_channels(course: Course) -> list[str]:
    problems = []
    for episode in course.episodes:
        where = f"{course.path.name}, [[episodes]] '{episode.slug}'"
        maps = {s.channels for s in episode.sources if s.channels}
        if any(len(m) != 2 for m in maps):
            problems.append(f"{where}: 'channels' names one side only; name both, e.g. "
                            '{ left = "host", right = "guest" }, or remove it')
        if len(maps) > 1:
            problems.append(f"{where}: sources map channels to speakers differently; the episode's left "
                            "and right tracks must hold the same person throughout")
    return problems
