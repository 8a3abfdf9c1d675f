"""The transcript's published files: cues split by the caption rules, written as VTT, SRT, TXT and JSON.

The captions task writes them from the corrected transcript; the translate stage writes a translation's
with the same writers. Kept apart from the stage so what reads them keys only this code.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..core.errors import StageError
from ..core.fsutil import write_text
from ..core.settings import CaptionSettings
from ..core.timecode import format_timecode
from ..core.transcript import Transcript, turns
from .lint import Cue, Violation, lint_cues, reading_chars
from .split import split_cues

OUTPUT_EXTENSIONS = ("json", "vtt", "srt", "txt")  # every file write_outputs writes


@dataclass(frozen=True)
class CaptionReport:
    cues: int  # number of cues in the vtt/srt
    paths: dict[str, Path]  # extension -> file written
    violations: tuple[Violation, ...]  # lint of the cues written (warnings where the speech is too fast)
    max_cps: float  # characters per second of the fastest cue

    @property
    def errors(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "error")


# -- writers (after whisper.utils.ResultWriter / get_writer) ---------------------------
class ResultWriter:
    extension: str

    def write(self, transcript: Transcript, cues: Sequence[Cue], path: Path) -> None:
        write_text(path, self.render(transcript, cues))

    def render(self, transcript: Transcript, cues: Sequence[Cue]) -> str:
        raise NotImplementedError


def _escape_vtt(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class WriteVTT(ResultWriter):
    extension = "vtt"

    def render(self, transcript: Transcript, cues: Sequence[Cue]) -> str:
        blocks = ["WEBVTT\n"]
        for cue in cues:
            lines = [_escape_vtt(line) for line in cue.lines]
            if cue.speaker is not None:
                lines[0] = f"<v {_escape_vtt(transcript.speaker_name(cue.speaker))}>{lines[0]}"
            timing = f"{format_timecode(cue.start)} --> {format_timecode(cue.end)}"
            blocks.append("\n".join([timing, *lines]) + "\n")
        return "\n".join(blocks)


class WriteSRT(ResultWriter):
    extension = "srt"

    def render(self, transcript: Transcript, cues: Sequence[Cue]) -> str:
        blocks = []
        for number, cue in enumerate(cues, 1):
            lines = [line.replace("-->", "->") for line in cue.lines]
            timing = f"{format_timecode(cue.start, sep=',')} --> {format_timecode(cue.end, sep=',')}"
            blocks.append("\n".join([str(number), timing, *lines]) + "\n")
        return "\n".join(blocks)


class WriteTXT(ResultWriter):
    """Plain text: one paragraph per speaker turn, 'Name: ' before it when the speaker is known."""

    extension = "txt"

    def render(self, transcript: Transcript, cues: Sequence[Cue]) -> str:
        paragraphs = []
        for turn in turns(transcript):
            if turn.text:
                label = f"{transcript.speaker_name(turn.speaker)}: " if turn.speaker is not None else ""
                paragraphs.append(label + turn.text)
        return "\n\n".join(paragraphs) + "\n"


class WriteJSON(ResultWriter):
    """The full transcript (Transcript.to_dict), the same layout transcript.load reads."""

    extension = "json"

    def render(self, transcript: Transcript, cues: Sequence[Cue]) -> str:
        return json.dumps(transcript.to_dict(), indent=2, ensure_ascii=False) + "\n"


WRITERS: dict[str, type[ResultWriter]] = {w.extension: w for w in (WriteVTT, WriteSRT, WriteTXT, WriteJSON)}


def get_writer(ext: str) -> ResultWriter:
    """The writer for 'vtt', 'srt', 'txt' or 'json'."""
    try:
        return WRITERS[ext.lstrip(".").lower()]()
    except KeyError:
        raise ValueError(f"no transcript writer for {ext!r}; use one of {', '.join(WRITERS)}") from None


def write_outputs(transcript: Transcript, paths: dict[str, Path], settings: CaptionSettings,
                  names: tuple[str, ...] = ()) -> CaptionReport:
    """Split the transcript into cues and write every requested format (ext -> path) atomically."""
    if problems := settings.problems():
        raise StageError(f"captions for {transcript.episode}: [captions] "
                         + "; ".join(f"{key} = {getattr(settings, key)!r} cannot be met: {fix}" for key, fix in problems))
    cues = split_cues(transcript, settings, names)
    for ext, path in paths.items():
        get_writer(ext).write(transcript, cues, Path(path))
    media_end = max([transcript.duration] + [c.end for c in cues[-1:]])  # seconds
    violations = lint_cues(cues, settings, media_end=media_end, speakers=transcript.speakers)
    fastest = max((reading_chars(c) / c.duration for c in cues if c.duration > 0), default=0.0)
    return CaptionReport(len(cues), {k: Path(p) for k, p in paths.items()}, tuple(violations), round(fastest, 2))
