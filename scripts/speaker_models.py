#!/usr/bin/env python3
"""Fetch and verify the speaker models (pyannote segmentation-3.0 ONNX, resemblyzer encoder).

Run by `make setup`; safe to re-run: files already present with the right sha256 are kept.
Usage: .venv/bin/python scripts/speaker_models.py [--folder DIR]
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.core.errors import CoursecastError  # noqa: E402
from pipeline.speakers.models import fetch_models  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=None, help="cache folder (default ~/.cache/coursecast/models)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="setup: %(message)s")
    try:
        paths = fetch_models(args.folder)
        print(f"setup: speaker models verified: {', '.join(p.name for p in paths)} in {paths[0].parent}")
    except CoursecastError as problem:
        print(f"setup: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
