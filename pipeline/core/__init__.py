"""The core every stage builds on: the course file, settings, file layout, staleness, the runner,
ffmpeg/ffprobe, errors, atomic files, timecodes and the transcript model.

Stages import these modules directly (`from ..core import layout`, `from ..core.course import Course`);
core imports no stage.
"""
