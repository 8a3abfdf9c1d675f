"""The video stage: closed captions (mov_text per language) and optional burned-in captions."""
from .mux import CaptionedVideo, CaptionTrack, burn_captions, caption_video
from .stage import ClosedCaptionJob, OpenCaptionJob, build_closed, build_open, check, preflight, tasks

__all__ = ["CaptionTrack", "CaptionedVideo", "ClosedCaptionJob", "OpenCaptionJob", "build_closed", "build_open",
           "burn_captions", "caption_video", "check", "preflight", "tasks"]
