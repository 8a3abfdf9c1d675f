"""The video stage: closed captions (mov_text per language), tags like the audio's, optional burned-in captions."""
from .mux import CaptionedVideo, CaptionTrack, burn_captions, caption_video
from .stage import (
    ClosedCaptionJob,
    OpenCaptionJob,
    VideoTagJob,
    build_closed,
    build_open,
    check,
    preflight,
    tag_captioned,
    tasks,
)

__all__ = ["CaptionTrack", "CaptionedVideo", "ClosedCaptionJob", "OpenCaptionJob", "VideoTagJob", "build_closed",
           "build_open", "burn_captions", "caption_video", "check", "preflight", "tag_captioned", "tasks"]
