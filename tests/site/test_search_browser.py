"""The course search in headless Chromium, from the disk with the network off and over `coursecast serve`.

Typing a word that two demo episodes say lists both; following a result opens the episode page with the
player at the sentence (within 1 s) and the sentence highlighted; axe-core finds no WCAG 2.1 A/AA
violation with results shown; markup in a transcript stays text; a ten-hour index answers within 200 ms.
"""
from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from browser.site_pages import AXE, axe_violations, click, emulate, open_offline, press, trouble, wait_for
from search_helpers import read_index, sentence_transcript, write_hours_index
from site_helpers import build_site, publish_all, site_media, write_course
from test_search import HOSTILE_LINES
from test_site_browser import chrome, demo, pytestmark  # noqa: F401 (the demo course and the browser)
from pipeline.core import course_file, layout
from pipeline.site import search, serve

PLAYER_SLACK_S = 1.0  # the issue: the player within 1 s of the sentence's start
QUERY_BUDGET_MS = 200.0  # the issue: results within 200 ms of typing on a ten-hour course
WAIT_S = 15.0  # seconds to wait for media to load in a busy browser
MIN_WORD_CHARS = 6  # a word long enough to be no stop word and no prefix of many others
ATTEMPTS = 2  # tries of the timed queries (each on a freshly loaded page)


def two_episode_word(course) -> tuple[str, set[str]]:
    """A word that exactly two of the demo's episodes say, and those episodes' pages (relative to site/)."""
    data = read_index(layout.site_asset(course, search.INDEX_NAME))
    seen: Counter = Counter()
    episodes: dict[str, set[str]] = {}
    for episode in data["episodes"]:
        words = {w.lower() for _, _, text in episode["lines"] for w in re.findall(r"[^\W\d_]+", text)}
        for word in (w for w in words if len(w) >= MIN_WORD_CHARS):
            seen[word] += 1
            episodes.setdefault(word, set()).add(episode["page"])
    word = sorted(w for w, n in seen.items() if n == 2)[0]
    return word, episodes[word]


def type_query(chrome, text: str) -> dict:
    """Focus the search field, type `text` (real key input), wait for the status; what the results show."""
    chrome.evaluate("(() => { const i = document.getElementById('search-q'); i.value = ''; i.focus(); })()")
    chrome.call("Input.insertText", {"text": text}, page=True)
    assert wait_for(chrome, "document.getElementById('search-status').textContent !== ''", WAIT_S)
    return chrome.evaluate("""(() => ({status: document.getElementById('search-status').textContent,
        links: [...document.querySelectorAll('#search-results a')].map(a => a.getAttribute('href')),
        marks: [...document.querySelectorAll('#search-results mark')].map(m => m.textContent),
        texts: [...document.querySelectorAll('#search-results .text')].map(t => t.textContent)}))()""")


def pages_of(links: list[str], prefix: str) -> set[str]:
    return {link[len(prefix):].split("#")[0] for link in links}


def follow_a_result(chrome, expected_page_suffix: str) -> None:
    """Click the first result of the given episode; the page opens with the player at that sentence."""
    selector = f"#search-results a[href*={json.dumps(expected_page_suffix)}]"
    start = float(chrome.evaluate(f"document.querySelector({json.dumps(selector)}).href.split('#t=')[1]"))
    click(chrome, selector)
    assert wait_for(chrome, f"location.pathname.endsWith({json.dumps(expected_page_suffix)})"
                            " && document.readyState === 'complete'", WAIT_S)
    assert wait_for(chrome, "document.getElementById('player').readyState >= 1", WAIT_S)
    position = chrome.evaluate("document.getElementById('player').currentTime")
    assert abs(position - start) <= PLAYER_SLACK_S, (position, start)
    current = chrome.evaluate("(() => { const c = document.querySelector('#transcript a.current');"
                              " return c && [c.dataset.start, c.getAttribute('aria-current')]; })()")
    assert current and float(current[0]) == start and current[1] == "true"


def test_a_word_two_episodes_say_lists_both_from_any_page_and_a_result_opens_the_moment(demo, chrome):
    word, expected = two_episode_word(demo)
    for page, prefix in ((layout.site_index(demo), ""), (layout.site_episode_page(demo, demo.episodes[-1]), "../")):
        open_offline(chrome, page.as_uri())
        shown = type_query(chrome, word)
        assert pages_of(shown["links"], prefix) == expected, (word, shown)
        assert re.fullmatch(r"\d+ sentences? found in 2 episodes\.", shown["status"]), shown["status"]
        assert shown["marks"] and all(m.lower().startswith(word[:-1]) for m in shown["marks"]), shown["marks"]
    follow_a_result(chrome, sorted(expected)[-1])
    assert trouble(chrome) == []


def test_keyboard_enter_in_the_field_moves_to_the_first_result_and_a_moment_link_opens_there(demo, chrome):
    word, _ = two_episode_word(demo)
    open_offline(chrome, layout.site_index(demo).as_uri())
    type_query(chrome, word)
    press(chrome, "Enter", "#search-q")
    assert chrome.evaluate("document.activeElement === document.querySelector('#search-results a')")
    episode = demo.episodes[0]
    page = layout.site_episode_page(demo, episode)
    open_offline(chrome, page.as_uri())  # a moment shared by link: page.html#t=<start of a sentence>
    start = chrome.evaluate("document.querySelectorAll('#transcript a[id]')[5].dataset.start")
    open_offline(chrome, f"{page.as_uri()}#t={start}")
    assert wait_for(chrome, "document.getElementById('player').readyState >= 1", WAIT_S)
    assert abs(chrome.evaluate("document.getElementById('player').currentTime") - float(start)) <= PLAYER_SLACK_S
    assert chrome.evaluate(f"document.getElementById('t={start}').classList.contains('current')")


def test_over_coursecast_serve_a_result_opens_the_moment(demo, chrome):
    word, expected = two_episode_word(demo)
    server, base = serve.serve_in_background(demo.root)
    try:
        chrome.call("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                        "uploadThroughput": -1}, page=True)
        chrome.goto(base + layout.site_index(demo).relative_to(demo.root).as_posix())
        shown = type_query(chrome, word)
        assert pages_of(shown["links"], "") == expected
        follow_a_result(chrome, sorted(expected)[0])
        assert chrome.evaluate("location.protocol") == "http:"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_on_any_page_with_results_shown(demo, chrome, scheme):
    if not AXE.is_file():
        pytest.skip("axe-core not installed: run 'npm ci --prefix tests/js' (needs node)")
    word, _ = two_episode_word(demo)
    found = {}
    emulate(chrome, prefers_color_scheme=scheme)
    try:
        for path in sorted(demo.folder(layout.SITE).rglob("*.html")):
            open_offline(chrome, path.as_uri())
            wait_for(chrome, "document.readyState === 'complete'")
            assert type_query(chrome, word)["links"]
            violations = axe_violations(chrome)
            if violations:
                found[path.name] = violations
    finally:
        emulate(chrome)
    assert found == {}


@pytest.fixture
def hostile(tmp_path):
    course = write_course(tmp_path / "course")
    publish_all(course, site_media(tmp_path / "media"))
    first = course.episodes[0]
    sentence_transcript(first.slug, 0.5, HOSTILE_LINES).save(layout.transcript(course, first, "json"))
    build_site(course)
    return course


def test_markup_in_a_transcript_or_a_query_shows_as_text(hostile, chrome):
    page = layout.site_episode_page(hostile, hostile.episodes[0])
    open_offline(chrome, page.as_uri())
    for query, line in (("script", HOSTILE_LINES[0]), ("onerror", HOSTILE_LINES[1]), ("<img src=x", None)):
        shown = type_query(chrome, query)
        if line:
            assert line in shown["texts"], shown
        counts = chrome.evaluate("[document.querySelectorAll('#search-results img, #search-results script').length,"
                                 " typeof window.pwned, document.querySelectorAll('img').length]")
        assert counts == [0, "undefined", 0], (query, counts)
    transcript = chrome.evaluate("[...document.querySelectorAll('#transcript a')].map(a => a.textContent)")
    assert HOSTILE_LINES[0] in transcript and HOSTILE_LINES[1] in transcript


def _timed_queries(chrome, page: Path) -> dict:
    """Per query: (ms from typing to results laid out, results listed); the first query folds every sentence."""
    open_offline(chrome, page.as_uri())
    wait_for(chrome, "document.readyState === 'complete'")
    timings = {}
    for query in ("participatory budgeting", "Malmo", "data trusts", "pilot", "zz", "city"):
        timings[query] = chrome.evaluate(f"""(() => {{ const i = document.getElementById('search-q');
            const t0 = performance.now(); i.value = {json.dumps(query)}; i.dispatchEvent(new Event('input'));
            document.body.offsetHeight; return [performance.now() - t0,
            document.querySelectorAll('#search-results li').length]; }})()""")
    return timings


def test_a_ten_hour_index_answers_within_200_ms_of_typing(demo, chrome, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(demo.folder(layout.SITE), site)
    index, seconds = write_hours_index(tmp_path, 10)
    shutil.copy(index, site / "assets" / search.INDEX_NAME)
    tries = []
    for _ in range(ATTEMPTS):  # a shared machine's other work can stall one try; the budget holds on a free core
        tries.append(_timed_queries(chrome, site / "index.html"))
        print(f"10-hour index ({seconds / 3600:.1f} h, {index.stat().st_size} bytes): ms, results", tries[-1])
        if all(ms <= QUERY_BUDGET_MS for ms, _ in tries[-1].values()):
            break
    timings = tries[-1]
    assert all(ms <= QUERY_BUDGET_MS for ms, _ in timings.values()), tries
    assert timings["Malmo"][1] > 0 and timings["participatory budgeting"][1] > 0
    status = chrome.evaluate("document.getElementById('search-status').textContent")  # after "city"
    assert re.fullmatch(r"\d+ sentences found in \d+ episodes; the first 50 are listed\.", status), status
    assert trouble(chrome) == []


SWEDISH = ("Kommunen i Malmö öppnade sina data för alla invånare.",
           "Och sedan ändrade staden byggreglerna efter mätningarna.")


@pytest.fixture
def swedish(tmp_path):
    """The tests' tiny course in Swedish, its first episode saying SWEDISH."""
    course = write_course(tmp_path / "course")
    text = course.path.read_text(encoding="utf-8").replace('language = "en"', 'language = "sv"')
    course.path.write_text(text + '\n[transcription]\nmodel = "tiny"\n', "utf-8")  # a model that knows sv
    course = course_file.load(course.path)
    publish_all(course, site_media(tmp_path / "media"))
    first = course.episodes[0]
    replace(sentence_transcript(first.slug, 0.2, SWEDISH), language="sv").save(layout.transcript(course, first, "json"))
    build_site(course)
    return course


@pytest.mark.parametrize("query, found", [
    ("kommunerna", SWEDISH[0]),  # Swedish ending stripped: "kommun" begins "Kommunen"
    ("Malmo", SWEDISH[0]),  # diacritics folded
    ("MATNINGARNA", SWEDISH[1]),  # case and diacritics folded, ending stripped
    ("och kommunen", SWEDISH[0]),  # a Swedish stop word is dropped from the query (no sentence has both)
])
def test_a_swedish_episode_is_searched_with_swedish_stop_words_and_endings(swedish, chrome, query, found):
    open_offline(chrome, layout.site_index(swedish).as_uri())
    shown = type_query(chrome, query)
    assert shown["texts"] == [found], (query, shown)
    assert chrome.evaluate("document.querySelector('#search-results .text').lang") == "sv"
