"""scripts/setup.sh as a fresh machine of the project's kind meets it: every tool missing but Node.js and
its own npm. The package set it would ask apt for must resolve (apt-get install -s), and a second run
on a machine that has everything must install nothing."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from paths import REPO

SETUP = REPO / "scripts" / "setup.sh"
APT_LISTS = Path("/var/lib/apt/lists")  # where apt-get update keeps the package indexes
SETUP_TIMEOUT_S = 1800  # a first run that has to reinstall the virtual environment takes minutes


def setup(*args: str, pretend_missing: list[str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "LC_ALL": "C"}
    env.pop("COURSECAST_SETUP_PRETEND_MISSING", None)
    if pretend_missing is not None:
        env["COURSECAST_SETUP_PRETEND_MISSING"] = " ".join(pretend_missing)
    return subprocess.run([str(SETUP), *args], cwd=REPO, capture_output=True, text=True, env=env, timeout=timeout)


def fresh_machine_packages() -> list[str]:
    """What setup asks apt for on a machine that lacks every tool except Node.js and npm."""
    tools = setup("--tools").stdout.split()
    assert {"ffmpeg", "chromium", "node", "npm"} <= set(tools)
    return setup("--missing-packages", pretend_missing=[t for t in tools if t not in ("node", "npm")]).stdout.split()


def test_one_package_per_missing_tool_and_never_debians_npm_beside_a_nodejs():
    packages = fresh_machine_packages()
    assert len(packages) == len(set(packages)), packages  # ffmpeg once for ffmpeg and ffprobe, and so on
    assert {"ffmpeg", "espeak-ng", "sox", "poppler-utils", "qpdf", "chromium", "fonts-dejavu-core"} <= set(packages)
    if shutil.which("node") and shutil.which("npm"):
        assert "npm" not in packages and "nodejs" not in packages
    assert setup("--missing-packages", pretend_missing=["node", "npm"]).stdout.split()[-2:] == ["nodejs", "npm"]


def test_the_package_set_of_a_fresh_machine_resolves_with_apt():
    if not shutil.which("apt-get"):
        pytest.skip("apt-get is not here: setup installs system packages only on Debian and Ubuntu")
    if not any(APT_LISTS.glob("*_Packages*")):
        pytest.skip(f"no package lists in {APT_LISTS}: run 'apt-get update' so that apt can resolve anything")
    packages = fresh_machine_packages()
    simulated = subprocess.run(["apt-get", "install", "-s", "--no-install-recommends", *packages],
                               capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"}, timeout=300)
    assert simulated.returncode == 0, f"apt cannot install {packages}:\n{simulated.stdout[-3000:]}{simulated.stderr}"
    assert "broken packages" not in simulated.stderr


def test_nodejs_without_npm_is_refused_with_the_fix():
    if not shutil.which("node"):
        pytest.skip("Node.js is not installed here")
    result = setup(pretend_missing=["npm"])
    assert result.returncode == 1
    assert "install npm from the same place as Node.js" in result.stdout
    assert "installing" not in result.stdout


def test_a_second_run_installs_nothing():
    first = setup(timeout=SETUP_TIMEOUT_S)
    if first.returncode != 0:
        pytest.skip(f"setup cannot complete on this machine (not root, or offline):\n{first.stdout}{first.stderr}")
    dpkg_status = Path("/var/lib/dpkg/status")
    before = dpkg_status.stat().st_mtime_ns if dpkg_status.exists() else None
    second = setup(timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    lines = second.stdout.splitlines()
    assert lines[:2] == ["setup: system tools: all present", "setup: virtual environment .venv is up to date"]
    assert len(lines) == 3 and lines[2].startswith("setup: speaker models verified: "), lines
    assert (dpkg_status.stat().st_mtime_ns if dpkg_status.exists() else None) == before
