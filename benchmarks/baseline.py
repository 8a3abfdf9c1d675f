"""The same job done by hand with the best standalone tools, in sequence: the baseline.

Per episode: ffmpeg cuts the kept range; ffmpeg-normalize (two-pass, linear)
makes the MP3 and the M4A (and the video's audio); faster-whisper (int8, the
same tiny.en weights) transcribes to SRT; ffmpeg muxes the captions into the
video. The `whisper` CLI (openai-whisper) transcribes too, on as many episodes
as asked, because it is the reference implementation.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from pipeline.core import course_file
from pipeline.core.timecode import format_timecode

from .measure import Measurement, measure

FFMPEG_NORMALIZE = str(Path(sys.executable).parent / "ffmpeg-normalize")
WHISPER_CLI = str(Path(sys.executable).parent / "whisper")

FASTER_WHISPER_SCRIPT = """
import sys
from faster_whisper import WhisperModel
model = WhisperModel(sys.argv[1], device="cpu", compute_type="int8", cpu_threads=int(sys.argv[4]))
segments, _ = model.transcribe(sys.argv[2], language="en", beam_size=5, word_timestamps=True, vad_filter=True)
def tc(t):
    ms = int(round(t * 1000)); return f"{ms//3600000:02d}:{ms//60000%60:02d}:{ms//1000%60:02d},{ms%1000:03d}"
with open(sys.argv[3], "w") as out:
    for i, s in enumerate(segments, 1):
        out.write(f"{i}\\n{tc(s.start)} --> {tc(s.end)}\\n{s.text.strip()}\\n\\n")
"""


@dataclass(frozen=True)
class Models:
    ct2_dir: Path  # CTranslate2 tiny.en folder (faster-whisper)
    checkpoint: Path  # the same weights as an openai-whisper checkpoint (whisper CLI)


def _cut(src: Path, start: float, end: float, out: Path, video: bool) -> list[str]:
    cmd = ["ffmpeg", "-v", "error", "-y", "-i", str(src), "-ss", format_timecode(start), "-to", format_timecode(end)]
    if video:
        cmd += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-vf", "scale=-2:720", "-c:a", "pcm_s16le"]
    else:
        cmd += ["-c:a", "pcm_s16le"]
    return cmd + [str(out)]


def _normalize(src: Path, out: Path, codec: list[str], target: float) -> list[str]:
    return [FFMPEG_NORMALIZE, str(src), "-f", "-nt", "ebu", "-t", str(target), "-tp", "-1.5",
            "-ar", "44100", *codec, "-o", str(out)]


def run(course_toml: Path, work: Path, models: Models, log: Path, *, whisper_cli_episodes: int = 1,
        threads: int = 2) -> list[Measurement]:
    """Every standalone step, measured; returns one Measurement per command."""
    course = course_file.load(course_toml)
    target = course.audio.target_lufs_mono
    work.mkdir(parents=True, exist_ok=True)
    results: list[Measurement] = []
    for index, ep in enumerate(course.episodes):
        src, rng = ep.sources[0], ep.sources[0].keep[0]
        video = ep.kind == "video"
        cut = work / f"{ep.slug}.cut.{'mkv' if video else 'wav'}"
        results.append(measure(f"{ep.slug} ffmpeg cut", _cut(src.path, rng.start, rng.end, cut, video), log=log))
        for ext, codec in (("mp3", ["-c:a", "libmp3lame", "-b:a", "96k"]), ("m4a", ["-c:a", "aac", "-b:a", "64k"])):
            results.append(measure(f"{ep.slug} ffmpeg-normalize {ext}",
                                   _normalize(cut, work / f"{ep.slug}.{ext}", ["-vn", *codec], target), log=log))
        if video:
            results.append(measure(f"{ep.slug} ffmpeg-normalize mp4",
                                   _normalize(cut, work / f"{ep.slug}.mp4", ["-c:v", "copy", "-c:a", "aac"], target),
                                   log=log))
        srt = work / f"{ep.slug}.srt"
        results.append(measure(f"{ep.slug} faster-whisper", [sys.executable, "-c", FASTER_WHISPER_SCRIPT,
                                                             str(models.ct2_dir), str(work / f"{ep.slug}.mp3"),
                                                             str(srt), str(threads)], log=log))
        if index < whisper_cli_episodes:
            results.append(measure(f"{ep.slug} whisper CLI", [
                WHISPER_CLI, str(work / f"{ep.slug}.mp3"), "--model", str(models.checkpoint), "--language", "en",
                "--word_timestamps", "True", "--fp16", "False", "--threads", str(threads),
                "--output_format", "all", "--output_dir", str(work / "whisper-cli")], log=log))
        if video:
            results.append(measure(f"{ep.slug} ffmpeg caption mux", [
                "ffmpeg", "-v", "error", "-y", "-i", str(work / f"{ep.slug}.mp4"), "-i", str(srt),
                "-map", "0", "-map", "1", "-c", "copy", "-c:s", "mov_text",
                str(work / f"{ep.slug}.captioned.mp4")], log=log))
    return results
