"""ffmpeg-python graphs (pipeline.core.ffgraph): what ffmpeg-python 0.2 cannot say on its own, run by real ffmpeg."""
from __future__ import annotations

import json
import subprocess

import ffmpeg
import pytest

from pipeline.core.ffgraph import Filter, apply, command, filt, head, source, with_output_options
from pipeline.core.media import run

RATE = 8000  # Hz


def _samples(path) -> int:
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", str(path)], capture_output=True, text=True,
                         check=True).stdout
    return int(json.loads(out)["streams"][0]["duration_ts"])


def test_two_equal_silences_stay_two_sources(tmp_path):
    """ffmpeg-python takes equal nodes for one; each source() is its own filter."""
    tone = ffmpeg.input(f"sine=f=440:r={RATE}:d=0.1", f="lavfi")
    silences = [apply(source("anullsrc", r=RATE, cl="mono"), [filt("atrim", end_sample=800)]) for _ in range(2)]
    out = tmp_path / "silence.wav"
    cmd = command(head("error"), [ffmpeg.output(ffmpeg.concat(silences[0], tone["a"], silences[1], v=0, a=1),
                                                str(out))])
    assert cmd[cmd.index("-filter_complex") + 1].count("anullsrc") == 2
    run(cmd, what="two silences")
    assert _samples(out) == 3 * 800


def test_values_with_separators_reach_the_filter_intact(tmp_path):
    """pan's channel expression (=, |) and a timeline expression (commas) survive ffmpeg-python's escaping."""
    tone = ffmpeg.input(f"sine=f=440:r={RATE}:d=1", f="lavfi")
    mixed = apply(tone["a"], [filt("pan", args="stereo|c0=0.5*c0|c1=0*c0"),
                              filt("volume", 0, enable="between(t,0.25,0.5)+between(t,0.75,1)")])
    out = tmp_path / "panned.wav"
    run(command(head("error"), [ffmpeg.output(mixed, str(out))], [tone]), what="pan")
    streams = json.loads(subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams",
                                         str(out)], capture_output=True, text=True, check=True).stdout)["streams"]
    assert streams[0]["channels"] == 2


def test_a_positional_value_ffmpeg_python_would_escape_twice_is_refused():
    with pytest.raises(ValueError, match="named option"):
        filt("pan", "mono|c0=c1")
    assert str(filt("aresample", 48000, first_pts=0)) == "aresample=48000:first_pts=0"
    assert filt("volume", "3dB") == Filter("volume", ("3dB",))


def test_repeated_output_options_go_before_the_output_name():
    cmd = command(head(), [ffmpeg.output(ffmpeg.input("in.mp4")["v"], "out.mp4", c="copy")])
    tagged = with_output_options(cmd, ["-metadata:s:v:0", "title=A", "-metadata:s:v:0", "language=eng"])
    assert tagged[-1] == "out.mp4" and tagged.count("-metadata:s:v:0") == 2
