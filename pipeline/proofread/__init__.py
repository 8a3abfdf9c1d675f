"""The proofreading round trip: editing files, course-wide replacements, merge, forced alignment, review."""
from .corrections import (
    EditSources,
    EpisodeEdits,
    WordTiming,
    corrected_transcript,
    edit_sources,
    episode_plan,
    word_timing,
)
from .editing import EditFileJob, create_edit_file, edit_file_job, episode_title
from .review import ReviewJob, check, diff_report, read_machine, review_job, tasks, write_review

# an editing file after a recut: what check says, and update-edits
from .refresh import Stale, Updated, stale, update, update_course  # noqa: E402

__all__ = ["EditFileJob", "EditSources", "EpisodeEdits", "ReviewJob", "WordTiming", "check",
           "corrected_transcript", "create_edit_file", "diff_report", "edit_file_job", "edit_sources",
           "episode_plan", "episode_title", "read_machine", "review_job", "tasks", "word_timing", "write_review"]
__all__ += ["Stale", "Updated", "stale", "update", "update_course"]
