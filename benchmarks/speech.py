"""Where the real speech is: ../shared/speech beside the repository (never copied in), and the few
recordings kept in the repository (tests/speech/README.md: the Italian and Portuguese clips)."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEECH = ROOT.parent / "shared" / "speech"
OWN_SPEECH = ROOT / "tests" / "speech"
LANGUAGES = ("de", "es", "fr", "it", "pt")  # multilingual/picovoice_<code>.wav: shared, else the repository's


def multilingual(code: str, speech: Path = SPEECH) -> Path:
    """The clip in language `code` (its reference beside it, `.txt`): under `speech`, else in the repository."""
    name = Path("multilingual") / f"picovoice_{code}.wav"
    return speech / name if (speech / name).is_file() else OWN_SPEECH / name
