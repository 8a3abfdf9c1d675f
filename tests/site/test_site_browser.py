"""The demo course's website in headless Chromium, opened from the disk with the network off.

Every page loads with no console error and no missing file; on every episode page a
real click, Enter or Space on a transcript sentence seeks the player to its
data-start and highlights it; the video's captions track has its cues; axe-core
finds no WCAG 2.1 A/AA violation, in the light and the dark colour scheme. The demo
is built once in a temporary copy (reusing the repository's demo build when there
is one, so only what changed is rebuilt).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from browser.chromium import CHROMIUM, Chromium
from paths import REPO
from browser.site_pages import (
    AXE, axe_violations, click, emulate, open_offline, press, trouble, wait_for,
)
from pipeline.core import course_file
from pipeline.core import layout
from pipeline.site import serve

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed (apt install chromium)")]
DEMO = REPO / "demo"
COPIED = ("course.toml", "edits", "raw_interviews", layout.EPISODES, layout.TRANSCRIPTS, layout.FEEDS,
          layout.STATE)  # what a previous `make demo` left, so the copy rebuilds only what changed
SEEK_TOLERANCE_S = 0.001  # the player's position when seeking, against data-start (milliseconds in the page)
WAIT_S = 15.0  # seconds to wait for media to load in a busy browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo-site")
    for name in COPIED:
        source = DEMO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("lock"))
        elif source.is_file():
            shutil.copy(source, root / name)
    command = "build" if (root / "raw_interviews").is_dir() else "demo"
    result = subprocess.run([sys.executable, "-m", "pipeline", "--course", str(root / "course.toml"), "-q", "-j", "2",
                             command], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    return course_file.load(root / "course.toml")


@pytest.fixture(scope="module")
def chrome():
    with Chromium(1280, 800) as browser:
        yield browser


def site_pages(course) -> list[Path]:
    return sorted(course.folder(layout.SITE).rglob("*.html"))


def documents(course) -> list[Path]:
    """Every page of the site and the HTML transcripts its episode pages offer."""
    return site_pages(course) + [layout.html_transcript(course, e) for e in course.episodes]


def episode_pages(course) -> list[Path]:
    return [layout.site_episode_page(course, e) for e in course.episodes]


def load(chrome, path: Path) -> None:
    open_offline(chrome, path.as_uri())
    wait_for(chrome, "document.readyState === 'complete'")


def test_every_page_loads_from_disk_offline_with_no_error_and_no_missing_file(demo, chrome):
    pages = documents(demo)
    assert len(pages) == 1 + 3 + 2 * len(demo.episodes)
    for path in pages:
        load(chrome, path)
        if "/episodes/" in path.as_posix():  # the media and the inline tracks have loaded too
            assert wait_for(chrome, "document.getElementById('player').readyState >= 1", WAIT_S), path.name
        assert trouble(chrome) == [], path.relative_to(demo.root)
        assert chrome.evaluate("document.title") and chrome.evaluate("document.documentElement.lang")


def _record_seeks(chrome) -> None:
    """Record each seek's target and, once done, which sentence is highlighted. The player is paused as the
    seek starts, so a short sentence is still the one being spoken when the seek ends on a busy machine."""
    chrome.evaluate("""(() => { const p = document.getElementById('player'); window.seeks = [];
        p.addEventListener('seeking', () => { seeks.push({time: p.currentTime}); p.pause(); });
        p.addEventListener('seeked', () => { const c = document.querySelector('#transcript a.current');
            seeks[seeks.length - 1].current = c && c.dataset.start;
            seeks[seeks.length - 1].aria = c && c.getAttribute('aria-current'); }); })()""")


def _seek_by(chrome, how: str, selector: str) -> dict:
    start = float(chrome.evaluate(f"document.querySelector({json.dumps(selector)}).dataset.start"))
    before = chrome.evaluate("seeks.length")
    if how == "click":
        click(chrome, selector)
    else:
        press(chrome, how, selector)
    assert wait_for(chrome, f"seeks.length > {before} && seeks[seeks.length - 1].current !== undefined", WAIT_S), how
    seek = chrome.evaluate("seeks[seeks.length - 1]")
    chrome.evaluate("document.getElementById('player').pause()")
    return {"start": start, **seek}


@pytest.mark.parametrize("how", ["click", "Enter", "Space"])
def test_activating_a_sentence_seeks_the_player_to_its_data_start_and_highlights_it(demo, chrome, how):
    for path in episode_pages(demo):
        load(chrome, path)
        assert wait_for(chrome, "document.getElementById('player').readyState >= 1", WAIT_S), path.name
        _record_seeks(chrome)
        count = chrome.evaluate("document.querySelectorAll('#transcript a[data-start]').length")
        index = {"click": count - 1, "Enter": count // 2, "Space": 1}[how]
        chrome.evaluate(f"document.querySelectorAll('#transcript a[data-start]')[{index}].id = 'target'")
        seek = _seek_by(chrome, how, "#target")
        assert abs(seek["time"] - seek["start"]) <= SEEK_TOLERANCE_S, (path.name, how, seek)
        assert float(seek["current"]) == seek["start"] and seek["aria"] == "true", (path.name, how, seek)
        moment = chrome.evaluate("document.getElementById('target').dataset.start")
        assert chrome.evaluate("location.href") == f"{path.as_uri()}#t={moment}", "not the page at the moment"
        assert trouble(chrome) == [], path.name


def test_a_chapter_seeks_the_player_to_its_start(demo, chrome):
    path = layout.site_episode_page(demo, demo.episodes[0])
    load(chrome, path)
    assert wait_for(chrome, "document.getElementById('player').readyState >= 1", WAIT_S)
    _record_seeks(chrome)
    chrome.evaluate("document.querySelectorAll('.chapters a')[2].id = 'chapter'")
    seek = _seek_by(chrome, "click", "#chapter")
    assert abs(seek["time"] - seek["start"]) <= SEEK_TOLERANCE_S
    assert chrome.evaluate("document.querySelector('.chapters a.current').id") == "chapter"


def test_the_video_has_a_captions_track_with_every_cue_and_a_chapters_track(demo, chrome):
    [episode] = [e for e in demo.episodes if e.kind == "video"]
    load(chrome, layout.site_episode_page(demo, episode))
    tracks = wait_for(chrome, """(() => { const v = document.getElementById('player');
        const t = [...v.textTracks]; t.forEach(x => { if (x.mode === 'disabled') x.mode = 'hidden'; });
        const loaded = [...v.querySelectorAll('track')].every(e => e.readyState === 2);
        return loaded && t.map(x => ({kind: x.kind, language: x.language, mode: x.mode, cues: x.cues.length,
                                      first: x.cues[0] && x.cues[0].text})); })()""", WAIT_S)
    assert tracks, "the tracks did not load"
    vtt = layout.video_captions(demo, episode, episode.language).read_text(encoding="utf-8")
    captions, *translations, chapters = tracks  # a track per published translation after the episode's own
    assert [t["language"] for t in translations] == [lang for lang in episode.translations
                                                      if layout.translation(demo, episode, lang, "vtt").exists()]
    assert captions["kind"] == "captions" and captions["language"] == episode.language
    assert captions["mode"] == "showing" and captions["cues"] == vtt.count(" --> ") > 0
    assert captions["first"].startswith("<v ") or ":" in captions["first"]
    assert chapters["kind"] == "chapters" and chapters["cues"] == len(episode.chapters)
    assert trouble(chrome) == []


def test_the_transcript_follows_the_speech_unless_motion_is_reduced(demo, chrome):
    path = layout.site_episode_page(demo, demo.episodes[0])
    last = "[...document.querySelectorAll('#transcript a[data-start]')].pop()"
    for reduced in (False, True):
        emulate(chrome, prefers_reduced_motion="reduce" if reduced else "no-preference")
        load(chrome, path)
        assert wait_for(chrome, "document.getElementById('player').readyState >= 1", WAIT_S)
        assert chrome.evaluate("document.getElementById('follow').checked") is (not reduced)
        assert chrome.evaluate("document.getElementById('transcript').scrollHeight > "
                               "document.getElementById('transcript').clientHeight"), "nothing to scroll"
        chrome.evaluate(f"document.getElementById('player').currentTime = +{last}.dataset.start")
        assert wait_for(chrome, f"{last}.classList.contains('current')", WAIT_S)
        scrolled = wait_for(chrome, "document.getElementById('transcript').scrollTop > 0", 2.0)
        assert bool(scrolled) is (not reduced)
    emulate(chrome)


def test_without_the_script_the_page_is_readable_and_a_sentence_opens_the_recording_there(demo, chrome):
    page = layout.site_episode_page(demo, demo.episodes[0])
    bare = page.with_name("no-script.html")  # the same page, beside it, as a browser without scripts gets it
    bare.write_text(re.sub(r"<script[^>]*></script>", "", page.read_text(encoding="utf-8")), encoding="utf-8")
    try:
        load(chrome, bare)
        assert chrome.evaluate("typeof window.seeks === 'undefined' && document.scripts.length === 0")
        state = chrome.evaluate("""(() => ({
            sentences: document.querySelectorAll('#transcript a[href*="#t="]').length,
            follow: getComputedStyle(document.querySelector('.follow')).display,
            controls: document.getElementById('player').controls}))()""")
        assert state["sentences"] > 5 and state["follow"] == "none" and state["controls"] is True
        chrome.evaluate("document.querySelectorAll('#transcript a[data-start]')[3].id = 'target'")
        start = float(chrome.evaluate("document.getElementById('target').dataset.start"))
        click(chrome, "#target")
        assert wait_for(chrome, "location.href.includes('#t=') && document.querySelector('video') !== null", WAIT_S)
        position = wait_for(chrome, "(() => { const v = document.querySelector('video');"
                                    " return v.readyState >= 1 && v.currentTime; })()", WAIT_S)
        assert position == pytest.approx(start, abs=0.05)
    finally:
        bare.unlink()


def test_keyboard_focus_is_visible_and_starts_at_the_skip_link(demo, chrome):
    load(chrome, layout.site_episode_page(demo, demo.episodes[0]))
    press(chrome, "Tab")
    focused = chrome.evaluate("""(() => { const e = document.activeElement; const s = getComputedStyle(e);
        return {text: e.textContent, outline: s.outlineStyle, width: parseFloat(s.outlineWidth)}; })()""")
    assert focused == {"text": "Skip to the content", "outline": "solid", "width": 3}
    press(chrome, "Tab", "#transcript a[data-start]")
    assert chrome.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_core_finds_no_wcag_2_1_a_or_aa_violation_on_any_page(demo, chrome, scheme):
    if not AXE.is_file():
        pytest.skip("axe-core not installed: run 'npm ci --prefix tests/js' (needs node)")
    emulate(chrome, prefers_color_scheme=scheme)
    try:
        found = {}
        for path in documents(demo):
            load(chrome, path)
            violations = axe_violations(chrome)
            if violations:
                found[path.relative_to(demo.root).as_posix()] = violations
    finally:
        emulate(chrome)
    assert found == {}
    chrome.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=\"data:image/gif;base64,"
                    "R0lGODlhAQABAAAAACw=\">')")  # the audit itself works: an image with no text is caught
    assert "image-alt" in [v["id"] for v in axe_violations(chrome)]


def test_over_http_the_preview_server_lets_the_player_seek(demo, chrome):
    [episode] = [e for e in demo.episodes if e.kind == "video"]
    server, base = serve.serve_in_background(demo.root)
    try:
        for domain in ("Runtime", "Log", "Network"):
            chrome.call(f"{domain}.enable", page=True)
        chrome.call("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                        "uploadThroughput": -1}, page=True)
        chrome.events.clear()
        page = layout.site_episode_page(demo, episode).relative_to(demo.root).as_posix()
        chrome.goto(base + page)
        assert wait_for(chrome, "document.getElementById('player').readyState >= 1", WAIT_S)
        end = chrome.evaluate("(() => { const p = document.getElementById('player');"
                              " return p.seekable.length && p.seekable.end(0); })()")
        assert end > 60
        chrome.evaluate("new Promise(ok => { const p = document.getElementById('player');"
                        " p.addEventListener('seeked', ok, {once: true}); p.currentTime = 60; })")
        assert chrome.evaluate("document.getElementById('player').currentTime") == pytest.approx(60, abs=0.1)
        statuses = {e["params"]["response"]["status"] for e in chrome.events
                    if e["method"] == "Network.responseReceived" and e["params"]["type"] == "Media"}
        assert 206 in statuses
        errors = [t for t in trouble(chrome) if not re.match(r"requested from the network: http://127\.0\.0\.1", t)]
        assert errors == []
    finally:
        server.shutdown()
        server.server_close()
