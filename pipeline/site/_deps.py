"""Everything the site stage uses from the rest of coursecast, imported here and nowhere else.

The stage reads the course file's dataclasses, the file layout, the transcript
model and language names, and writes through fsutil; staleness is the runner's
(`Task`). From the feeds stage (upstream) it takes the one sanitiser of course-file
HTML, so a summary reads the same in podcast apps and on the page. When the
modules around it move, only these lines change.
"""
from __future__ import annotations

from ..core import layout
from ..core.course import Course, Episode, Module, Speaker
from ..core.dependency import Task
from ..core.errors import CoursecastError, StageError
from ..core.fsutil import write_text
from ..core.languages import AUTO, iso_639_2
from ..core.media import published_length
from ..core.text import SENTENCE_END
from ..core.timecode import format_timecode, player_clock
from ..core.transcript import Segment, Transcript, Turn, turns
from ..core.transcript import load as load_transcript
from ..episodes import read_chapters
from ..feeds import paragraph, sanitise

__all__ = ["AUTO", "Course", "CoursecastError", "Episode", "Module", "SENTENCE_END", "Segment", "Speaker", "StageError",
           "Task", "Transcript", "Turn", "format_timecode", "iso_639_2", "layout", "load_transcript", "paragraph",
           "player_clock", "published_length", "read_chapters", "sanitise", "turns", "write_text"]
