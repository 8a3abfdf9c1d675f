"""Fonts: one place that turns a family name into a TrueType file, for PDFs, burned-in captions and artwork.

Fonts are found by their usual file names under the system font folders first
(no subprocess, same answer every time), then by `fc-match`. A font that is
missing, is not TrueType, or cannot set the Nordic letters the course needs is a
FontError that says what to install. The file found is an input of every task
that draws with it, so a changed font file rebuilds what it drew.
"""
from __future__ import annotations

import functools
import logging
import shlex
import shutil
import subprocess
from pathlib import Path

from .errors import StageError

log = logging.getLogger("coursecast.fonts")

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")
FACES = ("regular", "bold", "italic", "bolditalic")
NORDIC_LETTERS = "ÅÄÖØÆÐÞåäöøæðþ"  # every font coursecast draws with must set these
_FILE_SUFFIXES = {  # file-name endings a face has in DejaVu, Noto, Liberation, ...
    "regular": ("", "-Regular", "-Book", "-Roman"),
    "bold": ("-Bold",),
    "italic": ("-Italic", "-Oblique"),
    "bolditalic": ("-BoldItalic", "-BoldOblique"),
}
_FC_STYLES = {"regular": "", "bold": ":bold", "italic": ":italic", "bolditalic": ":bold:italic"}


class FontError(StageError):
    """A font family that is not installed as a usable TrueType file."""


def install_hint(family: str) -> str:
    package = "fonts-noto-core" if family.lower().startswith("noto") else "fonts-dejavu-core"
    return (f"install it with 'apt-get install {package}', or choose an installed TrueType family "
            "(list them with 'fc-list : family')")


@functools.lru_cache(maxsize=None)
def find_font(family: str, face: str = "regular") -> Path:
    """The TrueType file of one face of `family`; a missing bold or italic face falls back to the regular one."""
    if face not in FACES:
        raise ValueError(f"face {face!r}: use one of {', '.join(FACES)}")
    path = _by_file_name(family, face) or _by_fc_match(family, face)
    if path is None and face != "regular":
        return find_font(family, "regular")
    if path is None:
        raise FontError(f"font '{family}' is not installed as a TrueType (.ttf) file with the letters "
                        f"{NORDIC_LETTERS}; {install_hint(family)}")
    return path


def first_font(families: tuple[str, ...], face: str = "regular") -> Path:
    """The first of `families` that is installed (artwork takes whichever sans is there)."""
    for family in families:
        try:
            return find_font(family, face)
        except FontError:
            continue
    raise FontError(f"none of the fonts {', '.join(families)} is installed; {install_hint(families[0])}")


def _by_file_name(family: str, face: str) -> Path | None:
    stem = family.replace(" ", "")
    for folder in FONT_DIRS:
        if not folder.is_dir():
            continue
        for suffix in _FILE_SUFFIXES[face]:
            found = sorted(folder.rglob(f"{stem}{suffix}.ttf"))
            if found:
                return found[0]
    return None


def _by_fc_match(family: str, face: str) -> Path | None:
    """fontconfig's file for the family and face, only when it really is that family and sets Nordic letters."""
    fc_match = shutil.which("fc-match")
    if not fc_match:
        return None
    charset = " ".join(f"{ord(c):x}" for c in NORDIC_LETTERS)
    cmd = [fc_match, "-f", "%{family}\t%{file}", f"{family}{_FC_STYLES[face]}:charset={charset}"]
    log.debug("%s", shlex.join(cmd))
    proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    families, _, file = proc.stdout.partition("\t")
    names = {name.strip().lower() for name in families.split(",")}
    if proc.returncode != 0 or family.lower() not in names or not file.lower().endswith(".ttf"):
        return None  # fc-match answers with a fallback family when the asked one is missing
    return Path(file)
