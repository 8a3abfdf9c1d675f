"""Shared fixtures: tiny course folders and generated media (real ffmpeg, 1-3 s)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from paths import SPEECH as SHARED_SPEECH  # noqa: F401  (tests import it from here)


def make_tone(path: Path, seconds: float = 2.0, *, freq: int = 440, channels: int = 1, volume_db: float = -20) -> Path:
    """A short sine recording made by ffmpeg's lavfi source."""
    path.parent.mkdir(parents=True, exist_ok=True)
    layout = "mono" if channels == 1 else "stereo"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency={freq}:duration={seconds}",
         "-af", f"volume={volume_db}dB,aformat=channel_layouts={layout}", "-ar", "44100", str(path)],
        check=True)
    return path


def course_head(title: str = "Test course") -> str:
    """The [course] table and one module: the start of every test course file."""
    return f"""
[course]
title = "{title}"
author = "Team"
owner_name = "Team"
owner_email = "team@example.org"
language = "en"
base_url = "https://example.org/test/"
copyright = "© 2026 Team"
categories = ["Education > Courses"]

[[modules]]
number = 1
slug = "one"
title = "Module one"
"""


SPEAKERS = """
[[speakers]]
id = "host"
name = "Anna Host"
role = "host"

[[speakers]]
id = "guest"
name = "Erik Guest"
role = "guest"
"""

MINIMAL_COURSE = course_head() + SPEAKERS + """
[[episodes]]
slug = "ep1"
module = 1
number = 1
title = "Episode one"
summary = "The first episode."
date = 2026-09-01
speakers = ["host", "guest"]

[[episodes.sources]]
file = "ep1.wav"
keep = [["00:00:00.000", "00:00:01.500"]]
"""


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    """A course folder with one 2-second recording and a valid course.toml."""
    make_tone(tmp_path / "raw_interviews" / "ep1.wav")
    (tmp_path / "course.toml").write_text(MINIMAL_COURSE, encoding="utf-8")
    return tmp_path
