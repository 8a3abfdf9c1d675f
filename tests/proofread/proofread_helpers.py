"""Fixtures for the proofreading tests: course folders, joined real speech, real transcriptions."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from pipeline.core import course_file
from pipeline.core import layout
from pipeline.core.course import Course, Episode
from pipeline.core.transcript import Segment, Transcript, Word
from conftest import course_head

from paths import SPEECH
LJ = SPEECH / "ljspeech"
SAMPLE_RATE = 16000  # Hz: the episode's ASR audio
GAP_S = 1.0  # seconds of silence between joined clips
LEAD_S = 0.5  # seconds of silence before the first clip

COURSE = course_head("Proofreading test") + """
[[speakers]]
id = "host"
name = "Anna Lindqvist"
role = "host"

[[speakers]]
id = "guest"
name = "Erik Nilsson"
role = "guest"

[[speakers]]
id = "other"
name = "Maja Berg"
role = "guest"

[[episodes]]
slug = "ep1"
module = 1
number = 1
title = "Episode one"
summary = "The first episode."
date = 2026-09-01
speakers = ["host", "guest"]

turns = [{ at = "00:00:00.000", speaker = "host" }]

[[episodes.sources]]
file = "ep1.wav"
"""


def make_course(root: Path) -> tuple[Course, Episode]:
    """A course folder with one episode 'ep1' (host Anna Lindqvist, guest Erik Nilsson)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "course.toml").write_text(COURSE, encoding="utf-8")
    course = course_file.load(root / "course.toml")
    return course, course.episodes[0]


@dataclass(frozen=True)
class Clip:
    name: str  # e.g. "LJ001-0021"
    start: float  # seconds into the joined recording
    end: float  # seconds

    @property
    def text(self) -> str:
        return (LJ / f"{self.name}.txt").read_text(encoding="utf-8").strip()


def join_clips(names: list[str], dst: Path, *, false_start: tuple[str, float] | None = None) -> list[Clip]:
    """16 kHz mono WAV of the LJ Speech clips with GAP_S of silence between them.

    false_start=(name, seconds): that clip is preceded by its own first `seconds`
    and a short pause, like a speaker who starts, stops and starts again.
    """
    parts: list[tuple[Path, float | None]] = []
    for name in names:
        if false_start and false_start[0] == name:
            parts += [(LJ / f"{name}.wav", false_start[1]), (None, 0.35)]
        parts += [(LJ / f"{name}.wav", None), (None, GAP_S)]
    return _concat([(None, LEAD_S), *parts[:-1]], dst, names)


def _duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                          str(path)], capture_output=True, text=True, check=True).stdout
    return float(out)


def _concat(parts: list[tuple[Path | None, float | None]], dst: Path, names: list[str]) -> list[Clip]:
    cmd, labels, clips, at = ["ffmpeg", "-v", "error", "-y"], [], [], 0.0
    for index, (path, seconds) in enumerate(parts):
        if path is None:
            cmd += ["-f", "lavfi", "-t", str(seconds), "-i", f"anullsrc=r={SAMPLE_RATE}:cl=mono"]
            at += seconds
        else:
            cmd += (["-t", str(seconds)] if seconds else []) + ["-i", str(path)]
            length = seconds or _duration(path)
            if seconds is None:
                clips.append(Clip(path.stem, round(at, 3), round(at + length, 3)))
            at += length
        labels.append(f"[{index}:a]aresample={SAMPLE_RATE},aformat=channel_layouts=mono[a{index}]")
    graph = ";".join(labels) + ";" + "".join(f"[a{i}]" for i in range(len(parts))) + \
        f"concat=n={len(parts)}:v=0:a=1[out]"
    dst.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([*cmd, "-filter_complex", graph, "-map", "[out]", "-ac", "1", "-ar", str(SAMPLE_RATE),
                    "-c:a", "pcm_s16le", str(dst)], check=True)
    return clips


def transcribe_episode(course: Course, episode: Episode, audio: Path) -> Transcript:
    """The real transcribe stage on `audio` (tiny.en, offline), written as the machine transcript."""
    from pipeline.transcribe import stage as transcribe

    asr = layout.asr_audio(course, episode)
    asr.parent.mkdir(parents=True, exist_ok=True)
    if audio != asr:
        asr.write_bytes(audio.read_bytes())
    heard = layout.heard_transcript(course, episode)
    transcribe.transcribe(asr, heard, episode=episode.slug, language="en", settings=course.transcription,
                          root=course.root)
    from pipeline import speakers

    hints = speakers.SpeakerHints(speakers.speaker_names(course, episode), (), episode.turns)
    speakers.attribute(heard, layout.machine_transcript(course, episode), hints)
    from pipeline.core.transcript import load

    return load(layout.machine_transcript(course, episode))


def synthetic_transcript(turns: list[tuple[str | None, str]], *, word_s: float = 0.5) -> Transcript:
    """A machine transcript without audio: one segment per (speaker, text), words `word_s` apart."""
    segments, at = [], 0.0
    for speaker, text in turns:
        words = []
        for token in text.split():
            words.append(Word(token, round(at, 3), round(at + word_s * 0.8, 3), 0.9))
            at += word_s
        segments.append(Segment(words[0].start, words[-1].end, text, tuple(words), speaker))
        at += word_s
    return Transcript("ep1", "en", "openai-whisper", "tiny.en", {}, "0" * 64, round(at, 3), tuple(segments))


# -- the proofreading stage's jobs for one episode of a test course ----------------------------
def roster(course: Course) -> tuple[tuple[str, str], ...]:
    return tuple((s.id, s.name) for s in course.speakers)


def create_edit_file(course: Course, episode: Episode):
    from pipeline import proofread

    return proofread.create_edit_file(proofread.edit_file_job(course, episode))


def correct(course: Course, episode: Episode, machine: Transcript) -> Transcript:
    from pipeline import proofread

    return proofread.corrected_transcript(proofread.edit_sources(course, episode), proofread.word_timing(course, episode),
                                          machine)


def plan(course: Course, episode: Episode, machine: Transcript):
    from pipeline import proofread

    return proofread.episode_plan(proofread.edit_sources(course, episode), machine)


def diff(course: Course, episode: Episode):
    from pipeline import proofread

    sources = proofread.edit_sources(course, episode)
    machine = proofread.read_machine(sources, layout.machine_transcript(course, episode))
    return proofread.diff_report(sources, machine, proofread.episode_title(episode))


def write_review(course: Course, episode: Episode) -> bool:
    from pipeline import proofread

    return proofread.write_review(proofread.review_job(course, episode))


def edit_once(course: Course, episode: Episode, old: str, new: str) -> None:
    """What an editor does in the editing file: `old` (which must be there) becomes `new`, once."""
    path = layout.edit_file(course, episode)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
