"""Captions and transcript files: broadcast-rule cues, VTT/SRT/TXT/JSON writers and the caption lint."""
from .lint import Cue, Violation, lint_cues, read_caption_file
from .split import split_cues
from .writers import OUTPUT_EXTENSIONS, CaptionReport, get_writer, write_outputs
from .stage import CaptionsJob, build_transcript_outputs, captions_job, check, tasks  # noqa: I001 (after writers)

__all__ = ["Cue", "Violation", "CaptionReport", "CaptionsJob", "OUTPUT_EXTENSIONS", "build_transcript_outputs",
           "captions_job", "check",
           "get_writer", "lint_cues", "read_caption_file", "split_cues", "tasks", "write_outputs"]
