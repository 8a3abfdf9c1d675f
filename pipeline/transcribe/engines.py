"""Two Whisper engines behind one interface: openai-whisper (the reference, openai_engine.py) and faster-whisper.

Both hear the same 16 kHz mono samples with the same `DecodeOptions` and give back
`pipeline.transcript.Segment`s with real word times (Whisper's cross-attention
alignment), in seconds on the episode's timeline, speakers still unknown; `listen`
passes them through the hallucination guards and tightens word edges.
Loaded models are cached per process (thread-safe). `set_parallelism(jobs)` tells
the engines how many tasks the runner runs at once: faster-whisper then keeps
cores single-threaded CTranslate2 workers, and each task cuts its audio into
pieces at pauses (`pieces`) that max(1, cores // jobs) of them transcribe at once;
openai-whisper gets that many torch threads.

`[transcription] device` is resolved in `get`, where the task runs (core/devices.py):
on a CUDA GPU faster-whisper runs float16 and decodes VAD chunks in batches
(BatchedInferencePipeline, GPU_BATCH at once) instead of cutting pieces for CPU
workers, and openai-whisper runs fp16. Each engine says where it ran (`placement`),
and the transcript records it. The CPU path is the one before the setting existed.
"""
from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from importlib.metadata import PackageNotFoundError, version
from typing import Callable, Protocol

import numpy as np

from ..core import devices
from ..core.asr_audio import SAMPLE_RATE
from ..core.devices import Placement
from ..core.errors import StageError
from ..core.languages import AUTO
from ..core.progress import task_progress
from ..core.transcript import Coverage, Segment
from . import coverage
from .guards import FRAME_S, guard, split_at_pauses, tighten
from .decoding import (  # noqa: F401  (DecodeOptions, VadOptions, FALLBACK_TEMPERATURES re-exported)
    FALLBACK_TEMPERATURES,
    DecodeOptions,
    VadOptions,
    make_segment,
    make_word,
    WINDOW_S,
    silero_parameters,
)
from .models import ModelChoice, faster_whisper_folder
from .openai_engine import OpenAIWhisperEngine

log = logging.getLogger("coursecast.engines")

# OpenMP threads that busy-wait (the default) crawl when the runner's other tasks share
# the cores: openai-whisper's JFK clip took 31 s instead of 8 s on a loaded 2-core machine.
# Set before torch is first imported; a value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


ENGINES = ("faster-whisper", "openai-whisper")  # fastest first: "auto" takes the first installed
COMPUTE_TYPE = devices.FASTER_WHISPER_CPU.compute_type  # faster-whisper on CPU: int8
GPU_BATCH = 16  # VAD chunks (up to 30 s each) decoded at once on a GPU: faster-whisper's README example, not measured
PIECE_S = 60.0  # seconds: a task's audio is cut into pieces this long for the single-threaded workers
CUT_SEARCH_S = 15.0  # seconds either side of a piece boundary searched for a pause to cut in
CUT_WINDOW_S = 0.5  # seconds: the cut goes in the middle of the quietest stretch this long
ONE_WINDOW_S = WINDOW_S  # seconds: audio this short, with speech in it, is decoded as recorded (see `listen`)


class Engine(Protocol):
    name: str  # "faster-whisper" | "openai-whisper"
    model: str  # description of the model actually loaded
    placement: Placement  # where it runs and with what arithmetic

    def transcribe(self, audio: np.ndarray, options: DecodeOptions,
                   on_progress: Callable[[float], None] | None = None) -> tuple[Segment, ...]:
        """Segments of `audio` (float32 at SAMPLE_RATE) with word times; speakers None. `on_progress` is
        told the seconds of `audio` decoded so far, as decoding goes (the build's progress line)."""

    def detect_language(self, speech: np.ndarray) -> tuple[str, float]:
        """(Whisper's code, probability) of the language spoken in `speech` (up to 30 s)."""


# -- choosing and caching --------------------------------------------------------------
def installed(name: str) -> bool:
    try:
        version(name)
        return True
    except PackageNotFoundError:
        return False


def resolve(setting: str) -> str:
    """'auto' -> the fastest installed engine; a named engine must be installed."""
    if setting == "auto":
        found = next((name for name in ENGINES if installed(name)), None)
        if found is None:
            raise StageError("no Whisper engine is installed; run 'make setup' (installs faster-whisper)")
        return found
    if setting not in ENGINES:
        raise StageError(f"[transcription].engine = {setting!r} is not an engine; use 'auto', "
                         f"{ENGINES[0]!r} or {ENGINES[1]!r}")
    if not installed(setting):
        raise StageError(f"[transcription].engine = {setting!r} is not installed; pip install {setting} "
                         "or set engine = 'auto'")
    return setting


def cpu_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


_PARALLEL = {"jobs": 1}  # concurrent transcriptions the runner may start (set_parallelism)
_CACHE: dict = {}
_CACHE_LOCK = threading.Lock()


def set_parallelism(jobs: int) -> None:
    """Split the cores between `jobs` concurrent tasks: each gets max(1, cores // jobs) threads."""
    _PARALLEL["jobs"] = max(1, int(jobs))


def threads_per_task() -> int:
    return max(1, cpu_cores() // _PARALLEL["jobs"])


def get(name: str, choice: ModelChoice, device: str = devices.CPU) -> Engine:
    """The loaded engine for (engine, model) on the `device` setting resolved on this machine, shared by every
    thread of this process. A change of parallelism reloads it with the new thread split (and frees the old one).
    """
    placement = devices.whisper_placement(device, name)  # here, where the task runs: a worker may have a GPU
    split = (_PARALLEL["jobs"], threads_per_task())
    with _CACHE_LOCK:
        cached = _CACHE.get((name, choice, device))
        if cached is None or cached[0] != split:
            _CACHE[(name, choice, device)] = (split, _load(name, choice, split, placement, device))
        return _CACHE[(name, choice, device)][1]


def _load(name: str, choice: ModelChoice, split: tuple[int, int], placement: Placement, device: str) -> Engine:
    """The engine on `placement`; a GPU that is seen but cannot load the model is an error with device = "cuda",
    and the CPU (with a warning) with device = "auto"."""
    cls = FasterWhisperEngine if name == "faster-whisper" else OpenAIWhisperEngine
    try:
        return cls(choice, threads=split[1], workers=split[0], placement=placement)
    except RuntimeError as e:  # CTranslate2 and torch raise it for a driver or CUDA library they cannot use
        if placement.device == devices.CPU:
            raise
        if device == devices.CUDA:
            raise StageError(f"[transcription].device = 'cuda': {name} sees a GPU but cannot use it ({e}); "
                             "check the NVIDIA driver and CUDA libraries, or set device = 'auto' or 'cpu'") from e
        log.warning("%s sees a GPU but cannot use it (%s); transcribing on the CPU", name, e)
        cpu = devices.FASTER_WHISPER_CPU if name == "faster-whisper" else devices.OPENAI_WHISPER_CPU
        return cls(choice, threads=split[1], workers=split[0], placement=cpu)


@dataclass(frozen=True)
class Listened:
    segments: tuple[Segment, ...]  # what was heard, guarded, word edges tightened, speech without words re-decoded
    removed: int  # segments or loops the hallucination guards removed
    coverage: Coverage  # the share of speech with words; what was found again, what still has none
    language: str  # the code decoded in: detected once when the options say "auto"
    language_probability: float | None  # of the detected language; None when it was given
    vad: VadOptions | None  # the VAD the recording was decoded with: None when decoded as recorded (one window)


def listen(engine: Engine, audio: np.ndarray, options: DecodeOptions) -> Listened:
    """What `engine` heard in `audio`: through the hallucination guards, word edges tightened, and every
    stretch of speech left without words decoded again on its own (`coverage.fill`).

    With language "auto", the language is detected once, on the first 30 s of speech, and every
    piece is decoded in it.

    A recording no longer than one window (ONE_WINDOW_S) that has speech in it is decoded as recorded,
    without the VAD: Whisper pads a short input to 30 s anyway, so trimming its edges only moves the speech
    inside the window, and on short telephone clips that lost words (issue 20: 112 -> 98 word errors over
    76 short real clips, 10 better, 3 worse). Without speech the VAD still runs, and decodes nothing.
    """
    speech = coverage.speech_spans(audio)
    language, probability = options.language, None
    if options.language == AUTO:
        language, probability = engine.detect_language(coverage.speech_sample(audio, speech))
        log.info("detected language %s (probability %.2f)", language, probability)
        options = replace(options, language=language)
    if options.vad is not None and speech and len(audio) <= ONE_WINDOW_S * SAMPLE_RATE:
        options = replace(options, vad=None)  # one window: VAD would only move the speech within it
    report, total = task_progress(), len(audio) / SAMPLE_RATE
    heard = engine.transcribe(audio, options, on_progress=lambda done: report(done, total))
    kept, removed = guard(heard, options.no_speech_threshold, options.log_prob_threshold)
    alone = replace(options, prompt="", condition_on_previous_text=False, vad=None,
                    hallucination_silence_threshold=None, temperatures=FALLBACK_TEMPERATURES)

    def decode(piece: np.ndarray) -> tuple[Segment, ...]:
        found, _ = guard(engine.transcribe(piece, alone), options.no_speech_threshold, options.log_prob_threshold)
        return _tidy(found, piece)

    filled = coverage.fill(audio, _tidy(kept, audio), decode, speech)  # split first: a skip lies between parts
    if filled.coverage.redecoded or filled.coverage.without_words:
        log.info("speech without words: %s decoded again and found words; %s still without words",
                 ", ".join(map(str, filled.coverage.redecoded)) or "none",
                 ", ".join(map(str, filled.coverage.without_words)) or "none")
    return Listened(filled.segments, removed, filled.coverage, language, probability, options.vad)


def _tidy(segments: tuple[Segment, ...], audio: np.ndarray) -> tuple[Segment, ...]:
    """Word edges tightened to the speech, segments split at long pauses."""
    return tuple(part for s in segments for part in split_at_pauses(tighten(s, audio)))


# -- shared helpers --------------------------------------------------------------------
def pieces(audio: np.ndarray) -> list[tuple[int, int]]:
    """Sample ranges of about PIECE_S each, cut in the quietest CUT_WINDOW_S near each boundary.

    Depends on the audio alone (not on cores or -j), so a transcript is the same on every machine.
    """
    count = max(1, round(len(audio) / (PIECE_S * SAMPLE_RATE)))
    cuts = [_quietest(audio, len(audio) * k // count) for k in range(1, count)]
    bounds = [0, *cuts, len(audio)]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


def _quietest(audio: np.ndarray, around: int) -> int:
    """The middle of the quietest CUT_WINDOW_S within CUT_SEARCH_S of sample `around`."""
    frame, window = int(FRAME_S * SAMPLE_RATE), max(1, int(CUT_WINDOW_S / FRAME_S))
    first = max(0, around - int(CUT_SEARCH_S * SAMPLE_RATE))
    chunk = audio[first:around + int(CUT_SEARCH_S * SAMPLE_RATE)]
    count = len(chunk) // frame
    if count <= window:
        return around
    energy = np.mean(np.square(chunk[:count * frame].reshape(count, frame), dtype=np.float64), axis=1)
    sums = np.convolve(energy, np.ones(window), mode="valid")  # energy of each window-long stretch
    return first + (int(np.argmin(sums)) + window // 2) * frame


def _shifted(segment: Segment, offset: float) -> Segment:
    if not offset:
        return segment
    words = tuple(replace(w, start=round(w.start + offset, 3), end=round(w.end + offset, 3)) for w in segment.words)
    return replace(segment, start=round(segment.start + offset, 3), end=round(segment.end + offset, 3), words=words)


# -- faster-whisper --------------------------------------------------------------------
class FasterWhisperEngine:
    """On the CPU, CTranslate2 workers of one thread each; a task's pieces (see `pieces`) share them.
    On a GPU, one model decoding VAD chunks in batches (`placement.batched`)."""

    name = "faster-whisper"

    def __init__(self, choice: ModelChoice, *, threads: int, workers: int,
                 placement: Placement = devices.FASTER_WHISPER_CPU):
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        folder, self.model = faster_whisper_folder(choice)
        self.placement = placement
        self._threads = threads  # pieces of one task transcribed at once (CPU)
        if placement.device == devices.CPU:
            log.info("loading %s with faster-whisper (%s, %d single-threaded worker(s))",
                     self.model, placement.compute_type, threads * workers)
            self._model = WhisperModel(folder, device="cpu", compute_type=placement.compute_type,
                                       cpu_threads=1, num_workers=threads * workers)
        else:
            log.info("loading %s with faster-whisper on %s (%s)", self.model, placement.device, placement.compute_type)
            self._model = WhisperModel(folder, device=placement.device, compute_type=placement.compute_type)
        self._batched = BatchedInferencePipeline(self._model) if placement.batched else None

    def transcribe(self, audio: np.ndarray, options: DecodeOptions,
                   on_progress: Callable[[float], None] | None = None) -> tuple[Segment, ...]:
        if self._batched is not None:
            return self._whole(audio, options, on_progress)
        spans, reached = pieces(audio), {}
        lock = threading.Lock()

        def decoded(span: tuple[int, int], seconds: float) -> None:  # pieces decode at once: report their sum
            with lock:
                reached[span] = seconds
                total = sum(reached.values())
            if on_progress:
                on_progress(total)

        with ThreadPoolExecutor(max_workers=min(self._threads, len(spans))) as pool:
            parts = list(pool.map(lambda span: self._piece(audio, span, options, decoded), spans))
        return tuple(segment for part in parts for segment in part)

    def _piece(self, audio: np.ndarray, span: tuple[int, int], options: DecodeOptions,
               decoded: Callable[[tuple[int, int], float], None] = lambda span, seconds: None) -> list[Segment]:
        segments, _info = self._model.transcribe(
            audio[span[0]:span[1]], language=options.language, beam_size=options.beam_size,
            temperature=list(options.temperatures),
            compression_ratio_threshold=options.compression_ratio_threshold,
            log_prob_threshold=options.log_prob_threshold, no_speech_threshold=options.no_speech_threshold,
            condition_on_previous_text=options.condition_on_previous_text,
            hotwords=options.prompt or None, word_timestamps=True,
            vad_filter=options.vad is not None,
            vad_parameters=silero_parameters(options.vad) if options.vad else None,
            hallucination_silence_threshold=options.hallucination_silence_threshold,
        )
        found = []
        for s in segments:  # a generator: each segment is decoded as it is asked for
            found.append(_shifted(self._convert(s), span[0] / SAMPLE_RATE))
            decoded(span, min(s.end, (span[1] - span[0]) / SAMPLE_RATE))
        decoded(span, (span[1] - span[0]) / SAMPLE_RATE)
        return found

    def _whole(self, audio: np.ndarray, options: DecodeOptions,
               on_progress: Callable[[float], None] | None) -> tuple[Segment, ...]:
        """The whole audio at once (a GPU): VAD chunks decoded in batches; without VAD (the coverage pass's
        short stretches, or vad = false) as one sequential decode, which the batched pipeline cannot do."""
        report = (lambda span, seconds: on_progress(seconds)) if on_progress else (lambda span, seconds: None)
        if options.vad is None:
            return tuple(self._piece(audio, (0, len(audio)), options, report))
        # Batched decoding takes the first temperature only and never conditions on the previous chunk's text
        # (faster-whisper's "unused arguments"); the hallucination guards in `listen` still apply.
        segments, _info = self._batched.transcribe(
            audio, language=options.language, beam_size=options.beam_size, temperature=list(options.temperatures),
            hotwords=options.prompt or None, word_timestamps=True, vad_filter=True,
            vad_parameters=silero_parameters(options.vad), batch_size=GPU_BATCH)
        found = []
        for s in segments:
            found.append(self._convert(s))
            report(None, s.end)
        return tuple(found)

    def detect_language(self, speech: np.ndarray) -> tuple[str, float]:
        if not self._model.model.is_multilingual:
            return "en", 1.0
        language, probability, _ = self._model.detect_language(audio=speech)
        return language, round(float(probability), 3)

    @staticmethod
    def _convert(seg) -> Segment:
        words = [make_word(w.word, w.start, w.end, w.probability) for w in seg.words or ()]
        return make_segment(seg.start, seg.end, seg.text, words, seg.avg_logprob, seg.no_speech_prob,
                        seg.compression_ratio)
