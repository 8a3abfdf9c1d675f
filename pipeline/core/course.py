"""The course as the stages see it: frozen dataclasses, filled from course.toml by `course_file`.

Everything the stages need from the course file crosses `course_file`'s edge as
one of these; no raw TOML table travels further.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .settings import (
    AudioSettings,
    CaptionSettings,
    DiarizationSettings,
    FeedSettings,
    PrintSettings,
    RunSettings,
    TranscriptionSettings,
    TranslationSettings,
    VideoSettings,
)

SPEAKER_ROLES = ("host", "guest", "lecturer", "interviewer", "narrator")
SOURCE_KINDS = ("audio", "video")


@dataclass(frozen=True)
class Range:
    start: float  # seconds into the recording
    end: float  # seconds into the recording

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Source:
    file: str  # path relative to raw_interviews/
    path: Path  # absolute path
    kind: str  # "audio" or "video"
    keep: tuple[Range, ...]  # ranges to keep, in order; empty = the whole recording
    channels: tuple[tuple[str, str], ...] = ()  # (("left", speaker id), ("right", speaker id))


@dataclass(frozen=True)
class Chapter:
    at: float  # seconds into the episode
    title: str


@dataclass(frozen=True)
class TurnHint:
    at: float  # seconds into the episode
    speaker: str  # roster id


@dataclass(frozen=True)
class Speaker:
    id: str
    name: str
    role: str  # one of SPEAKER_ROLES
    affiliation: str = ""
    bio: str = ""


@dataclass(frozen=True)
class Module:
    number: int
    slug: str
    title: str
    summary: str = ""
    artwork: str = ""  # relative to the course folder; "" = generated
    intro: str = ""  # overrides [audio] intro
    outro: str = ""  # overrides [audio] outro


@dataclass(frozen=True)
class Episode:
    slug: str
    module: int
    number: int
    title: str
    summary: str
    date: dt.date
    language: str
    speakers: tuple[str, ...]
    sources: tuple[Source, ...]
    chapters: tuple[Chapter, ...] = ()
    turns: tuple[TurnHint, ...] = ()
    artwork: str = ""  # relative to the course folder; "" = the module's
    model: str = ""  # the Whisper model for this episode ("" = [transcription] models/model)
    translations: tuple[str, ...] = ()  # BCP 47 tags it is translated into: its own list, else [course] translations

    @property
    def kind(self) -> str:
        return "video" if self.sources and all(s.kind == "video" for s in self.sources) else "audio"


@dataclass(frozen=True)
class CourseInfo:
    title: str
    subtitle: str
    author: str
    owner_name: str
    owner_email: str
    language: str
    base_url: str  # public URL the course folder's outputs are published under, ends with /
    website: str
    copyright: str
    categories: tuple[str, ...]  # Apple categories, "Education" or "Education > Courses"
    artwork: str = ""  # relative to the course folder; "" = generated
    guid: str = ""  # podcast:guid seed; "" = derived from base_url
    translations: tuple[str, ...] = ()  # BCP 47 tags every episode is translated into (an episode may override)


@dataclass(frozen=True)
class Course:
    path: Path  # the course file
    info: CourseInfo
    modules: tuple[Module, ...]
    speakers: tuple[Speaker, ...]
    episodes: tuple[Episode, ...]
    audio: AudioSettings
    transcription: TranscriptionSettings
    captions: CaptionSettings
    video: VideoSettings
    feeds: FeedSettings
    print: PrintSettings
    diarization: DiarizationSettings = DiarizationSettings()
    run: RunSettings = RunSettings()  # where tasks execute; read by the CLI only, never by an action
    translation: TranslationSettings = TranslationSettings()

    @property
    def root(self) -> Path:
        return self.path.parent

    def folder(self, name: str) -> Path:
        """raw_interviews, episodes, transcripts, feeds, edits, .coursecast."""
        return self.root / name

    def module(self, number: int) -> Module:
        return next(m for m in self.modules if m.number == number)

    def speaker(self, speaker_id: str) -> Speaker:
        return next(s for s in self.speakers if s.id == speaker_id)

    def episode(self, slug: str) -> Episode:
        return next(e for e in self.episodes if e.slug == slug)

    def episode_speakers(self, episode: Episode) -> tuple[Speaker, ...]:
        """Everyone the episode names, in order: its speakers, then those on its channels and in its turn hints."""
        sides = [speaker for s in episode.sources for _, speaker in s.channels]
        ids = dict.fromkeys((*episode.speakers, *sides, *(t.speaker for t in episode.turns)))
        return tuple(s for i in ids for s in self.speakers if s.id == i)

    def model_of(self, episode: Episode) -> str:
        """The Whisper model the episode is heard with: its own `model`, its language's, or the course's."""
        return self.transcription.model_for(episode.language, episode.model)

    def module_episodes(self, number: int) -> tuple[Episode, ...]:
        return tuple(sorted((e for e in self.episodes if e.module == number), key=lambda e: e.number))


