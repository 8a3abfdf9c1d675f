"""The feeds stage: one podcast feed per module (and video feed) and one for the course."""
from .markup import paragraph, sanitise
from .stage import FeedReport, build_feed, check, plan_feed, plan_problems, preflight, tasks, write_json_transcript

__all__ = ["FeedReport", "build_feed", "check", "paragraph", "preflight", "plan_feed", "plan_problems", "sanitise",
           "tasks", "write_json_transcript"]
