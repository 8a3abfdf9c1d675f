"""coursecast's transcript -> the Podcasting 2.0 HTML transcript (what `podcast:transcript` text/html points at).

The format (podcast-namespace, docs/examples/transcripts/transcripts.md, "HTML"): for
each speaker turn a <cite> with the speaker's name, a <time> with the turn's start
and a <p> with what was said. Apps' parsers read those three from the children of
<body> (transcriptator, the Podcast Index's converter, also wants the file to open
with <html> or a comment), so the file opens with a comment and keeps its body
flat; otherwise it is a plain valid document (charset, lang, title) a person can
open too. Every value passes through html.escape.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from ..core.fsutil import write_text
from ..core.languages import AUTO
from ..core.timecode import player_clock
from ..core.transcript import Transcript, turns
from ..core.transcript import load as load_transcript

_OPENING = "<!-- Podcasting 2.0 HTML transcript: for each speaker turn a <cite>, a <time> and a <p>. -->"


def _text(value: str) -> str:
    return html.escape(value, quote=False)


def _attribute(value: str) -> str:
    return html.escape(value, quote=True)


def _turn(name: str, start: float, text: str) -> list[str]:
    seconds = max(0, int(start))
    return [f"<cite>{_text(name)}:</cite>",
            f'<time datetime="PT{seconds}S">{player_clock(seconds)}</time>',
            f"<p>{_text(text)}</p>"]


def render_html_transcript(model: Transcript, title: str, language: str) -> str:
    """The document: a <cite>, <time> and <p> per speaker turn, straight under <body>."""
    lines = [_OPENING, "<!DOCTYPE html>", f'<html lang="{_attribute(language)}">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{_text(title)}</title>", "</head>", "<body>", f"<h1>{_text(title)}</h1>"]
    for turn in turns(model):
        if turn.text:
            lines += _turn(model.speaker_name(turn.speaker), turn.start, " ".join(turn.text.split()))
    return "\n".join([*lines, "</body>", "</html>", ""])


@dataclass(frozen=True)
class HtmlTranscriptJob:
    """What `feeds:<slug>:html-transcript` reads."""

    source: Path  # coursecast's transcript JSON
    target: Path  # the HTML transcript
    title: str  # the episode's title
    language: str  # the episode's language ("auto": the transcript's)


def make_html_transcript(job: HtmlTranscriptJob) -> int:
    """Write the HTML transcript of the job's transcript; returns the speaker turns written."""
    model = load_transcript(job.source)
    language = model.language if job.language == AUTO else job.language
    document = render_html_transcript(model, job.title, language)
    write_text(job.target, document)
    return document.count("<cite>")
