"""The episodes stage: raw recordings -> cut, loudness-normalised, encoded, tagged episodes (episodes/).

`published_times` is the one place course-file times (chapters, turn hints) become
times on the published episode: every later stage maps them through it.
"""
from .artwork import cover_path
from .audio import AudioTargets, build_audio
from .leveler import VoiceTurn
from .settings import Mastering, VideoEncoding
from .sound import SoundOptions, SoundReport, load_turns, save_turns
from .stage import (
    AudioJob, Recording, TagJob, VideoJob, check, loudness_summary, make_audio, make_video, preflight, tag_episode,
    tag_fields, tasks,
)
from .tags import TagFields, TagInfo, chapter_marks, read_chapters, tag_video
from .timeline import published_times
from .video import build_video

__all__ = ["AudioJob", "AudioTargets", "Mastering", "Recording", "TagFields", "TagInfo", "TagJob", "VideoEncoding",
           "VideoJob", "VoiceTurn", "SoundOptions", "SoundReport", "load_turns", "save_turns", "build_audio", "build_video", "chapter_marks", "check", "cover_path", "loudness_summary",
           "make_audio", "make_video", "preflight", "published_times", "read_chapters", "tag_episode", "tag_fields",
           "tag_video", "tasks"]
