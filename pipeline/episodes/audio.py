"""Episode audio: recordings -> cut, ASR audio, normalised untagged MP3 and M4A, loudness report.

Each recording is decoded once: pass 1 cuts and joins into a float master
(and the ASR audio) and measures it; pass 2 applies the gain plan to the
master and encodes MP3 and M4A in one command; the encodes are measured and
gated. A corrected second encode (from the master) is made when the first
missed the target, e.g. after heavy limiting.
"""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import struct
import tempfile
import wave
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from ..core.errors import MediaError, StageError
from ..core.fsutil import atomic_path, write_json
from ..core.media import run
from ..core.timecode import format_timecode
from . import graph as graphs
from .loudness import (
    SILENT_SOURCE_DB,
    Encoded,
    GainPlan,
    Loudness,
    LoudnessReport,
    correction,
    gate,
    measure_files,
    parse_ebur128,
    parse_levels,
    plan_gain,
    settle,
)
from .settings import Mastering
from .timeline import Piece, Timeline, join, mute_spans, remove

PAUSE_WINDOW_S = 0.02  # seconds per level reading when looking for pauses
PAUSE_BELOW_LOUDNESS_DB = 25.0  # dB under the episode's loudness that counts as a pause
MIN_CUT_S = 0.1  # seconds: shorter excess pauses are left alone
TRUNCATION_SLACK_S = 0.1  # seconds a recording may come up short of its kept range
ESTIMATE_SLACK = 0.02  # fraction a whole-file length (ffprobe's estimate) may come up short
MAX_ENCODES = 3  # encodes of one episode at most: the first and two corrected ones
NO_SPACE = "No space left on device"  # ffmpeg's words for ENOSPC
LOW_SPACE_BYTES = 1 << 20  # bytes: a failed ffmpeg with less than this free was stopped by a full disk


@dataclass(frozen=True)
class AudioTargets:
    work: Path  # folder for the float master (deleted after the encodes)
    asr: Path  # 16 kHz mono ASR audio of the episode timeline
    asr_left: Path | None  # left side (None: no one-speaker-per-channel recording)
    asr_right: Path | None
    mp3: Path  # untagged, normalised
    m4a: Path
    timeline: Path  # JSON: the cut (pipeline.episodes_timeline)
    report: Path  # loudness report, published beside the episode
    failed_report: Path  # where a report that failed the gate goes


@contextlib.contextmanager
def _scratch(folder: Path, name: str, suffix: str) -> Iterator[Path]:
    """A temp file in `folder` that is always removed (remove_stale_temps finds it after a crash)."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=f".part{suffix}", dir=folder)
    os.close(handle)
    try:
        yield Path(tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _nearly_full(folders: tuple[Path, ...]) -> bool:
    for folder in folders:
        existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
        if existing is not None and shutil.disk_usage(existing).free < LOW_SPACE_BYTES:
            return True
    return False


@contextlib.contextmanager
def disk_errors(what: str, *folders: Path) -> Iterator[None]:
    """A full disk, from ffmpeg or from Python, becomes one clear StageError.

    ffmpeg's own words ('No space left on device') may not be among the last
    lines MediaError keeps, so a failed command whose output folder has next
    to no free space left is taken as a full disk too.
    """
    try:
        yield
    except MediaError as e:
        if NO_SPACE not in str(e) and not _nearly_full(folders):
            raise
        raise StageError(f"{what}: the disk is full ({NO_SPACE}); free some space and build again") from e
    except OSError as e:
        if e.errno != errno.ENOSPC:
            raise
        where = e.filename or (f"writing in {folders[0]}" if folders else "writing")
        raise StageError(f"{what}: the disk is full ({where}); "
                         "free some space and build again") from e


def channel_layout(pieces: tuple[Piece, ...], channels: str) -> str:
    """'mono' or 'stereo': as set, or (auto) stereo only when a recording is plain stereo."""
    if channels in ("mono", "stereo"):
        return channels
    plain_stereo = any(p.channels >= 2 and not p.split and not p.sting for p in pieces)
    return "stereo" if plain_stereo else "mono"


def _outputs(stack: ExitStack, targets: AudioTargets, master: Path, scratch: bool) -> graphs.Pass1Outputs:
    def open_(path: Path | None) -> Path | None:
        if path is None:
            return None
        if scratch:
            return stack.enter_context(_scratch(targets.work, path.stem, path.suffix))
        return stack.enter_context(atomic_path(path))

    return graphs.Pass1Outputs(master, open_(targets.asr), open_(targets.asr_left), open_(targets.asr_right))


def _check_inputs(pieces: tuple[Piece, ...], graph: graphs.Graph, stderr: str, rate: int, what: str) -> None:
    """Every input decoded as far as it is used, and not silent."""
    for name, level in zip(graph.level_names, parse_levels(stderr, graph.level_channels, rate)):
        used = [p for p in pieces if p.name == name]
        end = max(p.end for p in used)
        slack = max(TRUNCATION_SLACK_S, ESTIMATE_SLACK * end if any(p.estimated for p in used) else 0.0)
        if level.seconds < end - slack:
            raise StageError(
                f"{what}: {name} holds only {format_timecode(level.seconds)} of audio but the episode "
                f"uses it up to {format_timecode(end)}; the file is truncated or damaged: re-export it "
                "from the recorder (or shorten the keep range)")
        if level.max_volume <= SILENT_SOURCE_DB:
            raise StageError(
                f"{what}: {name} is silent (loudest sample {level.max_volume:.0f} dBFS); check the "
                "recording (muted microphone? wrong track?) or remove it from the episode")


def wav_frames(path: Path) -> int:
    """Sample frames in a WAV/RF64 file, from its header (float WAVs included)."""
    with open(path, "rb") as handle:
        kind, big, align = handle.read(12)[:4], None, 0
        while len(header := handle.read(8)) == 8:
            chunk, size = header[:4], struct.unpack("<I", header[4:])[0]
            if chunk in (b"ds64", b"fmt "):
                body = handle.read(size + (size & 1))
                big = struct.unpack("<Q", body[8:16])[0] if chunk == b"ds64" else big
                align = struct.unpack("<H", body[12:14])[0] if chunk == b"fmt " else align
            elif chunk == b"data":
                return (big if kind == b"RF64" and big is not None else size) // max(align, 1)
            else:
                handle.seek(size + (size & 1), 1)
    raise StageError(f"{path}: no audio data in the WAV file ffmpeg wrote")


def _check_length(pieces: tuple[Piece, ...], timeline: Timeline, master: Path, what: str) -> None:
    """The cut is sample-exact: the master has exactly the timeline's samples."""
    short = timeline.samples - wav_frames(master)
    slack = ESTIMATE_SLACK * timeline.samples if any(p.estimated for p in pieces) else 0
    if short < 0 or short > slack:
        raise StageError(f"{what}: the cut came out {abs(short)} samples {'short' if short > 0 else 'long'} "
                         f"of the planned {timeline.samples}; this is a bug in coursecast, please report it "
                         "with the course file")


def _cut(pieces: tuple[Piece, ...], timeline: Timeline, layout: str, outputs: graphs.Pass1Outputs,
         what: str) -> Loudness:
    """Pass 1: decode each recording once; cut, join, write master and ASR audio; measure."""
    graph = graphs.pass1(pieces, timeline, layout, outputs, mute_spans(timeline, pieces))
    proc = run(graph.cmd, what=f"{what}: cutting {', '.join(graph.level_names)}")
    _check_inputs(pieces, graph, proc.stderr, timeline.rate, what)
    _check_length(pieces, timeline, outputs.master, what)
    found = parse_ebur128(proc.stderr)
    if not found:
        raise StageError(f"{what}: ffmpeg printed no loudness summary; is its ebur128 filter available?")
    return found[-1]


def _read_asr(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as handle:
        return np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def find_pauses(asr: Path, timeline: Timeline, pieces: tuple[Piece, ...], loudness: float,
                max_pause_s: float) -> list[tuple[float, float]]:
    """Spans (seconds) to cut so no pause inside a recording lasts longer than `max_pause_s`.

    A pause is where the level stays PAUSE_BELOW_LOUDNESS_DB under the episode's
    loudness; half the allowed pause is kept at each end, so word endings and
    breaths before the next word stay.
    """
    samples = _read_asr(asr)
    window = int(graphs.ASR_RATE * PAUSE_WINDOW_S)
    count = len(samples) // window
    frames = samples[: count * window].reshape(count, window).astype(np.float64) / 32768.0
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    interiors = [tuple(x / timeline.rate for x in timeline.interior(i))
                 for i, c in enumerate(timeline.clips) if not pieces[c.piece].sting]
    spans = []
    for a, b in _runs(level < loudness - PAUSE_BELOW_LOUDNESS_DB):
        for lo, hi in interiors:
            start, end = max(a * PAUSE_WINDOW_S, lo), min(b * PAUSE_WINDOW_S, hi)
            if end - start > max_pause_s + MIN_CUT_S:
                spans.append((start + max_pause_s / 2, end - max_pause_s / 2))
    return spans


@dataclass(frozen=True)
class _Job:
    episode: str  # slug
    targets: AudioTargets
    settings: Mastering
    channels: int  # 1 or 2 in the encodes
    target_lufs: float

    @property
    def what(self) -> str:
        return f"episode '{self.episode}'"


def _encode(job: _Job, inputs: graphs.Pass2Inputs, before: Timeline, after: Timeline, plan: GainPlan,
            encodes: dict[str, Path], asr: graphs.Pass1Outputs | None) -> dict[str, Encoded]:
    """Pass 2, then corrected passes (from the master) for a format that missed: how each was made.

    A codec may shift the loudness a little or, at low bitrates, add peaks
    over the limiter's ceiling; a corrected pass re-encodes only that format,
    with the ceiling lowered by what the codec added and the gain settled again.
    """
    pending, results = {ext: plan for ext in encodes}, {}
    for attempt in range(1, MAX_ENCODES + 1):
        cmd = graphs.pass2(inputs, before, after, pending, job.settings, job.channels, encodes,
                           asr if attempt == 1 else None)
        run(cmd, what=f"{job.what}: normalising and encoding {', '.join(pending)}")
        measured = measure_files([encodes[e] for e in pending], what=f"{job.what}: measuring the encodes")
        retry = {}
        for (ext, used), loudness in zip(pending.items(), measured):
            results[ext] = Encoded(loudness, used.gain_db, used.ceiling_db, used.mode, attempt)
            better = correction(used, loudness, job.settings.gate_max_true_peak_db)
            if better is not None and attempt < MAX_ENCODES:
                retry[ext] = better if better.ceiling_db == used.ceiling_db else settle(
                    better, inputs.master, before.rate, what=f"{job.what}: measuring the limited master")
        if not retry:
            break
        pending = retry
    return results


def _report(job: _Job, measured: Loudness, results: dict[str, Encoded]) -> LoudnessReport:
    s = job.settings
    problems = [p for ext, o in results.items()
                for p in gate(f"{job.episode}.{ext}", o.loudness, job.target_lufs, s.gate_tolerance_lu,
                              s.gate_max_true_peak_db)]
    report = LoudnessReport(job.episode, job.target_lufs, job.channels, measured, results, tuple(problems))
    if problems:
        report.save(job.targets.failed_report)
        raise StageError(f"{job.what} failed the loudness gate: {'; '.join(problems)}. Report: "
                         f"{job.targets.failed_report}; the recording may be clipped or extremely peaky")
    job.targets.failed_report.unlink(missing_ok=True)
    return report


def _timeline_json(pieces: tuple[Piece, ...], before: Timeline, after: Timeline) -> dict:
    return {"pieces": [{"name": p.name, "start": p.start, "end": p.end, "split": p.split, "sting": p.sting}
                       for p in pieces],
            "before": before.to_dict(), "after": after.to_dict()}


def build_audio(pieces: tuple[Piece, ...], targets: AudioTargets, settings: Mastering, *,
                episode: str) -> LoudnessReport:
    """Cut, normalise and encode one episode's audio; the report is written only when all went well."""
    layout = channel_layout(pieces, settings.channels)
    channels = 1 if layout == "mono" else 2
    target = settings.target_lufs_mono if channels == 1 else settings.target_lufs_stereo
    job = _Job(episode, targets, settings, channels, target)
    crossfade = settings.crossfade_ms / 1000
    before = join(pieces, settings.sample_rate_hz, crossfade)
    shorten = settings.shorten_pauses
    folders = (targets.work, targets.mp3.parent, targets.report.parent)
    with disk_errors(job.what, *folders), ExitStack() as stack:
        master = stack.enter_context(_scratch(targets.work, "master", ".wav"))
        final = _outputs(stack, targets, master, scratch=False)
        first = _outputs(stack, targets, master, scratch=True) if shorten else final
        measured = _cut(pieces, before, layout, first, job.what)
        plan = settle(plan_gain(measured, target, settings.true_peak_db, what=job.what), master,
                      settings.sample_rate_hz, what=f"{job.what}: measuring the limited master")
        after = before
        if shorten:
            pauses = find_pauses(first.asr, before, pieces, measured.integrated, settings.max_pause_s)
            after = remove(before, pauses, crossfade)
        inputs = graphs.Pass2Inputs(master, *((first.asr, first.left, first.right) if shorten else (None,) * 3))
        encodes = {"mp3": stack.enter_context(atomic_path(targets.mp3)),
                   "m4a": stack.enter_context(atomic_path(targets.m4a))}
        results = _encode(job, inputs, before, after, plan, encodes, final if shorten else None)
        report = _report(job, measured, results)
        write_json(targets.timeline, _timeline_json(pieces, before, after))
    with disk_errors(job.what, *folders):
        report.save(targets.report)
    return report
