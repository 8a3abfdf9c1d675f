"""[audio] level_voices and denoise: the defaults, and values no stage could use refused when the file loads."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core import course_file
from pipeline.core.errors import CourseFileError
from pipeline.core.settings import AudioSettings

from conftest import MINIMAL_COURSE


def _problems(tmp_path: Path, audio: str) -> list[str]:
    path = tmp_path / "course.toml"
    path.write_text(MINIMAL_COURSE + "\n[audio]\n" + audio, encoding="utf-8")
    with pytest.raises(CourseFileError) as caught:
        course_file.load(path)
    return caught.value.problems


def test_defaults_level_and_denoise_where_measured():
    assert AudioSettings().level_voices is True and AudioSettings().denoise == "auto"


@pytest.mark.parametrize("audio, expected", [
    ('denoise = "strong"\n', "[audio].denoise"),
    ("denoise = true\n", "[audio].denoise: must be a str"),
    ('level_voices = "yes"\n', "[audio].level_voices: must be a bool"),
])
def test_values_no_stage_could_use_are_refused(tmp_path, audio, expected):
    problems = _problems(tmp_path, audio)
    assert any(expected in p for p in problems), problems


def test_allowed_values_load(tmp_path):
    for mode in ("auto", "on", "off"):
        path = tmp_path / "course.toml"
        path.write_text(MINIMAL_COURSE + f'\n[audio]\ndenoise = "{mode}"\nlevel_voices = false\n', encoding="utf-8")
        course = course_file.load(path)
        assert course.audio.denoise == mode and course.audio.level_voices is False
