"""An episode whose language is "auto" shows the language its transcript was detected in, everywhere it is
published: the captions track of the video and the WebVTT beside it, the feeds' transcript links, the
PDF's /Lang and the web page's caption track.

The feeds tests' tiny course with its video episode set to "auto"; its transcript says Swedish (as the
transcriber records a detected language). Real media, the stages' own tasks.
"""
from __future__ import annotations

import json
import subprocess
from dataclasses import replace

import pypdf
import pytest

from pipeline import feeds, printing, video
from pipeline import site as site_stage
from pipeline.core import course_file, layout
from pipeline.core.transcript import load

from site_helpers import publish_all, site_media, write_course


@pytest.fixture
def swedish(tmp_path):
    course = write_course(tmp_path / "course")
    text = course.path.read_text(encoding="utf-8")
    text = text.replace('slug = "m1-video"', 'slug = "m1-video"\nlanguage = "auto"', 1)
    course.path.write_text(text + '\n[transcription]\nmodel = "base"\n', encoding="utf-8")
    course = course_file.load(course.path)
    episode = course.episode("m1-video")
    assert episode.language == "auto"
    publish_all(course, site_media(tmp_path / "media"))
    final = layout.transcript(course, episode, "json")
    replace(load(final), language="sv", language_probability=0.97).save(final)  # as the transcriber detected it
    return course


def test_every_published_form_shows_the_detected_language(swedish):
    course, episode = swedish, swedish.episode("m1-video")
    for task in video.tasks(course):
        task.run()
    probe = json.loads(subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams",
                                       str(layout.captioned_video(course, episode))],
                                      capture_output=True, text=True, check=True).stdout)
    [captions] = [s for s in probe["streams"] if s["codec_type"] == "subtitle"]
    assert captions["tags"]["language"] == "swe"
    assert layout.video_captions(course, episode, "auto").name == "m1-video.vtt"  # no "auto" in a published name
    assert layout.video_captions(course, episode, "auto").is_file()

    for task in feeds.tasks(course):
        task.run()
    feed = layout.module_feed(course, course.module(1)).read_text(encoding="utf-8")
    items = feed.split("<item>")[1:]
    assert 'language="auto"' not in feed
    assert 'language="sv"' in next(i for i in items if "m1-video" in i)
    assert 'language="en"' in next(i for i in items if "m1-intro" in i)
    html = layout.html_transcript(course, episode).read_text(encoding="utf-8")
    assert '<html lang="sv">' in html

    {t.name: t for t in printing.tasks(course)}["print:m1-video"].run()
    assert pypdf.PdfReader(layout.episode_pdf(course, episode)).trailer["/Root"]["/Lang"] == "sv"

    for task in site_stage.tasks(course):
        task.run()
    page = layout.site_episode_page(course, episode).read_text(encoding="utf-8")
    assert 'srclang="sv"' in page and 'srclang="auto"' not in page
