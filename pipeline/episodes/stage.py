"""The episodes stage: raw recordings -> cut, loudness-normalised, encoded and tagged podcast episodes.

Each episode is two or three tasks, so a change rebuilds only what it touches:
  episodes:<slug>      recordings -> cut, ASR audio, normalised untagged MP3/M4A, loudness report
  tags:<slug>          untagged encodes + artwork -> published, tagged MP3/M4A and chapters JSON
  video-encode:<slug>  (video episodes) video recordings + normalised audio -> MP4
plus the artwork tasks (pipeline.artwork). A title change re-runs only the tag
task; a changed keep range re-runs the audio task, and then whatever it changed.
The work itself is in episodes_audio, episodes_video and tags.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import replace
from pathlib import Path

import mutagen

from . import artwork
from ..core import layout
from ..core.course import Course, Episode
from ..core.course_media import probe_sources
from ..core.dependency import Task
from .audio import AudioTargets, build_audio, disk_errors, load_timeline
from .timeline import Piece, map_time
from .video import build_video
from ..core.errors import CourseFileError, MediaError, StageError
from .loudness import load_report
from ..core.media import ffmpeg_version, probe
from .tags import TagInfo, audio_duration, chapter_marks, tag_m4a, tag_mp3, write_chapters_json

__all__ = ["AudioTargets", "build_audio", "build_video", "episode_pieces", "episode_time", "tag_episode",
           "tasks", "check"]

AUDIO_VERSION = "episodes-audio 1"  # bump when the audio task's output changes for the same inputs
TAGS_VERSION = "episodes-tags 1"
VIDEO_VERSION = "episodes-video 1"
TAG_COST = 0.01  # the tag task's cost per second of audio, relative to the audio task's
VIDEO_COST = 6.0  # the video task's cost per second, relative to the audio task's (720p, veryfast)
UNKNOWN_SECONDS = 600.0  # weight of an episode whose length cannot be read yet
CHANNEL_MODES = ("auto", "mono", "stereo")  # [audio] channels
MAX_CROSSFADE_MS = 500  # milliseconds: longer crossfades smear words across a cut
MIN_PAUSE_S = 0.3  # seconds: shorter allowed pauses would clip word endings


def stings(course: Course, episode: Episode) -> tuple[str, str]:
    """(intro, outro) relative to the course folder; the module's override the course's; '' = none."""
    module = course.module(episode.module)
    return module.intro or course.audio.intro, module.outro or course.audio.outro


def _sting(course: Course, episode: Episode, rel: str, which: str) -> Piece:
    path = course.root / rel
    try:
        info = probe(path)
    except MediaError as e:
        raise StageError(f"episode '{episode.slug}': the {which} sting {rel} is not a readable recording "
                         f"({e}); fix '{which}' in [audio] or in the module in {course.path.name}") from e
    if info.audio is None:
        raise StageError(f"episode '{episode.slug}': the {which} sting {rel} has no audio stream")
    return Piece(path, rel, 0.0, info.duration, info.audio.channels, sting=True, estimated=True)


def episode_pieces(course: Course, episode: Episode) -> tuple[Piece, ...]:
    """The episode's pieces in order, every recording probed and checked first (course_media)."""
    try:
        infos = probe_sources(replace(course, episodes=(episode,)))
    except CourseFileError as e:
        raise StageError(f"episode '{episode.slug}' cannot be built:\n" + "\n".join(e.problems)) from e
    intro, outro = stings(course, episode)
    pieces = [_sting(course, episode, intro, "intro")] if intro else []
    for source in episode.sources:
        info = infos[source.file]
        ranges = [(r.start, r.end, False) for r in source.keep] or [(0.0, info.duration, True)]
        for start, end, whole in ranges:
            pieces.append(Piece(source.path, f"raw_interviews/{source.file}", start, end, info.audio.channels,
                                split=bool(source.channels), estimated=whole))
    if outro:
        pieces.append(_sting(course, episode, outro, "outro"))
    return tuple(pieces)


def _has_sides(episode: Episode) -> bool:
    return any(s.channels for s in episode.sources)


def audio_targets(course: Course, episode: Episode) -> AudioTargets:
    sides = _has_sides(episode)
    return AudioTargets(
        work=layout.work_dir(course, episode), asr=layout.asr_audio(course, episode),
        asr_left=layout.asr_channel(course, episode, "left") if sides else None,
        asr_right=layout.asr_channel(course, episode, "right") if sides else None,
        mp3=layout.untagged_audio(course, episode, "mp3"), m4a=layout.untagged_audio(course, episode, "m4a"),
        timeline=layout.timeline(course, episode), report=layout.loudness_report(course, episode),
        failed_report=layout.loudness_failure(course, episode))


def _tag_fields(course: Course, episode: Episode) -> dict:
    """Everything the tags say, except the cover and the chapter times' mapping (JSON-able)."""
    module = course.module(episode.module)
    names = [course.speaker(s).name for s in episode.speakers]
    return {
        "title": episode.title, "artist": ", ".join(names),
        "album": f"{course.info.title} — Module {module.number}: {module.title}",
        "album_artist": course.info.author, "track": episode.number,
        "track_total": len(course.module_episodes(module.number)), "date": episode.date.isoformat(),
        "language": episode.language, "summary": episode.summary, "copyright": course.info.copyright,
        "podcast": course.info.title,
    }


def episode_time(course: Course, episode: Episode, seconds: float) -> float:
    """A course-file time (chapter, turn: before pauses are shortened) on the published episode's timeline."""
    _, after = load_timeline(layout.timeline(course, episode))
    return map_time(after, seconds)


def tag_episode(course: Course, episode: Episode) -> TagInfo:
    """Copy the untagged encodes to episodes/, tagged, with chapters (moved with any shortened pause)."""
    what = f"episode '{episode.slug}'"
    mp3, m4a = (layout.untagged_audio(course, episode, ext) for ext in ("mp3", "m4a"))
    _, after = load_timeline(layout.timeline(course, episode))
    moved = [(map_time(after, c.at), c.title) for c in episode.chapters]
    cover = artwork.cover_path(course, episode)
    if not cover.is_file():
        raise StageError(f"{what}: artwork {cover} is missing; run 'coursecast episodes' to make it")
    with disk_errors(what, layout.folder(course, layout.EPISODES)):
        marks = chapter_marks(moved, audio_duration(mp3))
        info = TagInfo(**_tag_fields(course, episode), cover=cover.read_bytes(), chapters=marks)
        tag_mp3(mp3, layout.episode_audio(course, episode, "mp3"), info)
        tag_m4a(m4a, layout.episode_audio(course, episode, "m4a"), info)
        write_chapters_json(layout.chapters_json(course, episode), info)
    return info


def _audio_action(course: Course, episode: Episode):
    def action() -> str:
        report = build_audio(episode_pieces(course, episode), audio_targets(course, episode), course.audio,
                             episode=episode.slug)
        mp3 = report.outputs["mp3"].loudness
        return f"{mp3.integrated:.1f} LUFS, {mp3.true_peak:.1f} dBTP, {report.mode}"
    return action


def _tags_action(course: Course, episode: Episode):
    def action() -> str:
        info = tag_episode(course, episode)
        return f"tagged, {len(info.chapters)} chapters"
    return action


def _video_action(course: Course, episode: Episode):
    def action() -> str:
        _, after = load_timeline(layout.timeline(course, episode))
        result = build_video(episode_pieces(course, episode), after, layout.untagged_audio(course, episode, "m4a"),
                             layout.episode_video(course, episode), course.audio, episode=episode.slug)
        return f"{result.width}x{result.height}, {result.frames} frames"
    return action


@functools.lru_cache(maxsize=256)
def _length(path: Path, size: int, mtime: int) -> float:
    return probe(path).duration


def seconds(episode: Episode) -> float:
    """Expected seconds of audio (the task weight): kept ranges, or whole recordings' lengths."""
    total = 0.0
    for source in episode.sources:
        if source.keep:
            total += sum(r.duration for r in source.keep)
            continue
        try:
            st = source.path.stat()
            total += _length(source.path, st.st_size, st.st_mtime_ns)
        except (OSError, MediaError):
            total += UNKNOWN_SECONDS
    return total


def _audio_params(course: Course, episode: Episode) -> dict:
    audio = {k: v for k, v in dataclasses.asdict(course.audio).items()
             if not k.startswith("video_") and k not in ("intro", "outro")}
    intro, outro = stings(course, episode)
    sources = [{"file": s.file, "keep": [[r.start, r.end] for r in s.keep], "channels": dict(s.channels)}
               for s in episode.sources]
    return {"sources": sources, "intro": intro, "outro": outro, "audio": audio}


def _episode_tasks(course: Course, episode: Episode, tools: tuple[str, ...]) -> list[Task]:
    slug, weight = episode.slug, seconds(episode)
    targets = audio_targets(course, episode)
    recordings = tuple(dict.fromkeys(s.path for s in episode.sources))
    sting_files = tuple(course.root / rel for rel in stings(course, episode) if rel)
    audio_out = tuple(p for p in (targets.asr, targets.asr_left, targets.asr_right, targets.mp3, targets.m4a,
                                  targets.timeline, targets.report) if p is not None)
    result = [Task(stage="episodes", name=f"episodes:{slug}", action=_audio_action(course, episode),
                   inputs=recordings + sting_files, targets=audio_out, params=_audio_params(course, episode),
                   tools=(*tools, AUDIO_VERSION), episode=slug, weight=weight)]
    published = tuple(layout.episode_audio(course, episode, ext) for ext in ("mp3", "m4a"))
    chapters = [[c.at, c.title] for c in episode.chapters]
    result.append(Task(
        stage="episodes", name=f"tags:{slug}", action=_tags_action(course, episode),
        inputs=(targets.mp3, targets.m4a, targets.timeline, artwork.cover_path(course, episode)),
        targets=(*published, layout.chapters_json(course, episode)),
        params={**_tag_fields(course, episode), "chapters": chapters},
        tools=(*tools, f"mutagen {mutagen.version_string}", TAGS_VERSION), episode=slug, weight=weight * TAG_COST))
    if episode.kind == "video":
        s = course.audio
        result.append(Task(
            stage="episodes", name=f"video-encode:{slug}", action=_video_action(course, episode),
            inputs=(*recordings, targets.m4a, targets.timeline), targets=(layout.episode_video(course, episode),),
            params={"height": s.video_height, "crf": s.video_crf, "preset": s.video_preset},
            tools=(*tools, VIDEO_VERSION), episode=slug, weight=weight * VIDEO_COST))
    return result


def tasks(course: Course) -> list[Task]:
    """Artwork, then per episode: audio, tags and (video episodes) video."""
    tools = (f"ffmpeg {ffmpeg_version()}",)
    result = artwork.tasks(course)
    for episode in course.episodes:
        result += _episode_tasks(course, episode, tools)
    return result


def _loudness_problems(course: Course, episode: Episode) -> list[str]:
    report_path, failed = layout.loudness_report(course, episode), layout.loudness_failure(course, episode)
    newest = max((p for p in (report_path, failed) if p.is_file()), key=lambda p: p.stat().st_mtime_ns,
                 default=None)
    if newest is None:
        return []
    try:
        report = load_report(newest)
    except (ValueError, KeyError, TypeError) as e:
        return [f"{newest}: unreadable loudness report ({e}); run 'coursecast episodes' again"]
    return [f"episode '{episode.slug}' failed the loudness gate: {p} (see {newest.name})" for p in report.problems]


def _settings_problems(course: Course) -> list[str]:
    s, where = course.audio, f"{course.path.name} [audio]"
    checks = [
        (s.channels in CHANNEL_MODES, f"channels = {s.channels!r}: use one of {', '.join(CHANNEL_MODES)}"),
        (0 <= s.crossfade_ms <= MAX_CROSSFADE_MS, f"crossfade_ms = {s.crossfade_ms}: use 0-{MAX_CROSSFADE_MS}"),
        (s.max_pause_s >= MIN_PAUSE_S, f"max_pause_s = {s.max_pause_s}: use {MIN_PAUSE_S} s or more, "
                                       "or word endings get cut"),
        (s.true_peak_db <= s.gate_max_true_peak_db, f"true_peak_db = {s.true_peak_db} is above "
                                                    f"gate_max_true_peak_db = {s.gate_max_true_peak_db}"),
        (s.sample_rate_hz in (44100, 48000), f"sample_rate_hz = {s.sample_rate_hz}: use 44100 (or 48000)"),
        (s.video_height % 2 == 0 and s.video_height >= 144, f"video_height = {s.video_height}: use an even "
                                                            "number of pixels, 144 or more (e.g. 720)"),
    ]
    return [f"{where}: {message}" for ok, message in checks if not ok]


def check(course: Course) -> list[str]:
    """Problems for `coursecast check`: settings, artwork, stings, chapters past the end, failed loudness gates."""
    problems = _settings_problems(course) + artwork.check(course)
    for episode in course.episodes:
        for which, rel in zip(("intro", "outro"), stings(course, episode)):
            if rel and not (course.root / rel).is_file():
                problems.append(f"episode '{episode.slug}': the {which} sting {rel} does not exist; "
                                f"add it or fix '{which}' in {course.path.name}")
        if all(s.keep for s in episode.sources) and episode.chapters and not any(stings(course, episode)):
            last, length = episode.chapters[-1].at, sum(r.duration for s in episode.sources for r in s.keep)
            if last >= length:
                problems.append(f"episode '{episode.slug}': chapter '{episode.chapters[-1].title}' starts at "
                                f"{last:.1f} s, after the episode's kept {length:.1f} s; fix its 'at'")
        problems += _loudness_problems(course, episode)
    return problems


def loudness_summary(course: Course) -> list[str]:
    """One line per built episode from its loudness report, for `coursecast check`."""
    lines = []
    for episode in course.episodes:
        path = layout.loudness_report(course, episode)
        if not path.is_file():
            lines.append(f"{episode.slug}: not built yet")
            continue
        report = load_report(path)
        outputs = ", ".join(f"{ext} {o.loudness.integrated:.1f} LUFS / {o.loudness.true_peak:.1f} dBTP "
                            f"(LRA {o.loudness.lra:.1f} LU, gain {o.gain_db:+.1f} dB, {o.mode})"
                            for ext, o in report.outputs.items())
        lines.append(f"{episode.slug}: input {report.input.integrated:.1f} LUFS, {report.input.true_peak:.1f} dBTP "
                     f"-> target {report.target_lufs:.1f}: {outputs}")
    return lines
