"""What Whisper wrote, tidied: hallucination guards and word times that start when the speech does.

`guard` drops segments Whisper invented (a "Thank you." over silence, garbled
text over noise) and collapses loops; `tighten` trims the pause Whisper's
alignment gives a word's edges; `split_at_pauses` ends a segment at a long pause.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import replace
from typing import Sequence

import numpy as np

from ..core.asr_audio import SAMPLE_RATE
from ..core.transcript import Segment, Word

MAX_NGRAM = 8  # words: the longest phrase checked for loops
MIN_LOOP = {1: 4}  # a single word must occur this often in a row to be a loop ("very, very, very" is speech)
DEFAULT_MIN_LOOP = 3  # a phrase of 2+ words repeated this often in a row is a loop
SEGMENT_LOOP = 3  # identical consecutive segments from this many on are a loop
DOUBTFUL_WORD_PROBABILITY = 0.55  # mean word probability under which a likely-silent segment is dropped
# (demo course: invented "Thank you." segments scored 0.48-0.54, real ones 0.75 and up)
GARBLED_WORD_PROBABILITY = 0.3  # mean word probability under which a segment is dropped when its average
# log probability is also below twice the threshold (the demo's "My name is L" over room tone: 0.2, -2.5)
FRAME_S = 0.02  # seconds per energy frame when tightening word times
QUIET_DB = 18.0  # dB under a word's loudest frame: quieter frames at its edges are pause, not word
MIN_PAUSE_S = 0.2  # seconds of quiet at a word's edge worth trimming (longer than a plosive's closure)
MIN_WORD_S = 0.1  # seconds a word keeps at least
SPLIT_PAUSE_S = 1.0  # seconds between two words that end a segment


# -- word times ----------------------------------------------------------------------------
def tighten(segment: Segment, samples: np.ndarray) -> Segment:
    """Trim the pause Whisper's alignment often gives a word's edges (the word after a pause
    "starts" when the pause does), so segments and captions start when the speech does."""
    words = tuple(tighten_word(w, samples) for w in segment.words)
    return replace(segment, words=words, start=words[0].start, end=words[-1].end) if words else segment


def split_at_pauses(segment: Segment) -> list[Segment]:
    """Split where SPLIT_PAUSE_S or more passes between two words.

    VAD joins the speech it keeps, so Whisper can return one segment over a minute
    of one side of an interview; split, each part interleaves with the other side.
    """
    words = segment.words
    cuts = [i for i in range(1, len(words)) if words[i].start - words[i - 1].end >= SPLIT_PAUSE_S]
    if not cuts:
        return [segment]
    bounds = [0, *cuts, len(words)]
    return [replace(segment, start=words[a].start, end=words[b - 1].end, words=words[a:b],
                    text=" ".join(w.text for w in words[a:b])) for a, b in zip(bounds, bounds[1:])]


def tighten_word(word: Word, samples: np.ndarray) -> Word:
    """`word` without the quiet (QUIET_DB under its loudest frame) of MIN_PAUSE_S or more at its edges: the one
    word-edge trimmer (transcription, and forced alignment in proofread)."""
    frame = int(FRAME_S * SAMPLE_RATE)
    chunk = samples[int(word.start * SAMPLE_RATE):int(word.end * SAMPLE_RATE)]
    count = len(chunk) // frame
    if count * FRAME_S < MIN_PAUSE_S + MIN_WORD_S:
        return word
    rms = np.sqrt(np.mean(np.square(chunk[:count * frame].reshape(count, frame), dtype=np.float64), axis=1))
    levels = 20 * np.log10(rms + 1e-10)  # dBFS per frame
    loud = levels >= levels.max() - QUIET_DB
    lead, tail = int(np.argmax(loud)), int(np.argmax(loud[::-1]))  # quiet frames before/after the word
    start = word.start + lead * FRAME_S if lead * FRAME_S >= MIN_PAUSE_S else word.start
    end = word.start + (count - tail) * FRAME_S if tail * FRAME_S >= MIN_PAUSE_S else word.end
    return replace(word, start=round(start, 3), end=round(end, 3)) if end - start >= MIN_WORD_S else word


# -- hallucination guards ------------------------------------------------------------------
def _norm(text: str) -> str:
    return re.sub(r"[^\w']+", "", text.lower())


def _flag(segment: Segment, flag: str) -> Segment:
    return replace(segment, flags=tuple(dict.fromkeys((*segment.flags, flag))))


def guard(segments: Sequence[Segment], no_speech_threshold: float = 0.6,
          log_prob_threshold: float = -1.0) -> tuple[tuple[Segment, ...], int]:
    """Drop doubtful and empty segments, collapse phrase loops and runs of identical segments.

    Returns the kept segments and how many loops or segments were removed.
    """
    collapsed = [collapse_loops(s) for s in segments
                 if not _doubtful(s, no_speech_threshold, log_prob_threshold)]
    removed = len(segments) - len(collapsed) + sum(loops for _, loops in collapsed)
    spoken = [s for s, _ in collapsed if _norm(s.text)]
    removed += len(collapsed) - len(spoken)
    kept: list[Segment] = []
    for _, group in itertools.groupby(spoken, key=lambda s: _norm(s.text)):
        group = list(group)
        if len(group) >= SEGMENT_LOOP:
            kept.append(_flag(group[0], "repeat"))
            removed += len(group) - 1
        else:
            kept.extend(group)
    return tuple(kept), removed


def _doubtful(segment: Segment, no_speech_threshold: float, log_prob_threshold: float) -> bool:
    """Text Whisper invented: it judged the window silent and doubts its words (the "Thank you."
    it adds after a recording's last words), or it could barely decode anything at all."""
    if not segment.words:
        return segment.no_speech_prob >= no_speech_threshold
    mean = float(np.mean([w.probability for w in segment.words]))
    if segment.no_speech_prob >= no_speech_threshold and mean < DOUBTFUL_WORD_PROBABILITY:
        return True
    return segment.avg_logprob < 2 * log_prob_threshold and mean < GARBLED_WORD_PROBABILITY


def _loop_at(keys: list[str], start: int) -> tuple[int, int]:
    """(phrase length, repetitions) of the shortest phrase looping from `start`, or (0, 0)."""
    for size in range(1, MAX_NGRAM + 1):
        phrase = keys[start:start + size]
        if len(phrase) < size:
            break
        count = 1
        while keys[start + count * size:start + (count + 1) * size] == phrase:
            count += 1
        if count >= MIN_LOOP.get(size, DEFAULT_MIN_LOOP):
            return size, count
    return 0, 0


def collapse_loops(segment: Segment) -> tuple[Segment, int]:
    """Keep one copy of a phrase Whisper repeated in a loop; flag the segment 'repeat'."""
    keys = [_norm(w.text) for w in segment.words]
    words, index, loops = [], 0, 0
    while index < len(keys):
        size, count = _loop_at(keys, index)
        if size:
            words.extend(segment.words[index:index + size])
            index, loops = index + size * count, loops + 1
        else:
            words.append(segment.words[index])
            index += 1
    if not loops:
        return segment, 0
    text = " ".join(w.text for w in words)
    return _flag(replace(segment, words=tuple(words), text=text, end=words[-1].end), "repeat"), loops
