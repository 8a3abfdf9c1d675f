"""Transcripts and course metadata -> reportlab flowables (the print stage's content).

A transcript becomes paragraphs per speaker turn (long turns broken at sentence
ends, chapter headings in place); each paragraph opens with
the speaker's name and a timecode. The proofreading edition adds a timecode to
every paragraph, line numbers, and shading behind low-confidence words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from reportlab.platypus import HRFlowable, PageBreak, Paragraph, Spacer, TableStyle
from reportlab.platypus.tableofcontents import TableOfContents

from ..core.course import Chapter
from ..core.text import SENTENCE_END
from ..core.timecode import player_clock
from ..core.transcript import Segment, Transcript, turns
from . import fallback
from .jobs import PrintedCourse, PrintedEpisode, PrintedModule
from .pages import Heading, LineNumbers, Mark, NumberedParagraph
from .styles import (
    ACCENT,
    ACCENT_HEX,
    LOW_CONFIDENCE,
    MUTED_HEX,
    NAME_PT,
    RULE,
    TIMECODE_PT,
    Geometry,
    Styles,
    every_face,
    geometry,
)
from .styles import styles as make_styles

PARAGRAPH_WORDS = 110  # words: a long turn breaks at the next sentence end past this (or at twice this)
CHAPTER_SNAP_S = 1.0  # seconds: a segment starting this much before a chapter mark opens the chapter
TITLE_PAGE_DROP_PT = 150  # points of white above a booklet's title
COVER_BAR_PT = 48  # points, width of the accent bar above a title page's kicker
TOC_CELLS = [("VALIGN", (0, 0), (-1, -1), "TOP")] + [  # no cell padding: styles space entries
    (side, (0, 0), (-1, -1), 0) for side in ("LEFTPADDING", "RIGHTPADDING", "TOPPADDING", "BOTTOMPADDING")]
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


@dataclass(frozen=True)
class Para:
    """One printed paragraph: part or all of a speaker's turn."""

    start: float  # seconds into the episode
    speaker: str | None  # display name; None when the transcript does not say who speaks
    tokens: tuple[tuple[str, float], ...]  # (word as transcribed, engine probability)
    opens_turn: bool  # first paragraph of a turn, or the first after a chapter heading


@dataclass(frozen=True)
class ChapterHead:
    at: float  # seconds into the episode
    title: str


# -- transcript -> paragraphs and chapter headings ------------------------------------
def _tokens(segment: Segment) -> list[tuple[str, float]]:
    """The segment's words with probabilities; its text alone when the two disagree (edited)."""
    words = [(text, w.probability) for w in segment.words for text in w.text.split()]
    plain = segment.text.split()
    return words if [t for t, _ in words] == plain else [(t, 1.0) for t in plain]


class _Blocks:
    """Walks a transcript's turns, breaking paragraphs at chapter marks and after long runs."""

    def __init__(self, chapters: Sequence[Chapter]):
        self.out: list[Para | ChapterHead] = []
        self.pending = sorted(chapters, key=lambda c: c.at)
        self.chunk: list[Segment] = []
        self.opens = True

    def flush(self, speaker: str | None) -> None:
        tokens = tuple(t for seg in self.chunk for t in _tokens(seg))
        if tokens:
            self.out.append(Para(self.chunk[0].start, speaker, tokens, self.opens))
            self.opens = False
        self.chunk = []

    def add(self, segment: Segment, speaker: str | None) -> None:
        if self.pending and segment.start >= self.pending[0].at - CHAPTER_SNAP_S:
            self.flush(speaker)
            while self.pending and segment.start >= self.pending[0].at - CHAPTER_SNAP_S:
                chapter = self.pending.pop(0)
                self.out.append(ChapterHead(chapter.at, chapter.title))
            self.opens = True
        self.chunk.append(segment)
        words = sum(len(s.text.split()) for s in self.chunk)
        sentence_end = SENTENCE_END.search(segment.text.strip())
        if (words >= PARAGRAPH_WORDS and sentence_end) or words >= 2 * PARAGRAPH_WORDS:
            self.flush(speaker)


def blocks(transcript: Transcript, chapters: Sequence[Chapter], names: dict[str, str]) -> list:
    """Paragraphs per speaker turn with chapter headings in place (chapters past the end are dropped)."""
    walker = _Blocks(chapters)
    for turn in turns(transcript):
        speaker = None if turn.speaker is None else names.get(turn.speaker, turn.speaker)
        walker.opens = True
        for segment in turn.segments:
            if segment.text.strip():
                walker.add(segment, speaker)
        walker.flush(speaker)
    return walker.out


# -- text -> reportlab markup ---------------------------------------------------------
def smarten(word: str) -> str:
    """Typographic quotes, apostrophes and dashes: "it's" -> “it’s”, -- -> —, a lone - -> –."""
    if word in ("-", "--"):
        return "–" if word == "-" else "—"
    word = word.replace("--", "—")
    word = re.sub(r"(?<=\w)'(?=\w)", "’", word)
    word = re.sub(r'^([(\[]?)"', "\\1“", word).replace('"', "”")
    return re.sub(r"^([(\[]?)'", "\\1‘", word).replace("'", "’")


def escape(text: str) -> str:
    """Text as paragraph markup; characters the document's fonts lack set in a font that has them."""
    return fallback.markup(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def _text_markup(tokens: Sequence[tuple[str, float]], low: float | None) -> tuple[str, int]:
    """Words as markup, runs of words below `low` shaded; returns (markup, words shaded)."""
    out: list[str] = []
    run: list[str] = []
    marked = 0
    for text, probability in tokens:
        word = escape(smarten(text))
        if low is not None and probability < low:
            run.append(word)
            marked += 1
            continue
        if run:
            out.append(f'<span backColor="{LOW_CONFIDENCE}">{" ".join(run)}</span>')
            run = []
        out.append(word)
    if run:
        out.append(f'<span backColor="{LOW_CONFIDENCE}">{" ".join(run)}</span>')
    return " ".join(out), marked


def clock(seconds: float, long: bool) -> str:
    """12:31 in episodes under an hour, 0:12:31 and 1:02:31 in longer ones (core.timecode.player_clock)."""
    return player_clock(seconds, hours=long)


# -- flowables ------------------------------------------------------------------------
@dataclass(frozen=True)
class StoryContext:
    course: PrintedCourse
    styles: Styles
    geom: Geometry
    proof: bool
    numbers: LineNumbers | None  # the proof edition's per-page line counter


def story_context(course: PrintedCourse, proof: bool) -> StoryContext:
    styles = make_styles(course.settings, proof)
    fallback.use(every_face(course.settings.font, course.settings.heading_font))  # what they lack: another font
    numbers = LineNumbers(styles.sans) if proof else None
    return StoryContext(course, styles, geometry(course.settings, proof), proof, numbers)


def _run_in(ctx: StoryContext, para: Para, long: bool) -> str:
    """Speaker name and/or timecode before the text, kept together by no-break spaces."""
    parts = []
    if para.opens_turn and para.speaker:
        parts.append(f'<font name="{ctx.styles.sans_bold}" size="{NAME_PT}" color="{ACCENT_HEX}">'
                     f"{escape(para.speaker)}</font>")
    if para.opens_turn or ctx.proof:
        parts.append(f'<font name="{ctx.styles.sans}" size="{TIMECODE_PT}" color="{MUTED_HEX}">'
                     f"{clock(para.start, long)}</font>")
    return "&nbsp;&nbsp;".join(parts) + ("&nbsp;&nbsp; " if parts else "")


def _paragraph(ctx: StoryContext, para: Para, long: bool) -> tuple[Paragraph, int]:
    low = ctx.course.settings.low_confidence if ctx.proof else None
    text, marked = _text_markup(para.tokens, low)
    flowable = NumberedParagraph(_run_in(ctx, para, long) + text, ctx.styles.body)
    flowable.numbers = ctx.numbers
    return flowable, marked


def _names(course: PrintedCourse, transcript: Transcript) -> dict[str, str]:
    names = dict(transcript.speakers)
    names.update(dict(course.roster))
    return names


def printed_speaker_names(course: PrintedCourse, transcript: Transcript) -> list[str]:
    """The names printed before the speakers' turns, in order of first turn."""
    names = _names(course, transcript)
    return list(dict.fromkeys(names.get(t.speaker, t.speaker) for t in turns(transcript) if t.speaker is not None))


def _date(episode: PrintedEpisode) -> str:
    return f"{episode.date.day} {MONTHS[episode.date.month - 1]} {episode.date.year}"


def _duration(seconds: float) -> str:
    return f"{round(seconds)} s" if seconds < 60 else f"{round(seconds / 60)} min"


def _speaker_lines(ctx: StoryContext, episode: PrintedEpisode) -> list[Paragraph]:
    lines = []
    for speaker in episode.speakers:
        about = ", ".join(part for part in (speaker.role.capitalize(), speaker.affiliation) if part)
        lines.append(Paragraph(f'<font name="{ctx.styles.sans_bold}" color="{ACCENT_HEX}">'
                               f"{escape(speaker.name)}</font>&nbsp;&nbsp; {escape(about)}",
                               ctx.styles.speaker))
    return lines


def _proof_legend(ctx: StoryContext) -> Paragraph:
    percent = round(ctx.course.settings.low_confidence * 100)
    return Paragraph(
        "Proofreading edition. Lines are numbered from 1 on every page, and every paragraph starts "
        "with its time in the recording: cite “p. 4, line 23, 12:31”. Words the speech recogniser "
        f'was less than {percent}% sure of are <span backColor="{LOW_CONFIDENCE}">shaded like this</span>.',
        ctx.styles.note)


def _episode_head(ctx: StoryContext, episode: PrintedEpisode, transcript: Transcript, level: int, toc: bool) -> list:
    module = episode.module
    kicker = f"{ctx.course.title} · Module {module.number}: {module.title}"
    meta = [f"Episode {episode.number}", _date(episode)]
    if transcript.duration > 0:
        meta.append(_duration(transcript.duration))
    head = [Paragraph(escape(kicker), ctx.styles.kicker),
            Heading(escape(episode.title), ctx.styles.title, key=f"ep.{episode.slug}", label=episode.title,
                    outline_level=level, toc_level=level if toc else None),
            Paragraph(escape(" · ".join(meta)), ctx.styles.meta),
            Spacer(1, 6), *_speaker_lines(ctx, episode)]
    if episode.summary:
        head.append(Paragraph(escape(episode.summary), ctx.styles.summary))
    if ctx.proof:
        head.append(_proof_legend(ctx))
    return head + [HRFlowable(width="100%", thickness=0.5, color=RULE, spaceBefore=10, spaceAfter=4)]


def _episode_body(ctx: StoryContext, episode: PrintedEpisode, transcript: Transcript, chapters: Sequence[Chapter],
                  level: int, toc: bool):
    """The conversation's flowables, the words printed and the words shaded."""
    long = transcript.duration >= 3600
    story, words, marked = [], 0, 0
    for index, block in enumerate(blocks(transcript, chapters, _names(ctx.course, transcript)), 1):
        if isinstance(block, ChapterHead):
            story.append(Heading(escape(block.title), ctx.styles.chapter, key=f"ep.{episode.slug}.{index}",
                                 label=block.title, outline_level=level + 1,
                                 toc_level=level + 1 if toc else None))
            continue
        flowable, shaded = _paragraph(ctx, block, long)
        story.append(flowable)
        words, marked = words + len(block.tokens), marked + shaded
    if not words:
        story.append(Paragraph("No speech was transcribed in this episode.", ctx.styles.note))
    return story, words, marked


def episode_story(ctx: StoryContext, episode: PrintedEpisode, transcript: Transcript, chapters: Sequence[Chapter],
                  level: int, toc: bool):
    """(flowables, words printed, words shaded) of one episode; `chapters` on the episode's timeline."""
    running = (f"{ctx.course.title} · Module {episode.module.number}", episode.title)
    body, words, marked = _episode_body(ctx, episode, transcript, chapters, level, toc)
    return [Mark(running, first=True), *_episode_head(ctx, episode, transcript, level, toc), *body], words, marked


def title_page(ctx: StoryContext, kicker: str, title: str, summary: str, note: str) -> list:
    info = ctx.course
    return [Mark(bare=True), Spacer(1, TITLE_PAGE_DROP_PT),
            HRFlowable(width=COVER_BAR_PT, thickness=3, color=ACCENT, hAlign="LEFT", spaceAfter=12),
            Paragraph(escape(kicker), ctx.styles.cover_kicker),
            Paragraph(escape(title), ctx.styles.booklet_title),
            Paragraph(escape(summary), ctx.styles.summary),
            HRFlowable(width="35%", thickness=0.5, color=RULE, hAlign="LEFT", spaceBefore=18, spaceAfter=8),
            Paragraph(escape(note), ctx.styles.meta),
            Paragraph(escape(info.author), ctx.styles.meta),
            Paragraph(escape(info.copyright), ctx.styles.meta), PageBreak()]


def contents(ctx: StoryContext) -> list:
    # the table sets its cells' font before drawing them: reportlab's default would be Helvetica, never embedded
    table = TableStyle([*TOC_CELLS, ("FONTNAME", (0, 0), (-1, -1), ctx.styles.toc[0].fontName)])
    toc = TableOfContents(levelStyles=list(ctx.styles.toc), dotsMinLevel=-1, tableStyle=table)
    return [Mark((ctx.course.title, "Contents"), first=True),
            Heading("Contents", ctx.styles.title, key="contents", label="Contents", outline_level=0),
            Spacer(1, 8), toc, PageBreak()]


def module_divider(ctx: StoryContext, module: PrintedModule, episodes: Sequence[PrintedEpisode]) -> list:
    listing = "<br/>".join(f"{e.number}. {escape(e.title)}" for e in episodes)
    return [Mark((ctx.course.title, f"Module {module.number}"), first=True),
            Spacer(1, TITLE_PAGE_DROP_PT / 2),
            HRFlowable(width=COVER_BAR_PT, thickness=3, color=ACCENT, hAlign="LEFT", spaceAfter=12),
            Paragraph(f"Module {module.number}", ctx.styles.cover_kicker),
            Heading(escape(module.title), ctx.styles.booklet_title, key=f"module.{module.number}",
                    label=f"Module {module.number}: {module.title}", outline_level=0, toc_level=0),
            Paragraph(escape(module.summary), ctx.styles.summary),
            Paragraph(listing, ctx.styles.meta), PageBreak()]


def booklet_front(ctx: StoryContext, module: PrintedModule | None, count: int) -> list:
    info = ctx.course
    note = f"Transcripts of {count} episode{'s' if count != 1 else ''}"
    if module is None:
        return title_page(ctx, "Course reader", info.title, info.subtitle, note) + contents(ctx)
    kicker = f"{info.title} · Module {module.number}"
    return title_page(ctx, kicker, module.title, module.summary, note) + contents(ctx)
