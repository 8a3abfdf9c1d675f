"""Producing the episode's sound before loudness normalisation: noise and hum reduced, voices levelled.

`produce` reads the cut master (float WAV), applies denoise.clean (as `[audio]
denoise` says) and the voice leveler (when `[audio] level_voices`, with the
speaker turns: times and voice indices, never names) and writes the result for
the loudness normalisation and the encodes. `voice_loudness` measures each
voice's turns in a finished file, from the momentary blocks its measurement
logged, so the loudness report can show each speaker before and after. The
turns file (`save_turns`/`load_turns`) is what the speakers task writes and the
encode reads.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from ..core.media import pipe
from ..core.errors import StageError
from ..core.fsutil import write_json
from . import denoise, leveler, meter
from .timeline import from_dict
from .leveler import Levelling, VoiceTurn

log = logging.getLogger(__name__)
TURNS_FORMAT = 1  # the turns file's layout
NO_SPEECH = "no speech found (no speaker turns: music, silence or a tone?): left as it is"
_ONE_AT_A_TIME = threading.Lock()  # the runner's threads produce one episode's sound at a time (memory)


@dataclass(frozen=True)
class SoundOptions:
    """The [audio] values producing reads."""

    level_voices: bool  # level every voice and passage (leveler.py)
    denoise: str  # "auto", "on" or "off" (denoise.py)


@dataclass(frozen=True)
class VoiceLoudness:
    """One voice in the loudness report."""

    voice: int  # voice index of the turns file (no names: a rename never re-encodes)
    speech_s: float  # seconds of its speech measured
    before_lufs: float  # its turns' integrated loudness in the cut, as recorded, LUFS
    gain_db: float  # the leveler's gain for it (0 when not levelled)
    after_lufs: float | None = None  # its turns' integrated loudness in the published MP3, LUFS

    def to_dict(self) -> dict:
        return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class SoundReport:
    """What producing did, for the loudness report."""

    cleaning: tuple[str, ...]  # the cleaning steps applied, in order; () = none
    cleaning_reason: str  # what the measurement found (and so why)
    levelled: bool  # the leveler changed the audio
    levelling_reason: str  # why not, when not levelled
    voices: tuple[VoiceLoudness, ...]  # per voice, before (and after, once measured)
    ride_db: tuple[float, float] = (0.0, 0.0)  # lowest and highest ride within voices, dB

    def to_dict(self) -> dict:
        return {"cleaning": list(self.cleaning), "cleaning_reason": self.cleaning_reason,
                "levelled": self.levelled, "levelling_reason": self.levelling_reason,
                "ride_db": list(self.ride_db), "voices": [v.to_dict() for v in self.voices]}


def sound_from_dict(raw: dict) -> SoundReport:
    voices = tuple(VoiceLoudness(**v) for v in raw.get("voices", ()))
    return SoundReport(tuple(raw["cleaning"]), raw["cleaning_reason"], raw["levelled"], raw["levelling_reason"],
                       voices, tuple(raw.get("ride_db", (0.0, 0.0))))


def save_turns(path: Path, turns: Sequence[VoiceTurn]) -> None:
    """The turns file: times (seconds of the cut) and voice indices, nothing else."""
    write_json(path, {"format": TURNS_FORMAT,
                      "turns": [[round(t.start, 3), round(t.end, 3), t.voice] for t in turns]})


def load_turns(path: Path) -> tuple[VoiceTurn, ...]:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return tuple(VoiceTurn(float(a), float(b), int(v)) for a, b, v in raw["turns"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise StageError(f"{path}: missing or unreadable speaker turns ({e}); run 'coursecast transcribe' "
                         "again") from e


def read_audio(path: Path, channels: int, rate: int, what: str) -> np.ndarray:
    """Any audio file as float32 samples x channels at `rate`."""
    raw = pipe(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-ac", str(channels), "-ar", str(rate),
                "-f", "f32le", "-"], None, what=what)
    return np.frombuffer(raw, dtype="<f4").reshape(-1, channels)


def write_wav(path: Path, samples: np.ndarray, rate: int, what: str) -> None:
    """Float samples x channels as a float WAV (RF64 past 4 GiB), as the cut master is."""
    channels = samples.shape[1]
    pipe(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "f32le", "-ar", str(rate), "-ac", str(channels),
          "-i", "-", "-c:a", "pcm_f32le", "-rf64", "auto", "-f", "wav", str(path)],
         memoryview(np.ascontiguousarray(samples, dtype="<f4")).cast("B"), what=what)  # no copy as bytes


def _voices(result: Levelling | None) -> tuple[VoiceLoudness, ...]:
    if result is None:
        return ()
    return tuple(VoiceLoudness(v.voice, v.speech_s, v.before_lufs, v.gain_db) for v in result.voices)


def produce(master: Path, out: Path, turns: Sequence[VoiceTurn], stings: Sequence[tuple[float, float]],
            options: SoundOptions, *, channels: int, rate: int, what: str) -> SoundReport:
    """`master` cleaned and levelled into `out` (float WAV); what was done and why. One episode at a time in a
    process: it holds the whole episode in memory once, at the master's rate in float32, besides the noise
    measurement's and the filters' working memory (README, "Sound")."""
    with _ONE_AT_A_TIME:
        return _produce(master, out, turns, stings, options, channels=channels, rate=rate, what=what)


def _produce(master: Path, out: Path, turns: Sequence[VoiceTurn], stings: Sequence[tuple[float, float]],
             options: SoundOptions, *, channels: int, rate: int, what: str) -> SoundReport:
    samples = read_audio(master, channels, rate, f"{what}: reading the cut master")
    mono = samples[:, 0] if channels == 1 else samples
    if not turns:
        write_wav(out, samples, rate, f"{what}: writing the produced master")
        return SoundReport((), NO_SPEECH, False, NO_SPEECH, ())
    # the episode is held once: filtered and levelled in place (the samples read are ours, and writable)
    cleaned, cleaning = denoise.clean(mono, rate, options.denoise, keep=list(stings), in_place=True)
    del samples, mono  # when the noise reducer ran, the recording as read is not needed past cleaning
    if options.level_voices:
        result, levelling = leveler.level(cleaned, rate, list(turns), list(stings), in_place=True)
    else:
        result, levelling = cleaned, leveler.plan(cleaned, rate, list(turns), list(stings))[1]
    report = SoundReport(cleaning.applied, cleaning.reason, options.level_voices and levelling.applied,
                         levelling.reason or ("" if options.level_voices else "level_voices = false"),
                         _voices(levelling) if options.level_voices else _unlevelled(levelling), levelling.ride_db)
    write_wav(out, result.reshape(len(result), -1), rate, f"{what}: writing the produced master")
    return report


def _unlevelled(result: Levelling) -> tuple[VoiceLoudness, ...]:
    return tuple(VoiceLoudness(v.voice, v.speech_s, v.before_lufs, 0.0) for v in result.voices)


def voice_loudness(found: meter.Blocks, turns: Sequence[VoiceTurn]) -> dict[int, float]:
    """Integrated loudness of each voice's turns (seconds of the measured file) from its momentary blocks, LUFS."""
    centres = found.centres()
    result = {}
    for voice in sorted({t.voice for t in turns}):
        mask = meter.in_spans(centres, [(t.start, t.end) for t in turns if t.voice == voice])
        result[voice] = round(meter.integrated(found.power[mask]), 2)
    return result


def sound_summary(report: SoundReport) -> str:
    """One line for `coursecast check`: what cleaning and levelling did, each voice before -> after."""
    cleaning = ", ".join(report.cleaning) or "no cleaning"
    if not report.levelled:
        return f"{cleaning} ({report.cleaning_reason}); not levelled: {report.levelling_reason}"
    voices = "; ".join(f"voice {v.voice + 1} {v.before_lufs:.1f} -> "
                       + (f"{v.after_lufs:.1f}" if v.after_lufs is not None else "?")
                       + f" LUFS ({v.gain_db:+.1f} dB, {v.speech_s:.0f} s of speech)" for v in report.voices)
    return f"{cleaning} ({report.cleaning_reason}); levelled: {voices}"


def sting_spans(cut: dict) -> list[tuple[float, float]]:
    """Seconds of the cut (timeline.json, read) where a sting plays alone: the leveler and denoiser leave them."""
    timeline, pieces = from_dict(cut["after"]), cut["pieces"]
    spans = []
    for index, clip in enumerate(timeline.clips):
        if pieces[clip.piece]["sting"]:
            lo, hi = timeline.interior(index)
            spans.append((lo / timeline.rate, hi / timeline.rate))
    return spans


def with_voices_after(report: SoundReport, found: meter.Blocks, turns: Sequence[VoiceTurn]) -> SoundReport:
    """`report` with each voice's loudness in a finished file (its momentary blocks; turns in its seconds)."""
    after = voice_loudness(found, turns)
    return replace(report, voices=tuple(replace(v, after_lufs=after.get(v.voice)) for v in report.voices))
