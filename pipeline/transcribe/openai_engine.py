"""openai-whisper, the reference engine, behind `engines.Engine`: the same options, VAD and segments as
faster-whisper's, on the CPU (float32) or a CUDA GPU (fp16). `engines.get` loads it."""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import Callable

import numpy as np

from ..core import devices
from ..core.asr_audio import SAMPLE_RATE
from ..core.devices import Placement
from ..core.transcript import Segment
from .decoding import DecodeOptions, make_segment, make_word, speech_chunks
from .models import ModelChoice, shared_whisper

log = logging.getLogger("coursecast.engines")


class OpenAIWhisperEngine:
    name = "openai-whisper"

    def __init__(self, choice: ModelChoice, *, threads: int, workers: int,
                 placement: Placement = devices.OPENAI_WHISPER_CPU):
        import torch

        torch.set_num_threads(threads)  # process-wide; calls are serialised by self._lock anyway
        shared = shared_whisper(choice, placement.device)  # on the CPU, the model alignment (proofread) uses too
        self._model, self.model, self.placement = shared.model, shared.description, placement
        self._lock = shared.lock  # whisper installs kv-cache hooks on the shared modules
        log.info("loaded %s with openai-whisper on %s (%s, %d thread(s))", self.model, placement.device,
                 placement.compute_type, threads)

    def transcribe(self, audio: np.ndarray, options: DecodeOptions,
                   on_progress: Callable[[float], None] | None = None) -> tuple[Segment, ...]:
        chunks = speech_chunks(audio, options.vad) if options.vad else [{"start": 0, "end": len(audio)}]
        if not chunks:
            return ()
        heard = np.concatenate([audio[c["start"]:c["end"]] for c in chunks]).astype(np.float32)
        with self._lock:
            result = self._run(heard, options)
        from faster_whisper.vad import SpeechTimestampsMap

        ts_map = SpeechTimestampsMap(chunks, SAMPLE_RATE, time_precision=3)
        return tuple(_restore(self._convert(s), ts_map) for s in result["segments"])

    def detect_language(self, speech: np.ndarray) -> tuple[str, float]:
        import whisper

        if not self._model.is_multilingual:
            return "en", 1.0
        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(speech.astype(np.float32)), self._model.dims.n_mels,
                                          device=self._model.device)
        with self._lock:
            _, probabilities = self._model.detect_language(mel)
        language = max(probabilities, key=probabilities.get)
        return language, round(float(probabilities[language]), 3)

    def _run(self, audio: np.ndarray, options: DecodeOptions) -> dict:
        import whisper

        return whisper.transcribe(
            self._model, audio, language=options.language, beam_size=options.beam_size,
            temperature=options.temperatures, fp16=self.placement.compute_type == "float16", verbose=None,
            compression_ratio_threshold=options.compression_ratio_threshold,
            logprob_threshold=options.log_prob_threshold, no_speech_threshold=options.no_speech_threshold,
            condition_on_previous_text=options.condition_on_previous_text,
            initial_prompt=options.prompt or None, carry_initial_prompt=bool(options.prompt),
            word_timestamps=True, hallucination_silence_threshold=options.hallucination_silence_threshold,
        )

    @staticmethod
    def _convert(seg: dict) -> Segment:
        words = [make_word(w["word"], w["start"], w["end"], w["probability"]) for w in seg.get("words", ())]
        return make_segment(seg["start"], seg["end"], seg["text"], words, seg["avg_logprob"],
                        seg["no_speech_prob"], seg["compression_ratio"])


def _restore(segment: Segment, ts_map) -> Segment:
    """Times on the VAD-joined audio -> times on the episode (as faster-whisper does it)."""
    words = []
    for word in segment.words:
        index = ts_map.get_chunk_index((word.start + word.end) / 2)  # both ends in the same chunk
        words.append(replace(word, start=ts_map.get_original_time(word.start, index),
                             end=ts_map.get_original_time(word.end, index)))
    if words:
        return replace(segment, words=tuple(words), start=words[0].start, end=words[-1].end)
    return replace(segment, start=ts_map.get_original_time(segment.start),
                   end=ts_map.get_original_time(segment.end, is_end=True))
