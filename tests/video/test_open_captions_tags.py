"""The optional open-captions MP4 is tagged like the captioned one (title, artist, album, date, description,
cover, chapters), read back by ffprobe; a title change re-tags it and never re-encodes."""
from __future__ import annotations

import dataclasses

import pytest

import video_helpers as vh
from pipeline.core import layout
from pipeline.video import stage as video

OPEN = "open_captions = true\nopen_caption_preset = \"ultrafast\"\n"


def _tasks(course) -> dict:
    return {t.name: t for t in video.tasks(course)}


def test_the_open_captions_video_is_tagged_like_the_captioned_one(tmp_path):
    course = vh.make_course(tmp_path, OPEN)
    talk = course.episode("talk")
    vh.make_clip(layout.episode_video(course, talk))
    vh.write(layout.transcript(course, talk, "vtt"), vh.CAPTIONS_EN)
    vh.make_cover(layout.artwork(course, course.module(1)))
    vh.write(layout.chapters_json(course, talk), '{"version": "1.2.0", "chapters": ['
             '{"startTime": 0.0, "title": "Welcome"}, {"startTime": 1.5, "title": "Data and trust"}]}')
    tasks = _tasks(course)
    for name in ("video:talk", "video-tags:talk", "video-open:talk", "video-open-tags:talk"):
        tasks[name].run()
    closed, burned = (vh.ffprobe(p, "-show_format", "-show_chapters") for p in
                      (layout.captioned_video(course, talk), layout.open_captioned_video(course, talk)))
    keys = ("title", "artist", "album", "date", "description")
    assert {k: burned["format"]["tags"][k] for k in keys} == {k: closed["format"]["tags"][k] for k in keys}
    assert burned["format"]["tags"]["title"] == "A video talk"
    kinds = [(s["codec_type"], s["codec_name"], s["disposition"]["attached_pic"]) for s in burned["streams"]]
    assert ("video", "h264", 0) in kinds and ("video", "mjpeg", 1) in kinds  # the picture and the cover
    assert not [k for k in kinds if k[0] == "subtitle"]  # the captions are in the picture
    assert [(float(c["start_time"]), c["tags"]["title"]) for c in burned["chapters"]] == [
        (0.0, "Welcome"), (1.5, "Data and trust")]


def test_a_title_change_re_tags_the_open_captions_video_and_never_re_encodes(tmp_path):
    course = vh.make_course(tmp_path, OPEN)
    talk = course.episode("talk")
    retitled = dataclasses.replace(course, episodes=tuple(
        dataclasses.replace(e, title="A new title") if e is talk else e for e in course.episodes))
    before, after = _tasks(course), _tasks(retitled)
    assert after["video-open:talk"].params == before["video-open:talk"].params
    assert after["video-open-tags:talk"].params != before["video-open-tags:talk"].params
    assert before["video-open-tags:talk"].targets == (layout.open_captioned_video(course, talk),)
    assert before["video-open:talk"].targets == (layout.untagged_open_captioned_video(course, talk),)


@pytest.mark.parametrize("setting", ["", OPEN])
def test_the_open_tags_task_exists_only_with_open_captions(tmp_path, setting):
    names = set(_tasks(vh.make_course(tmp_path, setting)))
    assert ("video-open-tags:talk" in names) is bool(setting)
