"""The feeds stage, checked the way podcast apps read feeds: feedparser (Python), feedsmith (JavaScript),
lxml with namespaced XPath, and our Apple / Podcast Index validators."""
from __future__ import annotations

import dataclasses
import email.utils
import io
import json
import re
import shutil
import subprocess

import feedparser
import pytest
from lxml import etree
from mutagen.mp3 import MP3

from feeds_helpers import (
    build_all, ffprobe, make_artwork, make_media, make_mp3, publish, read_with_feedsmith, write_course,
)
from pipeline.feeds import validate as feed_check
from pipeline.feeds import stage as feeds
from pipeline.core import layout
from pipeline.feeds import podcast_ext
from pipeline.core.errors import StageError
from pipeline.core.media import probe

NS = {"itunes": feed_check.ITUNES_NS, "podcast": podcast_ext.PODCAST_NS, "atom": "http://www.w3.org/2005/Atom"}
HOSTILE = ("Tom & Jerry <b>\"quoted\" 'single'</b> </title><script>alert(1)</script> ]]> 🎧 "
           "å ä ö ø æ Å Ø שלום עולם مرحبا &amp; &lt;")
HOSTILE_SUMMARY = ('<p onclick="steal()">Hi <script>evil()</script><a href="javascript:alert(1)">js</a> '
                   '<a href="https://ok.example/">ok</a> <img src=x onerror=y> ]]> <iframe>x</iframe> ü</p>')


@pytest.fixture(scope="session")
def media_cache(tmp_path_factory):
    return make_media(tmp_path_factory.mktemp("feeds-media"))


@pytest.fixture
def published(tmp_path, media_cache):
    """A course folder with every upstream output in place, ready for the feeds stage."""
    course = write_course(tmp_path)
    publish(course, media_cache)
    return course


def module_feed(course, number: int, video: bool = False):
    return layout.module_feed(course, course.module(number), video)


def xml(path):
    return etree.parse(str(path)).getroot()


def test_module_feed_as_feedparser_reads_it(published):
    build_all(published)
    parsed = feedparser.parse(str(module_feed(published, 1)))
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.feed.title == "1. Ontology: definitions – Smart cities"
    assert parsed.feed.image.href == "https://example.org/course/episodes/artwork/module-1-ontology.jpg"
    assert parsed.feed.itunes_type == "serial"
    assert parsed.feed.podcast_guid == podcast_ext.feed_guid("https://example.org/course/feeds/ontology.xml")
    assert [e.title for e in parsed.entries] == ["What is a smart city?", "On camera"]
    first, mp3 = parsed.entries[0], layout.episode_audio(published, published.episode("m1-intro"), "mp3")
    assert first.enclosures[0].href == "https://example.org/course/episodes/m1-intro.mp3"
    assert int(first.enclosures[0].length) == mp3.stat().st_size
    assert first.enclosures[0].type == "audio/mpeg"
    assert int(first.itunes_duration) == round(MP3(mp3).info.length)
    assert (first.itunes_season, first.itunes_episode) == ("1", "1")
    assert first.published_parsed[:5] == (2026, 9, 1, 12, 0)
    assert first.podcast_chapters["url"] == "https://example.org/course/episodes/m1-intro.chapters.json"
    assert "<li>0:00 Welcome</li>" in first.summary and "m1-intro.pdf" in first.summary


def test_feedsmith_reads_transcripts_chapters_persons_and_seasons(published):
    build_all(published)
    feed = read_with_feedsmith(layout.course_feed(published))
    assert feed["itunes"]["categories"] == [{"text": "Education", "categories": [{"text": "Courses"}]},
                                            {"text": "Government"}]
    assert feed["itunes"]["explicit"] is False and feed["itunes"]["type"] == "serial"
    assert feed["itunes"]["owner"] == {"name": "Course Team", "email": "team@example.org"}
    assert feed["podcast"]["locked"] == {"value": True, "owner": "team@example.org"}
    assert feed["podcast"]["guid"] == podcast_ext.feed_guid("example.org/course/feeds/course.xml")
    items = feed["items"]
    assert [(i["itunes"]["season"], i["itunes"]["episode"], i["title"]) for i in items] == [
        (1, 1, "What is a smart city?"), (1, 2, "On camera"), (2, 1, "People")]
    assert [i["podcast"]["season"] for i in items] == [
        {"number": 1, "name": "Ontology: definitions"}, {"number": 1, "name": "Ontology: definitions"},
        {"number": 2, "name": "Governance"}]
    base = "https://example.org/course/transcripts/m1-intro"
    assert items[0]["podcast"]["transcripts"] == [
        {"url": f"{base}.vtt", "type": "text/vtt", "language": "en", "rel": "captions"},
        {"url": f"{base}.srt", "type": "application/x-subrip", "language": "en"},
        {"url": f"{base}.podcast.json", "type": "application/json", "language": "en"},
        {"url": f"{base}.html", "type": "text/html", "language": "en"}]
    assert items[0]["link"] == "https://example.org/course/site/episodes/m1-intro.html"  # the episode page
    assert items[0]["podcast"]["chapters"]["type"] == "application/json+chapters"
    assert items[0]["podcast"]["persons"] == [{"display": "Anna Host", "role": "host", "group": "cast"},
                                              {"display": "Erik Öberg", "role": "guest", "group": "cast"}]
    assert items[2]["itunes"]["image"].endswith("/episodes/artwork/module-2-governance.jpg")


def test_every_url_resolves_once_the_folders_are_uploaded(published):
    build_all(published)
    base = published.info.base_url
    built = sorted(published.root.joinpath("feeds").glob("*.xml"))
    assert built, "no feed was built"
    for feed in built:
        root = xml(feed)
        urls = root.xpath("//enclosure/@url | //itunes:image/@href | //podcast:transcript/@url | "
                          "//podcast:chapters/@url | //atom:link/@href | //image/url/text()", namespaces=NS)
        urls += [u for d in root.xpath("//item/description/text()") for u in re.findall(r'href="([^"]+)"', d)]
        assert len(urls) >= 9  # self, artwork x2, enclosure, 3 transcripts, 2 description links
        for url in urls:
            assert url.startswith(base) and (published.root / url[len(base):]).is_file(), url


def test_feeds_pass_apple_podcast_index_and_json_format_checks(published):
    build_all(published)
    feed_files = sorted(published.root.joinpath("feeds").glob("*.xml"))
    assert [f.name for f in feed_files] == ["course.xml", "governance.xml", "ontology-video.xml", "ontology.xml"]
    for feed in feed_files:
        assert feed_check.feed_problems(feed) == []
        assert feed_check.feedparser_problems(feed) == []
    episode = published.episode("m1-intro")
    assert feed_check.load_json(layout.chapters_json(published, episode), feed_check.chapters_problems) == []
    transcript = json.loads(layout.podcast_transcript(published, episode).read_text())
    assert transcript["segments"] == [{"speaker": "Anna Host", "startTime": 0.0, "endTime": 1.2,
                                       "body": "Hello officials."}]
    assert feed_check.json_transcript_problems(transcript, "t") == []
    assert feeds.check(published) == []


def test_video_feed_has_exact_mp4_enclosures(published):
    build_all(published)
    feed = read_with_feedsmith(module_feed(published, 1, video=True))
    mp4 = layout.captioned_video(published, published.episode("m1-video"))
    assert [i["title"] for i in feed["items"]] == ["On camera"]
    assert feed["items"][0]["enclosures"] == [{"url": "https://example.org/course/episodes/m1-video.captioned.mp4",
                                               "length": mp4.stat().st_size, "type": "video/mp4"}]
    assert feed["items"][0]["itunes"]["duration"] == round(probe(mp4).duration)
    assert feed["podcast"]["medium"] == "video"
    assert not module_feed(published, 2, video=True).exists()


def test_every_mp4_a_feed_encloses_has_a_captions_track(published):
    """Officials watching in a podcast app get captions (WCAG 1.2.2): every video enclosure of every feed, ffprobed."""
    build_all(published)
    base, videos = published.info.base_url, []
    for feed in sorted(published.root.joinpath("feeds").glob("*.xml")):
        for enclosure in xml(feed).iter("enclosure"):
            if enclosure.get("type", "").startswith("video/") or enclosure.get("url", "").endswith(".mp4"):
                videos.append((feed.name, enclosure.get("url")))
    assert videos, "no feed encloses a video: there was nothing to check"
    for feed, url in videos:
        probed = ffprobe(published.root / url[len(base):])
        captions = [s for s in probed["streams"] if s["codec_type"] == "subtitle" and s["codec_name"] == "mov_text"]
        assert [c["tags"]["language"] for c in captions] == ["eng"], f"{feed}: {url} has no captions track"
        assert probed["format"]["tags"]["title"] == "On camera"  # tagged like the audio


def test_rebuild_is_byte_identical_and_dated_by_content(published):
    first = build_all(published)
    before = {p: p.read_bytes() for p in published.root.joinpath("feeds").glob("*.xml")}
    assert before, "no feed was built"
    second = build_all(published)
    assert {p: p.read_bytes() for p in before} == before
    assert all(r.changed for n, r in first.items() if n.count(":") == 1)
    assert not any(r.changed for n, r in second.items() if n.count(":") == 1)
    channel = xml(layout.course_feed(published)).find("channel")
    newest = max(email.utils.parsedate_to_datetime(d) for d in channel.xpath("item/pubDate/text()"))
    assert email.utils.parsedate_to_datetime(channel.findtext("lastBuildDate")) == newest


def _items_by_place(course) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(season, episode) -> (guid, title, enclosure length), as the course feed lists them."""
    items = xml(layout.course_feed(course)).iter("item")
    return {(i.findtext("itunes:season", namespaces=NS), i.findtext("itunes:episode", namespaces=NS)):
            (i.findtext("guid"), i.findtext("title"), i.find("enclosure").get("length")) for i in items}


def test_guids_survive_a_title_fix_and_a_reencode(published):
    build_all(published)
    before = _items_by_place(published)
    feed_guid = xml(layout.course_feed(published)).findtext("channel/podcast:guid", namespaces=NS)
    course = write_course(published.root, ep_title="What is a smart city? (corrected)")
    make_mp3(layout.episode_audio(course, course.episode("m1-intro"), "mp3"), bitrate="128k", title="re-encoded")
    build_all(course)
    after = _items_by_place(course)
    assert after[("1", "1")][1:] != before[("1", "1")][1:]  # new title, new length ...
    assert after[("1", "1")][1] == "What is a smart city? (corrected)"
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}  # ... same GUIDs
    assert xml(layout.course_feed(course)).findtext("channel/podcast:guid", namespaces=NS) == feed_guid


def _hostile_course(root, media):
    course = write_course(root, title="Kurs " + HOSTILE, module_title="Modul ø & <i>", ep_title=HOSTILE,
                          host_name='Åsa "Ø" <Østergård> 🎧', summary=HOSTILE_SUMMARY,
                          chapter="Kapitel ]]> </title>")
    publish(course, media)
    build_all(course)
    return course


def test_hostile_course_file_gives_valid_escaped_feeds(tmp_path, media_cache):
    plain = write_course(tmp_path / "plain")
    publish(plain, media_cache)
    build_all(plain)
    course = _hostile_course(tmp_path / "hostile", media_cache)
    path = module_feed(course, 1)
    root = xml(path)  # well-formed, or this raises
    assert [e.tag for e in root.iter()] == [e.tag for e in xml(module_feed(plain, 1)).iter()]  # nothing injected
    assert root.findtext("channel/item/title") == HOSTILE
    assert feedparser.parse(str(path)).entries[0].title == HOSTILE
    read = read_with_feedsmith(path)
    assert read["items"][0]["title"] == HOSTILE and read["title"].endswith("Kurs " + HOSTILE)
    assert read["items"][0]["podcast"]["persons"][0]["display"] == 'Åsa "Ø" <Østergård> 🎧'
    description = read["items"][0]["description"]
    for bad in ("<script", "evil()", "onclick", "javascript:", "<img", "<iframe", "onerror"):
        assert bad not in description
    assert '<a href="https://ok.example/">ok</a>' in description and "ü" in description
    assert "Kapitel ]]&gt; &lt;/title&gt;" in description
    assert feed_check.feed_problems(path) == []


def test_overlong_description_is_a_clear_error(tmp_path, media_cache):
    course = write_course(tmp_path, summary="ø" * 2100)  # 4200 bytes in UTF-8
    publish(course, media_cache)
    with pytest.raises(StageError) as error:
        build_all(course)
    message = str(error.value)
    assert "[[episodes]] 'm1-intro'.summary" in message and "4000" in message and "shorten the summary" in message
    assert not layout.course_feed(course).exists()
    assert any("'m1-intro'.summary" in p for p in feeds.check(course))


def test_overlong_title_is_a_clear_error(published):
    course = write_course(published.root, ep_title="T" * 300)
    with pytest.raises(StageError, match=r"'m1-intro'\.title: 300 characters, podcast apps allow 255"):
        build_all(course)


def test_characters_xml_cannot_carry_are_reported_not_crashed_on(published):
    course = write_course(published.root, ep_title="Bad \ufffe title")  # TOML accepts U+FFFE, XML does not
    with pytest.raises(StageError, match=r"'m1-intro'\.title: contains characters XML cannot carry"):
        build_all(course)


def test_missing_input_names_the_file_and_the_command(published):
    build_all(published)
    episode = published.episode("m2-people")
    layout.episode_pdf(published, episode).unlink()
    layout.episode_audio(published, episode, "mp3").unlink()
    task = next(t for t in feeds.tasks(published) if t.name == "feeds:governance")
    with pytest.raises(StageError) as error:
        task.run()
    assert "m2-people.pdf (run 'coursecast print')" in str(error.value)
    assert "m2-people.mp3 (run 'coursecast episodes')" in str(error.value)


def test_tasks_declare_inputs_targets_and_only_shown_params(published):
    tasks = {t.name: t for t in feeds.tasks(published)}
    assert set(tasks) == {"feeds:ontology", "feeds:ontology-video", "feeds:governance", "feeds:course",
                          "feeds:m1-intro:json-transcript", "feeds:m1-video:json-transcript",
                          "feeds:m2-people:json-transcript", "feeds:m1-intro:html-transcript",
                          "feeds:m1-video:html-transcript", "feeds:m2-people:html-transcript"}
    ontology, episode = tasks["feeds:ontology"], published.episode("m1-intro")
    expected = [layout.episode_audio(published, episode, "mp3"), layout.chapters_json(published, episode),
                layout.episode_pdf(published, episode), layout.podcast_transcript(published, episode),
                layout.artwork(published, published.module(1))]
    expected += [layout.transcript(published, episode, ext) for ext in ("vtt", "srt", "txt")]
    assert set(expected) <= set(ontology.inputs)
    assert ontology.targets == (module_feed(published, 1),)
    assert json.loads(json.dumps(ontology.params)) == ontology.params  # JSON-able as declared
    retitled = {t.name: t for t in feeds.tasks(write_course(published.root, ep_title="New title"))}
    changed = {name for name in tasks if tasks[name].params != retitled[name].params}
    assert changed == {"feeds:ontology", "feeds:course", "feeds:m1-intro:html-transcript"}


def test_runner_rebuilds_only_the_feeds_a_title_change_shows_in(published):
    from pipeline.core import runner
    from pipeline.core.dependency import StateStore
    from pipeline.core.progress import Progress

    def run(course):
        store = StateStore(published.root / layout.STATE)
        report = runner.run(feeds.tasks(course), store, jobs=2, progress=Progress(io.StringIO(), quiet=True))
        assert report.ok, report.failed
        return set(report.built)

    assert len(run(published)) == 10
    assert run(published) == set()
    assert run(write_course(published.root, ep_title="Retitled")) == {
        "feeds:ontology", "feeds:course", "feeds:m1-intro:html-transcript"}


def test_feed_guid_follows_the_podcast_index_rule():
    nashownotes = podcast_ext.feed_guid("https://mp3s.nashownotes.com/pc20rss.xml")
    assert nashownotes == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert podcast_ext.feed_guid("http://podnews.net/rss/") == "9b024349-ccf0-5f69-a609-6b82873eab3c"


@pytest.mark.parametrize("call", [
    lambda e: e.podcast_transcript("https://x.org/t.txt", "text/markdown"),
    lambda e: e.podcast_transcript("https://x.org/t.vtt", "text/vtt", rel="subtitles"),
    lambda e: e.podcast_transcript("/relative.vtt", "text/vtt"),
    lambda e: e.podcast_person("Anna", role="boss"),
    lambda e: e.podcast_person(""),
    lambda e: e.podcast_season(1, name="x" * 129),
    lambda e: e.podcast_chapters("https://x.org/c.json", type="application/json"),
])
def test_podcast_extension_rejects_bad_values_on_the_way_in(call):
    with pytest.raises(ValueError):
        call(podcast_ext.PodcastIndexEntryExtension())


def test_podcast_extension_channel_setters_validate():
    channel = podcast_ext.PodcastIndexExtension()
    with pytest.raises(ValueError):
        channel.podcast_guid("6f2c1a3e-0c1b-4d5e-9f00-000000000000")  # a UUIDv4
    with pytest.raises(ValueError):
        channel.podcast_locked(True, owner="not an e-mail")
    with pytest.raises(ValueError):
        channel.podcast_medium("radio")


def test_namespace_rules_catch_broken_podcast_elements(published):
    build_all(published)
    root = xml(module_feed(published, 1))
    channel, item = root.find("channel"), root.find("channel/item")
    item.find("podcast:transcript", NS).attrib.pop("url")
    item.find("podcast:person", NS).set("role", "boss")
    channel.append(etree.fromstring(f'<podcast:season xmlns:podcast="{podcast_ext.PODCAST_NS}">1</podcast:season>'))
    channel.append(etree.fromstring(f'<podcast:guid xmlns:podcast="{podcast_ext.PODCAST_NS}">nope</podcast:guid>'))
    problems = "\n".join(feed_check.podcast_namespace_problems(root))
    assert "podcast:transcript in <item>" in problems and "'url' is required" in problems
    assert "role 'boss' is not in the Podcast Taxonomy" in problems
    assert "podcast:season in <channel>" in problems and "belongs in <item>" in problems
    assert "only one allowed" in problems and "'nope' is not a UUID" in problems


def test_artwork_must_be_square_rgb_1400_to_3000(tmp_path):
    assert feed_check.artwork_problems(make_artwork(tmp_path / "ok.jpg")) == []
    assert "needs a square" in feed_check.artwork_problems(make_artwork(tmp_path / "small.jpg", size=600))[0]
    assert "RGB" in feed_check.artwork_problems(make_artwork(tmp_path / "cmyk.jpg", mode="CMYK"))[0]
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    assert "not a readable image" in feed_check.artwork_problems(tmp_path / "broken.jpg")[0]


def test_chapters_must_follow_the_1_2_format():
    good = {"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Intro"}, {"startTime": 9.5, "toc": False}]}
    assert feed_check.chapters_problems(good, "c") == []
    bad = {"version": 1.2, "chapters": [{"startTime": 5, "title": 3}, {"title": "no start"},
                                         {"startTime": 1, "endTime": 0.5}]}
    problems = "\n".join(feed_check.chapters_problems(bad, "c"))
    for text in ("'version' must be the string", "'title' must be a str", "'startTime' (seconds) is required",
                 "'endTime' must be", "ascending 'startTime'"):
        assert text in problems


def test_check_reports_course_file_problems_before_a_build(tmp_path):
    course = write_course(tmp_path)
    text = course.path.read_text(encoding="utf-8")
    text = text.replace('"Education > Courses"', '"Education > Cooking"').replace("2026-09-08", "2026-08-01")
    course.path.write_text(text, encoding="utf-8")
    from pipeline.core import course_file

    problems = "\n".join(feeds.preflight(course_file.load(course.path)))
    assert "'Cooking' is not a subcategory of 'Education'" in problems
    assert "'m2-people'.date: 2026-08-01 is before 'm1-video'" in problems
    course.path.write_text(text.replace('slug = "governance"', 'slug = "course"'), encoding="utf-8")
    with pytest.raises(course_file.CourseFileError, match="feeds/course.xml would be both the course feed and "
                                                         "module 'course''s feed; choose another slug"):
        course_file.load(course.path)


def _transcriptator(path) -> list[dict]:
    """The HTML transcript as transcriptator (the Podcast Index's transcript converter) reads it."""
    from feeds_helpers import JS_DIR

    if shutil.which("node") is None or not (JS_DIR / "node_modules" / "transcriptator").is_dir():
        pytest.skip("transcriptator not installed: run 'npm ci --prefix tests/js' (needs node)")
    script = ("import { readFileSync } from 'node:fs'; import * as t from 'transcriptator';"
              "const data = readFileSync(process.argv[1], 'utf8');"
              "console.log(JSON.stringify(t.convertFile(data, t.TranscriptFormat.HTML)));")
    proc = subprocess.run(["node", "--input-type=module", "-e", script, str(path)], capture_output=True, text=True,
                          cwd=JS_DIR)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_html_transcript_reads_in_an_apps_parser_as_the_transcript_says(published):
    build_all(published)
    episode = published.episode("m1-intro")
    segments = _transcriptator(layout.html_transcript(published, episode))
    assert [(s["speaker"], s["startTime"], s["body"]) for s in segments] == [("Anna Host", 0, "Hello officials.")]
    root = etree.HTML(layout.html_transcript(published, episode).read_bytes())
    assert root.get("lang") == "en" and root.findtext("head/title") == "What is a smart city?"
    assert [child.tag for child in root.find("body")] == ["h1", "cite", "time", "p"]
    assert root.find("body/time").get("datetime") == "PT0S" and root.findtext("body/time") == "0:00"


def test_the_html_transcript_escapes_every_text(published):
    from pipeline.core.transcript import load

    course = write_course(published.root, ep_title=HOSTILE, host_name="Anna <b>Host</b> & co")
    episode = course.episode("m1-intro")
    model = load(layout.transcript(course, episode, "json"))
    named = dataclasses.replace(model, speakers={"anna": "Anna <b>Host</b> & co"})
    named.save(layout.transcript(course, episode, "json"))
    build_all(course)
    root = etree.HTML(layout.html_transcript(course, episode).read_bytes())
    assert root.findtext("head/title") == HOSTILE and root.findtext("body/h1") == HOSTILE
    assert root.findtext("body/cite") == "Anna <b>Host</b> & co:" and root.find("body/cite/b") is None
    assert root.findall(".//script") == []
