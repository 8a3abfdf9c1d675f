"""The published timeline: strikes taken out of the cut, snapped to quiet, and every time mapped through it."""
from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest

from pipeline.core.errors import StageError
from pipeline.episodes import kept_chapters, published_times
from pipeline.episodes.published import Strike, compose, cut_spans, map_clips, save_published, struck_timeline
from pipeline.episodes.timeline import Clip, Timeline

RATE = 44100  # Hz of the timelines
ASR_RATE = 16000  # Hz of the generated ASR audio
CROSSFADE_S = 0.03  # seconds


def _asr(path: Path, words: list[tuple[float, float]], seconds: float) -> Path:
    """16 kHz audio: a 300 Hz 'word' in each (start, end), faint noise elsewhere."""
    t = np.arange(int(seconds * ASR_RATE)) / ASR_RATE
    signal = np.random.default_rng(1).normal(0, 0.001, len(t))
    for a, b in words:
        signal += 0.3 * np.sin(2 * np.pi * 300 * t) * ((t >= a) & (t < b))
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(ASR_RATE)
        handle.writeframes((np.clip(signal, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def test_a_strike_is_cut_in_the_quiet_of_the_pauses_either_side(tmp_path):
    words = [(0.5, 1.5), (2.0, 3.0), (3.9, 4.5)]  # the middle word is struck; its pauses are 0.5 and 0.9 s
    asr = _asr(tmp_path / "asr.wav", words, 5.0)
    (a, b), = cut_spans([Strike(1.5, 2.0, 3.0, 3.9)], asr, 5.0, CROSSFADE_S)
    assert 1.5 < a < 2.0 and 3.0 < b < 3.9  # inside the pauses, never in a word
    assert a == pytest.approx(1.75, abs=0.06) and b == pytest.approx(3.45, abs=0.06)  # near their middles
    published = struck_timeline(round(5.0 * RATE), RATE, [(a, b)], CROSSFADE_S)
    assert published.duration == pytest.approx(5.0 - (b - a) - CROSSFADE_S, abs=1e-4)
    assert map_clips(published, 0.5) == pytest.approx(0.5)  # before the strike: unmoved
    assert map_clips(published, 3.9) == pytest.approx(3.9 - (b - a) - CROSSFADE_S, abs=1e-4)  # after: earlier
    assert map_clips(published, 2.5) == pytest.approx(a, abs=0.01)  # inside: where the episode goes on


def test_a_cut_without_a_pause_reaches_into_the_struck_word_not_the_kept_one(tmp_path):
    """Whisper often gives no gap between words: the cut then keeps the crossfade clear of the kept word."""
    asr = _asr(tmp_path / "asr.wav", [(0.5, 1.5), (1.6, 2.6), (2.62, 3.5)], 4.0)  # the middle word is struck
    (a, b), = cut_spans([Strike(1.55, 1.55, 2.61, 2.61)], asr, 4.0, CROSSFADE_S)  # no pause either side
    assert 1.55 + CROSSFADE_S <= a <= 1.7  # after the kept word and its fade, in the quiet or the struck word
    assert 2.45 <= b <= 2.61 - CROSSFADE_S  # before the kept word and its fade


def test_strikes_at_the_ends_and_strikes_that_leave_nothing():
    published = struck_timeline(RATE * 4, RATE, [(0.0, 1.0), (3.0, 4.0)], CROSSFADE_S)
    assert published.duration == pytest.approx(2.0) and published.clips[0].start == RATE
    with pytest.raises(StageError, match="nothing"):
        struck_timeline(RATE * 4, RATE, [(0.0, 4.0)], CROSSFADE_S)


def test_course_and_heard_times_both_reach_the_published_episode(tmp_path):
    """Shortened pauses (course -> cut) and a strike (cut -> published) add up in published_times."""
    before = Timeline(RATE, (Clip(0, 0, 10 * RATE, 0, 0),))
    cut = Timeline(RATE, (Clip(0, 0, 4 * RATE, 0, 0), Clip(0, 6 * RATE, 10 * RATE, 4 * RATE - 1323, 1323)),
                   ((4.0, 6.0),))  # 2 s of pause taken out at 4 s, crossfaded 30 ms
    published = struck_timeline(cut.samples, RATE, [(1.0, 2.0)], CROSSFADE_S)
    path = tmp_path / "published.json"
    save_published(path, {"pieces": [], "before": before.to_dict(), "after": cut.to_dict()}, published)
    shift = 1.0 + CROSSFADE_S
    assert published_times(path, [0.5, 3.0], heard=True) == pytest.approx((0.5, 3.0 - shift), abs=1e-4)
    assert published_times(path, [7.0])[0] == pytest.approx(7.0 - 2.0 - CROSSFADE_S - shift, abs=1e-3)
    timeline_only = tmp_path / "timeline.json"
    timeline_only.write_text(json.dumps({"pieces": [], "before": before.to_dict(), "after": cut.to_dict()}))
    assert published_times(timeline_only, [7.0])[0] == pytest.approx(7.0 - 2.0 - CROSSFADE_S, abs=1e-3)


def test_the_video_plays_the_recordings_clips_of_the_published_episode():
    cut = Timeline(RATE, (Clip(0, RATE, 5 * RATE, 0, 0), Clip(1, 0, 5 * RATE, 4 * RATE - 100, 100)))
    published = struck_timeline(cut.samples, RATE, [(2.0, 3.0)], 0.0)
    clips = compose(cut, published).clips
    assert [(c.piece, c.start, c.at) for c in clips] == [
        (0, RATE, 0), (0, 4 * RATE, 2 * RATE), (1, 0, 3 * RATE - 100)]


def test_a_chapter_the_strikes_emptied_is_dropped():
    moved = [(0.0, "Start"), (12.0, "Struck away"), (12.0, "Next"), (30.0, "End")]
    assert kept_chapters(moved, 40.0) == [(0.0, "Start"), (12.0, "Next"), (30.0, "End")]
    assert kept_chapters([(0.0, "Start"), (40.0, "Gone")], 40.0) == [(0.0, "Start")]
