"""Fixtures for the site tests: the feeds tests' tiny course, with every file a page links put in place.

Media are real (ffmpeg), transcripts use the project's model, PDFs are real; the
feeds and the site are built by their own tasks, so every link can be followed.
"""
from __future__ import annotations

import io
import shutil
from pathlib import Path

from feeds.feeds_helpers import ffmpeg, make_media, make_pdf, publish, write_course  # noqa: F401 (re-exported)
from pipeline import feeds
from pipeline.core import layout
from pipeline import site as site_stage
from pipeline.core.course import Course
from pipeline.core.transcript import Segment, Transcript, Word

WORDS_PER_SENTENCE = 15  # synthetic long transcripts
SECONDS_PER_WORD = 0.4  # 150 words a minute
SENTENCES_PER_TURN = 5


def make_m4a(path: Path, seconds: float = 1.5) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg("-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-ac", "1", "-c:a", "aac", "-b:a", "64k",
           str(path))
    return path


def site_media(folder: Path) -> dict[str, Path]:
    return {**make_media(folder), "m4a": make_m4a(folder / "a.m4a")}


def publish_all(course: Course, media: dict[str, Path]) -> None:
    """Everything the upstream stages write that the site links: media, captions, transcripts, PDFs."""
    publish(course, media)
    for episode in course.episodes:
        shutil.copy(media["m4a"], layout.episode_audio(course, episode, "m4a"))
        if episode.kind == "video":
            shutil.copy(media["mp4"], layout.captioned_video(course, episode))
            shutil.copy(layout.transcript(course, episode, "vtt"),
                        layout.video_captions(course, episode, episode.language))
    for module in course.modules:
        if course.module_episodes(module.number):
            make_pdf(layout.module_pdf(course, module), module.title)
    make_pdf(layout.course_pdf(course), course.info.title)
    for task in feeds.tasks(course):  # the HTML transcripts the episode pages offer
        if task.name.endswith(":html-transcript"):
            task.run()


def build_site(course: Course) -> dict[str, object]:
    """Run the site's tasks; {task name: result}."""
    return {t.name: t.run() for t in site_stage.tasks(course)}


def run_site(course: Course) -> set[str]:
    """The site tasks through the real runner and state store; returns the names of those that ran."""
    from pipeline.core import runner
    from pipeline.core.dependency import StateStore
    from pipeline.core.progress import Progress

    report = runner.run(site_stage.tasks(course), StateStore(course.root / layout.STATE), jobs=2,
                        progress=Progress(io.StringIO(), quiet=True))
    assert report.ok, report.failed
    return set(report.built)


def long_transcript(slug: str, minutes: float, speakers=("anna", "erik")) -> Transcript:
    """A transcript of `minutes` of speech: sentences of WORDS_PER_SENTENCE timed words, turns alternating."""
    segments, t, index = [], 0.0, 0
    while t < minutes * 60:
        words = []
        for n in range(WORDS_PER_SENTENCE):
            text = f"word{n}" + ("." if n == WORDS_PER_SENTENCE - 1 else "")
            words.append(Word(text, t, t + SECONDS_PER_WORD * 0.9, 0.9))
            t += SECONDS_PER_WORD
        speaker = speakers[(index // SENTENCES_PER_TURN) % len(speakers)]
        segments.append(Segment(words[0].start, words[-1].end, " ".join(w.text for w in words), tuple(words),
                                speaker=speaker))
        index += 1
    return Transcript(episode=slug, language="en", engine="faster-whisper", model="tiny.en", options={},
                      audio_sha256="0" * 64, duration=t, segments=tuple(segments), speakers={})


def long_vtt(transcript: Transcript) -> str:
    """Captions of a transcript as the captions stage writes them: a cue per ~7 words, with voice spans."""
    from pipeline.core.timecode import format_timecode as vtt_time

    cues = []
    for segment in transcript.segments:
        for first in range(0, len(segment.words), 7):
            words = segment.words[first:first + 7]
            cues.append(f"{vtt_time(words[0].start)} --> {vtt_time(words[-1].end)}\n"
                        f"<v Anna Host>{' '.join(w.text for w in words)}")
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"
