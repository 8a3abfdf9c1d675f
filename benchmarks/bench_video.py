"""The video stage's benchmark: x realtime of the closed-caption mux and of the open-caption encode.

    python -m benchmarks.bench_video [--minutes 10] [--out bench/stages/video]

A 10-minute 720p H.264/AAC episode is generated with ffmpeg (testsrc2 + a tone,
not counted), with a cue every few seconds. The mux is a stream copy, so its
target is at least 100x realtime; the open-caption encode is a real x264
re-encode, reported with the preset used and the frames per second it reached.
Called by `make bench` as run(out_dir, log) -> dict (see benchmarks/report.py).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import resource
import subprocess
import time
from pathlib import Path

from pipeline import video
from pipeline.core.settings import VideoSettings

EPISODE_MINUTES = 10.0  # length of the benchmark episode
WIDTH, HEIGHT = 1280, 720  # pixels: the episodes stage's default video height
FRAME_RATE = 25  # frames per second
SOURCE_CRF = 23  # x264 quality of the generated episode (what the episodes stage writes by default)
CUE_EVERY_S = 3.0  # seconds from one cue's start to the next
CUE_LENGTH_S = 2.6  # seconds a cue is shown
MUX_TARGET_X = 100.0  # x realtime the closed-caption mux must reach
LINES = ("Välkommen, Åsa och Øystein: smart cities",  # cycled through the cues
         "the trust of the people who live in them.", "Data about citizens needs protection,",
         "and officials who know what it is for.")


def make_episode(folder: Path, seconds: float) -> Path:
    """A 720p H.264 + AAC episode like the episodes stage writes (veryfast, crf 23, faststart)."""
    path = folder / f"episode-{seconds:.0f}s.mp4"
    if not path.exists():  # generated once per length, reused by later runs
        subprocess.run([
            "ffmpeg", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FRAME_RATE}:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=220:duration={seconds}:sample_rate=44100",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", str(SOURCE_CRF), "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart", str(path)], check=True)
    return path


def make_captions(folder: Path, seconds: float) -> Path:
    """A WebVTT with a two-line cue every CUE_EVERY_S seconds, two speakers taking turns."""
    blocks, count = ["WEBVTT\n"], int((seconds - CUE_LENGTH_S) // CUE_EVERY_S)
    for index in range(count):
        start = index * CUE_EVERY_S
        speaker = ("Anna Lindqvist", "Erik Guest")[index // 4 % 2]
        lines = LINES[index % 2 * 2:index % 2 * 2 + 2]
        blocks.append(f"{_stamp(start)} --> {_stamp(start + CUE_LENGTH_S)}\n<v {speaker}>" + "\n".join(lines) + "\n")
    path = folder / "episode.en.vtt"
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def _stamp(seconds: float) -> str:
    ms = int(round(seconds * 1000))  # milliseconds
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


@contextlib.contextmanager
def _commands_logged(log: Path | None):
    """Send the stage's ffmpeg command lines (coursecast.media, debug) to the benchmark log."""
    logger = logging.getLogger("coursecast.media")
    handler = logging.FileHandler(log) if log else logging.NullHandler()
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        handler.close()


def _timed(action) -> tuple[object, float, float]:
    """(result, wall seconds, CPU seconds of the child processes it ran)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    result = action()
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return result, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run(out: Path, log: Path | None = None, *, minutes: float = EPISODE_MINUTES) -> dict:
    """Measure both renditions on a generated episode; returns the numbers and a table for the report."""
    out.mkdir(parents=True, exist_ok=True)
    seconds = minutes * 60
    episode, captions = make_episode(out, seconds), make_captions(out, seconds)
    settings = VideoSettings()
    track = video.CaptionTrack("en", captions)
    with _commands_logged(log):
        mux, mux_wall, mux_cpu = _timed(lambda: video.caption_video(episode, [track], out / "closed.mp4"))
        burn, burn_wall, burn_cpu = _timed(lambda: video.burn_captions(
            episode, track, out / "open.mp4", font=settings.font, preset=settings.open_caption_preset,
            crf=settings.open_caption_crf))
    return _summary(mux.duration, mux.cues[0], (mux_wall, mux_cpu), (burn_wall, burn_cpu), settings, episode)


def _summary(duration: float, cues: int, mux: tuple[float, float], burn: tuple[float, float],
             settings: VideoSettings, episode: Path) -> dict:
    mux_x, burn_x = duration / mux[0], duration / burn[0]
    fps = duration * FRAME_RATE / burn[0]
    result = {
        "episode": {"seconds": round(duration, 1), "size": f"{WIDTH}x{HEIGHT}", "fps": FRAME_RATE, "cues": cues,
                    "mb": round(episode.stat().st_size / 2**20, 1)},
        "closed_captions_mux": {"wall_s": round(mux[0], 2), "cpu_s": round(mux[1], 2), "x_realtime": round(mux_x, 1),
                                "target_x_realtime": MUX_TARGET_X, "meets_target": mux_x >= MUX_TARGET_X},
        "open_captions_encode": {"preset": settings.open_caption_preset, "crf": settings.open_caption_crf,
                                 "wall_s": round(burn[0], 2), "cpu_s": round(burn[1], 2),
                                 "fps": round(fps, 1), "x_realtime": round(burn_x, 2)},
    }
    result["table"] = [
        ["run", "wall s", "CPU s", "x realtime", "note"], ["---"] * 5,
        ["closed captions (mov_text mux, stream copy)", round(mux[0], 2), round(mux[1], 2), f"{mux_x:.0f}",
         f"target >= {MUX_TARGET_X:.0f}x: {'met' if mux_x >= MUX_TARGET_X else 'MISSED'}"],
        [f"open captions (libass + x264 {settings.open_caption_preset}, crf {settings.open_caption_crf})",
         round(burn[0], 1), round(burn[1], 1), f"{burn_x:.2f}", f"{fps:.0f} fps at {WIDTH}x{HEIGHT}"],
    ]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_video", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=EPISODE_MINUTES, help="length of the generated episode")
    parser.add_argument("--out", type=Path, default=Path("bench/stages/video"), help="working folder")
    args = parser.parse_args()
    result = run(args.out, args.out / "bench.log", minutes=args.minutes)
    print(json.dumps({k: v for k, v in result.items() if k != "table"}, indent=2))


if __name__ == "__main__":
    main()
