"""Video episodes: the kept stretches of the video recordings, frame-accurate, with the normalised audio.

The video follows the audio timeline (pipeline.episodes_timeline): each clip
starts on the frame nearest its first kept sample and lasts until the next
clip's crossfade begins, so sound and picture stay within half a frame of each
other across every cut. Stings get black frames. The picture is re-encoded
(H.264, scaled to the configured height); the audio is the normalised AAC of
the audio task, copied, so the video carries exactly the podcast's sound.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..core.errors import StageError
from ..core.fsutil import atomic_path
from ..core.media import probe, run
from .audio import disk_errors
from .settings import VideoEncoding
from .timeline import Piece, Timeline

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


def _normalise(frame: _Frame) -> str:
    w, h = frame.width, frame.height
    return (f"fps={frame.fps},scale={w}:{h}:force_original_aspect_ratio=decrease,"
            f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p")


def _graph(pieces: tuple[Piece, ...], timeline: Timeline, frame: _Frame) -> tuple[list[str], str]:
    """(input arguments, filtergraph) cutting the video of every clip and concatenating them."""
    files: dict[Path, list[int]] = {}
    for n, clip in enumerate(timeline.clips):
        if not pieces[clip.piece].sting:
            files.setdefault(pieces[clip.piece].path, []).append(n)
    args, parts, label = [], [], {}
    for index, (path, clips) in enumerate(files.items()):
        end = max(pieces[timeline.clips[n].piece].end for n in clips)
        args += ["-an", "-sn", "-dn", "-t", f"{end + INPUT_SLACK_S:.3f}", "-i", str(path)]
        parts.append(f"[{index}:v:0]split={len(clips)}" + "".join(f"[s{n}]" for n in clips))
        label.update({n: f"s{n}" for n in clips})
    fps = frame.fps
    for n, (first, count) in enumerate(frame_plan(timeline, fps)):
        if n not in label:
            parts.append(f"color=c=black:s={frame.width}x{frame.height}:r={fps},trim=end_frame={count},"
                         f"setsar=1,format=yuv420p[c{n}]")
            continue
        start, stop = (first - 0.5) / fps, (first + count - 0.5) / fps
        parts.append(f"[{label[n]}]trim=start={max(0.0, float(start)):.6f}:end={float(stop):.6f},"
                     f"setpts=PTS-STARTPTS,{_normalise(frame)}[c{n}]")
    count = len(timeline.clips)
    parts.append("".join(f"[c{n}]" for n in range(count)) + f"concat=n={count}:v=1:a=0[v]")
    return args, ";".join(parts)


def build_video(pieces: tuple[Piece, ...], timeline: Timeline, audio: Path, target: Path,
                settings: VideoEncoding, *, episode: str) -> VideoResult:
    """Cut the video recordings along the episode timeline and mux the normalised audio (MP4, +faststart)."""
    what = f"episode '{episode}'"
    frame = _frame(pieces, settings.height, what)
    args, graph = _graph(pieces, timeline, frame)
    audio_index = args.count("-i")
    with disk_errors(what, target.parent), atomic_path(target) as tmp:
        cmd = ["ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y", *args,
               "-i", str(audio), "-filter_complex", graph, "-map", "[v]", "-map", f"{audio_index}:a:0",
               "-c:v", "libx264", "-preset", settings.preset, "-crf", str(settings.crf),
               "-pix_fmt", "yuv420p", "-c:a", "copy", "-movflags", "+faststart", str(tmp)]
        run(cmd, what=f"{what}: cutting and encoding the video")
    frames = round(timeline.samples * frame.fps / timeline.rate)
    return VideoResult(target, frame.width, frame.height, frame.fps, frames)
