"""Where every file lives. Files are the interface between stages; their names are decided here.

All paths are relative to the course folder (the folder of course.toml). The
published layout is the same: uploading episodes/, transcripts/ and feeds/ as
they are under the course's base_url makes every URL in the feeds resolve.
"""
from __future__ import annotations

from pathlib import Path

from .course import Course, Episode, Module
from .languages import AUTO

RAW = "raw_interviews"  # producers' recordings (input, never written)
EPISODES = "episodes"  # published audio, video, chapters, loudness reports, artwork
TRANSCRIPTS = "transcripts"  # published transcripts, captions and PDFs
FEEDS = "feeds"  # published RSS feeds
EDITS = "edits"  # editors' files: never overwritten by a build, never deleted by clean
STATE = ".coursecast"  # build state, work files, lock (safe to delete: forces a rebuild)
SITE = "site"  # published course website (static HTML pages linking the files above)
VOICES = "voices"  # under raw_interviews/: a voice sample per speaker, named by the speaker's id


# (folder, file-name ending, the command that builds it): the first match wins. Messages about a
# missing or unreadable published file name the command that makes it.
BUILT_BY = (
    (SITE, "", "coursecast site"), (FEEDS, "", "coursecast feeds"),
    (TRANSCRIPTS, ".pdf", "coursecast print"), (TRANSCRIPTS, ".html", "coursecast feeds"),
    (TRANSCRIPTS, ".podcast.json", "coursecast feeds"), (TRANSCRIPTS, "", "coursecast transcribe"),
    (EPISODES, ".captioned.mp4", "coursecast video"), (EPISODES, ".vtt", "coursecast video"),
    (EPISODES, ".open-captions.mp4", "coursecast video"), (EPISODES, "", "coursecast episodes"),
)


def builder(path: Path, root: Path) -> str:
    """The command that writes `path`, a published file in the course folder `root` (for messages)."""
    path = Path(path)
    top = path.relative_to(root).parts[0] if path.is_relative_to(root) else ""
    return next((command for where, ending, command in BUILT_BY if where == top and path.name.endswith(ending)),
                "coursecast build")


def folder(course: Course, name: str) -> Path:
    return course.root / name


def work_dir(course: Course, episode: Episode) -> Path:
    """Intermediate files of one episode (not published)."""
    return course.root / STATE / "work" / episode.slug


# -- episodes stage -------------------------------------------------------------------
def asr_audio(course: Course, episode: Episode) -> Path:
    """16 kHz mono WAV of the cut episode before loudness: what the transcriber hears."""
    return work_dir(course, episode) / "asr.wav"


def asr_channel(course: Course, episode: Episode, side: str) -> Path:
    """16 kHz WAV of one side ('left'/'right') of a one-speaker-per-channel episode."""
    return work_dir(course, episode) / f"asr.{side}.wav"


def episode_audio(course: Course, episode: Episode, ext: str) -> Path:
    """ext 'mp3' or 'm4a': the published, tagged podcast audio."""
    return folder(course, EPISODES) / f"{episode.slug}.{ext}"


def episode_video(course: Course, episode: Episode) -> Path:
    """The cut video episode with normalised audio, no captions, no tags: an intermediate, never published
    (the video stage publishes `captioned_video`)."""
    return work_dir(course, episode) / "video.mp4"


def loudness_report(course: Course, episode: Episode) -> Path:
    return folder(course, EPISODES) / f"{episode.slug}.loudness.json"


def chapters_json(course: Course, episode: Episode) -> Path:
    """Podcasting 2.0 chapters (version 1.2 JSON)."""
    return folder(course, EPISODES) / f"{episode.slug}.chapters.json"


def artwork(course: Course, module: Module | None = None) -> Path:
    """Square JPEG artwork: the course's, or one module's."""
    name = "course" if module is None else f"module-{module.number}-{module.slug}"
    return folder(course, EPISODES) / "artwork" / f"{name}.jpg"


def episode_artwork(course: Course, episode: Episode) -> Path:
    """Square JPEG artwork of an episode that has its own (episode.artwork set)."""
    return folder(course, EPISODES) / "artwork" / f"episode-{episode.slug}.jpg"


def untagged_audio(course: Course, episode: Episode, ext: str) -> Path:
    """ext 'mp3' or 'm4a': the normalised encode before tags (the tag task copies and tags it)."""
    return work_dir(course, episode) / f"untagged.{ext}"


def timeline(course: Course, episode: Episode) -> Path:
    """JSON: which stretch of which recording lands where in the episode (cuts, crossfades, pauses)."""
    return work_dir(course, episode) / "timeline.json"


def cut_master(course: Course, episode: Episode) -> Path:
    """Float WAV at the encode rate: the episode as cut (pauses shortened), before strikes and loudness."""
    return work_dir(course, episode) / "cut.wav"


def strikes(course: Course, episode: Episode) -> Path:
    """JSON: the spans editors struck out (`~~ ... ~~` in edits/<slug>.txt), as times of the cut only."""
    return work_dir(course, episode) / "strikes.json"


def published_timeline(course: Course, episode: Episode) -> Path:
    """JSON: the cut's timeline and the strikes removed from it: cut-episode time -> published time."""
    return work_dir(course, episode) / "published.json"


def loudness_failure(course: Course, episode: Episode) -> Path:
    """The loudness report of a build that failed the loudness gate (shown by `coursecast check`)."""
    return work_dir(course, episode) / "loudness.failed.json"


# -- transcribe stage -----------------------------------------------------------------
def machine_transcript(course: Course, episode: Episode) -> Path:
    """What the engine heard, never edited."""
    return folder(course, TRANSCRIPTS) / f"{episode.slug}.machine.json"


def heard_transcript(course: Course, episode: Episode, part: str = "mix") -> Path:
    """What the engine heard in asr.wav ('mix') or one side's asr.<side>.wav, speakers not yet named.

    Kept apart from the machine transcript so new turn hints never re-transcribe.
    """
    return work_dir(course, episode) / ("heard.json" if part == "mix" else f"heard.{part}.json")


def speaker_turns(course: Course, episode: Episode) -> Path:
    """Who speaks when in asr.wav, found by voice (turns and a voice per label, not yet named)."""
    return work_dir(course, episode) / "speakers.json"


def voice_turns(course: Course, episode: Episode) -> Path:
    """Who speaks when, as levelling reads it: times and voice indices, no names (the speakers task writes it)."""
    return work_dir(course, episode) / "turns.json"


def voices_folder(course: Course) -> Path:
    """raw_interviews/voices/: a short recording of each speaker alone, named <speaker-id>.<any audio extension>."""
    return folder(course, RAW) / VOICES


def voice_samples(course: Course) -> dict[str, tuple[Path, ...]]:
    """Speaker id (the file's stem) -> the voice samples found for it, hidden files ignored."""
    found: dict[str, list[Path]] = {}
    base = voices_folder(course)
    for path in sorted(base.iterdir()) if base.is_dir() else ():
        if path.is_file() and not path.name.startswith("."):
            found.setdefault(path.stem, []).append(path)
    return {stem: tuple(paths) for stem, paths in found.items()}


def voice_print(course: Course, speaker_id: str) -> Path:
    """The voice heard in a speaker's voice sample (an embedding), kept so the sample is heard once."""
    return course.root / STATE / "voices" / f"{speaker_id}.json"


# -- editing (proofreading round trip) ------------------------------------------------
def edit_file(course: Course, episode: Episode) -> Path:
    """The editors' text of an episode: created once from the machine transcript, never overwritten."""
    return folder(course, EDITS) / f"{episode.slug}.txt"


def edit_base(course: Course, episode: Episode) -> Path:
    """The machine transcript the editing file was made from: carries corrections over a recut."""
    return folder(course, EDITS) / f"{episode.slug}.base.json"


def replacements_file(course: Course) -> Path:
    return folder(course, EDITS) / "replacements.toml"


def review_file(course: Course, episode: Episode) -> Path:
    """What the editor should look at: corrections that could not be placed, replacements made."""
    return folder(course, TRANSCRIPTS) / f"{episode.slug}.review.txt"


# -- transcript outputs ---------------------------------------------------------------
def transcript(course: Course, episode: Episode, ext: str) -> Path:
    """ext 'json', 'vtt', 'srt' or 'txt': the final (edited) transcript and captions."""
    return folder(course, TRANSCRIPTS) / f"{episode.slug}.{ext}"


# -- translate stage (a translation per language the course file asks for) -----------------
TRANSLATION_EXTENSIONS = ("json", "vtt", "srt", "txt")  # the published forms of a translated transcript


def translation(course: Course, episode: Episode, language: str, ext: str) -> Path:
    """ext 'json', 'vtt', 'srt' or 'txt': the transcript translated into `language` (a BCP 47 tag).

    Present only while the language is published (every cue translated): the stages after the
    translate stage read the languages an episode has from which of these exist.
    """
    return folder(course, TRANSCRIPTS) / f"{episode.slug}.{language}.{ext}"


def translation_file(course: Course, episode: Episode, language: str) -> Path:
    """The translator's file: each source cue beside its draft; created once, never overwritten."""
    return folder(course, EDITS) / f"{episode.slug}.{language}.txt"


def translation_base(course: Course, episode: Episode, language: str) -> Path:
    """What the translator's file was made from (each cue's source and draft): tells the translator's words
    from an untouched draft."""
    return folder(course, EDITS) / f"{episode.slug}.{language}.base.json"


def translation_review(course: Course, episode: Episode, language: str) -> Path:
    """What the translator should look at: untranslated cues, cues whose source changed, machine drafts."""
    return folder(course, TRANSCRIPTS) / f"{episode.slug}.{language}.review.txt"


def translation_drafts(course: Course, episode: Episode, language: str) -> Path:
    """Machine drafts by source-text hash (a work file): a re-cut or re-timed episode is never drafted again."""
    return work_dir(course, episode) / f"drafts.{language}.json"


def translation_pdf(course: Course, episode: Episode, language: str) -> Path:
    """The reading PDF of the translation into `language`."""
    return folder(course, TRANSCRIPTS) / f"{episode.slug}.{language}.pdf"


# -- print stage ----------------------------------------------------------------------
def episode_pdf(course: Course, episode: Episode, proof: bool = False) -> Path:
    return folder(course, TRANSCRIPTS) / f"{episode.slug}{'.proof' if proof else ''}.pdf"


def module_pdf(course: Course, module: Module) -> Path:
    return folder(course, TRANSCRIPTS) / f"module-{module.number}-{module.slug}.pdf"


def course_pdf(course: Course) -> Path:
    return folder(course, TRANSCRIPTS) / "course.pdf"


# -- video stage ----------------------------------------------------------------------
def untagged_captioned_video(course: Course, episode: Episode) -> Path:
    """`episode_video` with its caption tracks, before tags and chapters (not published)."""
    return work_dir(course, episode) / "captioned.mp4"


def captioned_video(course: Course, episode: Episode) -> Path:
    """The published video: a switchable mov_text caption track per language (video copied), tags, cover, chapters."""
    return folder(course, EPISODES) / f"{episode.slug}.captioned.mp4"


def untagged_open_captioned_video(course: Course, episode: Episode) -> Path:
    """`open_captioned_video` before tags and chapters (not published)."""
    return work_dir(course, episode) / "open-captions.mp4"


def open_captioned_video(course: Course, episode: Episode) -> Path:
    """MP4 with captions burned in (optional rendition), tagged like the captioned one."""
    return folder(course, EPISODES) / f"{episode.slug}.open-captions.mp4"


def video_captions(course: Course, episode: Episode, language: str) -> Path:
    """WebVTT beside the video for web players and video platforms; `<slug>.vtt` when the language is
    "auto" (detected by the transcriber: a file's name is decided before anything is built)."""
    name = episode.slug if language == AUTO else f"{episode.slug}.{language}"
    return folder(course, EPISODES) / f"{name}.vtt"


# -- feeds stage ----------------------------------------------------------------------
def course_feed(course: Course) -> Path:
    return folder(course, FEEDS) / "course.xml"


def module_feed(course: Course, module: Module, video: bool = False) -> Path:
    return folder(course, FEEDS) / f"{module.slug}{'-video' if video else ''}.xml"


def podcast_transcript(course: Course, episode: Episode) -> Path:
    """The transcript in the Podcast Index JSON format (what podcast:transcript application/json means).

    Written by the feeds stage from `transcript(course, episode, "json")`, which is
    coursecast's own model and not a format podcast apps read.
    """
    return folder(course, TRANSCRIPTS) / f"{episode.slug}.podcast.json"


def html_transcript(course: Course, episode: Episode) -> Path:
    """The Podcasting 2.0 HTML transcript (<cite>, <time>, <p> per turn): podcast:transcript text/html.

    Written by the feeds stage from `transcript(course, episode, "json")`; the site links it.
    """
    return folder(course, TRANSCRIPTS) / f"{episode.slug}.html"


# -- site stage -----------------------------------------------------------------------
def site_index(course: Course) -> Path:
    """The course page: the website's front page."""
    return folder(course, SITE) / "index.html"


def site_module_page(course: Course, module: Module) -> Path:
    return folder(course, SITE) / "modules" / f"{module.slug}.html"


def site_episode_page(course: Course, episode: Episode) -> Path:
    """The episode page: player, captions, transcript, chapters, downloads (each item's <link> in the feeds)."""
    return folder(course, SITE) / "episodes" / f"{episode.slug}.html"


def site_asset(course: Course, name: str) -> Path:
    """The site's stylesheet and script ('site.css', 'site.js')."""
    return folder(course, SITE) / "assets" / name


# -- demo generator -------------------------------------------------------------------
def demo_manifest(root: Path) -> Path:
    """What the demo generator last wrote into root/raw_interviews/ (recipes, hashes, layouts).

    Takes the course folder, not a Course: the generator writes course.toml itself.
    """
    return Path(root) / STATE / "demo-manifest.json"


def public_url(course: Course, path: Path) -> str:
    """The URL a published file will have under the course's base_url."""
    return course.info.base_url + path.relative_to(course.root).as_posix()


# -- every published name, to refuse a course file whose names would collide -----------------
def _episode_names(course: Course, episode: Episode) -> dict[Path, str]:
    return {
        **{episode_audio(course, episode, ext): f"{ext.upper()} audio" for ext in ("mp3", "m4a")},
        captioned_video(course, episode): "captioned video",
        open_captioned_video(course, episode): "open-captioned video", loudness_report(course, episode): "loudness report",
        chapters_json(course, episode): "chapters", episode_artwork(course, episode): "artwork",
        video_captions(course, episode, episode.language): "captions beside the video",
        machine_transcript(course, episode): "machine transcript", review_file(course, episode): "review file",
        **{transcript(course, episode, ext): f"{ext.upper()} transcript" for ext in ("json", "vtt", "srt", "txt")},
        episode_pdf(course, episode): "reading PDF", episode_pdf(course, episode, proof=True): "proofreading PDF",
        podcast_transcript(course, episode): "Podcast Index transcript",
        edit_file(course, episode): "editing file", edit_base(course, episode): "editing base",
        **{path: f"{language} translation" for language in episode.translations
           for path in (*(translation(course, episode, language, ext) for ext in TRANSLATION_EXTENSIONS),
                        translation_file(course, episode, language), translation_base(course, episode, language),
                        translation_review(course, episode, language), translation_pdf(course, episode, language))},
    }


def _module_names(course: Course, module: Module) -> dict[Path, str]:
    return {artwork(course, module): "artwork", module_pdf(course, module): "booklet",
            module_feed(course, module): "feed", module_feed(course, module, video=True): "video feed"}


def _course_names(course: Course) -> dict[Path, str]:
    return {artwork(course): "the course artwork", course_pdf(course): "the course booklet",
            course_feed(course): "the course feed", replacements_file(course): "the replacements file"}


def name_clashes(course: Course) -> list[tuple[str, str]]:
    """(where, problem) for published files two things of the course would both write (an episode 'course', ...)."""
    owners: dict[Path, str] = dict(_course_names(course))
    named = [(f"module '{m.slug}'", "[[modules]]", m.slug, _module_names(course, m)) for m in course.modules]
    named += [(f"episode '{e.slug}'", "[[episodes]]", e.slug, _episode_names(course, e)) for e in course.episodes]
    problems = []
    for owner, table, slug, names in named:
        for path, what in names.items():
            if path in owners:
                problems.append((f"{table} '{slug}'", f"{path.relative_to(course.root)} would be both {owners[path]} "
                                                       f"and {owner}'s {what}; choose another slug"))
            else:
                owners[path] = f"{owner}'s {what}"
    return problems
