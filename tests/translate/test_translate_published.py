"""A published translation in every form (issue 23): the captioned MP4's tracks, the feeds'
podcast:transcript, the reading PDF, and the episode page in headless Chromium (tracks, the language
switch, axe-core), on the feeds tests' tiny course with `translations = ["es"]`."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import lxml.etree
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "site"))

from site_helpers import build_site, publish_all, site_media, write_course  # noqa: E402

from browser.chromium import CHROMIUM, Chromium  # noqa: E402
from browser.site_pages import AXE, axe_violations, open_offline, trouble, wait_for  # noqa: E402
from feeds.feeds_helpers import build_all, publish_video  # noqa: E402
from pipeline import printing, translate  # noqa: E402
from pipeline.core import course_file, layout  # noqa: E402

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
WAIT_S = 15.0  # seconds for a busy browser to load the tracks
needs_apertium = pytest.mark.skipif(not translate.engine_for("en", "es", "base").usable,
                                    reason="apertium and apertium-eng-spa are not installed (scripts/setup.sh)")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    if not translate.engine_for("en", "es", "base").usable:
        pytest.skip("apertium and apertium-eng-spa are not installed (scripts/setup.sh)")
    root = tmp_path_factory.mktemp("translated")
    path = write_course(root).path
    path.write_text(path.read_text(encoding="utf-8").replace(
        'categories = ["Education > Courses", "Government"]',
        'categories = ["Education > Courses", "Government"]\ntranslations = ["es"]'), encoding="utf-8")
    course = course_file.load(path)
    publish_all(course, site_media(root / "media"))
    for task in translate.tasks(course):
        task.run()
    publish_video(course)  # again: now with the Spanish track
    for task in printing.tasks(course):
        if task.name.endswith(":es"):
            task.run()
    build_all(course)
    build_site(course)
    return course


def _video(course):
    return next(e for e in course.episodes if e.kind == "video")


@needs_apertium
def test_the_captioned_mp4_has_an_english_and_a_spanish_track(course):
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json",
                            str(layout.captioned_video(course, _video(course)))], capture_output=True, check=True)
    subtitles = [s for s in json.loads(probe.stdout)["streams"] if s["codec_type"] == "subtitle"]
    assert [s["tags"]["language"] for s in subtitles] == ["eng", "spa"]
    assert subtitles[1]["tags"]["handler_name"] == "Español (machine translation)"


@needs_apertium
def test_every_feed_item_carries_a_spanish_podcast_transcript(course):
    for feed in course.folder(layout.FEEDS).glob("*.xml"):
        tree = lxml.etree.parse(str(feed))
        for item in tree.iterfind("channel/item"):
            spanish = item.findall(f"{{{PODCAST_NS}}}transcript[@language='es']")
            assert {t.get("type") for t in spanish} == {"text/vtt", "application/x-subrip"}, feed.name
            assert all(t.get("url").endswith((".es.vtt", ".es.srt")) for t in spanish)


@needs_apertium
def test_the_reading_pdf_is_printed_in_spanish_and_says_it_is_a_machine_translation(course):
    episode = course.episodes[0]
    text = subprocess.run(["pdftotext", str(layout.translation_pdf(course, episode, "es")), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "machine translation" in " ".join(text.split()) and "Hola" in text


@needs_apertium
@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed (apt install chromium)")
def test_the_episode_page_offers_both_tracks_and_a_language_switch_with_no_axe_violation(course):
    page = layout.site_episode_page(course, _video(course))
    with Chromium(1280, 800) as chrome:
        open_offline(chrome, page.as_uri())
        wait_for(chrome, "document.readyState === 'complete'")
        tracks = wait_for(chrome, """(() => { const v = document.getElementById('player');
            [...v.textTracks].forEach(x => { if (x.mode === 'disabled') x.mode = 'hidden'; });
            const loaded = [...v.querySelectorAll('track')].every(e => e.readyState === 2);
            return loaded && [...v.textTracks].filter(x => x.kind === 'captions')
                .map(x => ({language: x.language, label: x.label, cues: x.cues.length})); })()""", WAIT_S)
        assert [t["language"] for t in tracks] == ["en", "es"] and all(t["cues"] > 0 for t in tracks)
        assert "machine translation" in tracks[1]["label"]
        shown = chrome.evaluate("""(() => { document.querySelector('.transcript-languages a[href="#transcript-es"]')
            .click(); return [!document.getElementById('transcript').hidden,
                              !document.getElementById('transcript-es').closest('section').hidden]; })()""")
        assert shown == [False, True]
        assert trouble(chrome) == []
        if AXE.is_file():  # (axe-core reads the stylesheets itself: after the page's own errors are checked)
            assert axe_violations(chrome) == []


def test_a_translation_the_print_font_cannot_show_is_refused_with_the_characters_and_the_fix(tmp_path):
    from pipeline.core.fonts import find_font
    from pipeline.printing.stage import _uncovered

    serif = (find_font("DejaVu Serif"),)
    assert _uncovered("¿Qué tal, señora Núñez? Ça va, Ørsted.", serif) == set()
    assert _uncovered("日本語 ok", serif) == {"日", "本", "語"}
