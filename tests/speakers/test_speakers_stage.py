"""The speakers tasks: which episodes are found by voice, what each task reads, how voices are named (no audio)."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pipeline import speakers
from pipeline.core import course_file, layout
from pipeline.core.transcript import Segment, Transcript, Word, load
from pipeline.speakers import DiarizeOptions, RosterEntry

from conftest import SPEAKERS, course_head

EPISODE = """
[[episodes]]
slug = "{slug}"
module = 1
number = {number}
title = "Episode {number}"
summary = "An episode."
date = 2026-09-01
speakers = {speakers}
{extra}

[[episodes.sources]]
file = "{slug}.wav"
{source}
"""


def write_course(root: Path, *episodes: dict, settings: str = "") -> Path:
    text = course_head() + SPEAKERS + settings
    for number, values in enumerate(episodes, 1):
        text += EPISODE.format(**{"speakers": '["host", "guest"]', "extra": "", "source": "", "slug": f"ep{number}",
                                  "number": number, **values})
    (root / "course.toml").write_text(text, encoding="utf-8")
    return root / "course.toml"


def by_name(path: Path) -> dict:
    return {t.name: t for t in speakers.tasks(course_file.load(path))}


def test_only_one_channel_episodes_without_turn_hints_are_found_by_voice(tmp_path):
    path = write_course(
        tmp_path, {}, {"extra": 'turns = [{ at = "00:00:00.000", speaker = "guest" }]'},
        {"source": 'channels = { left = "host", right = "guest" }'}, {"speakers": '["host"]'})
    tasks = by_name(path)
    course = course_file.load(path)
    ep1, ep2, ep3, ep4 = course.episodes
    assert set(tasks) == {"diarize:ep1", "speakers:ep1", "speakers:ep2", "speakers:ep3", "speakers:ep4"}
    found = tasks["diarize:ep1"]
    assert found.inputs == (layout.asr_audio(course, ep1),)
    assert found.targets == (tmp_path / ".coursecast" / "work" / "ep1" / "speakers.json",)
    assert found.job.options == DiarizeOptions(speakers=2, device="auto")  # [diarization] device, unset
    assert tasks["speakers:ep1"].job.found == found.targets[0] and found.targets[0] in tasks["speakers:ep1"].inputs
    assert tasks["speakers:ep1"].job.roster == (RosterEntry("host", "host"), RosterEntry("guest", "guest"))
    assert [tasks[f"speakers:ep{n}"].job.found for n in (2, 3, 4)] == [None] * 3  # hints and channels win
    assert tasks["speakers:ep4"].job.sole == "host" and tasks["speakers:ep1"].job.sole is None


def test_the_diarization_key_is_the_audio_and_the_options_never_the_names(tmp_path):
    path = write_course(tmp_path, {})
    params = by_name(path)["diarize:ep1"].params
    assert set(params) == {"episode", "audio", "target", "options"}
    assert set(params["options"]) == {"speakers", "segmentation_sha256", "encoder_sha256", "device"}
    renamed = path.read_text(encoding="utf-8").replace('name = "Erik Guest"', 'name = "Erik Gäst"')
    path.write_text(renamed.replace('role = "guest"', 'role = "interviewer"'), encoding="utf-8")
    assert by_name(path)["diarize:ep1"].params == params


def test_the_number_of_voices_setting_and_switching_voices_off(tmp_path):
    path = write_course(tmp_path, {}, {"speakers": '["host"]'}, settings="\n[diarization]\nspeakers = 3\n")
    tasks = by_name(path)
    assert tasks["diarize:ep1"].job.options.speakers == 3 and tasks["diarize:ep2"].job.options.speakers == 3
    write_course(tmp_path, {}, {"speakers": '["host"]'}, settings="\n[diarization]\nenabled = false\n")
    tasks = by_name(path)
    assert not [n for n in tasks if n.startswith("diarize:")] and tasks["speakers:ep2"].job.sole is None
    write_course(tmp_path, {}, settings="\n[diarization]\nspeakers = 9\n")
    with pytest.raises(course_file.CourseFileError, match=r"\[diarization\]\.speakers: .*use 0 .* or 1 to 8"):
        course_file.load(path)


def test_a_voice_sample_is_heard_once_and_read_by_the_speakers_task(tmp_path):
    path = write_course(tmp_path, {}, {})
    (tmp_path / "raw_interviews" / "voices").mkdir(parents=True)
    (tmp_path / "raw_interviews" / "voices" / "host.flac").write_bytes(b"")
    tasks = by_name(path)
    voice = tasks["voice:host"]
    assert voice.inputs == (tmp_path / "raw_interviews" / "voices" / "host.flac",)
    assert voice.targets == (tmp_path / ".coursecast" / "voices" / "host.json",)
    assert tasks["speakers:ep1"].job.voices == (("host", voice.targets[0]),)
    assert voice.targets[0] in tasks["speakers:ep1"].inputs and voice.targets[0] in tasks["speakers:ep2"].inputs
    assert not [n for n in tasks if n.startswith("voice:") and n != "voice:host"]


def test_preflight_names_a_missing_model_and_misnamed_voice_samples(tmp_path, monkeypatch):
    path = write_course(tmp_path, {})
    voices = tmp_path / "raw_interviews" / "voices"
    voices.mkdir(parents=True)
    for name in ("hots.wav", "guest.wav", "guest.mp3", ".DS_Store"):
        (voices / name).write_bytes(b"")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    problems = speakers.preflight(course_file.load(path))
    assert any("raw_interviews/voices/hots.wav: 'hots' is not a speaker id in [[speakers]]" in p for p in problems)
    assert any("guest.mp3, guest.wav are all voice samples of 'guest'; keep one" in p for p in problems)
    missing = [p for p in problems if "pyannote-segmentation-3.0.onnx" in p]
    assert missing and "is missing" in missing[0] and "make setup" in missing[0]
    assert not any(".DS_Store" in p for p in problems)
    hinted = write_course(tmp_path, {"extra": 'turns = [{ at = "00:00:00.000", speaker = "guest" }]'})
    assert not [p for p in speakers.preflight(course_file.load(hinted)) if "speaker model" in p]


# -- naming the voices in the speakers task ------------------------------------------------
def unit(*values: float) -> list[float]:
    v = np.array(values, dtype=float)
    return list(v / np.linalg.norm(v))


def heard(path: Path) -> Path:
    """What Whisper heard: one segment of four words spanning a change of speaker at 2 s, then one more."""
    words = [Word("So", 0.2, 0.5, 0.9), Word("true.", 0.6, 1.0, 0.9), Word("Indeed", 2.2, 2.6, 0.9),
             Word("it", 2.7, 2.9, 0.9), Word("Yes.", 5.2, 5.5, 0.9)]
    segments = (Segment(0.2, 2.9, "So true. Indeed it", tuple(words[:4])), Segment(5.2, 5.5, "Yes.", (words[4],)))
    Transcript("ep1", "en", "faster-whisper", "tiny.en", {}, "0" * 64, 6.0, segments).save(path)
    return path


def job(tmp_path: Path, voices: dict[str, list[float]], labels=("SPEAKER_1", "SPEAKER_2"), samples=()):
    found = tmp_path / "speakers.json"
    turns = [[0.0, 1.2, "SPEAKER_1"], [2.0, 3.0, "SPEAKER_2"], [5.0, 5.8, labels[-1]]]
    found.write_text(json.dumps({"duration": 6.0, "labels": list(labels), "voices": [voices[v] for v in labels],
                                 "turns": turns}))
    for speaker, voice in samples:
        (tmp_path / f"{speaker}.json").write_text(json.dumps({"voice": voice, "sample": f"{speaker}.wav"}))
    return speakers.AttributeJob(heard(tmp_path / "heard.json"), tmp_path / "machine.json",
                                 (("host", "Anna Host"), ("guest", "Erik Guest")), (), (), tmp_path / "timeline.json",
                                 found, (RosterEntry("host", "host"), RosterEntry("guest", "guest")),
                                 tuple((s, tmp_path / f"{s}.json") for s, _ in samples))


def test_voices_are_named_by_rule_and_a_segment_is_split_where_the_speaker_changes(tmp_path):
    result = speakers.attribute_speakers(job(tmp_path, {"SPEAKER_1": unit(1, 0), "SPEAKER_2": unit(0, 1)}))
    machine = load(tmp_path / "machine.json")
    assert [(s.speaker, s.text) for s in machine.segments] == [
        ("host", "So true."), ("guest", "Indeed it"), ("guest", "Yes.")]
    assert result.by_voice == 5 and result.unknown == 0
    assert machine.attribution[1:3] == ("Voice 1 is Anna Host: by rule, the host speaks first.",
                                        "Voice 2 is Erik Guest: by rule, the next in the episode's speakers list.")


def test_voice_samples_name_the_voices_and_a_voice_nobody_is_left_for_is_numbered(tmp_path):
    voices = {"SPEAKER_1": unit(1, 0, 0), "SPEAKER_2": unit(0, 1, 0), "SPEAKER_3": unit(0, 0, 1)}
    samples = (("host", unit(0.1, 1, 0)), ("guest", unit(1, 0.1, 0)))
    speakers.attribute_speakers(job(tmp_path, voices, ("SPEAKER_1", "SPEAKER_2", "SPEAKER_3"), samples))
    machine = load(tmp_path / "machine.json")
    assert [s.speaker for s in machine.segments] == ["guest", "host", "SPEAKER_3"]
    assert machine.speakers["SPEAKER_3"] == "Speaker 3"
    assert "Voice 1 is Erik Guest: by voice sample raw_interviews/voices/guest.wav (similarity 0.99)." \
        in machine.attribution
    assert "Voice 3 is Speaker 3: the episode's speakers list has nobody left for it." in machine.attribution


def test_the_speakers_task_respells_roster_names_and_records_each_respelling(tmp_path):
    words = [Word("Thanks,", 0.2, 0.5, 0.9), Word("Anna", 0.6, 0.8, 0.9), Word("Hoast.", 0.8, 1.1, 0.8),
             Word("Indeed", 2.2, 2.6, 0.9), Word("it", 2.7, 2.9, 0.9), Word("Yes.", 5.2, 5.5, 0.9)]
    segments = (Segment(0.2, 2.9, "Thanks, Anna Hoast. Indeed it", tuple(words[:5])),
                Segment(5.2, 5.5, "Yes.", (words[5],)))
    base = job(tmp_path, {"SPEAKER_1": unit(1, 0), "SPEAKER_2": unit(0, 1)})
    Transcript("ep1", "en", "faster-whisper", "tiny.en", {}, "0" * 64, 6.0, segments).save(base.mix)
    speakers.attribute_speakers(replace(base, terms=("Anna Host", "Erik Guest")))
    machine = load(tmp_path / "machine.json")
    assert machine.segments[0].text == "Thanks, Anna Host."
    assert [(f.at, f.before, f.after) for f in machine.term_fixes] == [(0.6, "Anna Hoast.", "Anna Host")]
    assert machine.segments[0].words[1].end == 1.1  # the name keeps its first word's start and last word's end


def test_a_renamed_speaker_changes_the_speakers_task_and_never_the_listening_task(tmp_path):
    from pipeline import transcribe

    path = write_course(tmp_path, {})
    course = course_file.load(path)
    before = {t.name: t.params for t in transcribe.tasks(course) + speakers.tasks(course)}
    path.write_text(path.read_text(encoding="utf-8").replace('name = "Erik Guest"', 'name = "Erik Gästsson"'),
                    encoding="utf-8")
    course = course_file.load(path)
    after = {t.name: t.params for t in transcribe.tasks(course) + speakers.tasks(course)}
    assert after["transcribe:ep1"] == before["transcribe:ep1"]
    assert after["speakers:ep1"] != before["speakers:ep1"] and "Erik Gästsson" in after["speakers:ep1"]["terms"]
