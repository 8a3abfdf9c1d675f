"""The suite's own rules (issue 20): our code that does not import fails a test, never skips it; `make test`
says in one line how many real-speech tests ran and why any did not."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from paths import REPO, TESTS

OURS = r"""["'](pipeline|benchmarks)[."']"""  # a module name of this repository


def test_no_test_skips_when_our_own_code_does_not_import():
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        if "node_modules" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.relative_to(REPO)}: {m.group(0)}"
                      for m in re.finditer(r"importorskip\(\s*" + OURS, text)]
    assert offenders == []


def _run(folder: Path) -> str:
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
                            cwd=folder, capture_output=True, text=True, timeout=120)
    return result.stdout


def test_the_summary_says_how_many_real_speech_tests_ran_and_why_the_others_did_not(tmp_path):
    suite = tmp_path / "repo" / "tests"  # ../shared/speech beside this copy is absent
    suite.mkdir(parents=True)
    for name in ("conftest.py", "paths.py"):
        shutil.copy(TESTS / name, suite / name)
    shared = "SPE" + "ECH"  # spelled apart: this test itself reads no real speech
    (suite / "test_speech.py").write_text(
        f"import pytest\nfrom paths import {shared}\n\n\n"
        "def test_reads_it():\n"
        f"    if not {shared}.is_dir():\n"
        f"        pytest.skip(f'real speech not available: {{{shared}}} is missing')\n\n\n"
        "@pytest.mark.real_speech\ndef test_marked_by_hand():\n    pass\n\n\n"
        "def test_no_speech():\n    pass\n", encoding="utf-8")
    out = _run(suite)
    line = next(x for x in out.splitlines() if x.startswith("real speech ("))
    assert f"{tmp_path / 'repo'}" in line or "shared" in line
    assert "1 test(s) ran on it, 1 did not (1 x real speech not available:" in line, out
