"""Shared fixtures: tiny course folders and generated media (real ffmpeg, 1-3 s)."""
from __future__ import annotations

import re
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


def episode_table(slug: str, file: str, *, title: str, summary: str, kind: str = "", extra: str = "") -> str:
    """One [[episodes]] table of module 1, spoken by the host, with one recording (`kind` "video" or the default);
    `extra`: more lines of the episode (chapters, ...)."""
    source_kind = f'kind = "{kind}"\n' if kind else ""
    return f"""
[[episodes]]
slug = "{slug}"
module = 1
number = 1
title = "{title}"
summary = "{summary}"
date = 2026-09-01
speakers = ["host"]
{extra}
[[episodes.sources]]
file = "{file}"
{source_kind}"""


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


# -- real speech: how many tests ran on it, and why any did not (issue 20) -------------------
REAL_SPEECH_READ = re.compile(r"\bSPEECH\b|\bspeech\(")  # in a test's or its fixtures' source: reads ../shared/speech
REAL_SPEECH_SKIP = ("real speech", "shared/speech", str(SHARED_SPEECH))  # in a skip's reason: no real speech


def _reads_real_speech(item) -> bool:
    import inspect

    if any(any(s in str(m.kwargs.get("reason", "")) for s in REAL_SPEECH_SKIP) for m in item.iter_markers("skipif")):
        return True
    functions = [getattr(item, "function", None)]
    info = getattr(item, "_fixtureinfo", None)
    for defs in (info.name2fixturedefs.values() if info else ()):
        functions += [d.func for d in defs]
    for function in functions:
        try:
            source = inspect.getsource(function) if function else ""
        except (OSError, TypeError):
            continue
        if REAL_SPEECH_READ.search(source):
            return True
    return False


def pytest_collection_modifyitems(config, items):
    """Mark every test that reads ../shared/speech `real_speech` (it may also be marked by hand)."""
    for item in items:
        if item.get_closest_marker("real_speech") is None and _reads_real_speech(item):
            item.add_marker(pytest.mark.real_speech)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One line: how many real-speech tests ran, and why any did not."""
    ran = not_run = 0
    reasons: dict[str, int] = {}
    for key in ("passed", "failed", "error", "skipped", "xfailed", "xpassed"):
        for report in terminalreporter.stats.get(key, []):
            if report.when not in ("call", "setup") or (report.when == "setup" and report.passed):
                continue
            marked = "real_speech" in getattr(report, "keywords", {})
            reason = str(report.longrepr[2]) if report.skipped and isinstance(report.longrepr, tuple) else ""
            if not marked and not any(s in reason for s in REAL_SPEECH_SKIP):
                continue
            if report.skipped:
                not_run += 1
                reason = reason.removeprefix("Skipped: ")
                reasons[reason] = reasons.get(reason, 0) + 1
            else:
                ran += 1
    why = "; ".join(f"{count} x {reason}" for reason, count in sorted(reasons.items(), key=lambda r: -r[1]))
    terminalreporter.write_line(f"real speech ({SHARED_SPEECH}): {ran} test(s) ran on it, {not_run} did not"
                                + (f" ({why})" if why else ""))
