"""The proofreading round trip: editing files, course-wide replacements, merge, forced alignment, review."""
from .corrections import MERGE_VERSION, corrected_transcript
from .corrections import inputs as correction_inputs
from .corrections import params as correction_params
from .review import check, diff_report, tasks

__all__ = ["MERGE_VERSION", "check", "corrected_transcript", "correction_inputs", "correction_params",
           "diff_report", "tasks"]
