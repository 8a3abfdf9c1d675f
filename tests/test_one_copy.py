"""One copy of each helper (issue 20): each concept below is defined in one module of pipeline/."""
from __future__ import annotations

import re

import pytest

from paths import REPO

SOURCES = {p.relative_to(REPO).as_posix(): p.read_text(encoding="utf-8") for p in (REPO / "pipeline").rglob("*.py")}
CONCEPTS = {  # what defines the concept -> the one module allowed to
    r"SENTENCE_END\s*=\s*re\.compile": "pipeline/core/text.py",
    r"\{[^{}]*:02d\}:\{[^{}]*:02d\}": "pipeline/core/timecode.py",  # a clock written by hand
    r"def speaker_names\(": "pipeline/speakers/stage.py",
    r"whisper\.load_model\(": "pipeline/transcribe/models.py",  # the openai-whisper model cache
    r"def vtt_time\(|def _ass_stamp\(|def _clock\(seconds: float\) -> str:\n    text = format_timecode": "",
    r"def _tighten_word\(|def _trim\(word": "",  # the word-edge trimmer is transcribe.guards.tighten_word
    r"os\.replace\(tmp, target\)": "",  # pinned files are written by core/pinned.py (through core/fsutil)
}


@pytest.mark.parametrize("pattern", sorted(CONCEPTS))
def test_each_concept_is_defined_in_one_module(pattern):
    found = sorted(path for path, text in SOURCES.items() if re.search(pattern, text))
    assert found == ([CONCEPTS[pattern]] if CONCEPTS[pattern] else []), found
