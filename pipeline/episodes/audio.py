"""The cut: recordings -> the cut master (float WAV, before loudness), the ASR audio, timeline.json.

Each recording is decoded once: pass 1 cuts and joins into a float master
(and the ASR audio) and measures it. With `shorten_pauses`, the pauses longer
than `max_pause_s` are found in the ASR audio and a second pass keeps the
stretches between them, of the master and the ASR audio alike. Nothing is
encoded here: the master task (master.py) takes the editors' strikes out of
the cut master, normalises and encodes it, so a strike never re-transcribes.
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
from .loudness import SILENCE_LUFS, SILENT_SOURCE_DB, Loudness, parse_ebur128, parse_levels
from .settings import Mastering
from .timeline import Piece, Timeline, join, master_spans, mute_spans, remove

PAUSE_WINDOW_S = 0.02  # seconds per level reading when looking for pauses
PAUSE_BELOW_LOUDNESS_DB = 25.0  # dB under the episode's loudness that counts as a pause
MIN_CUT_S = 0.1  # seconds: shorter excess pauses are left alone
TRUNCATION_SLACK_S = 0.1  # seconds a recording may come up short of its kept range
ESTIMATE_SLACK = 0.02  # fraction a whole-file length (ffprobe's estimate) may come up short
NO_SPACE = "No space left on device"  # ffmpeg's words for ENOSPC
LOW_SPACE_BYTES = 1 << 20  # bytes: a failed ffmpeg with less than this free was stopped by a full disk


@dataclass(frozen=True)
class CutTargets:
    work: Path  # the episode's work folder (scratch files of the cut)
    master: Path  # the cut master: float WAV at the encode rate, pauses shortened, before loudness
    asr: Path  # 16 kHz mono ASR audio of the cut
    asr_left: Path | None  # left side (None: no one-speaker-per-channel recording)
    asr_right: Path | None
    timeline: Path  # JSON: the cut (timeline.py), its channel count


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


def _outputs(stack: ExitStack, targets: CutTargets, master: Path, scratch: bool) -> graphs.Pass1Outputs:
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


def _timeline_json(pieces: tuple[Piece, ...], before: Timeline, after: Timeline, channels: int) -> dict:
    return {"pieces": [{"name": p.name, "start": p.start, "end": p.end, "split": p.split, "sting": p.sting}
                       for p in pieces],
            "channels": channels, "before": before.to_dict(), "after": after.to_dict()}


def _check_loud(measured: Loudness, what: str) -> None:
    if measured.integrated <= SILENCE_LUFS:
        raise StageError(
            f"{what}: the cut audio measures {measured.integrated:.1f} LUFS, i.e. silent or nearly so; "
            "check the recording (muted microphone? wrong track?) and the keep ranges")


def build_cut(pieces: tuple[Piece, ...], targets: CutTargets, settings: Mastering, *, episode: str) -> Timeline:
    """Cut one episode: the cut master (float, before loudness), its ASR audio and timeline.json; the cut
    timeline. Pauses longer than `max_pause_s` are shortened when set; nothing is encoded here."""
    what = f"episode '{episode}'"
    layout = channel_layout(pieces, settings.channels)
    crossfade = settings.crossfade_ms / 1000
    before = join(pieces, settings.sample_rate_hz, crossfade)
    shorten = settings.shorten_pauses
    with disk_errors(what, targets.work), ExitStack() as stack:
        final = _outputs(stack, targets, stack.enter_context(atomic_path(targets.master)), scratch=False)
        if not shorten:
            _check_loud(_cut(pieces, before, layout, final, what), what)
            after = before
        else:
            master = stack.enter_context(_scratch(targets.work, "master", ".wav"))
            first = _outputs(stack, targets, master, scratch=True)
            measured = _cut(pieces, before, layout, first, what)
            _check_loud(measured, what)
            pauses = find_pauses(first.asr, before, pieces, measured.integrated, settings.max_pause_s)
            after = remove(before, pauses, crossfade)
            pairs = [(a, b) for a, b in ((first.asr, final.asr), (first.left, final.left),
                                         (first.right, final.right)) if a is not None and b is not None]
            spans, xfades = master_spans(before, after), [0, *after.cut_xfades()]
            run(graphs.recut(master, spans, xfades, before.rate, layout, final.master, pairs),
                what=f"{what}: shortening pauses")
        write_json(targets.timeline, _timeline_json(pieces, before, after, 1 if layout == "mono" else 2))
    return after
