"""Tags, chapters and artwork, read back the way podcast apps read them (mutagen, Pillow, JSON)."""
from __future__ import annotations

import dataclasses
import io
import json

import pytest
from mutagen.id3 import ID3, CTOCFlags, PictureType
from mutagen.mp4 import MP4, MP4Cover
from PIL import Image

from episodes_helpers import episode_toml, published, run_tasks, tone, write_course
from pipeline.episodes import artwork
from pipeline.episodes import stage as episodes
from pipeline.core import layout
from pipeline.core.errors import StageError
from pipeline.core.languages import alpha3
from pipeline.episodes.tags import chapter_marks

CHAPTERS = ('chapters = [{ at = "00:00:00.000", title = "Introduction" }, '
            '{ at = "00:00:01.250", title = "Smart cities in Malmö" }, '
            '{ at = "00:00:02.000", title = "Closing" }]')


@pytest.fixture(scope="module")
def tagged(tmp_path_factory):
    root = tmp_path_factory.mktemp("tagged")
    (root / "raw_interviews").mkdir()
    tone(root / "raw_interviews" / "a.wav", 3.0)
    course = write_course(root, episode_toml("tagged", """
        [[episodes.sources]]
        file = "a.wav"
        """, number=1, chapters=CHAPTERS) + episode_toml("second", """
        [[episodes.sources]]
        file = "a.wav"
        keep = [["00:00:00.000", "00:00:01.000"]]
        """, number=2))
    run_tasks(course)
    return course


def test_mp3_carries_every_tag_as_id3v23(tagged):
    tags = ID3(layout.episode_audio(tagged, tagged.episode("tagged"), "mp3"))
    assert tags.version == (2, 3, 0)
    assert tags["TIT2"].text == ["Episode tagged: smart cities, defined"]
    assert tags["TPE1"].text == ["Åsa Host, Guest Person"]
    assert tags["TPE2"].text == ["Course Team"]
    assert tags["TALB"].text == ["Test course — Module 1: Ontology: definitions"]
    assert tags["TRCK"].text == ["1/2"]
    assert str(tags["TDRC"].text[0]) == "2026-09-01"
    assert tags["TCON"].text == ["Podcast"]
    assert tags["TLAN"].text == ["eng"]
    assert tags.getall("COMM")[0].text == ["What we mean by a smart city."]
    assert tags["TDES"].text == ["What we mean by a smart city."]
    assert tags["TCOP"].text == ["© 2026 Course Team"]
    assert tags["PCST"].value == 1
    cover = tags.getall("APIC")[0]
    assert cover.type == PictureType.COVER_FRONT and cover.mime == "image/jpeg"
    image = Image.open(io.BytesIO(cover.data))
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (3000, 3000))


def test_mp3_chapters_are_chap_frames_under_a_ctoc(tagged):
    tags = ID3(layout.episode_audio(tagged, tagged.episode("tagged"), "mp3"))
    chapters = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    assert [c.sub_frames["TIT2"].text[0] for c in chapters] == ["Introduction", "Smart cities in Malmö", "Closing"]
    assert [c.start_time for c in chapters] == [0, 1250, 2000]
    assert [c.end_time for c in chapters][:2] == [1250, 2000]
    assert chapters[-1].end_time == pytest.approx(3000, abs=60)  # the episode's end
    toc = tags.getall("CTOC")[0]
    assert toc.flags & CTOCFlags.TOP_LEVEL and toc.flags & CTOCFlags.ORDERED
    assert toc.child_element_ids == [c.element_id for c in chapters]


def test_m4a_carries_the_itunes_tags_cover_and_chapters(tagged):
    mp4 = MP4(layout.episode_audio(tagged, tagged.episode("tagged"), "m4a"))
    tags = mp4.tags
    assert tags["©nam"] == ["Episode tagged: smart cities, defined"]
    assert tags["©ART"] == ["Åsa Host, Guest Person"]
    assert tags["©alb"] == ["Test course — Module 1: Ontology: definitions"]
    assert tags["trkn"] == [(1, 2)] and tags["©day"] == ["2026-09-01"] and tags["©gen"] == ["Podcast"]
    assert tags["desc"] == ["What we mean by a smart city."] and tags["pcst"] is True and tags["stik"] == [21]
    assert bytes(tags["----:com.apple.iTunes:LANGUAGE"][0]) == b"en"
    cover = tags["covr"][0]
    assert cover.imageformat == MP4Cover.FORMAT_JPEG and Image.open(io.BytesIO(bytes(cover))).size == (3000, 3000)
    assert [(round(c.start, 2), c.title) for c in mp4.chapters] == [
        (0.0, "Introduction"), (1.25, "Smart cities in Malmö"), (2.0, "Closing")]
    assert mp4.info.codec == "mp4a.40.2"  # AAC-LC


def test_chapters_json_is_podcasting_2_0(tagged):
    data = json.loads(layout.chapters_json(tagged, tagged.episode("tagged")).read_text(encoding="utf-8"))
    assert data["version"] == "1.2.0"
    assert [(c["startTime"], c["title"]) for c in data["chapters"]] == [
        (0.0, "Introduction"), (1.25, "Smart cities in Malmö"), (2.0, "Closing")]
    assert data["chapters"][0]["endTime"] == 1.25


def test_episode_without_chapters_has_no_ctoc(tagged):
    tags = ID3(layout.episode_audio(tagged, tagged.episode("second"), "mp3"))
    assert tags.getall("CTOC") == [] and tags.getall("CHAP") == []
    assert tags["TRCK"].text == ["2/2"]


def test_generated_artwork_per_module_and_course(tagged):
    names = published(tagged.root)
    assert "artwork/course.jpg" in names and "artwork/module-1-one.jpg" in names
    for path in (layout.artwork(tagged), layout.artwork(tagged, tagged.modules[0])):
        image = Image.open(path)
        assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (3000, 3000))
        assert artwork.check_image(path, path.name) == []


def test_given_artwork_is_checked_and_published_as_jpeg(tmp_path):
    Image.new("RGB", (1400, 1400), (10, 80, 120)).save(tmp_path / "good.png")
    Image.new("RGB", (1000, 1000)).save(tmp_path / "small.png")
    Image.new("RGBA", (1400, 1400)).save(tmp_path / "alpha.png")
    Image.new("CMYK", (1400, 1400)).save(tmp_path / "cmyk.jpg")
    Image.new("RGB", (1600, 1400)).save(tmp_path / "wide.jpg")
    assert artwork.check_image(tmp_path / "good.png", "good.png") == []
    assert "1400-3000 px" in artwork.check_image(tmp_path / "small.png", "small.png")[0]
    assert "RGB" in artwork.check_image(tmp_path / "alpha.png", "alpha.png")[0]
    assert "CMYK" in artwork.check_image(tmp_path / "cmyk.jpg", "cmyk.jpg")[0]
    assert "square" in artwork.check_image(tmp_path / "wide.jpg", "wide.jpg")[0]
    assert "does not exist" in artwork.check_image(tmp_path / "missing.jpg", "missing.jpg")[0]
    target = artwork.publish(tmp_path / "good.png", tmp_path / "out" / "good.jpg", name="good.png")
    assert Image.open(target).format == "JPEG" and Image.open(target).size == (1400, 1400)
    with pytest.raises(StageError, match="small.png"):
        artwork.publish(tmp_path / "small.png", tmp_path / "out" / "small.jpg", name="small.png")
    assert not (tmp_path / "out" / "small.jpg").exists()


def test_course_artwork_from_the_course_file_is_used_and_checked(tmp_path):
    (tmp_path / "raw_interviews").mkdir()
    tone(tmp_path / "raw_interviews" / "a.wav", 1.0)
    Image.new("RGB", (1200, 1200)).save(tmp_path / "cover.png")
    course = write_course(tmp_path, episode_toml("e", """
        [[episodes.sources]]
        file = "a.wav"
        """))
    course = dataclasses.replace(course, info=dataclasses.replace(course.info, artwork="cover.png"))
    problems = episodes.check(course)
    assert any("[course].artwork: cover.png is 1200x1200 px" in p for p in problems)
    task = next(t for t in episodes.tasks(course) if t.name == "artwork:module-1")
    assert task.inputs == (tmp_path / "cover.png",)
    with pytest.raises(StageError, match="cover.png"):
        task.run()


def test_language_codes_and_chapter_ends():
    assert alpha3("en") == "eng" and alpha3("sv") == "swe" and alpha3("en-GB") == "eng" and alpha3("se") == "sme"
    assert alpha3("xx") == "und"
    marks = chapter_marks([(0.0, "A"), (5.0, "B"), (99.0, "past the end")], 10.0)
    assert [(m.start, m.end, m.title) for m in marks] == [(0.0, 5.0, "A"), (5.0, 10.0, "B")]
