"""The page machinery of the printed transcripts: document template, headings, line numbers.

`render` turns a list of flowables into a PDF, written atomically and
byte-for-byte reproducible (reportlab's `invariant` mode: no dates, no random
ids). Zero-size `Mark`s in the story tell the template what to print in the
running head; `Heading`s add themselves to the outline (bookmarks) and to the
table of contents; `NumberedParagraph` prints the proof edition's line numbers.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from reportlab import rl_config
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, KeepTogether, PageTemplate, Paragraph
from reportlab.platypus.doctemplate import FrameBreak, LayoutError

from ..core.errors import StageError
from ..core.fsutil import atomic_path
from . import fallback
from .styles import HEAD_PT, LINE_NUMBER_PT, MUTED, RULE, Geometry, Styles

CREATOR = "coursecast"  # the PDF's Creator entry
HEAD_GAP_PT = 10.0  # points between the running head's baseline and the text frame
FOOT_GAP_PT = 14.0  # points between the text frame and the footer's baseline
LINE_NUMBER_GAP_PT = 9.0  # points between a proof line number and its line
KEPT_LINES = 3  # lines of text that must fit below a heading, or the heading moves to the next page


@dataclass(frozen=True)
class DocInfo:
    """The PDF's metadata and the text of its page furniture."""

    title: str
    author: str
    subject: str
    language: str  # BCP 47, written to the catalog's /Lang
    copyright: str  # footer of every page but the title page
    date: dt.date  # written as the creation date (reportlab's invariant mode would write 2000-01-01)
    keywords: tuple[str, ...] = ()


class Mark(Flowable):
    """Invisible: sets the running head from here on; `first` hides it on this page."""

    def __init__(self, head: tuple[str, str] | None = None, *, first: bool = False, bare: bool = False):
        super().__init__()
        self.head, self.first, self.bare = head, first, bare

    def wrap(self, avail_width, avail_height):
        return 0, 0

    def draw(self):
        pass


class Heading(Paragraph):
    """A paragraph that is also a bookmark, an outline entry and (optionally) a TOC entry."""

    def __init__(self, text: str | None, style, *, key: str | None = None, label: str = "", outline_level: int = 0,
                 toc_level: int | None = None, **paragraph):
        super().__init__(text, style, **paragraph)  # reportlab's split makes the pieces with its own arguments
        self.key, self.label = key, label  # label: plain text for the outline and the TOC; key None: no entry
        self.outline_level, self.toc_level = outline_level, toc_level

    def split(self, avail_width, avail_height):
        """A heading too long for the page goes on over the next: the first piece carries the entries."""
        parts = super().split(avail_width, avail_height)
        for index, part in enumerate(parts):
            part.key, part.label = (self.key, self.label) if index == 0 else (None, "")
            part.outline_level, part.toc_level = self.outline_level, self.toc_level if index == 0 else None
        return parts

    def draw(self):
        if self.key is not None:
            self.canv.bookmarkHorizontal(self.key, 0, self.height + self.style.fontSize)
            self.canv.addOutlineEntry(self.label, self.key, self.outline_level, closed=self.outline_level > 0)
        super().draw()


class LineNumbers:
    """Line count of the page being drawn; starts again at 1 on every page."""

    def __init__(self, font: str):
        self.font = font
        self._page: tuple[int, int] = (0, 0)  # (canvas id, page number) being counted
        self._count = 0

    def next(self, canv) -> int:
        page = (id(canv), canv.getPageNumber())
        if page != self._page:
            self._page, self._count = page, 0
        self._count += 1
        return self._count


class NumberedParagraph(Paragraph):
    """A body paragraph with a line number in the left margin beside each line (proof edition)."""

    numbers: LineNumbers | None = None

    def draw(self):
        super().draw()
        if self.numbers is not None:
            self._draw_numbers()

    def _draw_numbers(self):
        para = self.blPara
        first = para if para.kind == 0 else para.lines[0]
        top = first.fontSize if rl_config.paraFontSizeHeightOffset else getattr(first, "ascent", first.fontSize)
        canv = self.canv
        canv.saveState()
        canv.setFont(self.numbers.font, LINE_NUMBER_PT)
        canv.setFillColor(MUTED)
        for index in range(len(para.lines)):
            baseline = self.height - top - index * self.style.leading
            canv.drawRightString(-LINE_NUMBER_GAP_PT, baseline, str(self.numbers.next(canv)))
        canv.restoreState()

    def split(self, avail_width, avail_height):
        parts = super().split(avail_width, avail_height)
        for part in parts:
            part.numbers = self.numbers
        return parts


class KeepHeading(KeepTogether):
    """keepWithNext for headings: they move to the next page unless KEPT_LINES lines of the
    paragraph after them fit too (reportlab's KeepTogether would move the whole paragraph)."""

    def split(self, avail_width, avail_height):
        *heads, body = self._content
        need = sum(self._height(f, avail_width, avail_height) + f.getSpaceBefore() + f.getSpaceAfter()
                   for f in heads) - heads[0].getSpaceBefore()  # the frame has taken that off already
        leading = getattr(getattr(body, "style", None), "leading", None)
        height = self._height(body, avail_width, avail_height)
        need += body.getSpaceBefore() + (min(height, KEPT_LINES * leading) if leading else height)
        at_top = getattr(getattr(self, "_frame", None), "_atTop", False)
        return list(self._content) if need <= avail_height or at_top else [FrameBreak(), *self._content]

    def _height(self, flowable, avail_width, avail_height) -> float:
        return flowable.wrapOn(self.canv, avail_width, avail_height)[1]


class TranscriptDoc(BaseDocTemplate):
    """One frame per page; running head, footer with copyright and page number; outline."""

    def __init__(self, filename: str, info: DocInfo, geom: Geometry, styles: Styles, recorder=None):
        super().__init__(
            filename, pagesize=geom.page, leftMargin=geom.left, rightMargin=geom.right,
            topMargin=geom.top, bottomMargin=geom.bottom, title=info.title, author=info.author,
            subject=info.subject, keywords=list(info.keywords), creator=CREATOR, lang=info.language,
            invariant=1, displayDocTitle=1, initialFontName=styles.serif, keepTogetherClass=KeepHeading,
        )
        self.info, self.geom, self.styles = info, geom, styles
        self.recorder = recorder  # index.PageRecorder: told of every flowable placed, with its page (or None)
        frame = Frame(geom.left, geom.bottom, geom.text_width, geom.page[1] - geom.top - geom.bottom,
                      id="text", leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate("page", [frame], onPageEnd=self._furniture)])

    def beforeDocument(self):
        self._head: tuple[str, str] | None = None
        self._headless: set[int] = set()  # pages with no running head (an episode's first page)
        self._bare: set[int] = set()  # pages with no head and no footer (title pages)
        self.canv.showOutline()
        date = self.info.date
        self.canv.setDateFormatter(lambda *_: f"D:{date:%Y%m%d}000000+00'00'")

    def afterFlowable(self, flowable):
        page = self.canv.getPageNumber()
        if self.recorder is not None:
            self.recorder.placed(flowable, page)
        if isinstance(flowable, Mark):
            self._head = flowable.head or self._head
            if flowable.first:
                self._headless.add(page)
            if flowable.bare:
                self._bare.add(page)
        elif isinstance(flowable, Heading) and flowable.toc_level is not None:
            self.notify("TOCEntry", (flowable.toc_level, _escape(flowable.label), page, flowable.key))

    def _furniture(self, canv, doc):
        page = canv.getPageNumber()
        if page in self._bare:
            return
        canv.saveState()
        if self._head and page not in self._headless:
            self._draw_head(canv, *self._head)
        self._draw_foot(canv, page)
        canv.restoreState()

    def _draw_head(self, canv, left: str, right: str):
        geom, y = self.geom, self.geom.page[1] - self.geom.top + HEAD_GAP_PT
        canv.setFont(self.styles.sans, HEAD_PT)
        canv.setFillColor(MUTED)
        fallback.draw(canv, geom.left, y, _fit(left, self.styles.sans, geom.text_width * 0.55), self.styles.sans, HEAD_PT)
        fallback.draw(canv, geom.page[0] - geom.right, y, _fit(right, self.styles.sans, geom.text_width * 0.42),
                      self.styles.sans, HEAD_PT, right=True)
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.4)
        canv.line(geom.left, y - 4, geom.page[0] - geom.right, y - 4)

    def _draw_foot(self, canv, page: int):
        geom, y = self.geom, self.geom.bottom - FOOT_GAP_PT
        canv.setFillColor(MUTED)
        canv.setFont(self.styles.sans, HEAD_PT)
        fallback.draw(canv, geom.left, y, _fit(self.info.copyright, self.styles.sans, geom.text_width * 0.8),
                      self.styles.sans, HEAD_PT)
        canv.setFont(self.styles.sans, HEAD_PT + 1)
        canv.drawRightString(geom.page[0] - geom.right, y, str(page))


def _fit(text: str, font: str, width: float) -> str:
    """Shorten `text` with an ellipsis until it fits `width` points of the running head."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if stringWidth(text, font, HEAD_PT) <= width:
        return text
    while text and stringWidth(text + "…", font, HEAD_PT) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _escape(text: str) -> str:
    return fallback.markup(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def render(story: list[Flowable], target: Path, info: DocInfo, geom: Geometry, styles: Styles,
           *, passes: bool = False, recorder=None) -> int:
    """Lay out `story` into `target` (atomically); `passes` for a TOC (and an index: `recorder` is told of every
    flowable placed). Returns the page count."""
    with atomic_path(Path(target)) as tmp:
        doc = TranscriptDoc(str(tmp), info, geom, styles, recorder)
        try:
            doc.multiBuild(story) if passes else doc.build(story)
        except LayoutError as e:
            raise StageError(f"{target}: the transcript could not be laid out ({e}); "
                             "report it with the transcript JSON attached") from e
        return doc.page
