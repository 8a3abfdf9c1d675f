"""The episodes stage's ffmpeg commands, as ffmpeg-python compiles them: the filters each one holds.

These read the compiled argv (what `media.run` logs and runs) for the filters and
options a reader of the command would look for; they never compare it with a
hand-written string, so a new label or filter order does not break them. What the
commands produce is checked with real ffmpeg in test_episodes.py.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from episodes_helpers import episode_toml, ffmpeg, tone, write_course
from pipeline.core.errors import StageError
from pipeline.core.settings import AudioSettings
from pipeline.episodes import graph
from pipeline.episodes import stage as episodes
from pipeline.episodes.loudness import GainPlan
from pipeline.episodes.settings import Mastering
from pipeline.episodes.published import struck_timeline
from pipeline.episodes.timeline import Piece, join, mute_spans

RATE = 44100  # Hz
CROSSFADE_S = 0.03  # seconds
_ELEMENT = re.compile(r"^((?:\[[^\]]*\])*)([A-Za-z0-9_]+)(?:=(.*?))?((?:\[[^\]]*\])*)$", re.S)


def _elements(cmd: list[str]) -> list[tuple[list[str], str, str, list[str]]]:
    """(input labels, filter name, options, output labels) of every filter in the command's filtergraph."""
    text = cmd[cmd.index("-filter_complex") + 1]
    result = []
    for part in re.split(r"(?<!\\);", text):
        ins, name, options, outs = _ELEMENT.match(part).groups()
        result.append((re.findall(r"\[([^\]]*)\]", ins), name, options or "", re.findall(r"\[([^\]]*)\]", outs)))
    return result


def _names(cmd: list[str]) -> list[str]:
    return [name for _, name, _, _ in _elements(cmd)]


def _options(cmd: list[str], name: str) -> list[str]:
    return [options for _, n, options, _ in _elements(cmd) if n == name]


def _feeding_input(cmd: list[str], label: str) -> str:
    """The input stream ('1:a:0') a labelled stream comes from, following the graph upstream."""
    producers = {out: ins for ins, _, _, outs in _elements(cmd) for out in outs}
    while label in producers:
        label = producers[label][0]
    return label


def _option_after(cmd: list[str], path: Path, option: str) -> str:
    """The value of `option` among the output options given before the output `path`."""
    end = cmd.index(str(path))
    start = max(i for i, arg in enumerate(cmd[:end]) if arg == "-map")
    return cmd[cmd.index(option, start, end) + 1]


@pytest.fixture
def pieces(tmp_path) -> tuple[Piece, ...]:
    intro, a, b = (tmp_path / name for name in ("intro.wav", "a.wav", "b.wav"))
    return (Piece(intro, "intro.wav", 0.0, 2.0, 1, sting=True), Piece(a, "a.wav", 0.5, 3.0, 1),
            Piece(a, "a.wav", 4.0, 6.0, 1), Piece(b, "b.wav", 1.0, 4.0, 2))


def test_pass1_decodes_each_recording_once_and_joins_with_equal_power_crossfades(pieces, tmp_path):
    timeline = join(pieces, RATE, CROSSFADE_S)
    outputs = graph.Pass1Outputs(tmp_path / "master.wav", tmp_path / "asr.wav", None, None)
    made = graph.pass1(pieces, timeline, "stereo", outputs, mute_spans(timeline, pieces))
    cmd = made.cmd
    assert cmd[0] == "ffmpeg" and "-y" in cmd
    assert [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "-i"] == [str(p) for p in (
        pieces[0].path, pieces[1].path, pieces[3].path)]  # each recording once, in first use
    assert [cmd[i - 2:i] for i, arg in enumerate(cmd) if arg == "-i"] == [
        ["-t", "2.500"], ["-t", "6.500"], ["-t", "4.500"]]  # decoded INPUT_SLACK_S past the last use
    trims = _options(cmd, "atrim")
    for clip in timeline.clips:
        assert any(f"start_sample={clip.start}" in t and f"end_sample={clip.end}" in t for t in trims)
    fades = _options(cmd, "afade")
    assert len(fades) == 2 * (len(timeline.clips) - 1) and all("curve=qsin" in f for f in fades)
    names = _names(cmd)
    assert names.count("amerge") == 1 and "anullsrc" in names and names.count("ebur128") == 1
    assert "peak=true" in _options(cmd, "ebur128")[0]
    mute = [o for o in _options(cmd, "volume") if "enable=" in o]
    assert len(mute) == 1 and "between(t" in mute[0]  # the intro is muted in what Whisper hears
    assert any(o.startswith("args=stereo|") for o in _options(cmd, "pan"))  # mono recordings into stereo


def test_pass1_checks_the_level_of_each_recording_in_input_order(pieces, tmp_path):
    timeline = join(pieces, RATE, CROSSFADE_S)
    outputs = graph.Pass1Outputs(tmp_path / "master.wav", tmp_path / "asr.wav", None, None)
    made = graph.pass1(pieces, timeline, "stereo", outputs, [])
    detectors = [ins[0] for ins, name, _, _ in _elements(made.cmd) if name == "volumedetect"]
    assert [_feeding_input(made.cmd, label) for label in detectors] == ["0:a:0", "1:a:0", "2:a:0"]
    assert made.level_names == ["intro.wav", "a.wav", "b.wav"] and made.level_channels == [1, 1, 2]
    assert made.cmd.count("null") == 3  # the level checks write nothing
    assert _option_after(made.cmd, outputs.master, "-c:a") == "pcm_f32le"
    assert _option_after(made.cmd, outputs.asr, "-c:a") == "pcm_s16le"


@pytest.mark.parametrize("ext, codec, gain", [("mp3", "libmp3lame", "6.000dB"), ("m4a", "aac", "8.000dB")])
def test_pass2_cuts_normalises_limits_and_encodes_one_format(pieces, tmp_path, ext, codec, gain):
    timeline = join(pieces, RATE, CROSSFADE_S)
    settings = Mastering.of(AudioSettings())
    plan = GainPlan(-19.0, float(gain[0]), -1.5, -10.0, ext == "m4a")
    target, master = tmp_path / f"x.{ext}", tmp_path / "cut.wav"
    struck = struck_timeline(timeline.samples, RATE, [(1.0, 1.5)], CROSSFADE_S)  # one strike taken out
    cmd = graph.pass2(master, struck, plan, settings, 2, ext, target)
    assert [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "-i"] == [str(master)]  # the cut master only
    assert _options(cmd, "atrim")  # the strike is cut out in the same command
    limited = ext == "m4a"
    assert len(_options(cmd, "alimiter")) == limited and (str(4 * RATE) in _options(cmd, "aresample")) == limited
    volumes = _options(cmd, "volume")
    assert gain in volumes and ("0.4455dB" in volumes) == (ext == "mp3")  # LAME's 0.95 undone
    assert _option_after(cmd, target, "-c:a") == codec
    assert ("+faststart" in cmd) == (ext == "m4a")


@pytest.mark.parametrize("silent", [0, 1])
def test_a_silent_recording_among_several_is_the_one_named(tmp_path, silent):
    raw = tmp_path / "raw_interviews"
    raw.mkdir()
    names = ["first.wav", "second.wav"]
    tone(raw / names[1 - silent], 2.0)
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", "2", str(raw / names[silent]))
    sources = "".join(f'\n[[episodes.sources]]\nfile = "{n}"\nkeep = [["00:00:00.000", "00:00:01.500"]]\n'
                      for n in names)
    course = write_course(tmp_path, episode_toml("two", sources))
    task = next(t for t in episodes.tasks(course) if t.name == "episodes:two")
    with pytest.raises(StageError, match="silent") as caught:
        task.run()
    assert names[silent] in str(caught.value) and names[1 - silent] not in str(caught.value)
