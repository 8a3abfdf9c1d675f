"""One module writes every clock (core/timecode.py), in the form each medium's convention asks for (issue 20)."""
from __future__ import annotations

from pipeline.core.timecode import ass_timecode, format_timecode, parse_timecode, player_clock
from pipeline.printing.story import clock as printed_clock
from pipeline.site import formats


def test_each_medium_gets_its_own_convention_from_one_place():
    at = 3723.456
    assert format_timecode(at) == "01:02:03.456"  # WebVTT, the course file
    assert format_timecode(at, sep=",") == "01:02:03,456"  # SRT
    assert format_timecode(at, millis=False) == "01:02:03"  # editing and review files, messages
    assert ass_timecode(at) == "1:02:03.46"  # ASS (burnt-in captions)
    assert player_clock(at) == "1:02:03" and player_clock(63.4) == "1:03" and player_clock(0) == "0:00"
    assert player_clock(63.4, hours=True) == "0:01:03"
    assert parse_timecode(format_timecode(at)) == at


def test_the_published_clocks_agree():
    for at in (0, 5, 63.4, 599.999, 751.4, 3599.9996, 3723):
        assert formats.clock(at) == printed_clock(at, long=False) == player_clock(at), at
        assert printed_clock(at, long=True) == player_clock(at, hours=True)
    assert formats.chapters_vtt([type("C", (), {"start": 1.5, "end": 3723.456, "title": "One"})()]) == (
        "WEBVTT\n\n00:00:01.500 --> 01:02:03.456\nOne\n")
