"""The site stage, checked as a reader and a podcast app would meet it: parsed pages, followed links,
the HTML transcript read by an app's parser, byte ranges from the preview server, rebuilds by the runner."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest

from feeds.feeds_helpers import COURSE_TOML, build_all
from site_helpers import (
    build_site, long_transcript, long_vtt, publish_all, run_site, site_media, write_course,
)
from pipeline.core import course_file
from pipeline.core import layout, transcript
from pipeline import site as site_stage
from pipeline.core.dependency import job_params
from pipeline.core.errors import StageError
from pipeline.site import facts, formats, serve, subscribe

HOSTILE = ("Tom & Jerry <b>\"quoted\" 'single'</b> </title><script>alert(1)</script> --> <!-- 🎧 "
           "å ä ö ø æ Å Ø שלום עולם مرحبا &amp; &lt;")
HOSTILE_SUMMARY = ('<p onclick="steal()">Hi <script>evil()</script><a href="javascript:alert(1)">js</a> '
                   '<a href="https://ok.example/">ok</a> <img src=x onerror=y> <iframe>x</iframe> ü</p>')
MAX_PAGE_BYTES = 200_000  # page weight without media: HTML + stylesheet + script
APP_SCHEMES = ("podcast", "pktc", "overcast", "https")  # where <a> may point outside the site


@pytest.fixture(scope="session")
def media(tmp_path_factory):
    return site_media(tmp_path_factory.mktemp("site-media"))


@pytest.fixture
def published(tmp_path, media):
    course = write_course(tmp_path)
    publish_all(course, media)
    return course


@pytest.fixture
def built(published):
    build_site(published)
    build_all(published)  # the feeds the pages link to
    return published


def pages(course) -> list[Path]:
    return sorted(course.folder(layout.SITE).rglob("*.html"))


def parse(path: Path):
    return lxml.html.fromstring(path.read_bytes())


def page(course, kind: str, slug: str = "") -> Path:
    if kind == "index":
        return layout.site_index(course)
    if kind == "module":
        return layout.site_module_page(course, next(m for m in course.modules if m.slug == slug))
    return layout.site_episode_page(course, course.episode(slug))


# -- links ----------------------------------------------------------------------------------------
def test_every_page_is_built_and_every_link_names_a_file_that_exists(built):
    names = {p.relative_to(built.root / layout.SITE).as_posix() for p in pages(built)}
    assert names == {"index.html", "modules/ontology.html", "modules/governance.html",
                     "episodes/m1-intro.html", "episodes/m1-video.html", "episodes/m2-people.html"}
    assert site_stage.check(built) == []
    followed = 0
    for path in pages(built):
        for element, attribute, link, _ in parse(path).iterlinks():
            parts = urlsplit(link)
            if parts.scheme or not parts.path:
                continue
            assert (path.parent / unquote(parts.path)).is_file(), f"{path.name}: {link}"
            followed += 1
    assert followed > 60


def test_links_are_relative_so_the_site_works_from_disk_and_under_any_base_url(built):
    for path in pages(built):
        for element, attribute, link, _ in parse(path).iterlinks():
            parts = urlsplit(link)
            assert not link.startswith("/") and parts.scheme != "file", f"{path.name}: {link}"
            if parts.scheme and parts.scheme != "data":
                assert element.tag == "a" and parts.scheme in APP_SCHEMES, f"{path.name}: <{element.tag}> {link}"
    moved = built.root.parent / "elsewhere" / "deeper"  # the course folder published anywhere
    shutil.copytree(built.root, moved)
    for path in sorted((moved / layout.SITE).rglob("*.html")):
        assert site_stage.link_problems(path, moved) == []


def test_a_broken_link_is_reported_by_check(built):
    layout.episode_pdf(built, built.episode("m2-people")).unlink()
    problems = site_stage.check(built)
    assert any("site/episodes/m2-people.html" in p and "m2-people.pdf" in p and "missing file" in p
               for p in problems), problems


# -- escaping and language ------------------------------------------------------------------------
def test_hostile_course_texts_are_shown_as_text_and_never_run(tmp_path, media):
    course = write_course(tmp_path, title=HOSTILE, module_title=HOSTILE, host_name=HOSTILE.replace("\n", " "),
                          ep_title=HOSTILE, summary=HOSTILE_SUMMARY, chapter=HOSTILE)
    publish_all(course, media)
    build_site(course)
    for path in pages(course):
        tree = parse(path)
        scripts = tree.xpath("//script")
        up = "" if path.parent.name == layout.SITE else "../"
        search = [f"{up}assets/search-index.js", f"{up}assets/search.js"]
        assert [s.get("src") for s in scripts] == search + (["../assets/site.js"] if "/episodes/" in path.as_posix()
                                                             else [])
        assert not tree.xpath("//iframe | //img | //object | //embed"), path.name
        for element in tree.iter():
            assert not [a for a in element.attrib if a.startswith("on")], (path.name, element.tag)
            assert not element.get("href", "").lower().startswith("javascript:"), path.name
    episode = parse(page(course, "episode", "m1-intro"))
    assert episode.xpath("string(//h1)") == HOSTILE
    assert episode.xpath("string(//title)").startswith(HOSTILE)
    assert episode.xpath("string(//ol/li[1]//span)") == " ".join(HOSTILE.split())  # the chapter, on one line
    assert HOSTILE in [h.text_content() for h in episode.xpath("//ul[@class='speakers']//h3")]
    summary = episode.xpath("//div[@class='summary']")[0]
    assert [a.get("href") for a in summary.xpath(".//a[@href]")] == ["https://ok.example/"]
    assert "evil()" not in lxml.html.tostring(summary, encoding="unicode") and "ü" in summary.text_content()
    assert parse(page(course, "index")).xpath("string(//h1)") == HOSTILE


def test_lang_is_set_on_the_page_and_on_every_passage_in_another_language(tmp_path, media):
    course = write_course(tmp_path)
    text = course.path.read_text(encoding="utf-8").replace('language = "en"', 'language = "sv"')
    text = text.replace('slug = "m2-people"', 'slug = "m2-people"\nlanguage = "fi"')
    course.path.write_text(text + '\n[transcription]\nmodel = "tiny"\n', "utf-8")  # a model that knows sv and fi
    course = course_file.load(course.path)
    publish_all(course, media)
    build_site(course)
    episode = parse(page(course, "episode", "m2-people"))
    assert episode.get("lang") == "en"  # the pages' own words
    assert episode.xpath("//h1/@lang") == ["fi"]
    assert episode.xpath("//p[@class='course-name']/a/@lang") == ["sv"]
    assert episode.xpath("//div[@id='transcript']/@lang") == []  # the transcript says it is English
    index = parse(page(course, "index"))
    assert index.xpath("//a[contains(@href, 'm2-people')]/@lang") == ["fi"]


# -- what an episode page shows ------------------------------------------------------------------
def test_the_transcript_is_a_paragraph_per_turn_with_name_timecode_and_seekable_sentences(built):
    tree = parse(page(built, "episode", "m1-intro"))
    turns = tree.xpath("//div[@id='transcript']/p[@class='turn']")
    assert len(turns) == 1
    assert turns[0].xpath("string(.//cite)") == "Anna Host"
    assert turns[0].xpath(".//time/@datetime") == ["PT0S"] and turns[0].xpath("string(.//time)") == "0:00"
    [line] = turns[0].xpath("./a")
    assert (line.text, line.get("data-start"), line.get("href")) == (
        "Hello officials.", "0", "../../episodes/m1-intro.mp3#t=0")
    chapters = tree.xpath("//section[@class='chapters']//a")
    assert [(a.get("data-start"), a.xpath("string(span)")) for a in chapters] == [("0", "Welcome"), ("1", "Two")]
    assert tree.xpath("//audio[@id='player']/@src") == ["../../episodes/m1-intro.mp3"]
    downloads = tree.xpath("//ul[@class='downloads']/li/a/@href")
    assert downloads == ["../../episodes/m1-intro.mp3", "../../episodes/m1-intro.m4a",
                         "../../transcripts/m1-intro.pdf", "../../transcripts/m1-intro.txt",
                         "../../transcripts/m1-intro.html", "../../transcripts/m1-intro.vtt",
                         "../../transcripts/m1-intro.srt"]
    speakers = [(li.xpath("string(h3)"), li.xpath("string(p[@class='role'])"))
                for li in tree.xpath("//ul[@class='speakers']/li")]
    assert speakers == [("Anna Host", "Host"), ("Erik Öberg", "Guest, Uppsala universitet")]


def test_the_video_page_carries_its_captions_in_a_track_that_loads_from_disk(built):
    tree = parse(page(built, "episode", "m1-video"))
    [video] = tree.xpath("//video[@id='player']")
    assert video.get("src") == "../../episodes/m1-video.captioned.mp4"
    [track] = video.xpath("track[@kind='captions']")
    assert (track.get("srclang"), track.get("label"), track.get("default")) == ("en", "English", "")
    vtt = layout.video_captions(built, built.episode("m1-video"), "en").read_text(encoding="utf-8")
    assert unquote(track.get("src").split(",", 1)[1]) == vtt
    assert track.get("src").startswith("data:text/vtt;charset=utf-8,")


def test_sentences_are_cut_at_sentence_ends_not_at_abbreviations():
    words = [transcript.Word(t, i, i + 0.5, 0.9) for i, t in enumerate("Dr. Ek spoke. Then we left!".split())]
    segment = transcript.Segment(0, 6, "Dr. Ek spoke. Then we left!", tuple(words))
    lines = facts.sentences((segment,))
    assert [(line.text, line.start, line.end) for line in lines] == [("Dr. Ek spoke.", 0, 3), ("Then we left!", 3, 6)]
    unspaced = transcript.Segment(0, 2, "你好世界", (transcript.Word("你好", 0, 1, 1), transcript.Word("世界", 1, 2, 1)))
    assert [line.text for line in facts.sentences((unspaced,))] == ["你好世界"]


def test_numbers_and_times_read_as_people_expect():
    assert [formats.clock(s) for s in (0, 63.4, 3723)] == ["0:00", "1:03", "1:02:03"]
    assert [formats.iso_duration(s) for s in (0, 63.4, 3600)] == ["PT0S", "PT1M3S", "PT1H"]
    assert [formats.seconds(s) for s in (0, 1.5, 12.3456)] == ["0", "1.5", "12.346"]
    assert [formats.file_size(n) for n in (512, 1_234_567)] == ["512 bytes", "1.2 MB"]
    assert formats.long_duration(127.3) == "2 min 7 s"


# -- feeds and apps ------------------------------------------------------------------------------
def test_subscribe_links_open_the_feed_in_apps_that_document_a_link():
    links = {a.app: a.href for a in subscribe.app_links("https://example.org/c/feeds/one.xml", "One & two")}
    assert links == {
        "Apple Podcasts": "podcast://example.org/c/feeds/one.xml",
        "Pocket Casts": "pktc://subscribe/example.org/c/feeds/one.xml",
        "AntennaPod": "https://antennapod.org/deeplink/subscribe?url=https%3A%2F%2Fexample.org%2Fc%2Ffeeds%2Fone.xml"
                      "&title=One%20%26%20two",
        "Overcast": "overcast://x-callback-url/add?url=https%3A%2F%2Fexample.org%2Fc%2Ffeeds%2Fone.xml"}
    assert subscribe.app_links("ftp://example.org/feed.xml", "x") == ()


def test_course_and_module_pages_offer_every_feed_as_rss_and_app_links(built):
    index = parse(page(built, "index"))
    feeds = index.xpath("//ul[@class='feeds']/li")
    assert [li.xpath("string(h3)") for li in feeds] == ["Module 1: Ontology: definitions",
                                                        "Module 1: Ontology: definitions (video)",
                                                        "Module 2: Governance", "Whole course"]
    first = feeds[0]
    assert first.xpath(".//a[@type='application/rss+xml']/@href") == ["../feeds/ontology.xml"]
    assert first.xpath("string(.//code)") == "https://example.org/course/feeds/ontology.xml"
    assert "podcast://example.org/course/feeds/ontology.xml" in first.xpath(".//ul[@class='apps']//a/@href")
    module = parse(page(built, "module", "governance"))
    assert module.xpath("//ul[@class='feeds']//a[@type='application/rss+xml']/@href") == ["../../feeds/governance.xml"]
    assert module.xpath("//ul[@class='downloads']//a/@href") == ["../../transcripts/module-2-governance.pdf"]


# -- staleness and the stage contract -------------------------------------------------------------
def test_a_title_change_rebuilds_only_the_pages_that_show_it(published):
    assert run_site(published) == {t.name for t in site_stage.tasks(published)}
    assert run_site(published) == set()
    retitled = run_site(write_course(published.root, ep_title="Retitled"))
    assert retitled == {"site:episode:m1-intro", "site:module:ontology", "site:index",
                        "site:episode:m1-video",  # m1-video's "previous episode" link shows the title
                        "site:search"}  # search results show episode titles
    assert "Retitled" in page(published, "episode", "m1-video").read_text(encoding="utf-8")
    resummarised = run_site(write_course(published.root, ep_title="Retitled", summary="New summary."))
    assert resummarised == {"site:episode:m1-intro", "site:module:ontology"}


def test_tasks_declare_what_each_page_reads_and_shows(published):
    tasks = {t.name: t for t in site_stage.tasks(published)}
    episode = published.episode("m1-video")
    task = tasks["site:episode:m1-video"]
    assert task.targets == (layout.site_episode_page(published, episode),)
    assert {layout.transcript(published, episode, "json"), layout.captioned_video(published, episode),
            layout.video_captions(published, episode, "en"), layout.episode_pdf(published, episode)} <= set(task.inputs)
    assert json.loads(json.dumps(task.params)) == task.params  # JSON-able, as the state store keeps it
    params = job_params(task.job, published.root)  # as the state store keys them
    assert params["title"] == "On camera" and params["media"] == "episodes/m1-video.captioned.mp4"
    assert set(tasks) == {"site:assets", "site:search", "site:index", "site:module:ontology", "site:module:governance",
                          "site:episode:m1-intro", "site:episode:m1-video", "site:episode:m2-people"}


def test_a_missing_input_names_the_file_and_the_command_that_builds_it(published):
    episode = published.episode("m2-people")
    layout.episode_pdf(published, episode).unlink()
    layout.episode_audio(published, episode, "m4a").unlink()
    task = next(t for t in site_stage.tasks(published) if t.name == "site:episode:m2-people")
    with pytest.raises(StageError) as error:
        task.run()
    assert "m2-people.pdf (run 'coursecast print')" in str(error.value)
    assert "m2-people.m4a (run 'coursecast episodes')" in str(error.value)


# -- weight and speed ------------------------------------------------------------------------------
def _weight(path: Path, course) -> int:
    assets = sum(layout.site_asset(course, n).stat().st_size for n in ("site.css", "site.js"))
    return path.stat().st_size + assets


@pytest.mark.parametrize("kind, minutes, inline", [("audio", 60, None), ("video", 30, True), ("video", 60, False)])
def test_a_long_episode_page_weighs_under_200_kb_without_media(published, kind, minutes, inline):
    """Captions travel inside the page while it stays under the budget, else beside it (a .vtt link)."""
    slug = "m1-intro" if kind == "audio" else "m1-video"
    episode = published.episode(slug)
    long = long_transcript(slug, minutes)
    long.save(layout.transcript(published, episode, "json"))
    if kind == "video":
        layout.video_captions(published, episode, "en").write_text(long_vtt(long), encoding="utf-8")
    build_site(published)
    path = layout.site_episode_page(published, episode)
    weight = _weight(path, published)
    print(f"{kind} episode of {minutes} min: {weight / 1000:.0f} kB")
    assert weight < MAX_PAGE_BYTES
    if kind == "video":
        [src] = parse(path).xpath("//track[@kind='captions']/@src")
        assert src.startswith("data:text/vtt") is inline
        assert inline or (src == "../../episodes/m1-video.en.vtt" and (path.parent / src).is_file())


def test_every_page_of_a_course_weighs_under_200_kb(built):
    for path in pages(built):
        assert _weight(path, built) < MAX_PAGE_BYTES, path.name


def test_a_ten_hour_course_site_builds_in_seconds(tmp_path, media):
    """40 episodes of 15 minutes: every page rendered from real files, timed."""
    episodes = "".join(f'''
[[episodes]]
slug = "ep{n:02d}"
module = {1 + n // 20}
number = {1 + n % 20}
title = "Episode {n}"
summary = "Summary {n}."
date = 2026-09-01
speakers = ["anna", "erik"]
[[episodes.sources]]
file = "a.wav"
''' for n in range(40))
    toml = COURSE_TOML.split("[[episodes]]", 1)[0].format(
        title='"Ten hours"', module_title='"One"', host_name='"Anna Host"')
    (tmp_path / "course.toml").write_text(toml + episodes, encoding="utf-8")
    course = course_file.load(tmp_path / "course.toml")
    publish_all(course, media)
    for episode in course.episodes:
        long_transcript(episode.slug, 15).save(layout.transcript(course, episode, "json"))
    start = time.monotonic()
    built = run_site(course)
    seconds = time.monotonic() - start
    print(f"10-hour course: {len(built)} site tasks in {seconds:.1f} s")
    assert len(built) == 1 + 1 + 1 + 2 + 40 and seconds < 30  # assets, search, course, modules, episodes


# -- the preview server ----------------------------------------------------------------------------
def test_byte_ranges_are_read_as_rfc_9110_says():
    assert serve.byte_range("bytes=0-99", 1000) == (0, 99)
    assert serve.byte_range("bytes=900-", 1000) == (900, 999)
    assert serve.byte_range("bytes=-100", 1000) == (900, 999)
    assert serve.byte_range("bytes=0-5000", 1000) == (0, 999)
    assert serve.byte_range("bytes=0-1,5-9", 1000) is None  # several ranges: the whole file
    for header in ("bytes=1000-", "bytes=5-2", "bytes=-0"):
        with pytest.raises(ValueError):
            serve.byte_range(header, 1000)


def _get(url: str, headers: dict | None = None, method: str = "GET"):
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_the_preview_server_answers_ranges_so_players_can_seek(built):
    mp3 = layout.episode_audio(built, built.episode("m1-intro"), "mp3")
    data = mp3.read_bytes()
    server, base = serve.serve_in_background(built.root)
    try:
        url = base + "episodes/m1-intro.mp3"
        status, headers, body = _get(url, {"Range": "bytes=100-199"})
        assert (status, headers["Content-Range"], body) == (206, f"bytes 100-199/{len(data)}", data[100:200])
        assert headers["Content-Type"] == "audio/mpeg" and headers["Accept-Ranges"] == "bytes"
        assert _get(url, {"Range": "bytes=-10"})[2] == data[-10:]
        assert _get(url, {"Range": "bytes=50-"})[2] == data[50:]
        status, headers, _ = _get(url, {"Range": f"bytes={len(data)}-"})
        assert (status, headers["Content-Range"]) == (416, f"bytes */{len(data)}")
        status, headers, body = _get(url)
        assert (status, body, headers["Accept-Ranges"]) == (200, data, "bytes")
        assert _get(url, {"Range": "bytes=0-9"}, method="HEAD")[:2][0] == 206
        assert _get(url)[2] == data  # the same connection pattern after a HEAD range: whole file
        page = _get(base + "site/episodes/m1-intro.html")
        assert page[0] == 200 and page[1]["Content-Type"] == "text/html; charset=utf-8"
    finally:
        server.shutdown()
        server.server_close()


def test_serve_refuses_a_site_that_is_not_built(published):
    from click.testing import CliRunner

    from pipeline.cli import cli

    result = CliRunner().invoke(cli, ["--course", str(published.path), "serve", "--port", "0"])
    assert result.exit_code == 2 and "run 'coursecast site' first" in result.output


def test_coursecast_serve_prints_its_address_and_serves_the_site(built):
    proc = subprocess.Popen([sys.executable, "-u", "-m", "pipeline", "--course", str(built.path), "serve", "--port",
                             "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = line.split(" at ", 1)[1].split(" ", 1)[0]
        assert url.endswith("/site/index.html"), line
        status, headers, body = _get(url)
        assert status == 200 and body == layout.site_index(built).read_bytes()
        base = url.split("/site/", 1)[0]
        assert _get(base + "/episodes/m1-intro.mp3", {"Range": "bytes=0-9"})[0] == 206
        for private in ("/course.toml", "/raw_interviews/a.wav", "/.coursecast/state.json", "/edits/"):
            assert _get(base + private)[0] == 404, private  # recordings and editors' files stay private
    finally:
        proc.terminate()
        proc.wait(timeout=10)
