"""The episodes stage: raw recordings -> cut, loudness-normalised, encoded, tagged episodes (episodes/)."""
from .stage import (
    AudioTargets, build_audio, build_video, check, episode_pieces, episode_time, loudness_summary, tag_episode, tasks,
)

__all__ = ["AudioTargets", "build_audio", "build_video", "check", "episode_pieces", "episode_time",
           "loudness_summary", "tag_episode", "tasks"]
