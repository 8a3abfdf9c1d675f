"""Fonts, page geometry and paragraph styles of the printed transcripts (the print stage).

Only embedded Unicode TrueType fonts are used: the standard 14 PDF fonts cannot
set Łódź, Ærø or typographic quotes. The files come from `core.fonts`.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from ..core.errors import StageError
from ..core.fonts import FACES, find_font, install_hint
from ..core.settings import PrintSettings

log = logging.getLogger("coursecast.print")

PAPER = {"A4": A4, "Letter": LETTER}  # points (1/72 inch): A4 595x842, Letter 612x792

ACCENT_HEX = "#23405e"  # speaker names and headings: dark slate blue
MUTED_HEX = "#6f6f6f"  # timecodes, running heads, footers
INK = colors.HexColor("#1b1b1b")  # body text: soft black
ACCENT = colors.HexColor(ACCENT_HEX)
MUTED = colors.HexColor(MUTED_HEX)
RULE = colors.HexColor("#b9b9b9")  # hairlines
LOW_CONFIDENCE = "#e3e3e3"  # light grey shading behind low-confidence words (proof edition)

BODY_PT = 10.5  # points, body text
BODY_LEADING_PT = 15.0  # points, reading edition
PROOF_LEADING_PT = 17.0  # points, proof edition: room for marks between lines
PARA_SPACE_PT = 6.0  # points between paragraphs
NAME_PT = BODY_PT  # points, run-in speaker names
TIMECODE_PT = BODY_PT  # points, run-in timecodes
LINE_NUMBER_PT = 7.0  # points, proof line numbers
HEAD_PT = 7.5  # points, running head and footer


@dataclass(frozen=True)
class Geometry:
    """Page size and margins, in points."""

    page: tuple[float, float]  # width, height
    left: float
    right: float
    top: float
    bottom: float

    @property
    def text_width(self) -> float:
        return self.page[0] - self.left - self.right


def geometry(settings: PrintSettings, proof: bool) -> Geometry:
    """Reading edition: even 27 mm margins; proof: wide margins for numbers and notes."""
    page = PAPER.get(settings.paper)
    if page is None:
        raise StageError(f"[print] paper = {settings.paper!r} is not a paper size; use \"A4\" or \"Letter\"")
    if proof:
        return Geometry(page, left=36 * mm, right=46 * mm, top=24 * mm, bottom=24 * mm)
    return Geometry(page, left=27 * mm, right=27 * mm, top=24 * mm, bottom=24 * mm)


# -- fonts ------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def register_family(family: str) -> str:
    """Register the four faces with reportlab (once); returns the regular face's font name."""
    names = {}
    for face in FACES:
        path = find_font(family, face)
        names[face] = path.stem
        if path.stem not in pdfmetrics.getRegisteredFontNames():
            try:
                pdfmetrics.registerFont(TTFont(path.stem, str(path)))
            except TTFError as e:
                raise StageError(f"{path}: not a usable TrueType font ({e}); {install_hint(family)}") from e
    pdfmetrics.registerFontFamily(names["regular"], normal=names["regular"], bold=names["bold"],
                                  italic=names["italic"], boldItalic=names["bolditalic"])
    return names["regular"]


def face(family: str, which: str) -> str:
    """The registered font name of one face ('bold', 'italic', ...) of a registered family."""
    register_family(family)
    return find_font(family, which).stem


def every_face(*families: str) -> tuple[str, ...]:
    """The registered font names of every face of `families` (what a document may draw a character with)."""
    return tuple(dict.fromkeys(face(family, which) for family in families for which in FACES))


# -- paragraph styles -----------------------------------------------------------------
@dataclass(frozen=True)
class Styles:
    """Every paragraph style of one document, built from [print] settings."""

    serif: str  # registered font name of the body family
    sans: str  # registered font name of the heading family
    sans_bold: str
    body: ParagraphStyle
    chapter: ParagraphStyle
    kicker: ParagraphStyle  # course and module above an episode title
    cover_kicker: ParagraphStyle  # the line above a title page's title
    title: ParagraphStyle  # episode title
    booklet_title: ParagraphStyle
    meta: ParagraphStyle  # date and duration, title-page notes
    speaker: ParagraphStyle  # one line per speaker: name, role, affiliation
    summary: ParagraphStyle
    note: ParagraphStyle  # the proof edition's legend
    toc: tuple[ParagraphStyle, ...]  # per table-of-contents level


def _style(name: str, font: str, size: float, leading: float, **extra) -> ParagraphStyle:
    base = dict(textColor=INK, alignment=TA_LEFT, hyphenationLang="", allowWidows=0, allowOrphans=0)
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, **{**base, **extra})


def styles(settings: PrintSettings, proof: bool = False) -> Styles:
    serif, sans = register_family(settings.font), register_family(settings.heading_font)
    serif_italic, sans_bold = face(settings.font, "italic"), face(settings.heading_font, "bold")
    serif_bold = face(settings.font, "bold")
    leading = PROOF_LEADING_PT if proof else BODY_LEADING_PT
    return Styles(
        serif=serif, sans=sans, sans_bold=sans_bold,
        body=_style("body", serif, BODY_PT, leading, spaceBefore=PARA_SPACE_PT),
        chapter=_style("chapter", sans_bold, 12.5, 16, spaceBefore=20, spaceAfter=4, keepWithNext=1,
                       textColor=ACCENT),
        kicker=_style("kicker", sans, 8.5, 12, textColor=MUTED, spaceAfter=10),
        cover_kicker=_style("cover-kicker", sans_bold, 10.5, 14, textColor=ACCENT, spaceAfter=14),
        title=_style("title", serif_bold, 22, 27, spaceAfter=8, keepWithNext=1),
        booklet_title=_style("booklet-title", serif_bold, 30, 36, spaceAfter=14),
        meta=_style("meta", sans, 9, 13.5, textColor=MUTED, spaceAfter=2),
        speaker=_style("speaker", sans, 9, 14),
        summary=_style("summary", serif_italic, 11, 16, spaceBefore=10, spaceAfter=6),
        note=_style("note", sans, 8, 11.5, textColor=MUTED, spaceBefore=6),
        toc=(
            _style("toc0", sans_bold, 10, 14, spaceBefore=10, textColor=ACCENT, rightIndent=30),
            _style("toc1", serif, 10.5, 15, leftIndent=14, spaceBefore=2, rightIndent=30),
            _style("toc2", serif, 9.5, 13, leftIndent=28, textColor=MUTED, rightIndent=30),
        ),
    )

