"""A decoder skip forced on real speech, for a test of the coverage check (issue 14).

    python -m benchmarks.forced_skip [DEST]      build it, transcribe it with both engines, report

Two things a test needs, both from the real recordings:
  1. speech the decoder skips: 33 s of the conversational set's `round_table`
     (42-75 s) decoded with the glossary prompt GLOSSARY. At 11.6-14.5 s of it
     JFK says "ask what you can do for your country." quietly after the sonnet
     reader; with the prompt both engines (faster-whisper int8 and float32, 1 or
     2 threads; openai-whisper) jump over it; without the prompt they write it.
     Decoded again on its own, it comes back.
  2. speech that yields no words even on its own: an LJ Speech sentence low-passed
     at MUFFLE_HZ (speech heard through a wall), put first (Silero VAD's state after
     loud speech hides it when it comes later). Silero calls it speech; tiny.en
     writes nothing for it in the stage, and alone only "Mm-hmm." segments that the
     stage's hallucination guard drops (no-speech 0.8, word probability 0.5).

The audio is: 0.5 s silence, the muffled sentence, PAUSE_S silence, the excerpt.
With both engines (tiny.en, measured): the skip at 20.7-23.1 s comes back as
"Ask what you can do for your country."; 0.8-2.6, 2.9-5.5 and 6.0-7.7 s stay empty.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks import conversation
from benchmarks.speech import SPEECH
from pipeline.core.transcript import Stretch as Span

EXCERPT = (42.0, 75.0)  # seconds of round_table
GLOSSARY = "Glossary: Mikael Lindqvist, Aino Virtanen, Lars Øvergaard, Americans, Gutenberg."  # round_table's
SKIPPED = Span(11.6, 14.5)  # seconds of the excerpt: JFK's last phrase, skipped under GLOSSARY
LEAD_S = 0.5  # seconds of silence before the muffled sentence
SKIPPED_TEXT = "ask what you can do for your country."
MUFFLED_CLIP = "LJ001-0009"  # 7.6 s; tiny.en wrote nothing for it low-passed at 200, 250 and 300 Hz
MUFFLE_HZ = 250.0  # Hz: everything above is removed
MUFFLED_PEAK = 0.3  # linear peak of the muffled sentence
PAUSE_S = 1.0  # seconds of silence between the muffled sentence and the excerpt


@dataclass(frozen=True)
class ForcedSkip:
    audio: Path  # 16 kHz mono WAV
    prompt: str  # the glossary that makes the decoder skip
    skipped: Span  # where the decoder skips speech that decoding again recovers (on the audio's timeline)
    skipped_text: str  # what is said there
    muffled: Span  # speech that stays without words


def _lowpass(samples: np.ndarray, hz: float) -> np.ndarray:
    spectrum = np.fft.rfft(samples.astype(np.float64))
    spectrum[np.fft.rfftfreq(len(samples), 1 / conversation.RATE) > hz] = 0
    return np.fft.irfft(spectrum, n=len(samples))


def build(shared: Path, dest: Path) -> ForcedSkip:
    dest.mkdir(parents=True, exist_ok=True)
    made = conversation.build(shared, dest / "conversations")["round_table"]
    with wave.open(str(made.audio)) as wav:
        mix = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float32) / 32768
    rate = conversation.RATE
    excerpt = mix[int(EXCERPT[0] * rate):int(EXCERPT[1] * rate)]
    speech = shared / "speech" if (shared / "speech").is_dir() else shared
    muffled = _lowpass(conversation._trim(conversation._decode(speech / "ljspeech" / f"{MUFFLED_CLIP}.wav")), MUFFLE_HZ)
    muffled = muffled / np.max(np.abs(muffled)) * MUFFLED_PEAK
    lead, pause = np.zeros(int(LEAD_S * rate), dtype=np.float32), np.zeros(int(PAUSE_S * rate), dtype=np.float32)
    audio = np.concatenate([lead, muffled.astype(np.float32), pause, excerpt])
    offset = (len(lead) + len(muffled) + len(pause)) / rate
    conversation._write_wav(dest / "forced_skip.wav", audio, rate)
    return ForcedSkip(dest / "forced_skip.wav", GLOSSARY,
                      Span(round(SKIPPED.start + offset, 3), round(SKIPPED.end + offset, 3)), SKIPPED_TEXT,
                      Span(LEAD_S, round(LEAD_S + len(muffled) / rate, 3)))


def main() -> None:
    from pipeline.core.settings import TranscriptionSettings
    from pipeline.core.transcript import load
    from pipeline.transcribe import stage

    parser = argparse.ArgumentParser(prog="python -m benchmarks.forced_skip", description=__doc__.split("\n")[0])
    parser.add_argument("dest", type=Path, nargs="?", default=Path(tempfile.mkdtemp(prefix="forced-skip-")))
    made = build(SPEECH, parser.parse_args().dest)
    print(f"{made.audio}: skip expected at {made.skipped}, no words expected at {made.muffled}")
    for engine in ("faster-whisper", "openai-whisper"):
        heard = made.audio.with_suffix(f".{engine}.json")
        stage.transcribe(made.audio, heard, episode="forced-skip", language="en", root=made.audio.parent,
                         settings=TranscriptionSettings(engine=engine), prompt=made.prompt)
        coverage = load(heard).coverage
        print(f"{engine}: decoded again: {', '.join(map(str, coverage.redecoded))}; still without words: "
              f"{', '.join(map(str, coverage.without_words))}; covered {coverage.covered_share:.1%}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
