"""The video stage: video episodes + captions -> the published, captioned and tagged MP4.

Closed captions (`caption_video`, in mux.py): the episode MP4 (a work file of the
episodes stage) with one switchable mov_text track per caption language (ISO
639-2 language tag, the language's own name as track title), video and audio
stream-copied, so the mux is fast and lossless. The WebVTT is copied beside it
(`<slug>.<lang>.vtt`) for web players.

Tags (`video-tags:<slug>`, a cheap task after the mux): the captioned MP4 gets
what the audio's tags show (title, artist, album, date, description, the cover,
the chapters), through the episodes stage's own tagging, and is published as
`episodes/<slug>.captioned.mp4`: the file the video feeds enclose. A title
change re-runs only this task.

Open captions (`burn_captions`, optional): the captions rendered into the
picture by libass. This one re-encodes (x264) into a work file; `video-open-tags:<slug>`
then tags it exactly as the captioned MP4 is tagged (same fields, cover, chapters),
so a title change re-tags it and never re-encodes.

Both show each cue's text as the captions stage wrote it: that text already
opens every speaker turn with its "Name: " label (or "- "), so nothing is added
here and no label is shown twice.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path


from ..core import layout
from ..core.course import Course, Episode
from ..core.dependency import Task
from ..core.errors import CoursecastError, StageError
from ..core.fonts import find_font
from ..core.fsutil import write_bytes
from ..core.languages import AUTO
from ..core.transcript import load
from ..core.media import probe
from ..episodes import TagFields, TagInfo, chapter_marks, cover_path, read_chapters, tag_fields, tag_video
from .mux import CaptionedVideo, CaptionTrack, burn_captions, caption_video, language_tag

LIBRARIES = ("ffmpeg", "ffmpeg-python", "langcodes")  # the ffmpeg build, its commands' writer, the tracks' languages
TAG_LIBRARIES = (*LIBRARIES, "mutagen")  # the video's tags are written with mutagen
MUX_WEIGHT = 0.01  # relative cost per second of video of the stream-copy mux
TAG_WEIGHT = 0.01  # relative cost per second of video of the tags (a stream-copy remux for the chapters)
BURN_WEIGHT = 0.5  # relative cost per second of video of the open-caption encode (measured 2x realtime)
UNKNOWN_DURATION_S = 600.0  # seconds assumed for the ETA when the course file gives no ranges


@dataclass(frozen=True)
class PublishedTrack:
    track: CaptionTrack  # the captions as the captions stage wrote them
    beside: Path | None  # the copy published beside the video for web players (None: a translation, published
    # by the translate stage in transcripts/ and muxed only while that file exists)


@dataclass(frozen=True)
class ClosedCaptionJob:
    """What the `video:<slug>` task reads: the episode video and its captions."""

    video: Path  # the episode MP4 (no captions)
    tracks: tuple[PublishedTrack, ...]  # one per caption language, the first shown by default
    target: Path  # the captioned MP4, before tags (a work file)


@dataclass(frozen=True)
class VideoTagJob:
    """What the `video-tags:<slug>` task reads: what the tags show, the cover, the chapters, the captioned MP4."""

    episode: str  # slug, for messages
    fields: TagFields  # the same text as the audio's tags
    cover: Path  # the published artwork the tags embed
    chapters: Path  # the episodes stage's chapters JSON: times on the published episode
    captioned: Path  # the mux's captioned MP4 (untagged)
    target: Path  # the published MP4 the video feeds enclose


@dataclass(frozen=True)
class OpenCaptionJob:
    """What the `video-open:<slug>` task reads: the video, one caption track and how to draw it."""

    video: Path  # the episode MP4 (no captions)
    track: CaptionTrack  # the captions burned in
    target: Path  # the re-encoded MP4
    font: str  # fontconfig family ([video] font)
    font_file: Path  # the file that family resolves to (an input too)
    preset: str  # x264 preset
    crf: int  # x264 quality
    max_chars: int  # [captions] max_chars_per_line: the font is sized so such a line fits


def spoken(track: CaptionTrack) -> CaptionTrack:
    """The track in the language its transcript was detected in, when the episode's language is "auto"."""
    if track.language != AUTO or track.spoken is None:
        return track
    return replace(track, language=load(track.spoken).language)


MACHINE_NOTE = "NOTE Machine translation"  # how the translate stage marks a VTT with machine drafts in it


def labelled(track: CaptionTrack) -> CaptionTrack:
    """A translation with machine drafts in it says so in its track's title."""
    with open(track.vtt, encoding="utf-8") as vtt:
        head = vtt.read(400)
    return replace(track, note="(machine translation)") if MACHINE_NOTE in head else track


def build_closed(job: ClosedCaptionJob) -> CaptionedVideo:
    """The video task's action: the mov_text mux, then each VTT copied beside the video."""
    present = [t for t in job.tracks if t.beside is not None or t.track.vtt.exists()]  # published translations
    tracks = [spoken(t.track) if t.beside is not None else labelled(t.track) for t in present]
    result = caption_video(job.video, tracks, job.target)
    for published in present:
        if published.beside is not None:
            write_bytes(published.beside, published.track.vtt.read_bytes())
    return result


def tag_captioned(job: VideoTagJob) -> TagInfo:
    """The video-tags task's action: the captioned MP4 tagged like the audio (cover and chapters too), published."""
    if not job.cover.is_file():
        raise StageError(f"episode '{job.episode}': artwork {job.cover} is missing; run 'coursecast episodes' "
                         "to make it")
    marks = chapter_marks(list(read_chapters(job.chapters)), probe(job.captioned).duration)
    info = TagInfo(**vars(job.fields), cover=job.cover.read_bytes(), chapters=marks)
    tag_video(job.captioned, job.target, info)
    return info


def build_open(job: OpenCaptionJob) -> CaptionedVideo:
    """The video-open task's action: captions burned into a re-encoded copy."""
    return burn_captions(job.video, spoken(job.track), job.target, font=job.font, preset=job.preset, crf=job.crf,
                         max_chars=job.max_chars)


def caption_tracks(course: Course, episode: Episode) -> list[CaptionTrack]:
    """The episode's caption languages and files: the first edition has one, in the episode's language
    (for "auto", the one its transcript was detected in)."""
    detected = layout.transcript(course, episode, "json") if episode.language == AUTO else None
    return [CaptionTrack(episode.language, layout.transcript(course, episode, "vtt"), detected)]


def translation_tracks(course: Course, episode: Episode) -> list[CaptionTrack]:
    """A track per language the episode is translated into (muxed while the translate stage publishes it)."""
    return [CaptionTrack(lang, layout.translation(course, episode, lang, "vtt")) for lang in episode.translations]


def _seconds(episode: Episode) -> float:
    """The episode's length from its keep ranges (for the ETA only), or a guess."""
    if all(s.keep for s in episode.sources):
        return sum(r.duration for s in episode.sources for r in s.keep)
    return UNKNOWN_DURATION_S


def _closed_task(course: Course, episode: Episode) -> Task:
    tracks = tuple(PublishedTrack(t, layout.video_captions(course, episode, t.language))
                   for t in caption_tracks(course, episode))
    tracks += tuple(PublishedTrack(t, None) for t in translation_tracks(course, episode))
    job = ClosedCaptionJob(layout.episode_video(course, episode), tracks,
                           layout.untagged_captioned_video(course, episode))
    return Task(stage="video", name=f"video:{episode.slug}", action=build_closed, job=job,
                inputs=(job.video, *(t.track.vtt for t in tracks), *(t.track.spoken for t in tracks if t.track.spoken)),
                targets=(job.target, *(t.beside for t in tracks if t.beside)), libraries=LIBRARIES, episode=episode.slug,
                weight=_seconds(episode) * MUX_WEIGHT)


def _tag_task(course: Course, episode: Episode, burned: bool = False) -> Task:
    """'video-tags:<slug>' (the captioned MP4) or, `burned`, 'video-open-tags:<slug>' (the open-captioned one)."""
    source, target = ((layout.untagged_open_captioned_video, layout.open_captioned_video) if burned
                      else (layout.untagged_captioned_video, layout.captioned_video))
    job = VideoTagJob(episode.slug, tag_fields(course, episode), cover_path(course, episode),
                      layout.chapters_json(course, episode), source(course, episode), target(course, episode))
    name = "video-open-tags" if burned else "video-tags"
    return Task(stage="video", name=f"{name}:{episode.slug}", action=tag_captioned, job=job,
                inputs=(job.captioned, job.cover, job.chapters), targets=(job.target,),
                libraries=TAG_LIBRARIES, episode=episode.slug,
                weight=_seconds(episode) * TAG_WEIGHT)


def _font_file(family: str) -> Path:
    try:
        return find_font(family)
    except CoursecastError:
        return Path(family)  # the action names the missing font; `check` and the course file's load do too


def _open_task(course: Course, episode: Episode) -> Task:
    settings = course.video
    job = OpenCaptionJob(layout.episode_video(course, episode), caption_tracks(course, episode)[0],
                         layout.untagged_open_captioned_video(course, episode), settings.font,
                         _font_file(settings.font),
                         settings.open_caption_preset, settings.open_caption_crf, course.captions.max_chars_per_line)
    return Task(stage="video", name=f"video-open:{episode.slug}", action=build_open, job=job,
                inputs=(job.video, job.track.vtt, *((job.track.spoken,) if job.track.spoken else ()), job.font_file),
                targets=(job.target,), libraries=LIBRARIES,
                episode=episode.slug, weight=_seconds(episode) * BURN_WEIGHT)


def tasks(course: Course) -> list[Task]:
    """'video:<slug>' and 'video-tags:<slug>' per video episode; 'video-open:<slug>' and
    'video-open-tags:<slug>' too when [video] open_captions is on."""
    result = []
    for episode in course.episodes:
        if episode.kind == "video":
            result += [_closed_task(course, episode), _tag_task(course, episode)]
            if course.video.open_captions:
                result += [_open_task(course, episode), _tag_task(course, episode, burned=True)]
    return result


def preflight(course: Course) -> list[str]:
    """What stops the video stage before a build starts: caption languages, the burned-in font."""
    problems = []
    episodes = [e for e in course.episodes if e.kind == "video"]
    for episode in episodes:
        for track in caption_tracks(course, episode):
            if track.language != AUTO:  # "auto" takes the detected language, which Whisper knows
                problems += _problem(lambda: language_tag(track.language), f"[[episodes]] '{episode.slug}'")
    if episodes and course.video.open_captions:
        problems += _problem(lambda: find_font(course.video.font), "[video].font")
    return problems


check = preflight


def _problem(test, where: str) -> list[str]:
    try:
        test()
    except CoursecastError as e:
        return [f"{where}: {e}"]
    return []
