"""Loudness: EBU R128 measurement (ffmpeg's ebur128 filter), the gain plan and the loudness gate.

Normalisation is linear: one gain for the whole episode, so the dynamics a
speaker has stay as they are. When that gain would push the true peak over the
ceiling, a look-ahead limiter running at four times the sample rate (so it
sees inter-sample peaks) holds the peaks down first; the report says so. The
final encodes are measured again, and a file off target or too hot fails.
"""
from __future__ import annotations

import json
import math
import re
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import ffmpeg
import numpy as np

from ..core.errors import StageError
from ..core.ffgraph import Filter, apply, command, filt, head
from ..core.fsutil import write_json
from ..core.media import run
from . import meter
from .sound import SoundReport, sound_from_dict

MEASURE_FILTER = filt("ebur128", peak="true", framelog="verbose")  # integrated, LRA, true peak; no per-frame log
LOUDNESS_FILTER = filt("ebur128", framelog="verbose")  # integrated and LRA only (a third of the cost)
SILENCE_LUFS = -60.0  # LUFS integrated: quieter than this is a silent or near-silent recording
SILENT_SOURCE_DB = -60.0  # dBFS sample peak: a source that never gets louder is silent
LIMITER_OVERSAMPLE = 4  # the limiter runs at 4x the rate, so inter-sample peaks are seen
LIMITER_MARGIN_DB = 0.3  # dB the limiter aims under the ceiling (resampler ringing, codec)
LIMITER_ATTACK_MS = 5.0  # milliseconds of look-ahead
LIMITER_RELEASE_MS = 100.0  # milliseconds to recover after a peak
CORRECT_WITHIN_LU = 0.5  # LU: encodes further off target (on average) get a corrected encode
SETTLE_WITHIN_LU = 0.2  # LU: the limited master is close enough to target to encode
SETTLE_STEPS = 4  # limited-master measurements at most (secant search for the gain)
MAX_EXTRA_GAIN_DB = 12.0  # dB the limiter may be pushed beyond the linear gain
PEAK_SAFETY_DB = 0.15  # dB: encodes closer than this to the gate's peak limit get a corrected encode
# dB a format's limiter ceiling starts under the plan's: ffmpeg's AAC at 64 kbps mono added 0.3 to 1.2 dB of true
# peak over the ceiling on the benchmark course (5 of 6 episodes then needed a corrected encode); LAME at 96 kbps
# 0 to 0.3 there and 0.4 on a 45-minute episode (a second encode: 29 s of its 89 s master)
CODEC_HEADROOM_DB = {"mp3": 0.5, "m4a": 1.0}

MOMENTARY_KEY = "lavfi.r128.M"  # ebur128's momentary loudness, one value every 100 ms (metadata=1)
PARTIAL_FRAMES = 3  # ebur128's first momentary values span under 400 ms: left out
_SUMMARY = re.compile(r"\[Parsed_ebur128_(\d+) @ [^\]]+\] Summary:(.*?)(?=\n\[|\Z)", re.S)
_LEVEL = re.compile(r"\[Parsed_volumedetect_(\d+) @ [^\]]+\] (n_samples|max_volume): (\S+)")


@dataclass(frozen=True)
class Loudness:
    integrated: float  # LUFS, gated integrated loudness (-70.0 for silence)
    true_peak: float  # dBTP (-inf for digital silence)
    lra: float  # LU, loudness range
    threshold: float  # LUFS, relative gate

    def to_dict(self) -> dict:
        return {k: (None if math.isinf(v) else round(v, 2)) for k, v in self.__dict__.items()}


def loudness_from_dict(raw: dict) -> Loudness:
    return Loudness(**{k: float("-inf") if v is None else float(v) for k, v in raw.items()})


@dataclass(frozen=True)
class Level:
    seconds: float  # audio decoded from the input, seconds
    max_volume: float  # dBFS, highest sample


def _number(block: str, label: str) -> float:
    match = re.search(rf"{label}:\s+(-?inf|-?[\d.]+)", block)
    return float(match.group(1)) if match else float("-inf")


def parse_ebur128(stderr: str) -> list[Loudness]:
    """One Loudness per ebur128 filter of the command, in filter order (the last summary of each)."""
    found: dict[int, Loudness] = {}
    for index, block in _SUMMARY.findall(stderr):
        integrated, _, rest = block.partition("Loudness range:")
        found[int(index)] = Loudness(
            integrated=_number(integrated, "I"), true_peak=_number(rest, "Peak"),
            lra=_number(rest, "LRA"), threshold=_number(integrated, "Threshold"))
    return [found[i] for i in sorted(found)]


def parse_levels(stderr: str, channels: list[int], rate: int) -> list[Level]:
    """One Level per volumedetect filter, in filter order; `channels` of each filter's input."""
    values: dict[int, dict[str, str]] = {}
    for index, key, value in _LEVEL.findall(stderr):
        values.setdefault(int(index), {})[key] = value
    levels = []
    for count, index in zip(channels, sorted(values)):
        raw = values[index]
        samples = int(raw.get("n_samples", 0))
        peak = float(raw.get("max_volume", "-inf"))
        levels.append(Level(samples / max(count, 1) / rate, peak if samples else float("-inf")))
    return levels


def measure_files(paths: list[Path], *, what: str) -> list[Loudness]:
    """Measure finished files (one ffmpeg run, each file decoded once), in order."""
    files = [ffmpeg.input(str(path)) for path in paths]
    outs = [ffmpeg.output(apply(file["a:0"], [MEASURE_FILTER]), "-", f="null") for file in files]
    return _summaries(run(command(head(), outs, files), what=what).stderr, len(paths), what)


def _summaries(stderr: str, count: int, what: str) -> list[Loudness]:
    found = parse_ebur128(stderr)
    if len(found) != count:
        raise StageError(f"{what}: ffmpeg printed no loudness summary; is the ebur128 filter available?")
    return found


def measure_momentary(paths: list[Path], *, what: str) -> list[tuple[Loudness, meter.Blocks]]:
    """As measure_files, and each file's momentary blocks (400 ms every 100 ms, as meter.blocks gives) from the
    same decode: ffmpeg's ebur128 logs them, so measuring a finished file's voices costs no second decode."""
    with tempfile.TemporaryDirectory(prefix="coursecast-r128-") as work:  # a plain path: no escaping in filters
        logs = [Path(work) / f"momentary{k}.txt" for k in range(len(paths))]
        files = [ffmpeg.input(str(path)) for path in paths]
        logged = replace(MEASURE_FILTER, options=(*MEASURE_FILTER.options, ("metadata", 1)))
        outs = [ffmpeg.output(apply(file["a:0"], [logged, filt("ametadata", mode="print", key=MOMENTARY_KEY,
                                                               file=str(log))]),
                              "-", f="null") for file, log in zip(files, logs)]
        found = _summaries(run(command(head(), outs, files), what=what).stderr, len(paths), what)
        return [(loudness, _momentary(log)) for loudness, log in zip(found, logs)]


def _momentary(log: Path) -> meter.Blocks:
    """The blocks of an ametadata log of ebur128's momentary values; the value at frame k (100 ms each) spans the
    400 ms ending with it, so block k starts 300 ms before it. The last frame may be short and is left out."""
    values = re.findall(re.escape(MOMENTARY_KEY) + r"=(\S+)", log.read_text(encoding="utf-8"))
    lufs = np.array([float(v) for v in values[PARTIAL_FRAMES:-1]])
    power = 10 ** ((lufs - meter.LOUDNESS_OFFSET) / 10)
    return meter.Blocks(power, meter.HOP_S, meter.MOMENTARY_S)


@dataclass(frozen=True)
class GainPlan:
    target: float  # LUFS integrated aimed at
    gain_db: float  # dB applied to the whole episode
    ceiling_db: float  # dBTP the peaks are held under
    input_peak: float  # dBTP of the cut episode before gain
    limiter: bool  # a true-peak limiter runs after the gain

    @property
    def mode(self) -> str:
        return "linear+limiter" if self.limiter else "linear"

    def filters(self, rate: int, *, oversample: bool = True) -> tuple[Filter, ...]:
        """ffmpeg filters applying the plan to audio at `rate` Hz (oversample=False: a cheap estimate)."""
        chain = [filt("volume", f"{self.gain_db:.3f}dB")]
        if self.limiter:
            limit = 10 ** ((self.ceiling_db - LIMITER_MARGIN_DB) / 20)
            limiter = filt("alimiter", limit=f"{limit:.5f}", attack=LIMITER_ATTACK_MS, release=LIMITER_RELEASE_MS,
                           level="disabled", latency="enabled")
            up = rate * LIMITER_OVERSAMPLE
            chain += [filt("aresample", up), limiter, filt("aresample", rate)] if oversample else [limiter]
        return tuple(chain)


def plan_gain(measured: Loudness, target: float, ceiling_db: float, *, what: str) -> GainPlan:
    """The linear gain to the target; a limiter when the gain would push the true peak over the ceiling."""
    if measured.integrated <= SILENCE_LUFS:
        raise StageError(
            f"{what}: the cut audio measures {measured.integrated:.1f} LUFS, i.e. silent or nearly so; "
            "check the recording (muted microphone? wrong track?) and the keep ranges")
    gain = target - measured.integrated
    return GainPlan(target, gain, ceiling_db, measured.true_peak, measured.true_peak + gain > ceiling_db)


def measure_filtered(path: Path, filters: tuple[Filter, ...], *, what: str) -> Loudness:
    """Integrated loudness and LRA of `path` after `filters` (no true peak), without writing anything."""
    file = ffmpeg.input(str(path))
    out = ffmpeg.output(apply(file["a:0"], [*filters, LOUDNESS_FILTER]), "-", f="null")
    found = parse_ebur128(run(command(head(), [out], [file]), what=what).stderr)
    if not found:
        raise StageError(f"{what}: ffmpeg printed no loudness summary; is the ebur128 filter available?")
    return found[-1]


def settle(plan: GainPlan, master: Path, rate: int, *, what: str) -> GainPlan:
    """With a limiter, find the gain whose limited result meets the target (secant search on the master).

    Limiting takes loudness away with the peaks, more the more it works, so
    the linear gain alone lands under the target. Each step measures the
    master through the limiter at the plain rate (a close, cheap estimate; the
    encodes are measured properly), and the gain never goes more than
    MAX_EXTRA_GAIN_DB past the linear one.
    """
    if not plan.limiter:
        return plan
    points: list[tuple[float, float]] = []
    limit = plan.gain_db + MAX_EXTRA_GAIN_DB
    for _ in range(SETTLE_STEPS):
        level = measure_filtered(master, plan.filters(rate, oversample=False), what=what).integrated
        error = plan.target - level
        if abs(error) <= SETTLE_WITHIN_LU:
            return replace(plan, gain_db=plan.gain_db + error)  # the last small step is near linear
        points.append((plan.gain_db, level))
        gain = plan.gain_db + error
        if len(points) > 1 and points[-1][1] != points[-2][1]:
            (g0, l0), (g1, l1) = points[-2:]
            gain = g1 + (plan.target - l1) * (g1 - g0) / (l1 - l0)
        plan = replace(plan, gain_db=min(max(gain, plan.gain_db - MAX_EXTRA_GAIN_DB), limit))
    return plan


def codec_plan(plan: GainPlan, headroom_db: float, master: Path, rate: int, *, what: str) -> GainPlan:
    """The linear `plan` with its ceiling `headroom_db` lower, settled when that needs the limiter."""
    ceiling = plan.ceiling_db - headroom_db
    lowered = replace(plan, ceiling_db=ceiling, limiter=plan.limiter or plan.input_peak + plan.gain_db > ceiling)
    return settle(lowered, master, rate, what=what) if lowered.limiter else lowered


def correction(plan: GainPlan, output: Loudness, max_peak_db: float) -> GainPlan | None:
    """A corrected plan when an encode missed the target or came close to the peak limit, else None.

    Off target: the gain moves by the error. Too hot: the limiter's ceiling
    drops by what the codec added over it (its gain is then settled again).
    """
    error = plan.target - output.integrated
    hot = output.true_peak > max_peak_db - PEAK_SAFETY_DB
    if abs(error) <= CORRECT_WITHIN_LU and not hot:
        return None
    overshoot = max(0.0, output.true_peak - plan.ceiling_db)
    ceiling = plan.ceiling_db - overshoot - PEAK_SAFETY_DB if hot else plan.ceiling_db
    gain = plan.gain_db + error
    return GainPlan(plan.target, gain, ceiling, plan.input_peak,
                    plan.limiter or hot or plan.input_peak + gain > ceiling)


def gate(label: str, measured: Loudness, target: float, tolerance: float, max_peak: float) -> list[str]:
    """Problems with one finished file: off the loudness target, or peaking too high."""
    problems = []
    off = measured.integrated - target
    if abs(off) > tolerance:
        problems.append(f"{label} measures {measured.integrated:.1f} LUFS, {off:+.1f} LU off the "
                        f"{target:.1f} LUFS target (allowed: ±{tolerance:.1f} LU)")
    if measured.true_peak > max_peak:
        problems.append(f"{label} peaks at {measured.true_peak:.1f} dBTP, above the {max_peak:.1f} dBTP limit")
    return problems


@dataclass(frozen=True)
class Encoded:
    loudness: Loudness  # the finished file, measured
    gain_db: float  # dB applied to the master
    ceiling_db: float  # dBTP the limiter held the peaks under (when it ran)
    mode: str  # "linear" or "linear+limiter"
    encodes: int = 1  # 2 or 3 when corrected encodes were needed

    def to_dict(self) -> dict:
        return {**self.loudness.to_dict(), "gain_db": round(self.gain_db, 2),
                "ceiling_db": round(self.ceiling_db, 2), "mode": self.mode, "encodes": self.encodes}


def encoded_from_dict(raw: dict) -> Encoded:
    loudness = loudness_from_dict({k: raw[k] for k in ("integrated", "true_peak", "lra", "threshold")})
    return Encoded(loudness, float(raw["gain_db"]), float(raw["ceiling_db"]), raw["mode"], int(raw["encodes"]))


@dataclass(frozen=True)
class LoudnessReport:
    episode: str  # slug
    target_lufs: float  # LUFS integrated aimed at
    channels: int  # 1 (mono) or 2 (stereo) in the encodes
    input: Loudness  # the cut episode before gain
    outputs: dict[str, Encoded] = field(default_factory=dict)  # "mp3"/"m4a" -> how it was made, measured
    problems: tuple[str, ...] = ()  # the gate's findings; empty = passed
    sound: SoundReport | None = None  # noise and hum reduced, voices levelled: what, why, each voice before/after

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def gain_db(self) -> float:
        """dB applied (to the MP3, the podcast's main file)."""
        return self.outputs["mp3"].gain_db

    @property
    def mode(self) -> str:
        limited = any(o.mode != "linear" for o in self.outputs.values())
        return "linear+limiter" if limited else "linear"

    def to_dict(self) -> dict:
        return {
            "episode": self.episode, "passed": self.passed, "target_lufs": self.target_lufs,
            "channels": self.channels, "input": self.input.to_dict(), "gain_db": round(self.gain_db, 2),
            "mode": self.mode, "outputs": {k: v.to_dict() for k, v in self.outputs.items()},
            "problems": list(self.problems),
            **({"sound": self.sound.to_dict()} if self.sound else {}),
        }

    def save(self, path: Path) -> None:
        write_json(path, self.to_dict())


def load_report(path: Path) -> LoudnessReport:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return LoudnessReport(
        episode=raw["episode"], target_lufs=raw["target_lufs"], channels=raw["channels"],
        input=loudness_from_dict(raw["input"]), problems=tuple(raw["problems"]),
        outputs={k: encoded_from_dict(v) for k, v in raw["outputs"].items()},
        sound=sound_from_dict(raw["sound"]) if raw.get("sound") else None,
    )
