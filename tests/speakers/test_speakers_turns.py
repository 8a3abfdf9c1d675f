"""The turns file levelling reads: times and voice indices only, so a renamed speaker never re-encodes."""
from __future__ import annotations

import json
from dataclasses import replace

from pipeline.core.transcript import Segment, Transcript, Word
from pipeline.episodes import load_turns
from pipeline.speakers.turns import TURN_BRIDGE_S, voice_turns, write_turns


def _segment(start: float, speaker: str | None, words: int = 3) -> Segment:
    ws = tuple(Word(f"w{i}", start + 0.4 * i, start + 0.4 * i + 0.3, 0.9) for i in range(words))
    return Segment(ws[0].start, ws[-1].end, " ".join(w.text for w in ws), ws, speaker)


def _transcript(names: dict[str, str], ids: dict[str, str]) -> Transcript:
    segments = (_segment(0.0, ids["a"]), _segment(1.5, ids["a"]), _segment(5.0, ids["b"]),
                _segment(7.0, None), _segment(9.0, ids["a"]))
    return Transcript("ep", "en", "faster-whisper", "tiny.en", {}, "", 12.0, segments, speakers=names)


def test_turns_are_runs_of_one_voice_numbered_by_first_appearance():
    turns = voice_turns(_transcript({"host": "Ann"}, {"a": "host", "b": "guest"}))
    assert [t.voice for t in turns] == [0, 1, 0]
    assert (turns[0].start, round(turns[0].end, 6), turns[0].voice) == (0.0, 2.6, 0)  # the gap of 0.6 s < TURN_BRIDGE_S joins the two segments
    assert TURN_BRIDGE_S >= 0.6 and turns[1].start == 5.0  # unknown words (7 s) are nobody's turn


def test_a_rename_or_new_ids_write_the_same_file(tmp_path):
    first = _transcript({"host": "Ann", "guest": "Bob"}, {"a": "host", "b": "guest"})
    renamed = replace(first, speakers={"host": "Dr. Ann Smith", "guest": "Robert"})
    reassigned = _transcript({"guest": "Ann", "host": "Bob"}, {"a": "guest", "b": "host"})
    files = []
    for n, transcript in enumerate((first, renamed, reassigned)):
        transcript.save(tmp_path / f"machine{n}.json")
        write_turns(tmp_path / f"machine{n}.json", tmp_path / f"turns{n}.json")
        files.append((tmp_path / f"turns{n}.json").read_bytes())
    assert files[0] == files[1] == files[2]
    raw = json.loads(files[0])
    assert set(raw) == {"format", "turns"} and "Ann" not in files[0].decode()
    assert [(t.start, t.end, t.voice) for t in load_turns(tmp_path / "turns0.json")] == \
        [(round(t.start, 3), round(t.end, 3), t.voice) for t in voice_turns(first)]


def test_words_of_no_known_speaker_are_one_voice_when_nobody_is_known():
    transcript = _transcript({}, {"a": None, "b": None})
    turns = voice_turns(transcript)
    assert {t.voice for t in turns} == {0} and turns[0].start == 0.0 and turns[-1].end > 9.0
