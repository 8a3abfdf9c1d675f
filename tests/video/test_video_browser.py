"""The captioned video in a real web player: Debian's headless Chromium with <video> + <track>.

Chromium plays the captioned H.264/AAC MP4 itself (Debian's build decodes H.264;
the test fails, saying so, if it cannot). Browsers ignore in-band mov_text, so
the page's <track> loads the WebVTT the stage copies beside the video.
"""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
import video_helpers as vh
from PIL import Image

from browser.chromium import CHROMIUM, Chromium, StaticServer
from paths import BROWSER
from pipeline.core import layout
from pipeline.video import stage as video

PAGE = BROWSER / "captions.html"
CUE_TIME = 2.5  # seconds: inside the English cue spoken by Erik Guest

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed (apt install chromium)")


@pytest.fixture(scope="module")
def player(tmp_path_factory):
    """The stage's outputs for one episode, served beside the player page, in a fresh browser."""
    course = vh.make_course(tmp_path_factory.mktemp("browser"))
    talk = course.episode("talk")
    vh.make_clip(layout.episode_video(course, talk))
    vh.write(layout.transcript(course, talk, "vtt"), vh.CAPTIONS_EN)
    vh.make_cover(layout.artwork(course, course.module(1)))
    vh.write(layout.chapters_json(course, talk), '{"version": "1.2.0", "chapters": []}')
    for task in video.tasks(course):  # the mux, then the tags: the published file, as the feeds enclose it
        task.run()
    site = layout.captioned_video(course, talk).parent
    shutil.copy(PAGE, site / PAGE.name)
    query = f"video={layout.captioned_video(course, talk).name}&vtt={layout.video_captions(course, talk, 'en').name}"
    with StaticServer(site) as server, Chromium(1280, 720) as chrome:
        chrome.goto(f"{server.url}{PAGE.name}?{query}&lang=en&label=English")
        yield chrome, chrome.evaluate("captionsReady()")


def test_the_player_loads_the_video_and_every_cue(player):
    _, ready = player
    assert (ready["width"], ready["height"]) == (1280, 720)  # Chromium decoded the H.264 picture
    assert ready["duration"] == pytest.approx(3.0, abs=0.05)
    assert ready["mode"] == "showing" and ready["language"] == "en"
    assert [(c["start"], c["end"], c["voice"]) for c in ready["cues"]] == [
        (0.2, 1.3, "Anna Lindqvist"), (1.5, 2.0, "Anna Lindqvist"), (2.2, 2.9, "Erik Guest")]
    assert ready["cues"][0]["text"] == "Anna Lindqvist: Welcome to smart cities,\nÅsa and Øystein."
    assert ready["cues"][1]["text"] == "Data & trust."  # the same speaker goes on: no label
    assert ready["cues"][2]["text"] == "Erik Guest: Cities are 3 < 4 people?"


def test_the_right_caption_is_active_at_the_chosen_time_and_none_in_a_gap(player):
    chrome, _ = player
    at_cue = chrome.evaluate(f"captionAt({CUE_TIME})")
    assert at_cue["time"] == pytest.approx(CUE_TIME) and at_cue["readyState"] >= 2
    assert [c["text"] for c in at_cue["active"]] == ["Erik Guest: Cities are 3 < 4 people?"]  # who speaks, shown
    assert chrome.evaluate(f"captionAt({vh.GAP_TIME})")["active"] == []


def test_the_caption_is_drawn_at_the_bottom_of_the_picture(player):
    chrome, _ = player
    chrome.evaluate(f"captionAt({CUE_TIME})")
    assert chrome.evaluate("showCaptions(true)") == "showing"
    shown = _pixels(chrome.screenshot())
    assert chrome.evaluate("showCaptions(false)") == "hidden"
    hidden = _pixels(chrome.screenshot())
    drawn = vh.changed(shown, hidden)
    left, top, right, bottom = vh.bounding_box(drawn)
    assert drawn[:540].sum() == 0 and drawn.sum() > 1000  # only the lower part of the picture changed
    assert top > 600 and abs((left + right) / 2 - 640) < 20  # one line, bottom-centred


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.int16)
