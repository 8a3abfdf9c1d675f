"""Soundbites editors marked reach the feeds as podcast:soundbite (startTime, duration, title), as feedsmith
(a JavaScript podcast app's parser) reads them, and pass the namespace checks."""
from __future__ import annotations

from dataclasses import replace

import pytest
from lxml import etree

from feeds_helpers import build_all, make_media, publish, read_with_feedsmith, write_course
from pipeline.core import layout
from pipeline.core.transcript import Soundbite, load
from pipeline.feeds import podcast_ext
from pipeline.feeds import validate as feed_check

BITES = (Soundbite(0.25, 1.125, "Hello, officials <b>&</b>"), Soundbite(0.5, 0.5, "A point"))


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return make_media(tmp_path_factory.mktemp("bite-media"))


@pytest.fixture
def built(tmp_path, media):
    course = write_course(tmp_path)
    publish(course, media)
    first = course.episodes[0]
    path = layout.transcript(course, first, "json")
    replace(load(path), soundbites=BITES).save(path)
    build_all(course)
    return course


def test_feedsmith_reads_the_soundbites_of_the_episode_that_has_them(built):
    feed = read_with_feedsmith(layout.course_feed(built))
    first, *others = feed["items"]
    assert first["podcast"]["soundbites"] == [
        {"startTime": 0.25, "duration": 0.875, "display": "Hello, officials <b>&</b>"},
        {"startTime": 0.5, "duration": 0.001, "display": "A point"}]
    assert all("soundbites" not in item.get("podcast", {}) for item in others)


def test_the_feed_passes_the_namespace_rules_and_a_bad_soundbite_is_refused_on_the_way_in(built):
    root = etree.parse(str(layout.course_feed(built))).getroot()
    assert feed_check.podcast_namespace_problems(root) == []
    entry = podcast_ext.PodcastIndexEntryExtension()
    for start, duration in ((-1, 5), (1, 0), (True, 5)):
        with pytest.raises(ValueError):
            entry.podcast_soundbite(start, duration)
    with pytest.raises(ValueError):
        entry.podcast_soundbite(1, 5, "x" * 129)
