"""Characters the chosen fonts cannot set (Arabic, CJK, emoji...) are set in an installed font that can.

reportlab draws every character in the paragraph's font, and a character the font lacks comes out
as an empty box. Here each character outside the document's fonts is looked up once in fontconfig
(`fc-list :charset=...`), the TrueType file that has it is registered, and the character is wrapped
in `<font name=...>`. Noto (fonts-noto-core) is preferred; CJK comes from Droid Sans Fallback
(fonts-droid-fallback: Noto CJK is CFF, which reportlab cannot embed) and pictographs from DejaVu
or Symbola (fonts-symbola: Noto Color Emoji is a bitmap font reportlab cannot use). A character
no installed font has is a located refusal: `problems` names the course file's field, and `markup`
the text it is in. reportlab sets Arabic and Hebrew unshaped, left to right: the letters are
there (they extract and search), joined forms are not.

reportlab writes a character beyond U+FFFF (an emoji) into the PDF's ToUnicode map as five hex
digits, which readers misread (😀 extracts as ὠ); `_to_unicode_cmap` writes it as the UTF-16 pair
the PDF reference asks for, so copying and searching find the character that was printed.
"""
from __future__ import annotations

import contextvars
import functools
import logging
import re
import shlex
import shutil
import subprocess
import unicodedata
from pathlib import Path

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from ..core.errors import StageError

log = logging.getLogger("coursecast.print")

PREFERRED = ("/noto/NotoSans-", "/noto/NotoSans", "/noto/NotoSerif", "/noto/", "/dejavu/DejaVuSans.",
             "/droid/", "/Symbola")  # fallback files, best first (a path containing the text)
INSTALL = "install fonts-noto-core, fonts-droid-fallback and fonts-symbola ('make setup' does)"
INVISIBLE = {"Mn", "Me", "Cf"}  # combining marks, variation selectors, joiners: dropped when no font has them
_LONG_CODE = re.compile(r"<([0-9A-F]{2})> <([0-9A-F]{5,6})>")  # a bfchar line of a character past U+FFFF
_PRIMARY: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("primary_fonts", default=())


def use(fonts: tuple[str, ...]) -> None:
    """The registered fonts the document draws with (every character they all have is left as it is)."""
    _PRIMARY.set(tuple(fonts))


@functools.lru_cache(maxsize=None)
def _cmap(font: str) -> frozenset[int]:
    return frozenset(pdfmetrics.getFont(font).face.charToGlyph)


def _covered(char: str, fonts: tuple[str, ...]) -> bool:
    return char.isascii() or all(ord(char) in _cmap(f) for f in fonts)


@functools.lru_cache(maxsize=None)
def font_for(char: str) -> str | None:
    """The registered name of an installed TrueType font that has `char`, or None."""
    for path in _candidates(ord(char)):
        name = "fallback-" + Path(path).stem
        try:
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(name, path))
        except (TTFError, OSError) as e:  # CFF outlines, a damaged file: the next candidate
            log.debug("%s: not usable as a fallback (%s)", path, e)
            continue
        if ord(char) in _cmap(name):
            return name
    return None


def _candidates(code: int) -> list[str]:
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return []
    cmd = [fc_list, f":charset={code:x}", "file"]
    log.debug("%s", shlex.join(cmd))
    out = subprocess.run(cmd, capture_output=True, text=True, errors="replace").stdout
    files = sorted(line.split(":")[0].strip() for line in out.splitlines() if line.split(":")[0].endswith(".ttf"))
    rank = lambda p: next((i for i, part in enumerate(PREFERRED) if part in p), len(PREFERRED))  # noqa: E731
    return sorted(files, key=lambda p: (rank(p), "Bold" in p or "Italic" in p, len(p), p))


def _printable(char: str) -> bool:
    return char.isascii() or unicodedata.category(char) not in INVISIBLE


def markup(escaped: str) -> str:
    """Escaped paragraph text with every character the document's fonts lack wrapped in a font that has it."""
    fonts = _PRIMARY.get()
    if not fonts or all(_covered(c, fonts) for c in escaped):
        return escaped
    out: list[str] = []
    for font, text in _pieces(escaped, fonts):
        if font is None:
            out.append(text)
        else:
            out.append(f'<font name="{font}">{text}</font>')
    return "".join(out)


def _pieces(escaped: str, fonts: tuple[str, ...]) -> list[tuple[str | None, str]]:
    """(fallback font or None for the paragraph's own, text) runs; StageError for a character nothing has."""
    pieces: list[tuple[str | None, str]] = []
    for char in escaped:
        font = None if _covered(char, fonts) or char.isspace() else font_for(char)
        if font is None and not (_covered(char, fonts) or char.isspace()):
            if _printable(char):
                raise StageError(f"{_named(char)} in “{_excerpt(escaped, char)}”: no installed font can print "
                                 f"it; {INSTALL}, or remove the character")
            continue  # an invisible mark no font has: nothing is lost
        if pieces and pieces[-1][0] == font:
            pieces[-1] = (font, pieces[-1][1] + char)
        else:
            pieces.append((font, char))
    return pieces


def runs(text: str, font: str) -> list[tuple[str, str]]:
    """(font, text) pieces of a line drawn on the canvas in `font`, each character in a font that has it."""
    pieces: list[tuple[str, str]] = []
    for char in text:
        chosen = font if _covered(char, (font,)) or char.isspace() else font_for(char)
        if chosen is None:
            continue  # a running head: the text itself was refused where it is printed in full
        if pieces and pieces[-1][0] == chosen:
            pieces[-1] = (chosen, pieces[-1][1] + char)
        else:
            pieces.append((chosen, char))
    return pieces


def problems(fields: list[tuple[str, str]], fonts: tuple[str, ...]) -> list[str]:
    """'<where>: U+... (c) ...' for each (where, text) with a character neither `fonts` (registered names)
    nor any installed font has."""
    found = []
    for where, text in fields:
        missing = [c for c in dict.fromkeys(text or "") if not _covered(c, fonts) and _printable(c)
                   and not c.isspace() and font_for(c) is None]
        found += [f"{where}: {_named(c)}: no installed font can print it in the PDFs; {INSTALL}, or remove it"
                  for c in missing[:3]]
    return found


def _named(char: str) -> str:
    return f"U+{ord(char):04X} ({char}, {unicodedata.name(char, 'unnamed')})"


def _excerpt(text: str, char: str, width: int = 30) -> str:
    at = text.index(char)
    return text[max(0, at - width): at + width]


def draw(canv, x: float, y: float, text: str, font: str, size: float, *, right: bool = False) -> None:
    """drawString (or, `right`, drawRightString) of one line, each character in a font that has it."""
    pieces = runs(text, font)
    if right:
        x -= sum(pdfmetrics.stringWidth(piece, name, size) for name, piece in pieces)
    for name, piece in pieces:
        canv.setFont(name, size)
        canv.drawString(x, y, piece)
        x += pdfmetrics.stringWidth(piece, name, size)


def _to_unicode_cmap(fontname, subset, _original=ttfonts.makeToUnicodeCMap) -> str:
    """reportlab's ToUnicode CMap, each character past U+FFFF written as its UTF-16BE surrogate pair."""
    pair = lambda m: f"<{m[1]}> <{chr(int(m[2], 16)).encode('utf-16-be').hex().upper()}>"  # noqa: E731
    return _LONG_CODE.sub(pair, _original(fontname, subset))


if ttfonts.makeToUnicodeCMap.__name__ != _to_unicode_cmap.__name__:
    ttfonts.makeToUnicodeCMap = _to_unicode_cmap
