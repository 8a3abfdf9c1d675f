"""The proofreading round trip: editing files, course-wide replacements, merge, forced alignment, strikes (cut
by editing the text), review."""
from .corrections import (
    EditSources,
    EpisodeEdits,
    WordTiming,
    corrected_transcript,
    edit_sources,
    episode_plan,
    word_timing,
)
from .cuts import CutsJob, cuts_job, retimed, struck_runs, write_strikes
from .editing import EditFileJob, create_edit_file, edit_file_job, episode_title
from .review import ReviewJob, check, diff_report, read_machine, review_job, tasks, write_review

# an editing file after a recut: what check says, and update-edits
from .refresh import Stale, Updated, stale, update, update_course  # noqa: E402

__all__ = ["CutsJob", "EditFileJob", "EditSources", "EpisodeEdits", "ReviewJob", "WordTiming", "check",
           "corrected_transcript", "create_edit_file", "cuts_job", "diff_report", "edit_file_job", "edit_sources",
           "episode_plan", "episode_title", "read_machine", "retimed", "review_job", "struck_runs", "tasks", "word_timing",
           "write_review", "write_strikes"]
__all__ += ["Stale", "Updated", "stale", "update", "update_course"]
