"""What pages show from built files: sizes, durations, chapters and the transcript's turns.

Every read names the file and the command that builds it when the file is missing
or unreadable, so a page is never written with a dead link or a guessed value.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ._deps import (
    SENTENCE_END, CoursecastError, Segment, StageError, Transcript, layout, load_transcript, published_length,
    read_chapters, turns,
)

ABBREVIATIONS = frozenset({"dr.", "mr.", "mrs.", "ms.", "prof.", "st.", "e.g.", "i.e.", "vs.", "no.", "approx."})


@dataclass(frozen=True)
class Chapter:
    start: float  # seconds
    end: float  # seconds: the next chapter's start, or the episode's end
    title: str


@dataclass(frozen=True)
class Line:
    """One transcript segment as the page shows it: a link that seeks the player."""

    start: float  # seconds
    end: float  # seconds
    text: str


@dataclass(frozen=True)
class Paragraph:
    """One speaker turn: the speaker's name, the turn's start and its segments."""

    speaker: str
    start: float  # seconds
    lines: tuple[Line, ...]


def require(paths, root: Path) -> None:
    """StageError listing every missing file with the command that builds it."""
    missing = [p for p in dict.fromkeys(paths) if not Path(p).is_file()]
    if missing:
        raise StageError("the site cannot be built; missing: "
                         + "; ".join(f"{p} (run '{layout.builder(p, root)}')" for p in missing))


def size(path: Path) -> int:
    return Path(path).stat().st_size


def duration(path: Path) -> float:
    """Seconds of a published MP3/M4A/MP4, read from its headers."""
    try:
        return published_length(path, layout.builder(path, path.parent.parent))
    except CoursecastError as e:
        raise StageError(str(e)) from e


def chapters(path: Path, episode_end: float) -> tuple[Chapter, ...]:
    """The visible chapters of the episode's chapters file, each ending where the next starts."""
    marks = sorted(read_chapters(path))
    ends = [start for start, _ in marks[1:]] + [max(episode_end, marks[-1][0]) if marks else episode_end]
    return tuple(Chapter(start, end, title) for (start, title), end in zip(marks, ends))


def transcript(path: Path, slug: str) -> Transcript:
    try:
        model = load_transcript(path)
    except CoursecastError as e:
        raise StageError(str(e)) from e
    if model.episode != slug:
        raise StageError(f"{path}: this transcript is of episode '{model.episode}', not '{slug}'; "
                         f"run 'coursecast transcribe' again for '{slug}'")
    return model


def _ends_sentence(word: str) -> bool:
    return bool(SENTENCE_END.search(word)) and word.lower() not in ABBREVIATIONS


def _spelled_by_words(segment: Segment) -> bool:
    words = " ".join(w.text.strip() for w in segment.words if w.text.strip())
    return bool(words) and words == " ".join(segment.text.split())


def sentences(segments: tuple[Segment, ...]) -> tuple[Line, ...]:
    """A turn's segments cut into sentences timed by their words, so a reader can jump to any sentence.

    Without word timing that spells the text (e.g. a language written without spaces), each
    segment is one line.
    """
    if not all(_spelled_by_words(s) for s in segments):
        return tuple(Line(s.start, s.end, " ".join(s.text.split())) for s in segments if s.text.strip())
    words = [w for s in segments for w in s.words if w.text.strip()]
    groups, group = [], []
    for index, word in enumerate(words):
        group.append(word)
        if index == len(words) - 1 or _ends_sentence(word.text.strip()):
            groups.append(group)
            group = []
    starts = [g[0].start for g in groups]
    ends = starts[1:] + [max(segments[-1].end, words[-1].end)] if groups else []
    return tuple(Line(start, max(end, start), " ".join(w.text.strip() for w in g))
                 for start, end, g in zip(starts, ends, groups))


def paragraphs(model: Transcript, names: dict[str, str]) -> tuple[Paragraph, ...]:
    """Speaker turns with roster names (the transcript's own names where the roster has none)."""
    result = []
    for turn in turns(model):
        lines = sentences(turn.segments)
        if lines:
            name = names.get(turn.speaker or "", "") or model.speaker_name(turn.speaker)
            result.append(Paragraph(name, lines[0].start, lines))
    return tuple(result)
