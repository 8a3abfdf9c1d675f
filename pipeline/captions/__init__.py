"""Captions and transcript files: broadcast-rule cues, VTT/SRT/TXT/JSON writers and the caption lint."""
from .lint import Cue, Violation, lint_cues, read_caption_file
from .stage import (
    OUTPUT_EXTENSIONS,
    CaptionReport,
    CaptionsJob,
    build_transcript_outputs,
    captions_job,
    check,
    get_writer,
    split_cues,
    tasks,
    write_outputs,
)

__all__ = ["Cue", "Violation", "CaptionReport", "CaptionsJob", "OUTPUT_EXTENSIONS", "build_transcript_outputs",
           "captions_job", "check",
           "get_writer", "lint_cues", "read_caption_file", "split_cues", "tasks", "write_outputs"]
