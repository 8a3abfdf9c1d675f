"""Podlove Simple Chapters in the feeds, read the way gPodder reads them (its own parser, podcastparser),
with the same times as the chapters JSON (the one source every chapter format comes from)."""
from __future__ import annotations

import json

import podcastparser
import pytest
from lxml import etree

from feeds_helpers import build_all, make_media, publish, write_course
from pipeline.core import layout
from pipeline.feeds import podlove_ext

NS = {"psc": podlove_ext.PSC_NS}


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return make_media(tmp_path_factory.mktemp("psc-media"))


@pytest.fixture
def built(tmp_path, media):
    course = write_course(tmp_path)
    publish(course, media)
    build_all(course)
    return course


def json_chapters(course, episode) -> list[tuple[float, str]]:
    data = json.loads(layout.chapters_json(course, episode).read_text(encoding="utf-8"))
    return [(c["startTime"], c["title"]) for c in data["chapters"] if c.get("toc", True)]


def test_gpodders_parser_reads_every_chapter_of_every_item_that_has_chapters(built):
    feeds = [layout.course_feed(built), *(layout.module_feed(built, m) for m in built.modules
                                          if built.module_episodes(m.number))]
    by_title = {e.title: e for e in built.episodes}
    with_chapters = 0
    for feed in feeds:
        with open(feed, "rb") as stream:
            parsed = podcastparser.parse(feed.as_uri(), stream)
        for item in parsed["episodes"]:
            expected = json_chapters(built, by_title[item["title"]])
            if expected:
                with_chapters += 1
                got = [(c["start"], c["title"]) for c in item.get("chapters", [])]
                assert len(got) >= 1 and got == [(int(start), title) for start, title in expected], item["title"]
            else:
                assert "chapters" not in item, item["title"]
    assert with_chapters >= 2


def test_the_elements_carry_milliseconds_and_version_1_2(built):
    root = etree.parse(str(layout.course_feed(built))).getroot()
    first = root.find("channel/item")
    [chapters] = first.findall("psc:chapters", NS)
    assert chapters.get("version") == "1.2"
    assert [(c.get("start"), c.get("title")) for c in chapters.findall("psc:chapter", NS)] == [
        ("00:00:00.000", "Welcome"), ("00:00:01.000", "Two")]


def test_normal_play_time_and_the_setter_refuses_bad_chapters():
    assert podlove_ext.npt(3723.4567) == "01:02:03.457" and podlove_ext.npt(0) == "00:00:00.000"
    entry = podlove_ext.PodloveEntryExtension()
    for bad in ([(1.0, "A"), (1.0, "B")], [(-1, "A")], [(0, " ")]):
        with pytest.raises(ValueError):
            entry.psc_chapters(bad)
    assert entry.psc_chapters([(0, "A"), (2.5, "B")]) == [(0.0, "A"), (2.5, "B")]
