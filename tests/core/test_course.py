"""The course file: every class of mistake gets a precise message, all at once."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.core import course_file
from pipeline.core.course_media import probe_sources
from pipeline.core.errors import CourseFileError

from conftest import MINIMAL_COURSE, make_tone
from paths import REPO


def problems_of(tmp_path: Path, text: str, probe: bool = False) -> list[str]:
    path = tmp_path / "course.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CourseFileError) as caught:
        course = course_file.load(path)
        if probe:
            probe_sources(course)
    return caught.value.problems


def test_minimal_course_loads(course_dir):
    course = course_file.load(course_dir / "course.toml")
    assert course.info.title == "Test course"
    assert course.episodes[0].sources[0].keep[0].end == 1.5
    assert course.episodes[0].kind == "audio"
    assert course.audio.target_lufs_mono == -19.0
    assert probe_sources(course)["ep1.wav"].duration == pytest.approx(2.0, abs=0.05)


def test_the_real_course_file_has_the_eight_modules():
    course = course_file.load(REPO / "course.toml")
    assert [m.title for m in course.modules] == [
        "Ontology: definitions", "Governance: participation and democracy", "Privacy and security",
        "Equality and justice", "The role of cities and public officials", "Epistemology: methodologies",
        "Best/worst practices", "Alternatives, futures"]
    assert course.episodes == ()


@pytest.mark.parametrize("old, new, expected", [
    ('title = "Episode one"', 'titel = "Episode one"', "[[episodes]] 'ep1'.titel: unknown key (did you mean 'title'?)"),
    ('summary = "The first episode."\n', "", "[[episodes]] 'ep1': missing required key 'summary'"),
    ('module = 1', 'module = 7', "[[episodes]] 'ep1'.module: module 7 is not in [[modules]]"),
    ('speakers = ["host", "guest"]', 'speakers = ["host", "nobody"]', "speaker 'nobody' is not in [[speakers]]"),
    ('owner_email = "team@example.org"', 'owner_email = "team-at-example"', "[course].owner_email: 'team-at-example' is not an e-mail address"),
    ('base_url = "https://example.org/test/"', 'base_url = "example.org"', "[course].base_url: 'example.org' is not an http(s) URL"),
    ('file = "ep1.wav"', 'file = "../secret.wav"', "'../secret.wav' leaves raw_interviews/"),
    ('file = "ep1.wav"', 'file = "/etc/passwd"', "'/etc/passwd' leaves raw_interviews/"),
    ('keep = [["00:00:00.000", "00:00:01.500"]]', 'keep = [["00:00:01.500", "00:00:00.500"]]', "ends (00:00:00.500) before it starts (00:00:01.500)"),
    ('keep = [["00:00:00.000", "00:00:01.500"]]', 'keep = [["00:00:00.000", "1:5"]]', "'1:5' is not a time; write HH:MM:SS.mmm, H:MM:SS, MM:SS"),
    ('date = 2026-09-01', 'date = "first of september"', "is not a date; write date = 2026-09-01"),
    ('[[speakers]]\nid = "guest"', '[[speakers]]\nid = "host"', "[[speakers]] #2.id: 'host' is used more than once"),
    ('role = "guest"', 'role = "star"', "'star' is not a role"),
])
def test_each_mistake_is_named_with_its_place(tmp_path, old, new, expected):
    assert old in MINIMAL_COURSE
    problems = problems_of(tmp_path, MINIMAL_COURSE.replace(old, new, 1))
    assert any(expected in p for p in problems), problems
    assert all(re.match(r"course\.toml:\d+: ", p) for p in problems), problems


def test_duplicate_episode_slug_and_number(tmp_path):
    episode = MINIMAL_COURSE[MINIMAL_COURSE.index("[[episodes]]"):]
    problems = problems_of(tmp_path, MINIMAL_COURSE + episode)
    assert any("[[episodes]] #2.slug: 'ep1' is used more than once" in p for p in problems)
    assert any("(module, number)" in p and "more than once" in p for p in problems)


def test_unknown_settings_key_and_wrong_type(tmp_path):
    problems = problems_of(tmp_path, MINIMAL_COURSE + "\n[audio]\ntarget_lufs = -16\ncrossfade_ms = 'long'\n")
    assert any("[audio].target_lufs: unknown key (did you mean" in p for p in problems)
    assert any("[audio].crossfade_ms: must be a int" in p for p in problems)


def test_missing_unreadable_and_short_recordings(tmp_path):
    make_tone(tmp_path / "raw_interviews" / "ep1.wav", seconds=1.0)
    (tmp_path / "raw_interviews" / "broken.wav").write_bytes(b"RIFF\x00\x00not really a wave file")
    text = MINIMAL_COURSE.replace('keep = [["00:00:00.000", "00:00:01.500"]]',
                                  'keep = [["00:00:00.000", "00:00:01.500"]]\n\n'
                                  '[[episodes.sources]]\nfile = "missing.wav"\n\n'
                                  '[[episodes.sources]]\nfile = "broken.wav"\n')
    text += ('\n[[episodes]]\nslug = "ep2"\nmodule = 1\nnumber = 2\ntitle = "Two"\nsummary = "Two."\n'
             'date = 2026-09-02\nspeakers = []\n\n[[episodes.sources]]\nfile = "ep1.wav"\nkind = "video"\n')
    problems = problems_of(tmp_path, text, probe=True)
    joined = "\n".join(problems)
    assert "ends at 00:00:01.500, past the end of raw_interviews/ep1.wav (00:00:01.000)" in joined
    assert "raw_interviews/missing.wav does not exist" in joined
    assert "raw_interviews/broken.wav is not a readable recording" in joined
    assert 'raw_interviews/ep1.wav has no video stream but kind = "video"' in joined


def test_ten_mistakes_ten_messages_no_traceback(tmp_path):
    """The CLI reports every mistake at once, exits non-zero and prints no traceback."""
    text = (MINIMAL_COURSE
            .replace('title = "Episode one"', 'titel = "Episode one"')
            .replace('module = 1\nnumber = 1', 'module = 9\nnumber = 1')
            .replace('speakers = ["host", "guest"]', 'speakers = ["host", "ghost"]')
            .replace('owner_email = "team@example.org"', 'owner_email = "nope"')
            .replace('base_url = "https://example.org/test/"', 'base_url = "ftp:/x"')
            .replace('file = "ep1.wav"', 'file = "../ep1.wav"')
            .replace('["00:00:00.000", "00:00:01.500"]', '["00:00:02.000", "00:00:01.000"]')
            .replace('date = 2026-09-01', 'date = "soon"')
            .replace('language = "en"', 'language = "English!"')
            .replace('role = "guest"', 'role = "celebrity"'))
    (tmp_path / "course.toml").write_text(text, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "pipeline", "--course", str(tmp_path / "course.toml"), "check"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("  - ")]
    assert len(lines) >= 10, proc.stderr
    assert "problems in the course file" in proc.stderr


def test_build_refuses_bad_setting_values_before_any_stage_runs(course_dir):
    """Every wrong value is named with its place and fix, and nothing is built."""
    text = (course_dir / "course.toml").read_text(encoding="utf-8") + """
[audio]
channels = "strereo"

[transcription]
engine = "fast-whisper"

[print]
paper = "A3"
"""
    (course_dir / "course.toml").write_text(text, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "pipeline", "--course", str(course_dir / "course.toml"), "build"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert re.search(r"course\.toml:\d+: " + re.escape("[audio].channels: 'strereo'"), proc.stderr) and "[audio].channels: 'strereo': use one of 'auto', 'mono', 'stereo'" in proc.stderr
    assert re.search(r"course\.toml:\d+: " + re.escape("[transcription].engine: 'fast-whisper'"), proc.stderr) and "[transcription].engine: 'fast-whisper': use one of 'auto', 'faster-whisper'" in proc.stderr
    assert re.search(r"course\.toml:\d+: " + re.escape("[print].paper: 'A3'"), proc.stderr) and "[print].paper: 'A3': use one of 'A4', 'Letter'" in proc.stderr
    built = [p for p in course_dir.rglob("*") if p.is_file() and p.parent.name in ("episodes", "transcripts")]
    assert built == [] and not (course_dir / ".coursecast" / "state.json").exists()


def test_the_model_must_know_the_episode_language(tmp_path):
    swedish = MINIMAL_COURSE.replace('date = 2026-09-01', 'date = 2026-09-01\nlanguage = "sv"')
    problems = problems_of(tmp_path, swedish)
    assert any("[[episodes]] 'ep1'.language: 'sv', but [transcription] model = 'tiny.en' knows English only; "
               "set model = 'base' (multilingual: it transcribes 'sv', and works offline" in p for p in problems), problems
    (tmp_path / "course.toml").write_text(
        swedish.replace("[[speakers]]", '[transcription]\nmodel = "base"\n\n[[speakers]]', 1), encoding="utf-8")
    assert course_file.load(tmp_path / "course.toml").episodes[0].language == "sv"  # base knows Swedish
    auto = MINIMAL_COURSE.replace('date = 2026-09-01', 'date = 2026-09-01\nlanguage = "auto"')
    assert any("'auto', but [transcription] model = 'tiny.en' knows English only" in p for p in problems_of(tmp_path, auto))
    sami = MINIMAL_COURSE.replace('date = 2026-09-01', 'date = 2026-09-01\nlanguage = "se"')
    assert any("'se': Whisper cannot transcribe this language" in p for p in problems_of(tmp_path, sami))


def test_hostile_characters_and_bad_toml(tmp_path):
    problems = problems_of(tmp_path, MINIMAL_COURSE.replace('title = "Test course"', 'title = "bad\\u0007bell"'))
    assert any("[course].title: contains the control character U+0007 (BEL)" in p for p in problems)
    for char in ("\\u001b", "\\u007f", "\\u0085", "\\u009b"):  # ESC, DEL, and C1 (NEL, CSI)
        text = MINIMAL_COURSE.replace('title = "Episode one"', f'title = "Episode{char}one"')
        assert any("'ep1'.title: contains the control character U+00" in p for p in problems_of(tmp_path, text))
    text = MINIMAL_COURSE.replace('categories = ["Education > Courses"]', 'categories = ["Education\\u0000"]')
    assert any("[course].categories: contains the control character U+0000 (NUL)" in p
               for p in problems_of(tmp_path, text))
    problems = problems_of(tmp_path, "[course\ntitle = 1")
    assert "not valid TOML" in problems[0]
