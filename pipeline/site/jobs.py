"""What each page shows, planned from the course file alone: the frozen jobs that are the tasks' parameters.

A job holds exactly what its page shows from the course file (titles, summaries,
names, which files it links) and nothing else, so a corrected title re-renders
the pages that show that title and no other page. What a page shows from built
files (the transcript, chapters, sizes and durations) is read by the renderer
from the job's `inputs`, whose content is part of the task's key.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ._deps import Course, Episode, Module, layout

UI_LANGUAGE = "en"  # language of the site's own labels: the pages' <html lang>
VIDEO_FEED_SUFFIX = " (video)"  # appended to a module's name for its video feed


@dataclass(frozen=True)
class Frame:
    """What every page shows around its content: the course's name, links home, the footer."""

    course_title: str
    course_language: str  # BCP 47 code of the course file's texts
    author: str
    copyright: str
    home: Path  # the course page
    stylesheet: Path
    script: Path
    search_script: Path  # the search's code (assets/search.js)
    search_index: Path  # the course's sentences (assets/search-index.js, written by site:search)


@dataclass(frozen=True)
class NavLink:
    """A link to another page by its title (breadcrumbs, previous/next)."""

    page: Path
    title: str
    language: str  # language of the title


@dataclass(frozen=True)
class SpeakerInfo:
    name: str
    role: str  # roster role: host, guest, lecturer, interviewer, narrator
    affiliation: str
    bio: str


@dataclass(frozen=True)
class FeedLink:
    title: str  # what the feed is, e.g. "Module 1: Ontology" or "Whole course"
    path: Path  # the feed file (linked relatively)
    url: str  # its public URL: what podcast apps subscribe to


@dataclass(frozen=True)
class Download:
    label: str  # what a person downloads, e.g. "MP3 audio"
    path: Path
    mime: str


@dataclass(frozen=True)
class CaptionFile:
    language: str  # BCP 47 code
    path: Path  # WebVTT beside the video


@dataclass(frozen=True)
class EpisodeEntry:
    """An episode as the module and course pages list it."""

    page: Path
    number: int
    title: str
    summary: str
    language: str
    kind: str  # "audio" or "video"
    speakers: tuple[str, ...]  # names
    audio: Path  # the MP3: its duration is shown
    transcript: Path | None = None  # the transcript JSON: its soundbites are the module page's highlights


@dataclass(frozen=True)
class EpisodeJob:
    target: Path
    frame: Frame
    slug: str
    title: str
    summary: str
    language: str  # the episode's language
    date: dt.date
    number: int
    module: NavLink
    module_number: int
    kind: str  # "audio" or "video"
    media: Path  # what the player plays
    media_type: str  # its MIME type
    captions: tuple[CaptionFile, ...]  # video only: one track per caption language
    chapters: Path | None  # chapters JSON, for episodes with chapters
    transcript: Path  # the edited transcript JSON
    names: tuple[tuple[str, str], ...]  # (roster id, name) of everyone who may speak in it
    speakers: tuple[SpeakerInfo, ...]
    downloads: tuple[Download, ...]
    feed: FeedLink  # the module's feed (autodiscovery)
    previous: NavLink | None
    next: NavLink | None
    translations: tuple[CaptionFile, ...] = ()  # per language translated into: its transcript JSON (its VTT and
    # PDF beside it), shown while the translate stage publishes it

    @property
    def optional_inputs(self) -> tuple[Path, ...]:
        """The translations' files: the page shows those that exist."""
        return tuple(t.path.with_suffix(ext) for t in self.translations for ext in (".json", ".vtt", ".pdf"))

    @property
    def inputs(self) -> tuple[Path, ...]:
        files = [self.transcript, self.media, *(c.path for c in self.captions), *(d.path for d in self.downloads)]
        if self.chapters:
            files.append(self.chapters)
        return tuple(dict.fromkeys(files))


@dataclass(frozen=True)
class ModuleJob:
    target: Path
    frame: Frame
    number: int
    title: str
    summary: str
    episodes: tuple[EpisodeEntry, ...]
    booklet: Download
    feeds: tuple[FeedLink, ...]
    previous: NavLink | None
    next: NavLink | None

    @property
    def inputs(self) -> tuple[Path, ...]:
        transcripts = (e.transcript for e in self.episodes if e.transcript)
        return (*(e.audio for e in self.episodes), *transcripts, self.booklet.path)


@dataclass(frozen=True)
class EpisodeLink:
    """An episode as the course page lists it: its title, kind and duration."""

    page: Path
    title: str
    language: str
    kind: str  # "audio" or "video"
    audio: Path  # the MP3: its duration is shown


@dataclass(frozen=True)
class ModuleEntry:
    """A module as the course page lists it."""

    page: Path
    number: int
    title: str
    summary: str
    episodes: tuple[EpisodeLink, ...]


@dataclass(frozen=True)
class CourseJob:
    target: Path
    frame: Frame
    subtitle: str
    modules: tuple[ModuleEntry, ...]
    speakers: tuple[SpeakerInfo, ...]
    booklet: Download | None  # None when the course has no episodes yet
    feeds: tuple[FeedLink, ...]

    @property
    def inputs(self) -> tuple[Path, ...]:
        audio = [e.audio for m in self.modules for e in m.episodes]
        return (*audio, *((self.booklet.path,) if self.booklet else ()))


# -- planning -------------------------------------------------------------------------------------
def frame(course: Course) -> Frame:
    info = course.info
    return Frame(info.title, info.language, info.author, info.copyright, layout.site_index(course),
                 layout.site_asset(course, "site.css"), layout.site_asset(course, "site.js"),
                 layout.site_asset(course, "search.js"), layout.site_asset(course, "search-index.js"))


def module_title(module: Module) -> str:
    return f"Module {module.number}: {module.title}"


def feeds(course: Course, module: Module | None = None) -> tuple[FeedLink, ...]:
    """The feeds the feeds stage writes (a module's, its video feed; with no module: every one and the course's)."""
    if module is None:
        links = [f for m in sorted(course.modules, key=lambda m: m.number) for f in feeds(course, m)]
        return (*links, _feed(course, "Whole course", layout.course_feed(course))) if course.episodes else ()
    episodes = course.module_episodes(module.number)
    links = [_feed(course, module_title(module), layout.module_feed(course, module))] if episodes else []
    if course.feeds.video_feeds and any(e.kind == "video" for e in episodes):
        links.append(_feed(course, module_title(module) + VIDEO_FEED_SUFFIX, layout.module_feed(course, module, True)))
    return tuple(links)


def _feed(course: Course, title: str, path: Path) -> FeedLink:
    return FeedLink(title, path, layout.public_url(course, path))


def speaker_info(course: Course, speaker_id: str) -> SpeakerInfo:
    speaker = course.speaker(speaker_id)
    return SpeakerInfo(speaker.name, speaker.role, speaker.affiliation, speaker.bio)


def entry(course: Course, episode: Episode) -> EpisodeEntry:
    return EpisodeEntry(layout.site_episode_page(course, episode), episode.number, episode.title, episode.summary,
                        episode.language, episode.kind, tuple(course.speaker(s).name for s in episode.speakers),
                        layout.episode_audio(course, episode, "mp3"), layout.transcript(course, episode, "json"))


def _voices(episode: Episode) -> list[str]:
    """Roster ids that may speak in the episode: its speakers, turn hints and channel speakers."""
    ids = [*episode.speakers, *(t.speaker for t in episode.turns)]
    ids += [speaker for source in episode.sources for _, speaker in source.channels]
    return list(dict.fromkeys(ids))


def names(course: Course, episode: Episode) -> tuple[tuple[str, str], ...]:
    return tuple((s, course.speaker(s).name) for s in _voices(episode))


def caption_languages(episode: Episode) -> tuple[str, ...]:
    """Caption languages of a video episode: the first edition has one, in the episode's language.

    Mirrors the video stage's `caption_tracks`, which writes `layout.video_captions` per language.
    """
    return (episode.language,)


def downloads(course: Course, episode: Episode) -> tuple[Download, ...]:
    files = [Download("MP3 audio", layout.episode_audio(course, episode, "mp3"), "audio/mpeg"),
             Download("M4A audio (AAC)", layout.episode_audio(course, episode, "m4a"), "audio/mp4")]
    if episode.kind == "video":
        files.append(Download("MP4 video with closed captions", layout.captioned_video(course, episode), "video/mp4"))
        if course.video.open_captions:
            files.append(Download("MP4 video with captions burned in", layout.open_captioned_video(course, episode),
                                  "video/mp4"))
    files += [Download("Transcript, PDF", layout.episode_pdf(course, episode), "application/pdf"),
              Download("Transcript, plain text", layout.transcript(course, episode, "txt"), "text/plain"),
              Download("Transcript, HTML", layout.html_transcript(course, episode), "text/html"),
              Download("Captions, WebVTT", layout.transcript(course, episode, "vtt"), "text/vtt"),
              Download("Captions, SRT", layout.transcript(course, episode, "srt"), "application/x-subrip")]
    return tuple(files)


def _neighbours(course: Course, episode: Episode) -> tuple[NavLink | None, NavLink | None]:
    ordered = sorted(course.episodes, key=lambda e: (e.module, e.number))
    index = ordered.index(episode)
    link = lambda e: NavLink(layout.site_episode_page(course, e), e.title, e.language)  # noqa: E731
    return (link(ordered[index - 1]) if index else None,
            link(ordered[index + 1]) if index + 1 < len(ordered) else None)


def plan_episode(course: Course, episode: Episode) -> EpisodeJob:
    module = course.module(episode.module)
    video = episode.kind == "video"
    previous, following = _neighbours(course, episode)
    return EpisodeJob(
        target=layout.site_episode_page(course, episode), frame=frame(course), slug=episode.slug,
        title=episode.title, summary=episode.summary, language=episode.language, date=episode.date,
        number=episode.number, module=NavLink(layout.site_module_page(course, module), module_title(module),
                                              course.info.language),
        module_number=module.number, kind=episode.kind,
        media=layout.captioned_video(course, episode) if video else layout.episode_audio(course, episode, "mp3"),
        media_type="video/mp4" if video else "audio/mpeg",
        captions=tuple(CaptionFile(lang, layout.video_captions(course, episode, lang))
                       for lang in caption_languages(episode)) if video else (),
        chapters=layout.chapters_json(course, episode) if episode.chapters else None,
        transcript=layout.transcript(course, episode, "json"), names=names(course, episode),
        speakers=tuple(speaker_info(course, s) for s in episode.speakers), downloads=downloads(course, episode),
        feed=feeds(course, module)[0], previous=previous, next=following,
        translations=tuple(CaptionFile(lang, layout.translation(course, episode, lang, "json"))
                           for lang in episode.translations))


def _module_neighbours(course: Course, module: Module) -> tuple[NavLink | None, NavLink | None]:
    ordered = [m for m in sorted(course.modules, key=lambda m: m.number) if course.module_episodes(m.number)]
    index = ordered.index(module)
    link = lambda m: NavLink(layout.site_module_page(course, m), module_title(m), course.info.language)  # noqa: E731
    return (link(ordered[index - 1]) if index else None,
            link(ordered[index + 1]) if index + 1 < len(ordered) else None)


def plan_module(course: Course, module: Module) -> ModuleJob:
    previous, following = _module_neighbours(course, module)
    return ModuleJob(
        target=layout.site_module_page(course, module), frame=frame(course), number=module.number,
        title=module.title, summary=module.summary,
        episodes=tuple(entry(course, e) for e in course.module_episodes(module.number)),
        booklet=Download("Module booklet, PDF", layout.module_pdf(course, module), "application/pdf"),
        feeds=feeds(course, module), previous=previous, next=following)


def plan_course(course: Course) -> CourseJob:
    link = lambda e: EpisodeLink(layout.site_episode_page(course, e), e.title, e.language, e.kind,  # noqa: E731
                                 layout.episode_audio(course, e, "mp3"))
    modules = tuple(ModuleEntry(layout.site_module_page(course, m), m.number, m.title, m.summary,
                                tuple(link(e) for e in course.module_episodes(m.number)))
                    for m in sorted(course.modules, key=lambda m: m.number))
    booklet = Download("Course booklet, PDF", layout.course_pdf(course), "application/pdf") if course.episodes else None
    return CourseJob(target=layout.site_index(course), frame=frame(course), subtitle=course.info.subtitle,
                     modules=modules, speakers=tuple(speaker_info(course, s.id) for s in course.speakers),
                     booklet=booklet, feeds=feeds(course))
