"""Video episodes: the kept stretches of the video recordings, frame-accurate, with the normalised audio.

The video follows the audio timeline (pipeline.episodes_timeline): each clip
starts on the frame nearest its first kept sample and lasts until the next
clip's crossfade begins, so sound and picture stay within half a frame of each
other across every cut. Stings get black frames. The picture is re-encoded
(H.264, scaled to the configured height), or smart-cut where the recordings
allow it (episodes/smartcut.py: their own frames copied between keyframes, only
the frames around each cut encoded); the audio is the normalised AAC of the
audio task, copied, so the video carries exactly the podcast's sound.
The command is an ffmpeg-python graph (pipeline.core.ffgraph).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import ffmpeg
from ffmpeg.nodes import FilterableStream

from ..core.errors import StageError
from ..core.ffgraph import Filter, apply, command, filt, head, source
from ..core.fsutil import atomic_path
from ..core.media import probe, run
from . import smartcut
from .audio import disk_errors
from .settings import VideoEncoding
from .timeline import Piece, Timeline

log = logging.getLogger("coursecast.video")

DEFAULT_FPS = Fraction(25)  # frames per second when a recording does not say
INPUT_SLACK_S = 1.0  # seconds decoded past the last kept frame of an input
MAX_FPS_DENOMINATOR = 1001  # NTSC rates (30000/1001) come back exact from ffprobe's float


@dataclass(frozen=True)
class VideoResult:
    path: Path
    width: int  # pixels
    height: int  # pixels
    fps: Fraction  # frames per second
    frames: int  # in the episode
    copied: int = 0  # of them, copied from the recordings (smart cut); the rest encoded


@dataclass(frozen=True)
class _Frame:
    width: int  # pixels, even
    height: int  # pixels, even
    fps: Fraction


def _frame(pieces: tuple[Piece, ...], height: int, what: str) -> _Frame:
    first = next((p for p in pieces if not p.sting), None)
    info = probe(first.path) if first else None
    if info is None or info.video is None:
        raise StageError(f"{what}: {first.name if first else 'no recording'} has no video stream; "
                         "set kind = \"audio\" for its sources")
    fps = Fraction(info.video.frame_rate).limit_denominator(MAX_FPS_DENOMINATOR) or DEFAULT_FPS
    height -= height % 2
    width = round(height * info.video.width / max(info.video.height, 1))
    return _Frame(width - width % 2, height, fps)


def frame_plan(timeline: Timeline, fps: Fraction) -> list[tuple[int, int]]:
    """(first source frame, frame count) of each clip, so clip k starts at its audio's output frame."""
    starts = [round(c.at * fps / timeline.rate) for c in timeline.clips]
    ends = starts[1:] + [round(timeline.samples * fps / timeline.rate)]
    return [(round(c.start * fps / timeline.rate), end - start)
            for c, start, end in zip(timeline.clips, starts, ends)]


def _normalise(frame: _Frame) -> list[Filter]:
    w, h = frame.width, frame.height
    return [filt("fps", frame.fps), filt("scale", w, h, force_original_aspect_ratio="decrease"),
            filt("pad", w, h, "(ow-iw)/2", "(oh-ih)/2"), filt("setsar", 1), filt("format", "yuv420p")]


def _black(frame: _Frame, count: int) -> FilterableStream:
    """`count` black frames (a sting's picture)."""
    return apply(source("color", c="black", s=f"{frame.width}x{frame.height}", r=frame.fps),
                 [filt("trim", end_frame=count), filt("setsar", 1), filt("format", "yuv420p")])


def _graph(pieces: tuple[Piece, ...], timeline: Timeline, frame: _Frame) -> tuple[list, FilterableStream]:
    """(the video inputs, the picture): the video of every clip cut and concatenated."""
    files: dict[Path, list[int]] = {}
    for n, clip in enumerate(timeline.clips):
        if not pieces[clip.piece].sting:
            files.setdefault(pieces[clip.piece].path, []).append(n)
    inputs, streams = [], {}
    for path, clips in files.items():
        end = max(pieces[timeline.clips[n].piece].end for n in clips)
        inputs.append(ffmpeg.input(str(path), an=None, sn=None, dn=None, t=f"{end + INPUT_SLACK_S:.3f}"))
        split = inputs[-1]["v:0"].split()
        streams.update({n: split[k] for k, n in enumerate(clips)})
    fps, parts = frame.fps, []
    for n, (first, count) in enumerate(frame_plan(timeline, fps)):
        if n not in streams:
            parts.append(_black(frame, count))
            continue
        start, stop = (first - 0.5) / fps, (first + count - 0.5) / fps
        parts.append(apply(streams[n], [filt("trim", start=f"{max(0.0, float(start)):.6f}", end=f"{float(stop):.6f}"),
                                        filt("setpts", "PTS-STARTPTS"), *_normalise(frame)]))
    return inputs, ffmpeg.concat(*parts, v=1, a=0)


def build_video(pieces: tuple[Piece, ...], timeline: Timeline, audio: Path, target: Path,
                settings: VideoEncoding, *, episode: str) -> VideoResult:
    """Cut the video recordings along the episode timeline and mux the normalised audio (MP4, +faststart):
    smart-cut where the recordings allow (episodes/smartcut.py), else the whole picture encoded."""
    what = f"episode '{episode}'"
    frame = _frame(pieces, settings.height, what)
    frames = round(timeline.samples * frame.fps / timeline.rate)
    with disk_errors(what, target.parent), atomic_path(target) as tmp:
        copied = _smart(pieces, timeline, frame, audio, tmp, what, frames) if settings.smart_cut else None
        if copied is None:
            inputs, picture = _graph(pieces, timeline, frame)
            sound = ffmpeg.input(str(audio))
            out = ffmpeg.output(picture, sound["a:0"], str(tmp), **{"c:v": "libx264", "c:a": "copy"},
                                preset=settings.preset, crf=settings.crf, pix_fmt="yuv420p", movflags="+faststart")
            run(command(head("error"), [out], [*inputs, sound]), what=f"{what}: cutting and encoding the video")
    return VideoResult(target, frame.width, frame.height, frame.fps, frames, copied or 0)


def _smart(pieces: tuple[Piece, ...], timeline: Timeline, frame: _Frame, audio: Path, out: Path,
           what: str, frames: int) -> int | None:
    """The picture smart-cut into `out`: the frames copied; None (logged) where it cannot be."""
    try:
        sources: dict[Path, smartcut.Source] = {}
        clips = []
        for clip, (first, count) in zip(timeline.clips, frame_plan(timeline, frame.fps)):
            piece = pieces[clip.piece]
            if piece.sting:
                clips.append((None, 0, count))
                continue
            if piece.path not in sources:
                sources[piece.path] = smartcut.source(piece.path, frame.width, frame.height, frame.fps)
            clips.append((sources[piece.path], first, count))
        copied = smartcut.build(smartcut.plan(clips), sources, (frame.width, frame.height), frame.fps, audio, out,
                                what=what)
    except smartcut.NotSmart as e:
        log.info("%s: the whole picture is encoded (no smart cut): %s", what, e)
        return None
    log.info("%s: smart cut: %d of %d frames copied from the recordings", what, copied, frames)
    return copied
