"""The master: the cut master + the editors' strikes -> normalised untagged MP3 and M4A, loudness report,
and the published timeline.

The strikes are taken out of the cut master (published.py decides where each
cut falls), noise and hum are reduced and the voices levelled (`level_voices`:
sound.py, with the speakers task's turns file: times and voice indices, no
names), the result is measured and one
gain (with a true-peak limiter when needed) brings it to the target; MP3 and M4A
are encoded from the master by two ffmpeg commands at once, measured and gated.
Each format's limiter ceiling starts lower by what its codec adds (CODEC_HEADROOM_DB), and
a format that missed the target or came too near the peak limit is encoded again.
Nothing here reads the recordings or the transcript, so a strike re-encodes and
never re-transcribes, and a new loudness target never re-cuts.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

from ..core.errors import StageError
from ..core.fsutil import atomic_path
from ..core.media import run
from . import graph as graphs
from .audio import _scratch, disk_errors, wav_frames
from . import meter
from .loudness import (CODEC_HEADROOM_DB, Encoded, GainPlan, Loudness, LoudnessReport, codec_plan, correction, gate,
                       measure_files, measure_momentary, plan_gain, settle)
from .published import Strike, cut_spans, load_strikes, map_clips, save_published, struck_timeline
from .settings import Mastering
from .sound import NO_SPEECH, SoundOptions, SoundReport, load_turns, produce, sting_spans, with_voices_after
from .timeline import Timeline

MAX_ENCODES = 3  # encodes of one episode at most: the first and two corrected ones
MIN_EPISODE_S = 1.0  # seconds: strikes may not leave less of an episode


@dataclass(frozen=True)
class MasterTargets:
    mp3: Path  # untagged, normalised
    m4a: Path
    report: Path  # loudness report, published beside the episode
    failed_report: Path  # where a report that failed the gate goes
    published: Path  # JSON: the cut's timeline and the strikes' (published.py)


@dataclass(frozen=True)
class MasterSources:
    cut: Path  # the cut master (float WAV at the encode rate)
    asr: Path  # the cut's 16 kHz ASR audio: where the pauses around each strike are quiet
    timeline: Path  # the cut task's timeline.json
    strikes: Path  # the editors' struck spans (times of the cut)
    turns: Path | None = None  # the speakers task's turns file (times of the cut, voice indices); None: none


def level_voices(sources: MasterSources, cut: dict, work: Path, stack: ExitStack, *, options: SoundOptions,
                 channels: int, rate: int, what: str) -> tuple[Path, SoundReport]:
    """The cut master cleaned and levelled (sound.py) into a scratch WAV in `work`, removed after the encodes."""
    turns = load_turns(sources.turns) if sources.turns else ()
    if not turns:
        return sources.cut, SoundReport((), NO_SPEECH, False, NO_SPEECH, ())
    out = stack.enter_context(_scratch(work, "produced", ".wav"))
    report = produce(sources.cut, out, turns, sting_spans(cut), options, channels=channels, rate=rate, what=what)
    return out, report


@dataclass(frozen=True)
class _Job:
    episode: str  # slug
    targets: MasterTargets
    settings: Mastering
    channels: int  # 1 or 2 in the encodes
    target_lufs: float

    @property
    def what(self) -> str:
        return f"episode '{self.episode}'"


def _encode(job: _Job, master: Path, published: Timeline, plan: GainPlan,
            encodes: dict[str, Path]) -> tuple[dict[str, Encoded], meter.Blocks]:
    """Each format encoded, measured and corrected on its own, the formats at once (one ffmpeg each, so a long
    episode's encodes use both cores): how each was made, and the published MP3's momentary blocks."""
    with ThreadPoolExecutor(max_workers=len(encodes)) as pool:
        done = dict(zip(encodes, pool.map(lambda ext: _encode_one(job, master, published, plan, ext, encodes[ext]),
                                          encodes)))
    return {ext: encoded for ext, (encoded, _) in done.items()}, done["mp3"][1]


def _encode_one(job: _Job, master: Path, published: Timeline, plan: GainPlan, ext: str,
                target: Path) -> tuple[Encoded, meter.Blocks]:
    """Pass 2 of one format, then corrected passes (from the master) while it misses.

    A codec may shift the loudness a little or, at low bitrates, add peaks
    over the limiter's ceiling: each starts CODEC_HEADROOM_DB under it. A
    corrected pass lowers the ceiling by what the codec added, with the gain
    settled again.
    """
    what = f"{job.what}: measuring the limited master"
    used = codec_plan(plan, CODEC_HEADROOM_DB.get(ext, 0.0), master, published.rate, what=what)
    attempt = 1
    while True:
        run(graphs.pass2(master, published, used, job.settings, job.channels, ext, target),
            what=f"{job.what}: normalising and encoding {ext}")
        [(loudness, blocks)] = measure_momentary([target], what=f"{job.what}: measuring the {ext}")
        better = correction(used, loudness, job.settings.gate_max_true_peak_db)
        if better is None or attempt == MAX_ENCODES:
            return Encoded(loudness, used.gain_db, used.ceiling_db, used.mode, attempt), blocks
        used = better if better.ceiling_db == used.ceiling_db else settle(better, master, published.rate, what=what)
        attempt += 1


def _report(job: _Job, measured: Loudness, results: dict[str, Encoded], sound: SoundReport) -> LoudnessReport:
    s = job.settings
    problems = [p for ext, o in results.items()
                for p in gate(f"{job.episode}.{ext}", o.loudness, job.target_lufs, s.gate_tolerance_lu,
                              s.gate_max_true_peak_db)]
    report = LoudnessReport(job.episode, job.target_lufs, job.channels, measured, results, tuple(problems), sound)
    if problems:
        report.save(job.targets.failed_report)
        raise StageError(f"{job.what} failed the loudness gate: {'; '.join(problems)}. Report: "
                         f"{job.targets.failed_report}; the recording may be clipped or extremely peaky")
    job.targets.failed_report.unlink(missing_ok=True)
    return report


def _timeline_json(path: Path, what: str) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise StageError(f"{what}: {path} is missing or unreadable; run 'coursecast episodes' again") from e


def published_cut(sources: MasterSources, strikes: tuple[Strike, ...], settings: Mastering, what: str) -> Timeline:
    """The published episode as clips of the cut master: every strike taken out at the quiet points around it."""
    samples = wav_frames(sources.cut)
    rate = settings.sample_rate_hz
    spans = cut_spans(strikes, sources.asr, samples / rate, settings.crossfade_ms / 1000)
    try:
        published = struck_timeline(samples, rate, spans, settings.crossfade_ms / 1000)
    except StageError as e:
        raise StageError(f"{what}: {e}; unstrike some of it in the editing file") from e
    if spans and published.duration < MIN_EPISODE_S:
        raise StageError(f"{what}: the strikes leave {published.duration:.2f} s of the episode, less than "
                         f"{MIN_EPISODE_S:g} s; unstrike some of it in the editing file")
    return published


def _voices_after(sound: SoundReport, sources: MasterSources, published: Timeline, mp3: meter.Blocks) -> SoundReport:
    """The report with each voice's loudness in the MP3 (its turns moved onto the published episode)."""
    if not sound.voices or not sources.turns:
        return sound
    turns = [replace(t, start=map_clips(published, t.start), end=map_clips(published, t.end))
             for t in load_turns(sources.turns)]
    return with_voices_after(sound, mp3, turns)


def build_master(sources: MasterSources, targets: MasterTargets, settings: Mastering, *,
                 episode: str, sound: SoundOptions = SoundOptions(True, "auto")) -> LoudnessReport:
    """Strike, level, normalise and encode one episode; the report is written only when all went well."""
    cut = _timeline_json(sources.timeline, f"episode '{episode}'")
    channels = int(cut.get("channels", 1))
    target = settings.target_lufs_mono if channels == 1 else settings.target_lufs_stereo
    job = _Job(episode, targets, settings, channels, target)
    strikes = load_strikes(sources.strikes)
    published = published_cut(sources, strikes, settings, job.what)
    folders = (sources.cut.parent, targets.mp3.parent, targets.report.parent)
    with disk_errors(job.what, *folders), ExitStack() as stack:
        master, produced = level_voices(sources, cut, sources.cut.parent, stack, options=sound, channels=channels,
                                        rate=settings.sample_rate_hz, what=job.what)
        measured = measure_files([master], what=f"{job.what}: measuring the cut")[0]
        plan = plan_gain(measured, target, settings.true_peak_db, what=job.what)  # each format settles its own
        encodes = {"mp3": stack.enter_context(atomic_path(targets.mp3)),
                   "m4a": stack.enter_context(atomic_path(targets.m4a))}
        results, mp3 = _encode(job, master, published, plan, encodes)
        produced = _voices_after(produced, sources, published, mp3)
        report = _report(job, measured, results, produced)
        save_published(targets.published, cut, published, strikes)
    with disk_errors(job.what, *folders):
        report.save(targets.report)
    return report
