"""No speech left without words: what voice-activity detection calls speech, against the time the words cover.

After decoding, Silero VAD (the copy faster-whisper ships, finer than the decoder's:
300 ms of silence split two stretches) finds the speech. Every stretch of speech of
MIN_GAP_S or more with no word (MIN_END_GAP_S where the speech runs to the
recording's end) is decoded again on its own (no prompt, no previous text, the
temperature ladder) and its words go through the same hallucination guard as
everything else. What still has no words is recorded (`Coverage.without_words`),
for the review file and `coursecast check`.

Measured on the conversational set (benchmarks/conversation.py, tiny.en): the decoder
jumps over whole turns when a prompt stands before every window, and sometimes
without one (a quiet phrase after a loud speaker); the doubtful-segment guard once
removed a real line. Decoded again alone, each came back (ISSUE14_FINDINGS in the
benchmarks).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..core.asr_audio import SAMPLE_RATE
from ..core.transcript import Coverage, Segment, Stretch
from .decoding import WINDOW_S

MIN_GAP_S = 1.0  # seconds of speech without a word that count as lost words
MIN_END_GAP_S = 0.5  # seconds, where the speech runs to the recording's end: faster-whisper drops a last
# segment whose words it aligns to the very end (start = end), so a short last phrase goes missing
END_SLACK_S = 0.05  # seconds: speech ending this near the recording's end runs to it
WORD_PAD_S = 0.3  # seconds a word's span is widened each side: alignment error and tightened edges
REDECODE_PAD_S = 0.3  # seconds of audio added each side of a stretch decoded again
MERGE_GAP_S = 1.0  # seconds: stretches closer than this are decoded again as one piece (more context)
VAD_THRESHOLD = 0.5  # Silero speech probability for a 32 ms frame to be speech
VAD_MIN_SILENCE_MS = 300  # milliseconds of silence that separate two stretches of speech
VAD_SPEECH_PAD_MS = 30  # milliseconds kept around each stretch (Silero's default)
VAD_MIN_SPEECH_MS = 250  # milliseconds: shorter blips are not speech (Silero's default)
DETECTION_S = WINDOW_S  # seconds of speech the language is detected on (one Whisper window)

Decode = Callable[[np.ndarray], Sequence[Segment]]  # a piece of audio -> its guarded segments (piece times)


@dataclass(frozen=True)
class Filled:
    segments: tuple[Segment, ...]  # what was heard, with the words found again, in time order
    coverage: Coverage  # the share of speech with words, what was found again, what still has none


def speech_spans(audio: np.ndarray) -> tuple[Stretch, ...]:
    """The stretches of speech in `audio` (float32 at SAMPLE_RATE), by Silero VAD."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(threshold=VAD_THRESHOLD, min_silence_duration_ms=VAD_MIN_SILENCE_MS,
                         speech_pad_ms=VAD_SPEECH_PAD_MS, min_speech_duration_ms=VAD_MIN_SPEECH_MS)
    chunks = get_speech_timestamps(audio, options, sampling_rate=SAMPLE_RATE)
    return tuple(Stretch(round(c["start"] / SAMPLE_RATE, 3), round(c["end"] / SAMPLE_RATE, 3)) for c in chunks)


def speech_sample(audio: np.ndarray, speech: Sequence[Stretch], seconds: float = DETECTION_S) -> np.ndarray:
    """The first `seconds` of speech, joined: what the language is detected on (the audio's start if none)."""
    parts, total = [], 0
    for span in speech:
        part = audio[int(span.start * SAMPLE_RATE):int(span.end * SAMPLE_RATE)]
        parts.append(part[:int(seconds * SAMPLE_RATE) - total])
        total += len(parts[-1])
        if total >= seconds * SAMPLE_RATE:
            break
    return np.concatenate(parts) if parts else audio[:int(seconds * SAMPLE_RATE)]


def _covered(words: Sequence, pad: float) -> list[tuple[float, float]]:
    """The words' spans, widened by `pad` each side, merged where they touch."""
    spans: list[list[float]] = []
    for start, end in sorted((w.start - pad, w.end + pad) for w in words):
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    return [(a, b) for a, b in spans]


def _holes(span: Stretch, covered: list[tuple[float, float]]) -> list[Stretch]:
    holes, cursor = [], span.start
    for start, end in covered:
        if end <= cursor or start >= span.end:
            continue
        if start > cursor:
            holes.append(Stretch(round(cursor, 3), round(start, 3)))
        cursor = max(cursor, end)
    if cursor < span.end:
        holes.append(Stretch(round(cursor, 3), round(span.end, 3)))
    return holes


def uncovered(speech: Sequence[Stretch], words: Sequence, min_gap: float = MIN_GAP_S,
              pad: float = WORD_PAD_S) -> tuple[Stretch, ...]:
    """Stretches of `speech` at least `min_gap` long that no word (widened by `pad`) covers."""
    covered = _covered(words, pad)
    return tuple(h for s in speech for h in _holes(s, covered) if h.duration >= min_gap)


def ending_gap(speech: Sequence[Stretch], words: Sequence, duration: float) -> tuple[Stretch, ...]:
    """The hole at the end of the last stretch of speech, when that stretch runs to the recording's end and the
    hole is at least MIN_END_GAP_S long but shorter than MIN_GAP_S (a longer one `uncovered` already finds)."""
    if not speech or speech[-1].end < duration - END_SLACK_S:
        return ()
    holes = _holes(speech[-1], _covered(words, WORD_PAD_S))
    last = holes[-1] if holes else None
    if not (last and last.end == speech[-1].end and MIN_END_GAP_S <= last.duration < MIN_GAP_S):
        return ()
    return (Stretch(round(max(speech[-1].start, last.start - WORD_PAD_S), 3), last.end),)  # from the last word's end


def covered_share(speech: Sequence[Stretch], words: Sequence, pad: float = WORD_PAD_S) -> float:
    """Share (0-1) of the speech seconds that some word (widened by `pad`) covers."""
    total = sum(s.duration for s in speech)
    if not total:
        return 1.0
    covered = _covered(words, pad)
    missing = sum(h.duration for s in speech for h in _holes(s, covered))
    return round(1 - missing / total, 4)


def _groups(spans: Sequence[Stretch]) -> list[list[Stretch]]:
    """Stretches less than MERGE_GAP_S apart, decoded as one piece."""
    groups: list[list[Stretch]] = []
    for span in spans:
        if groups and span.start - groups[-1][-1].end < MERGE_GAP_S:
            groups[-1].append(span)
        else:
            groups.append([span])
    return groups


def _inside(segment: Segment, span: Stretch) -> Segment | None:
    """The segment cut down to its words whose middle lies in `span` (punctuation alone is no word)."""
    words = tuple(w for w in segment.words if span.start <= (w.start + w.end) / 2 <= span.end and re.search(r"\w", w.text))
    if not words:
        return None
    return replace(segment, start=words[0].start, end=words[-1].end, words=words, text=" ".join(w.text for w in words))


def _shifted(segment: Segment, offset: float) -> Segment:
    words = tuple(replace(w, start=round(w.start + offset, 3), end=round(w.end + offset, 3)) for w in segment.words)
    return replace(segment, start=round(segment.start + offset, 3), end=round(segment.end + offset, 3), words=words)


def redecode(audio: np.ndarray, spans: Sequence[Stretch], decode: Decode,
             pad: float = REDECODE_PAD_S) -> tuple[tuple[Segment, ...], tuple[Stretch, ...]]:
    """Decode each stretch of `audio` again on its own (close ones together): (segments found in the
    stretches, on the audio's timeline; the stretches that gave words)."""
    found, recovered = [], []
    for group in _groups(spans):
        first = max(0, int((group[0].start - pad) * SAMPLE_RATE))
        piece = audio[first:int((group[-1].end + pad) * SAMPLE_RATE)]
        segments = [_shifted(s, first / SAMPLE_RATE) for s in decode(piece)]
        for span in group:
            inside = [part for s in segments if (part := _inside(s, span)) is not None]
            found += inside
            recovered += [span] if inside else []
    return tuple(found), tuple(recovered)


def fill(audio: np.ndarray, segments: Sequence[Segment], decode: Decode,
         speech: Sequence[Stretch] | None = None) -> Filled:
    """`segments` with every stretch of speech that has no words decoded again (`redecode`), and the coverage."""
    speech = speech_spans(audio) if speech is None else tuple(speech)
    heard = [w for s in segments for w in s.words]
    gaps = (*uncovered(speech, heard), *ending_gap(speech, heard, len(audio) / SAMPLE_RATE))
    found, recovered = redecode(audio, gaps, decode) if gaps else ((), ())
    merged = tuple(sorted((*segments, *found), key=lambda s: (s.start, s.end)))
    words = [w for s in merged for w in s.words]
    coverage = Coverage(round(sum(s.duration for s in speech), 3), covered_share(speech, words), recovered,
                        uncovered(speech, words))
    return Filled(merged, coverage)
