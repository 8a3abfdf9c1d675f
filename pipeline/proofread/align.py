"""Forced alignment of given words to the audio, with openai-whisper's own mechanism.

Whisper times the words it decodes by reading the cross-attention of its
alignment heads and warping it onto the audio frames (dynamic time warping,
`whisper.timing.find_alignment`). Given text instead of decoded text, the same
call times words an editor wrote. Each window is at most one Whisper window
(30 s) of the episode's 16 kHz audio; the words of a window are timed together,
and a window whose words cannot be timed comes back as None.

Two measured corrections on top of Whisper's own mechanism (tests on LJ Speech
clip boundaries, the benchmark in the report): words are aligned without the
punctuation around them (a comma's token soaks up the following pause), and
the silent 10 ms frames at a word's ends are cut off (the warping lets a word
absorb a pause next to it). `time_words` plans the windows for a merge: the
editor's words with a few untouched words each side as anchors, nearby edits
sharing one window; where a window cannot be aligned, or its anchors land far
from where Whisper heard them, the words are interpolated between their
neighbours, marked `aligned="interpolated"` and logged.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..core.asr_audio import SAMPLE_RATE, read_window
from ..core.transcript import Word
from .merge import MergePlan, Planned

log = logging.getLogger("coursecast.align")

MAX_WINDOW_S = 29.0  # seconds: one Whisper window (30 s) less a margin
MAX_TEXT_TOKENS = 400  # tokens of text per window (the decoder's context is 448, prompt included)
FRAME_S = 0.01  # seconds per loudness frame when trimming silence off a word's ends
FRAME_SAMPLES = int(SAMPLE_RATE * FRAME_S)  # samples per loudness frame
VOICE_FRACTION = 0.3  # a frame is speech above floor + this share of the window's floor-to-peak range (dB)
FLOOR_PERCENTILE = 10  # the window's quiet level: this percentile of its frames' dB
PEAK_PERCENTILE = 95  # the window's loud level
MIN_VOICED_FRAMES = 3  # consecutive loud frames (30 ms) that make speech; shorter blips are breaths, clicks

_EDGE_PUNCTUATION = re.compile(r"^[^\w]+|[^\w]+$")  # quotes, commas, brackets around a word


@dataclass(frozen=True)
class Window:
    start: float  # seconds into the episode
    end: float  # seconds into the episode
    words: tuple[str, ...]  # the words spoken in it, in order


@dataclass(frozen=True)
class Timed:
    start: float  # seconds into the episode
    end: float  # seconds into the episode
    probability: float  # the model's probability of the word's tokens (mean)


def load_model(setting: str, root: Path):
    """The openai-whisper model of the course's [transcription] model setting: the one the transcribe stage
    shares (loaded once per process), with the lock every use of it holds."""
    from ..transcribe import choose, shared_whisper

    return shared_whisper(choose(setting, root))


def align(audio: Path, windows: Sequence[Window], *, model: str, root: Path, language: str) -> list[list[Timed] | None]:
    """Time every window's words on `audio`; None for a window that cannot be timed."""
    if not windows:
        return []
    read_window(audio, 0.0, 0.0)  # a missing or unusable file is reported before the model loads
    shared = load_model(model, root)
    tokenizer = _tokenizer(shared.model, language)
    results = []
    for window in windows:
        samples = read_window(audio, window.start, window.end)
        try:
            results.append(_align_window(shared, tokenizer, window, samples))
        except (RuntimeError, ValueError, IndexError) as e:  # torch/numba errors on a degenerate window
            log.warning("alignment of %d words at %.2f s failed: %s", len(window.words), window.start, e)
            results.append(None)
    return results


def _tokenizer(model, language: str):
    from whisper.tokenizer import get_tokenizer

    return get_tokenizer(model.is_multilingual, num_languages=model.num_languages,
                         language=language.split("-")[0].lower() or "en", task="transcribe")


def _align_window(shared, tokenizer, window: Window, samples: np.ndarray) -> list[Timed] | None:
    import torch
    from whisper.audio import HOP_LENGTH, N_FRAMES, N_SAMPLES, log_mel_spectrogram, pad_or_trim
    from whisper.timing import find_alignment

    model = shared.model
    per_word = [tokenizer.encode(" " + _spoken(word)) for word in window.words]
    tokens = [t for word in per_word for t in word]
    frames = len(samples) // HOP_LENGTH
    if not tokens or len(tokens) > MAX_TEXT_TOKENS or len(samples) > N_SAMPLES or frames < 2 * len(per_word):
        return None
    mel = log_mel_spectrogram(torch.from_numpy(samples), model.dims.n_mels, padding=N_SAMPLES)
    mel = pad_or_trim(mel, N_FRAMES).to(model.device)
    with shared.lock:  # find_alignment installs hooks on the shared model: one use at a time
        timings = find_alignment(model, tokenizer, tokens, mel, frames)
    timed = _per_word(timings, [len(w) for w in per_word], window.start)
    if timed is None:
        return None
    timed = [_trimmed(t, samples, window.start) for t in timed]
    return timed[:-1] + [_extend(timed[-1], _voiced(samples), window.start)]


def _extend(word: Timed, voiced: np.ndarray, offset: float) -> Timed:
    """The window's last word: the end-of-text token takes the word's tail; give it back up to the silence."""
    last = int(np.ceil((word.end - offset) / FRAME_S)) - 1
    if not 0 <= last < len(voiced) or not voiced[last]:
        return word
    silent = np.flatnonzero(~voiced[last:])
    until = last + (silent[0] if len(silent) else len(voiced) - last)
    return Timed(word.start, round(offset + float(until) * FRAME_S, 3), word.probability)


def _spoken(word: str) -> str:
    """The word without the punctuation around it: a comma's token soaks up the pause after it in the
    DTW and then steals the next word's first sound (measured on the sonnet: 0.5 s late without this)."""
    return _EDGE_PUNCTUATION.sub("", word) or word


def _voiced(samples: np.ndarray) -> np.ndarray:
    """Per 10 ms frame: loud enough to be speech, relative to the window's own quiet and loud levels."""
    count = len(samples) // FRAME_SAMPLES
    frames = samples[: count * FRAME_SAMPLES].reshape(count, FRAME_SAMPLES).astype(np.float64)
    db = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-10)  # 1e-10: -100 dB for digital silence
    floor, peak = np.percentile(db, FLOOR_PERCENTILE), np.percentile(db, PEAK_PERCENTILE)
    loud = db >= floor + (peak - floor) * VOICE_FRACTION
    runs = np.convolve(loud, np.ones(MIN_VOICED_FRAMES), mode="same") >= MIN_VOICED_FRAMES
    return np.convolve(runs, np.ones(MIN_VOICED_FRAMES), mode="same") > 0  # runs kept whole, blips dropped


def _trimmed(word: Timed, samples: np.ndarray, offset: float) -> Timed:
    """Whisper's DTW lets a word soak up the pause before or after it: the transcribe stage's trimmer cuts it."""
    from ..transcribe import tighten_word

    cut = tighten_word(Word("", word.start - offset, word.end - offset, word.probability), samples)
    return Timed(round(cut.start + offset, 3), round(cut.end + offset, 3), word.probability)


def _per_word(timings, counts: list[int], offset: float) -> list[Timed] | None:
    """Whisper's own word split (spaces and punctuation) folded back onto our words by token counts."""
    result: list[Timed] = []
    pieces = iter(timings)
    for count in counts:
        taken, first, last, probabilities = 0, None, None, []
        while taken < count:
            piece = next(pieces, None)
            if piece is None:
                return None
            first = first or piece
            last = piece
            taken += len(piece.tokens)
            probabilities.append(float(piece.probability))
        if taken != count:  # a piece straddles two of our words: the token split disagrees
            return None
        result.append(Timed(round(offset + float(first.start), 3), round(offset + float(last.end), 3),
                            float(np.mean(probabilities))))
    return result


# -- timing a merge plan's words ---------------------------------------------------------
CONTEXT_WORDS = 3  # timed words each side of an edited span, aligned with it as anchors
PAD_S = 0.15  # seconds of audio before the first and after the last word of a window
LEAD_S = 1.0  # seconds searched past an edited span that has no timed neighbour on that side
ANCHOR_TOLERANCE_S = 0.5  # seconds: anchors (median) further than this from Whisper's times fail the window


@dataclass(frozen=True)
class Job:
    lo: int  # first planned word in the window (its context included)
    hi: int  # one past the last
    window: Window


Timer = Callable[[Sequence[Window]], list]  # windows -> per window, timed words or None


def time_words(plan: MergePlan, duration: float, timer: Timer) -> tuple[Word, ...]:
    """Every planned word with its time: kept words keep Whisper's, written words are aligned or interpolated."""
    known = [_kept(plan, w) for w in plan.words]
    jobs = _jobs(plan, known, duration)
    for job, result in zip(jobs, timer([j.window for j in jobs]) if jobs else []):
        if result is not None and _anchored(known, job, result):
            for i in range(job.lo, job.hi):
                if known[i] is None:
                    timed = result[i - job.lo]
                    known[i] = Word(plan.words[i].text, timed.start, timed.end, 1.0, "forced")
    _fit(plan, known)
    missing = sum(w is None for w in known)
    if missing:
        log.warning("%d edited word(s) could not be aligned to the audio; interpolated between neighbours", missing)
    return tuple(_interpolate(plan, known))


def _kept(plan: MergePlan, planned: Planned) -> Word | None:
    if planned.source is None:
        return None
    word = plan.machine[planned.source].word
    return replace(word, text=planned.text, probability=1.0 if planned.written else word.probability)


def _runs(known: list) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, word in enumerate([*known, 0]):
        if word is None and start is None:
            start = i
        elif word is not None and start is not None:
            runs.append((start, i))
            start = None
    return runs


def _jobs(plan: MergePlan, known: list, duration: float) -> list[Job]:
    """One window per stretch of edited words that fits in one Whisper window (one encoder pass each)."""
    jobs: list[Job] = []
    for a, b in _runs(known):
        job = next((j for j in (_job(plan, known, a, b, c, duration) for c in (CONTEXT_WORDS, 1))
                    if j.window.end - j.window.start <= MAX_WINDOW_S), None)
        if job is None:
            continue  # longer than a Whisper window: interpolated, and said so
        joined = _join(plan, jobs[-1], job) if jobs else None
        if joined is not None and joined.window.end - joined.window.start <= MAX_WINDOW_S:
            jobs[-1] = joined
        else:
            jobs.append(job)
    return jobs


def _join(plan: MergePlan, first: Job, second: Job) -> Job | None:
    """One window over both jobs and every timed word between them (anchors); None if they overlap badly."""
    if second.lo < first.lo:
        return None
    start, end = min(first.window.start, second.window.start), max(first.window.end, second.window.end)
    words = tuple(w.text for w in plan.words[first.lo:max(first.hi, second.hi)])
    return Job(first.lo, max(first.hi, second.hi), Window(start, end, words))


def _job(plan: MergePlan, known: list, a: int, b: int, context: int, duration: float) -> Job:
    lo, hi = a, b
    while lo > 0 and a - lo < context and known[lo - 1] is not None:
        lo -= 1
    while hi < len(known) and hi - b < context and known[hi] is not None:
        hi += 1
    anchors = [w for w in known[lo:hi] if w is not None]
    start = min([w.start - PAD_S for w in anchors if lo < a] + [plan.words[a].span[0] - LEAD_S] * (lo == a))
    end = max([w.end + PAD_S for w in anchors if hi > b] + [plan.words[b - 1].span[1] + LEAD_S] * (hi == b))
    start, end = max(0.0, start), min(max(duration, 0.0), end)
    words = tuple(w.text for w in plan.words[lo:hi])
    return Job(lo, hi, Window(round(start, 3), round(max(end, start), 3), words))


def _anchored(known: list, job: Job, result: list[Timed]) -> bool:
    """The window's timed words landed where Whisper heard them: the text fits this audio."""
    errors = [abs(result[i - job.lo].start - known[i].start) for i in range(job.lo, job.hi) if known[i] is not None]
    return not errors or float(np.median(errors)) <= ANCHOR_TOLERANCE_S


def _fit(plan: MergePlan, known: list) -> None:
    """Aligned words kept between their kept neighbours, in order, without overlapping."""
    for i, word in enumerate(known):
        if word is None or word.aligned != "forced" or plan.words[i].source is not None:
            continue
        lower = next((w.end for w in reversed(known[:i]) if w is not None), 0.0)
        upper = next((w.start for w in known[i + 1:] if w is not None and w.aligned != "forced"), None)
        upper = max(lower, upper) if upper is not None else max(lower, word.end)
        start = min(max(word.start, lower), upper)
        known[i] = replace(word, start=round(start, 3), end=round(min(max(word.end, start), upper), 3))


def _interpolate(plan: MergePlan, known: list) -> list[Word]:
    """Words no window could time share the gap between their neighbours by length (and say so)."""
    for a, b in _runs(known):
        first = plan.words[a]
        lower = known[a - 1].end if a > 0 else first.span[0]
        upper = known[b].start if b < len(known) else plan.words[b - 1].span[1]
        if first.at is not None and lower < first.at < upper:
            lower = first.at  # the turn line's time: where the editor heard the new turn start
        upper = max(upper, lower)
        weights = [len(w.text) + 1 for w in plan.words[a:b]]  # characters and a space
        at = lower
        for i, weight in zip(range(a, b), weights):
            until = at + (upper - lower) * weight / sum(weights)
            known[i] = Word(plan.words[i].text, round(at, 3), round(until, 3), 1.0, "interpolated")
            at = until
    return known
