#!/usr/bin/env bash
# Set up everything coursecast needs on a fresh Debian/Ubuntu machine:
# system packages (apt, when root), a virtual environment with torch 2.13.0 (CPU)
# installed before anything that depends on torch, openai-whisper without triton,
# coursecast itself, and the npm feed parser used by the tests.
# Re-running is cheap: each step is skipped when its inputs have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
TORCH_VERSION=2.13.0                 # CPU wheel; any other version pulls GBs of CUDA packages
WHISPER_VERSION=20250625             # openai-whisper, installed --no-deps (skips triton)
APT_PACKAGES=(ffmpeg espeak-ng sox poppler-utils qpdf chromium fonts-dejavu-core fonts-noto-core nodejs npm)
APT_COMMANDS=(ffmpeg ffprobe espeak-ng sox pdftotext pdffonts qpdf chromium node npm)
STAMP="$VENV/.coursecast-setup"

say() { printf 'setup: %s\n' "$*"; }

system_packages() {
    local missing=()
    for cmd in "${APT_COMMANDS[@]}"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd"); done
    [ -e /usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf ] || missing+=("fonts-dejavu-core")
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        say "missing system tools: ${missing[*]}"
        say "run this once, then 'make setup' again:"
        echo "  sudo apt-get update && sudo apt-get install -y ${APT_PACKAGES[*]}"
        exit 1
    fi
    say "installing system packages: ${APT_PACKAGES[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null
}

python_env() {
    local key
    key=$(cat pyproject.toml scripts/setup.sh tests/js/package-lock.json 2>/dev/null | sha256sum | cut -c1-16)
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$key" ] && [ -x "$VENV/bin/coursecast" ]; then
        say "virtual environment $VENV is up to date"
        return 0
    fi
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    local pip=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)
    say "installing torch $TORCH_VERSION (CPU) first"
    "${pip[@]}" "torch==$TORCH_VERSION"
    say "installing openai-whisper $WHISPER_VERSION without triton"
    "${pip[@]}" --no-deps "openai-whisper==$WHISPER_VERSION"
    say "installing coursecast and its dependencies"
    "${pip[@]}" -e ".[test,bench]"
    if [ -f tests/js/package-lock.json ]; then
        say "installing the npm feed parser for the tests"
        npm ci --silent --no-audit --no-fund --prefix tests/js >/dev/null
    fi
    echo "$key" > "$STAMP"
    say "done: $VENV"
}

system_packages
python_env
