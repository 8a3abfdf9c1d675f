"""The episodes stage's benchmark: x realtime of cut + normalise + MP3 + M4A, beside bare ffmpeg and ffmpeg-normalize.

    python -m benchmarks.bench_episodes [--minutes 30] [--video-minutes 5] [--out bench/stages/episodes]

A speech-like interview is generated (not counted): LJ Speech clips from
../shared/speech repeated with pauses and a slow +-6 dB level drift (pink-noise
'speech' when that folder is absent), as two recordings (48 kHz WAV and
44.1 kHz FLAC) cut by three keep ranges. Three runs of the same job:
  - the stage (the episodes:<slug> and master:<slug> tasks: cut, normalise, MP3 + M4A, gate);
  - the bare ffmpeg/ffprobe commands the stage ran, replayed standalone;
  - a plain ffmpeg cut, then ffmpeg-normalize (two-pass EBU R128, linear) to
    MP3 and to M4A with the same codecs and bitrates.
The same for a 720p video episode (its video task included; the
ffmpeg-normalize run gets the stage's video command added, as it cannot cut
video). Source decodes are counted from the commands' inputs.
Called by `make bench` as run(out_dir) -> dict with a 'table' (benchmarks/report.py).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import resource
import shlex
import shutil
import subprocess
import time
from pathlib import Path

from pipeline.core import course_file, layout
from pipeline.episodes import save_strikes
from pipeline.episodes import stage as episodes

from .speech import SPEECH

LJ_SPEECH = SPEECH / "ljspeech"
MINUTES = 30.0  # the audio episode's length
VIDEO_MINUTES = 5.0  # the video episode's length (720p x264 on two shared cores is slow)
GAP_S = 0.6  # seconds of pause between clips
DRIFT_DB = 6.0  # dB the level drifts up and down ...
DRIFT_PERIOD_S = 150.0  # ... over this many seconds
BASE_DB = -8.0  # dB gain of the clips before the drift (a recording a little under the target)
NOISE_DB = -62.0  # dBFS room noise under the speech
EXTRA_S = 60.0  # seconds of each recording outside the keep ranges (false starts, chatter)
MP3_KBPS, AAC_KBPS = 96, 64  # the stage's defaults for mono episodes
TARGET_LUFS, TRUE_PEAK = -19.0, -1.5  # the stage's defaults for mono episodes
SIZE, FPS = "1280x720", 25  # the generated video

COURSE = """
[course]
title = "Benchmark course"
author = "Bench"
owner_name = "Bench"
owner_email = "bench@example.org"
language = "en"
base_url = "https://example.org/bench/"
copyright = "© Bench"
categories = ["Education > Courses"]

[[modules]]
number = 1
slug = "one"
title = "Module one"

[[speakers]]
id = "host"
name = "Host"
role = "host"
"""


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def _speech_list(folder: Path, name: str, seconds: float, first_clip: int) -> Path:
    """A concat list of LJ Speech clips (from `first_clip` on, cycling) and pauses lasting `seconds` or more."""
    clips = sorted(LJ_SPEECH.glob("LJ*.wav"))
    gap = folder / "gap.wav"
    _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono", "-t", str(GAP_S), "-c:a", "pcm_s16le", str(gap))
    lengths = [float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                                     "csv=p=0", str(c)], capture_output=True, text=True).stdout) for c in clips]
    lines, total, index = [], 0.0, first_clip
    while total < seconds:
        lines += [f"file '{clips[index % len(clips)]}'", f"file '{gap}'"]
        total, index = total + lengths[index % len(clips)] + GAP_S, index + 1
    listing = folder / f"{name}.txt"
    listing.write_text("\n".join(lines) + "\n")
    return listing


def make_recording(path: Path, seconds: float, rate: int, first_clip: int) -> Path:
    """A speech-like mono recording with a slowly drifting level and a little room noise."""
    drift = f"pow(10,({BASE_DB}+{DRIFT_DB}*sin(2*PI*t/{DRIFT_PERIOD_S}))/20)"
    noise = f"anoisesrc=r={rate}:c=pink:a={10 ** (NOISE_DB / 20):.6f}:d={seconds}"
    if LJ_SPEECH.is_dir():
        listing = _speech_list(path.parent, path.stem, seconds, first_clip)
        source = ["-f", "concat", "-safe", "0", "-i", str(listing)]
        speech = f"[0:a]aresample={rate}"
    else:  # pink noise gated into syllables and pauses
        source = ["-f", "lavfi", "-i", f"anoisesrc=r={rate}:c=pink:d={seconds}:a=0.3"]
        speech = "[0:a]volume='0.8*gt(sin(2*PI*0.37*t)+0.35,0)':eval=frame"
    _ffmpeg(*source, "-f", "lavfi", "-i", noise, "-filter_complex",
            f"{speech},volume='{drift}':eval=frame[s];[s][1:a]amix=inputs=2:normalize=0:duration=shortest",
            "-ac", "1", "-ar", str(rate), "-t", f"{seconds:.3f}", str(path))
    return path


def make_interview(folder: Path, minutes: float) -> list[tuple[str, list[tuple[float, float]]]]:
    """Two recordings whose keep ranges add up to `minutes`: [(file, [(start, end), ...]), ...]."""
    folder.mkdir(parents=True, exist_ok=True)
    first, second = minutes * 60 * 0.55, minutes * 60 * 0.45
    specs = [("part1.wav", first, 48000, [(5.0, first / 2), (first / 2 + EXTRA_S - 5, first + EXTRA_S - 5)]),
             ("part2.flac", second, 44100, [(3.0, second + 3.0)])]
    result = []
    for name, kept, rate, ranges in specs:
        path = folder / name
        if not path.exists():
            make_recording(path, kept + EXTRA_S, rate, first_clip=len(result) * 13)
        result.append((name, ranges))
    return result


def make_video(folder: Path, audio: Path, seconds: float) -> Path:
    """A 720p H.264 + AAC recording of `seconds` with the given sound."""
    path = folder / f"video-{seconds:.0f}s.mp4"
    if not path.exists():
        _ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={SIZE}:rate={FPS}:duration={seconds}", "-i", str(audio),
                "-map", "0:v", "-map", "1:a", "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast",
                "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", str(path))
    return path


def _timecode(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def write_course(folder: Path, slug: str, sources, kind: str = "audio") -> course_file.Course:
    blocks = [COURSE, f'[[episodes]]\nslug = "{slug}"\nmodule = 1\nnumber = 1\ntitle = "Bench"\n'
                      'summary = "Bench."\ndate = 2026-09-01\nspeakers = ["host"]\n']
    for name, ranges in sources:
        keep = ", ".join(f'["{_timecode(a)}", "{_timecode(b)}"]' for a, b in ranges)
        blocks.append(f'[[episodes.sources]]\nfile = "{name}"\nkind = "{kind}"\nkeep = [{keep}]\n')
    (folder / "course.toml").write_text("\n".join(blocks))
    return course_file.load(folder / "course.toml")


@contextlib.contextmanager
def captured_commands(log: Path | None):
    """Collect the exact commands the stage runs (coursecast.media logs each with shlex.join)."""
    commands: list[list[str]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            commands.append(shlex.split(record.getMessage()))

    logger, handler = logging.getLogger("coursecast.media"), Collect()
    extra = logging.FileHandler(log) if log else logging.NullHandler()
    old = logger.level
    logger.addHandler(handler)
    logger.addHandler(extra)
    logger.setLevel(logging.DEBUG)
    try:
        yield commands
    finally:
        logger.removeHandler(handler)
        logger.removeHandler(extra)
        logger.setLevel(old)
        extra.close()


def timed(action) -> tuple[object, float, float]:
    """(result, wall seconds, CPU seconds of the child processes)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    result = action()
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return result, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def replay(commands: list[list[str]]) -> tuple[float, float]:
    """Run the same commands standalone, in order: (wall seconds, CPU seconds)."""
    def go() -> None:
        for cmd in commands:
            subprocess.run(cmd, capture_output=True, check=True)
    _, wall, cpu = timed(go)
    return wall, cpu


def decodes(commands: list[list[str]], sources: list[Path]) -> dict[str, int]:
    """How many ffmpeg commands read each source."""
    counts = {s.name: 0 for s in sources}
    for cmd in commands:
        if Path(cmd[0]).name != "ffmpeg":
            continue
        for flag, value in zip(cmd, cmd[1:]):
            if flag == "-i" and Path(value).name in counts:
                counts[Path(value).name] += 1
    return counts


def plain_cut(sources, folder: Path, target: Path) -> list[str]:
    """What a producer without the stage runs first: trim and concatenate to a WAV."""
    cmd, parts, labels = ["ffmpeg", "-v", "error", "-y"], [], []
    for index, (name, ranges) in enumerate(sources):
        cmd += ["-i", str(folder / "raw_interviews" / name)]
        parts.append(f"[{index}:a:0]aresample=44100,asplit={len(ranges)}" + "".join(f"[s{index}_{k}]" for k in range(len(ranges))))
        for k, (a, b) in enumerate(ranges):
            parts.append(f"[s{index}_{k}]atrim={a}:{b},asetpts=PTS-STARTPTS[c{index}_{k}]")
            labels.append(f"[c{index}_{k}]")
    parts.append("".join(labels) + f"concat=n={len(labels)}:v=0:a=1")
    return cmd + ["-filter_complex", ";".join(parts), "-ac", "1", "-c:a", "pcm_s16le", str(target)]


def ffmpeg_normalize(cut: Path, folder: Path) -> list[list[str]]:
    """ffmpeg-normalize, two-pass linear EBU R128, to MP3 and to M4A (one run per format)."""
    common = ["ffmpeg-normalize", str(cut), "-f", "-q", "-nt", "ebu", "-t", str(TARGET_LUFS), "-tp", str(TRUE_PEAK),
              "--keep-loudness-range-target", "-ar", "44100"]
    return [[*common, "-c:a", "libmp3lame", "-b:a", f"{MP3_KBPS}k", "-o", str(folder / "fn.mp3")],
            [*common, "-c:a", "aac", "-b:a", f"{AAC_KBPS}k", "-o", str(folder / "fn.m4a")]]


def _venv_tool(cmd: list[str]) -> list[str]:
    tool = shutil.which(cmd[0]) or str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / cmd[0])
    return [tool, *cmd[1:]]


def measure_case(folder: Path, sources, kind: str, log: Path | None) -> dict:
    """The stage, its bare commands and ffmpeg-normalize on one episode."""
    slug = f"bench-{kind}"
    course = write_course(folder, slug, sources, kind)
    episode = course.episode(slug)
    names = {"episodes:" + slug, "master:" + slug} | ({"video-encode:" + slug} if kind == "video" else set())
    tasks = [t for t in episodes.tasks(course) if t.name in names]
    save_strikes(layout.strikes(course, episode), [])  # nothing struck: the bench measures the cut and the encodes
    with captured_commands(log) as commands:
        _, stage_wall, stage_cpu = timed(lambda: [t.run() for t in tasks])
    bare_wall, bare_cpu = replay(commands)
    for leftover in (folder / ".coursecast").rglob(".*.part*"):
        leftover.unlink()  # the replay's own temp files
    cut = folder / "cut.wav"
    fn_cmds = [plain_cut(sources, folder, cut), *[_venv_tool(c) for c in ffmpeg_normalize(cut, folder)]]
    if kind == "video":
        fn_cmds += [c for c in commands if c[0] == "ffmpeg" and "libx264" in c]
    fn_wall, fn_cpu = replay(fn_cmds)
    seconds = episodes.seconds(episode)
    report = json.loads((folder / "episodes" / f"{slug}.loudness.json").read_text())
    return {
        "audio_seconds": round(seconds, 1),
        "stage": {"wall_s": round(stage_wall, 2), "cpu_s": round(stage_cpu, 2), "x_realtime": round(seconds / stage_wall, 1)},
        "bare_ffmpeg": {"wall_s": round(bare_wall, 2), "cpu_s": round(bare_cpu, 2),
                        "x_realtime": round(seconds / bare_wall, 1), "commands": len(commands)},
        "ffmpeg_normalize": {"wall_s": round(fn_wall, 2), "cpu_s": round(fn_cpu, 2),
                             "x_realtime": round(seconds / fn_wall, 1)},
        "stage_over_bare": round(stage_wall / bare_wall, 3),
        "stage_over_ffmpeg_normalize": round(stage_wall / fn_wall, 3),
        "decodes": decodes(commands, [folder / "raw_interviews" / n for n, _ in sources]),
        "loudness": {"mode": report["mode"], "gain_db": report["gain_db"],
                     "mp3": report["outputs"]["mp3"], "m4a": report["outputs"]["m4a"]},
    }


def _rows(label: str, case: dict) -> list[list]:
    s, b, f = case["stage"], case["bare_ffmpeg"], case["ffmpeg_normalize"]
    ratio, beat = case["stage_over_bare"], case["stage_over_ffmpeg_normalize"]
    most = max(case["decodes"].values())
    return [
        [f"{label}: coursecast stage", s["wall_s"], s["cpu_s"], s["x_realtime"],
         f"{ratio:.2f}x bare (target <= 1.2: {'met' if ratio <= 1.2 else 'MISSED'}); "
         f"decodes per source <= {most} (target 2: {'met' if most <= 2 else 'MISSED'})"],
        [f"{label}: bare ffmpeg commands ({b['commands']})", b["wall_s"], b["cpu_s"], b["x_realtime"], ""],
        [f"{label}: plain cut + ffmpeg-normalize (MP3, M4A)", f["wall_s"], f["cpu_s"], f["x_realtime"],
         f"stage takes {beat:.2f}x its time ({'beats it' if beat < 1 else 'SLOWER'})"],
    ]


def run(out: Path, log: Path | None = None, *, minutes: float = MINUTES,
        video_minutes: float = VIDEO_MINUTES) -> dict:
    """Both cases; returns the numbers and a table for the report."""
    audio_dir, video_dir = out / "audio", out / "video"
    for folder in (audio_dir, video_dir):
        shutil.rmtree(folder / "episodes", ignore_errors=True)
        shutil.rmtree(folder / ".coursecast", ignore_errors=True)
        (folder / "raw_interviews").mkdir(parents=True, exist_ok=True)
    sources = make_interview(audio_dir / "raw_interviews", minutes)
    audio = measure_case(audio_dir, sources, "audio", log)
    seconds = video_minutes * 60
    clip = video_dir / "raw_interviews" / "sound.wav"
    _ffmpeg("-i", str(audio_dir / "raw_interviews" / sources[0][0]), "-t", str(seconds + 20), str(clip))
    make_video(video_dir / "raw_interviews", clip, seconds + 20)
    name = f"video-{seconds + 20:.0f}s.mp4"
    video = measure_case(video_dir, [(name, [(4.0, seconds * 0.5), (seconds * 0.5 + 15, seconds + 19)])],
                         "video", log)
    table = [["run", "wall s", "CPU s", "x realtime", "note"], ["---"] * 5,
             *_rows(f"audio {audio['audio_seconds'] / 60:.0f} min", audio),
             *_rows(f"video 720p {video['audio_seconds'] / 60:.0f} min", video)]
    return {"audio": audio, "video": video, "table": table}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_episodes", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=MINUTES, help="length of the audio episode")
    parser.add_argument("--video-minutes", type=float, default=VIDEO_MINUTES, help="length of the video episode")
    parser.add_argument("--out", type=Path, default=Path("bench/stages/episodes"), help="working folder")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    result = run(args.out, args.out / "bench.log", minutes=args.minutes, video_minutes=args.video_minutes)
    print(json.dumps({k: v for k, v in result.items() if k != "table"}, indent=2))
    for row in result["table"]:
        print("| " + " | ".join(str(c) for c in row) + " |")


if __name__ == "__main__":
    main()
