"""The feeds stage: one podcast feed per module (and video feed) and one for the course."""
from .stage import FeedReport, build_feed, check, plan_feed, plan_problems, preflight, tasks, write_json_transcript

__all__ = ["FeedReport", "build_feed", "check", "preflight", "plan_feed", "plan_problems", "tasks", "write_json_transcript"]
