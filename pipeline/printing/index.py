"""The booklets' index: speakers and vocabulary terms, each with the pages where it is printed.

The pages are read from the laid-out PDF, not guessed: `PageRecorder` is told of
every paragraph (or piece of one) the document template places, with its page
(`TranscriptDoc.afterFlowable`), and notes the terms its text holds (whole words,
any case, line breaks and spaces alike). `IndexSection` is the index at the end of
the booklet; like reportlab's table of contents it is an indexing flowable, so
`multiBuild` lays the booklet out again until the pages the index shows are the
pages the last pass found (two passes when the contents settle at once, as they
do: the index comes last, so printing it moves no page before it).
"""
from __future__ import annotations

import re
from typing import Sequence

from reportlab.platypus import Paragraph, Spacer
from reportlab.platypus.tableofcontents import IndexingFlowable

from .pages import Heading, Mark
from .styles import ACCENT_HEX

INDEX_TITLE = "Index"
SECTION_SPEAKERS = "Speakers"
SECTION_TERMS = "Terms"
NO_PAGES = "not printed"  # a term no page holds (a vocabulary term nobody said)
LAYOUT_HEIGHT = 1 << 24  # points: the section always asks to be split into its lines


def _pattern(term: str) -> re.Pattern:
    words = [re.escape(w) for w in term.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


class PageRecorder:
    """Which pages print each term, as the document template places paragraphs."""

    def __init__(self, speakers: Sequence[str], terms: Sequence[str]):
        self.speakers = tuple(dict.fromkeys(s for s in speakers if s.strip()))
        self.terms = tuple(dict.fromkeys(t for t in terms if t.strip()))
        self._patterns = {t: _pattern(t) for t in (*self.speakers, *self.terms)}
        self.pages: dict[str, set[int]] = {}
        self.last: dict[str, tuple[int, ...]] = {}  # what the previous pass found
        self.closed = False  # the index itself has begun: its pages are not counted

    def start_pass(self) -> None:
        self.last = self.found()
        self.pages = {term: set() for term in self._patterns}
        self.closed = False

    def found(self) -> dict[str, tuple[int, ...]]:
        return {term: tuple(sorted(pages)) for term, pages in self.pages.items()}

    def placed(self, flowable, page: int) -> None:
        """The document template placed `flowable` on `page`."""
        if getattr(flowable, "in_index", False):
            self.closed = True
        if self.closed or not isinstance(flowable, Paragraph):
            return
        text = " ".join(flowable.getPlainText().split())
        for term, pattern in self._patterns.items():
            if pattern.search(text):
                self.pages[term].add(page)


def page_list(pages: Sequence[int]) -> str:
    """(3, 4, 5, 9) -> '3–5, 9'."""
    runs: list[list[int]] = []
    for page in pages:
        if runs and page == runs[-1][-1] + 1:
            runs[-1].append(page)
        else:
            runs.append([page])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs)


class IndexSection(IndexingFlowable):
    """The index's lines, from the pages the previous pass found; satisfied when they are this pass's."""

    def __init__(self, recorder: PageRecorder, styles, escape):
        super().__init__()
        self.recorder, self.styles, self.escape = recorder, styles, escape
        self._shown: dict[str, tuple[int, ...]] = {}

    def beforeBuild(self):
        self.recorder.start_pass()
        self._shown = self.recorder.last

    def isSatisfied(self):
        return self._shown == self.recorder.found()

    def wrap(self, avail_width, avail_height):
        return avail_width, LAYOUT_HEIGHT

    def split(self, avail_width, avail_height):
        return self.lines()

    def drawOn(self, canvas, x, y, _sW=0):
        pass

    def lines(self) -> list:
        result = []
        for title, terms in ((SECTION_SPEAKERS, self.recorder.speakers), (SECTION_TERMS, self.recorder.terms)):
            if not terms:
                continue
            result.append(self._line(title, self.styles.cover_kicker))
            for term in sorted(terms, key=str.casefold):
                pages = self._shown.get(term, ())
                shown = page_list(pages) if pages else NO_PAGES
                result.append(self._line(f'<font color="{ACCENT_HEX}">{self.escape(term)}</font>'
                                         f"&nbsp;&nbsp; {shown}", self.styles.speaker, markup=True))
            result.append(Spacer(1, 10))
        return result

    def _line(self, text: str, style, markup: bool = False) -> Paragraph:
        line = Paragraph(text if markup else self.escape(text), style)
        line.in_index = True
        return line


def index_story(ctx, recorder: PageRecorder, escape) -> list:
    """The index's pages: a heading (in the contents and the outline) and the section."""
    heading = Heading(INDEX_TITLE, ctx.styles.title, key="index", label=INDEX_TITLE, outline_level=0, toc_level=0)
    heading.in_index = True
    return [Mark((ctx.course.title, INDEX_TITLE), first=True), heading, Spacer(1, 8),
            IndexSection(recorder, ctx.styles, escape)]
