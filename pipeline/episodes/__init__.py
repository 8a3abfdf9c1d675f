"""The episodes stage: raw recordings -> the cut (before transcription), then the master: strikes taken out,
loudness-normalised, encoded, tagged episodes (episodes/).

`published_times` is the one place course-file times (chapters, turn hints) and
transcript times become times on the published episode: every later stage maps
them through it. `Strike`/`save_strikes` are the strikes file the proofreading
stage writes and the master task reads.
"""
from .artwork import cover_path
from .audio import CutTargets, build_cut
from .leveler import VoiceTurn
from .master import MIN_EPISODE_S, MasterSources, MasterTargets, build_master, level_voices
from .published import (
    Strike, emptied, load_published, load_strikes, published_chapters, published_times, save_strikes, sources_in_cut,
)
from .settings import Mastering, VideoEncoding
from .sound import SoundOptions, SoundReport, load_turns, save_turns
from .stage import (
    CutJob, MasterJob, Recording, TagJob, VideoJob, check, kept_chapters, loudness_summary, make_cut, make_master,
    make_video, preflight, tag_episode, tag_fields, tasks,
)
from .tags import TagFields, TagInfo, chapter_marks, read_chapters, tag_video
from .video import build_video

__all__ = ["CutJob", "CutTargets", "MIN_EPISODE_S", "MasterJob", "MasterSources", "MasterTargets", "Mastering",
           "Recording", "Strike", "TagFields", "TagInfo", "TagJob", "VideoEncoding", "VideoJob",
           "build_cut", "build_master", "build_video", "chapter_marks", "check", "cover_path", "emptied", "kept_chapters",
           "level_voices", "VoiceTurn", "SoundOptions", "SoundReport", "load_turns", "save_turns", "load_published", "load_strikes", "loudness_summary", "make_cut", "make_master",
           "sources_in_cut",
           "make_video", "preflight", "published_chapters", "published_times", "read_chapters", "save_strikes", "tag_episode",
           "tag_fields", "tag_video", "tasks"]
