"""The search index as the site stage writes it: every sentence, linked to the page's own anchor, the text
as text, and its size for a ten-hour course (the issue's budget: 150 kB gzipped per hour of speech)."""
from __future__ import annotations

import gzip
import time
import unicodedata

import lxml.html
import pytest

from search_helpers import read_index, sentence_transcript, write_hours_index
from site_helpers import build_site, publish_all, site_media, write_course
from pipeline.core import layout
from pipeline.site import search, search_words

HOSTILE_LINES = ('She typed <script>window.pwned = 1</script> into the form.',
                 'Then "><img src=x onerror="window.pwned = 2"> appeared in the notes.')
MAX_GZIP_BYTES_PER_HOUR = 150_000  # the budget


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return site_media(tmp_path_factory.mktemp("search-media"))


@pytest.fixture
def hostile(tmp_path, media):
    """The tests' tiny course whose first episode's transcript holds markup, its site built."""
    course = write_course(tmp_path)
    publish_all(course, media)
    first = course.episodes[0]
    sentence_transcript(first.slug, 0.5, HOSTILE_LINES).save(layout.transcript(course, first, "json"))
    build_site(course)
    return course


def test_the_index_holds_every_sentence_at_the_anchor_its_page_has(hostile):
    data = read_index(layout.site_asset(hostile, search.INDEX_NAME))
    assert [e["page"] for e in data["episodes"]] == [
        f"episodes/{e.slug}.html" for e in sorted(hostile.episodes, key=lambda e: (e.module, e.number))]
    for entry, episode in zip(data["episodes"], sorted(hostile.episodes, key=lambda e: (e.module, e.number))):
        page = lxml.html.fromstring(layout.site_episode_page(hostile, episode).read_bytes())
        sentences = page.xpath("//div[@id='transcript']//a[@data-start]")
        assert [(f"t={s.get('data-start')}", s.text_content()) for s in sentences] == [
            (f"t={search.formats.seconds(start)}", text) for start, _, text in entry["lines"]]
        assert all(s.get("id") == f"t={s.get('data-start')}" for s in sentences)
        assert set(entry["speakers"]) <= {s.name for s in hostile.speakers} and entry["language"] == "en"


def test_markup_in_a_transcript_is_text_in_the_index_and_on_the_page(hostile):
    data = read_index(layout.site_asset(hostile, search.INDEX_NAME))
    assert [line[2] for line in data["episodes"][0]["lines"][:2]] == list(HOSTILE_LINES)
    page = lxml.html.fromstring(layout.site_episode_page(hostile, hostile.episodes[0]).read_bytes())
    assert [s.get("src") for s in page.xpath("//script")] == [
        "../assets/search-index.js", "../assets/search.js", "../assets/site.js"]
    assert not page.xpath("//img") and not [e for e in page.iter() if any(a.startswith("on") for a in e.attrib)]
    texts = [a.text_content() for a in page.xpath("//div[@id='transcript']//a")]
    assert HOSTILE_LINES[0] in texts and HOSTILE_LINES[1] in texts


def test_every_page_has_a_search_form_with_a_search_input(hostile):
    for path in sorted(hostile.folder(layout.SITE).rglob("*.html")):
        page = lxml.html.fromstring(path.read_bytes())
        [form] = page.xpath("//form[@role='search']")
        [field] = form.xpath(".//input[@type='search']")
        assert form.xpath(f".//label[@for='{field.get('id')}']") and form.xpath(".//*[@aria-live='polite']")


def test_the_word_lists_are_folded_as_the_browser_folds_and_endings_are_longest_first():
    for code, lists in search_words.LANGUAGES.items():
        for word in lists.stop_words | set(lists.suffixes):
            assert word == word.lower() and not any(unicodedata.combining(c) for c in
                                                    unicodedata.normalize("NFKD", word)), (code, word)
            assert all(c not in word for c in "øæœß"), (code, word)
        assert list(lists.suffixes) == sorted(lists.suffixes, key=len, reverse=True), code
    assert search_words.language("sv-SE") is search_words.LANGUAGES["sv"]
    assert search_words.language("no") is search_words.LANGUAGES["nb"] and search_words.language("ja") is None


def test_a_ten_hour_index_is_under_150_kb_gzipped_per_hour_and_builds_in_seconds(tmp_path):
    started = time.perf_counter()
    path, seconds = write_hours_index(tmp_path, 10)
    took = time.perf_counter() - started
    data = path.read_bytes()
    per_hour = len(gzip.compress(data, 9)) / (seconds / 3600)
    print(f"10-hour index: {len(data)} bytes, {len(gzip.compress(data, 9))} gzipped, {per_hour:.0f} per hour, "
          f"{sum(len(e['lines']) for e in read_index(path)['episodes'])} sentences, built in {took:.1f} s")
    assert seconds >= 10 * 3600 and per_hour <= MAX_GZIP_BYTES_PER_HOUR
    assert took < 60


def test_soundbites_are_highlights_on_the_episode_and_module_pages_linking_their_moment(tmp_path, media):
    from dataclasses import replace

    from pipeline.core.transcript import Soundbite, load
    from pipeline.site import link_problems

    course = write_course(tmp_path)
    publish_all(course, media)
    first = course.episodes[0]
    path = layout.transcript(course, first, "json")
    replace(load(path), soundbites=(Soundbite(0.5, 1.2, "Hello <officials>"),)).save(path)
    build_site(course)
    episode = lxml.html.fromstring(layout.site_episode_page(course, first).read_bytes())
    [link] = episode.xpath("//section[@class='highlights']//a")
    assert link.get("data-start") == "0.5" and link.get("href").endswith("#t=0.5")
    assert link.text_content() == "0:00 Hello <officials>"
    module = layout.site_module_page(course, course.module(first.module))
    [link] = lxml.html.fromstring(module.read_bytes()).xpath("//section[@class='highlights']//a")
    assert link.get("href") == f"../episodes/{first.slug}.html#t=0.5" and link.text_content() == "Hello <officials>"
    for page in (module, layout.site_episode_page(course, first)):  # (the feeds are not built here)
        assert [p for p in link_problems(page, course.root) if "/feeds/" not in p] == []
    others = [layout.site_episode_page(course, e) for e in course.episodes[1:]]
    assert all(not lxml.html.fromstring(p.read_bytes()).xpath("//section[@class='highlights']") for p in others)
