"""Fixtures for the feeds tests: a tiny course with real published files.

Media are made by ffmpeg (1.5 s MP3 tagged with mutagen, a 1 s MP4), artwork by
Pillow, transcripts with the project's Transcript model, the PDF with reportlab:
every file a feed points at is real and readable by the tools apps use.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.core import course_file
from pipeline.core import layout
from pipeline.core.course import Course
from pipeline.core.transcript import Segment, Transcript, Word

from paths import JS as JS_DIR
ARTWORK_PX = 1400  # smallest artwork Apple accepts

COURSE_TOML = """
[course]
title = {title}
subtitle = "A course for <em>officials</em> & others"
author = "Course Team"
owner_name = "Course Team"
owner_email = "team@example.org"
language = "en"
base_url = "https://example.org/course/"
website = "https://example.org/"
copyright = "© 2026 Course Team"
categories = ["Education > Courses", "Government"]

[[modules]]
number = 1
slug = "ontology"
title = {module_title}
summary = "What is a smart city?"

[[modules]]
number = 2
slug = "governance"
title = "Governance"

[[speakers]]
id = "anna"
name = {host_name}
role = "host"

[[speakers]]
id = "erik"
name = "Erik Öberg"
role = "guest"
affiliation = "Uppsala universitet"

[[episodes]]
slug = "m1-intro"
module = 1
number = 1
title = {ep_title}
summary = {summary}
date = 2026-09-01
speakers = ["anna", "erik"]
chapters = [{{ at = "00:00:00.000", title = {chapter} }}, {{ at = "00:00:01.000", title = "Two" }}]
[[episodes.sources]]
file = "a.wav"

[[episodes]]
slug = "m1-video"
module = 1
number = 2
title = "On camera"
summary = "A video episode."
date = 2026-09-01
speakers = ["anna"]
[[episodes.sources]]
file = "v.mp4"
kind = "video"

[[episodes]]
slug = "m2-people"
module = 2
number = 1
title = "People"
summary = "Who decides."
date = 2026-09-08
speakers = ["anna", "erik"]
[[episodes.sources]]
file = "b.wav"
"""


def toml_string(text: str) -> str:
    """A TOML basic string holding `text` exactly (JSON string escapes are valid TOML)."""
    return json.dumps(text, ensure_ascii=False)


def write_course(root: Path, **values: str) -> Course:
    """Write course.toml with the given texts (title, module_title, host_name, ep_title, summary, chapter)."""
    texts = {"title": "Smart cities", "module_title": "Ontology: definitions", "host_name": "Anna Host",
             "ep_title": "What is a smart city?", "summary": "Definitions & <strong>history</strong>.",
             "chapter": "Welcome", **values}
    path = root / "course.toml"
    root.mkdir(parents=True, exist_ok=True)
    path.write_text(COURSE_TOML.format(**{k: toml_string(v) for k, v in texts.items()}), encoding="utf-8")
    return course_file.load(path)


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def make_mp3(path: Path, seconds: float = 1.5, bitrate: str = "96k", title: str = "Episode") -> Path:
    from mutagen.easyid3 import EasyID3

    path.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg("-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-ac", "1", "-ar", "44100",
           "-c:a", "libmp3lame", "-b:a", bitrate, str(path))
    tags = EasyID3()
    tags.update({"title": title, "album": "Smart cities"})
    tags.save(path)
    return path


def make_mp4(path: Path, seconds: float = 1.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg("-f", "lavfi", "-i", f"testsrc=size=160x120:rate=25:duration={seconds}",
           "-f", "lavfi", "-i", f"sine=frequency=300:duration={seconds}", "-c:v", "libx264", "-preset",
           "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-movflags", "+faststart", str(path))
    return path


def make_artwork(path: Path, size: int = ARTWORK_PX, mode: str = "RGB") -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, (size, size), "navy" if mode == "RGB" else 0).save(path, "JPEG", quality=80)
    return path


def make_pdf(path: Path, text: str) -> Path:
    from reportlab.pdfgen import canvas

    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = canvas.Canvas(str(path), invariant=1)
    pdf.drawString(72, 720, text)
    pdf.save()
    return path


def _transcript(slug: str) -> Transcript:
    words = (Word("Hello", 0.0, 0.5, 0.9), Word("officials.", 0.5, 1.2, 0.8))
    segment = Segment(0.0, 1.2, "Hello officials.", words, speaker="anna")
    return Transcript(episode=slug, language="en", engine="faster-whisper", model="tiny.en", options={},
                      audio_sha256="0" * 64, duration=1.5, segments=(segment,), speakers={"anna": "Anna Host"})


def write_transcripts(course: Course, episode) -> None:
    _transcript(episode.slug).save(layout.transcript(course, episode, "json"))
    cue = "00:00:00.000 --> 00:00:01.200\n<v Anna Host>Hello officials.\n"
    layout.transcript(course, episode, "vtt").write_text(f"WEBVTT\n\n{cue}", encoding="utf-8")
    layout.transcript(course, episode, "srt").write_text(
        "1\n00:00:00,000 --> 00:00:01,200\nAnna Host: Hello officials.\n", encoding="utf-8")
    layout.transcript(course, episode, "txt").write_text("Anna Host: Hello officials.\n", encoding="utf-8")
    make_pdf(layout.episode_pdf(course, episode), "Hello officials.")


def write_chapters(course: Course, episode) -> None:
    """The episodes stage's chapters JSON (written for every episode, with or without chapters)."""
    chapters = [{"startTime": c.at, "title": c.title} for c in episode.chapters]
    layout.chapters_json(course, episode).write_text(
        json.dumps({"version": "1.2.0", "chapters": chapters}, ensure_ascii=False), encoding="utf-8")


def publish(course: Course, media: dict[str, Path]) -> None:
    """Put every file the feeds need where the upstream stages would (media copied from `media`)."""
    make_artwork(layout.artwork(course))
    for module in course.modules:
        make_artwork(layout.artwork(course, module))
    for episode in course.episodes:
        shutil.copy(media["mp3"], layout.episode_audio(course, episode, "mp3"))
        write_transcripts(course, episode)
        write_chapters(course, episode)
        if episode.kind == "video":
            layout.episode_video(course, episode).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(media["mp4"], layout.episode_video(course, episode))
    publish_video(course)


def publish_video(course: Course) -> None:
    """Run the video stage (captions muxed in, then tags): the captioned MP4s the video feeds enclose."""
    from pipeline.video import stage as video

    for task in video.tasks(course):
        task.run()


def ffprobe(path: Path) -> dict:
    """ffprobe's JSON of a file: format (with tags), streams, chapters."""
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                          "-show_chapters", str(path)], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def build_all(course: Course) -> dict:
    """Run every feeds task in declared order (JSON transcripts before feeds); {task name: result}."""
    from pipeline.feeds import stage as feeds

    return {task.name: task.run() for task in feeds.tasks(course)}


def read_with_feedsmith(feed: Path) -> dict:
    """What feedsmith (JavaScript) reads from the feed; skips the test if its node_modules is absent."""
    if shutil.which("node") is None or not (JS_DIR / "node_modules" / "feedsmith").is_dir():
        pytest.skip("feedsmith not installed: run 'npm ci --prefix tests/js' (needs node)")
    proc = subprocess.run(["node", str(JS_DIR / "read-feed.mjs"), str(feed)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def make_media(folder: Path) -> dict[str, Path]:
    """One MP3 and one MP4, made once per session and copied into each course by `publish`."""
    return {"mp3": make_mp3(folder / "a.mp3"), "mp4": make_mp4(folder / "v.mp4")}
