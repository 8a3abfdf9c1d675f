"""What both Whisper engines share: the decoding options recorded in every transcript, Silero VAD, and
the conversion of an engine's segments and words into the transcript's."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ..core.asr_audio import SAMPLE_RATE
from ..core.transcript import Segment, Word

FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # Whisper's retry ladder
WINDOW_S = 30.0  # seconds Whisper hears at once: a shorter input is padded to it


@dataclass(frozen=True)
class VadOptions:
    """Silero VAD (shipped with faster-whisper), the same for both engines."""

    threshold: float = 0.5  # speech probability above which a 32 ms frame is speech
    min_silence_ms: int = 2000  # milliseconds of silence that end a speech chunk
    speech_pad_ms: int = 400  # milliseconds kept around each chunk


@dataclass(frozen=True)
class DecodeOptions:
    """Every option that shapes what an engine writes; recorded in each transcript."""

    language: str = "en"  # ISO 639-1 code Whisper decodes in, or "auto": detected once, then used throughout
    beam_size: int = 5  # beams at temperature 0
    temperatures: tuple[float, ...] = FALLBACK_TEMPERATURES  # retried in order when a window fails
    compression_ratio_threshold: float = 2.4  # gzip ratio above which a window is a loop: retry
    log_prob_threshold: float = -1.0  # average log probability below which a window failed
    no_speech_threshold: float = 0.6  # with a failed log prob, above this the window is silence
    condition_on_previous_text: bool = True  # each window sees the last one's text
    prompt: str = ""  # text before every window (hotwords / carried initial prompt); the stage gives none
    vad: VadOptions | None = field(default_factory=VadOptions)  # None: hear everything
    hallucination_silence_threshold: float | None = 2.0  # seconds of silence around a doubtful segment

    def to_dict(self) -> dict:
        return asdict(self)


def speech_chunks(audio: np.ndarray, vad: VadOptions) -> list[dict]:
    """Silero VAD: [{'start': sample, 'end': sample}, ...] of the speech in `audio`."""
    from faster_whisper.vad import VadOptions as FwVad
    from faster_whisper.vad import get_speech_timestamps

    return get_speech_timestamps(audio, FwVad(
        threshold=vad.threshold, min_silence_duration_ms=vad.min_silence_ms,
        speech_pad_ms=vad.speech_pad_ms), sampling_rate=SAMPLE_RATE)


def silero_parameters(vad: VadOptions) -> dict:
    return {"threshold": vad.threshold, "min_silence_duration_ms": vad.min_silence_ms,
            "speech_pad_ms": vad.speech_pad_ms}


def make_segment(start, end, text, words, avg_logprob, no_speech_prob, compression_ratio) -> Segment:
    return Segment(
        start=round(float(start), 3), end=round(float(end), 3), text=text.strip(), words=tuple(words),
        avg_logprob=float(avg_logprob), no_speech_prob=float(no_speech_prob),
        compression_ratio=float(compression_ratio),
    )


def make_word(text: str, start: float, end: float, probability: float) -> Word:
    return Word(text.strip(), round(float(start), 3), round(float(end), 3), float(probability))
