"""What `coursecast check` says about speech without words.

Each listening task records in what it heard the share of the speech that has
words and the stretches that have none even after decoding them again. `notes`
lists those stretches ("12.5-26.1 s: speech but no words"); `problems` fails
`check` for an episode whose words cover less of its speech than
[transcription].min_speech_coverage. A stretch in which the published transcript
now has words (an editor wrote them into edits/<slug>.txt) is no longer listed
and counts as covered.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core import layout
from ..core.course import Course, Episode
from ..core.course_lines import place
from ..core.errors import CoursecastError
from ..core.transcript import Stretch, load


@dataclass(frozen=True)
class SpeechGaps:
    episode: str  # slug
    part: str  # "mix", "left" or "right": which audio was heard
    speech_s: float  # seconds of speech found in it
    covered_share: float  # 0..1, counting stretches editors have since filled
    without_words: tuple[Stretch, ...]  # still without a word in the published transcript
    edit: str  # the editing file, relative to the course folder
    review: str  # the review file, relative to the course folder


def _filled(stretch: Stretch, words) -> bool:
    return any(stretch.start <= (w.start + w.end) / 2 <= stretch.end for w in words)


def _published_words(course: Course, episode: Episode) -> list:
    path = layout.transcript(course, episode, "json")
    try:
        return load(path).words if path.is_file() else []
    except CoursecastError:
        return []  # a damaged published transcript is the captions check's to report


def episode_gaps(course: Course, episode: Episode, heard: tuple[tuple[str, Path], ...]) -> list[SpeechGaps]:
    """Per audio heard ((part, heard JSON) pairs), the speech that has no words, as of the published transcript."""
    published, found = None, []
    for part, path in heard:
        try:
            coverage = load(path).coverage if path.is_file() else None
        except CoursecastError:
            continue  # rebuilt by the next build; `check` lists it as an output to build
        if coverage is None:
            continue
        if published is None:
            published = _published_words(course, episode)
        still = tuple(s for s in coverage.without_words if not _filled(s, published))
        filled = sum(s.duration for s in coverage.without_words if s not in still)
        share = coverage.covered_share + (filled / coverage.speech_s if coverage.speech_s else 0.0)
        found.append(SpeechGaps(episode.slug, part, coverage.speech_s, round(min(1.0, share), 4), still,
                                _relative(course, layout.edit_file(course, episode)),
                                _relative(course, layout.review_file(course, episode))))
    return found


def _relative(course: Course, path: Path) -> str:
    return Path(path).relative_to(course.root).as_posix()


def _where(gaps: SpeechGaps) -> str:
    return gaps.episode if gaps.part == "mix" else f"{gaps.episode} ({gaps.part} channel)"


def notes(gaps: list[SpeechGaps]) -> list[str]:
    """One line per stretch of speech that still has no words."""
    return [f"{_where(g)}: {s}: speech but no words; listen there and write what is said into {g.edit}"
            for g in gaps for s in g.without_words]


def problems(gaps: list[SpeechGaps], course: Course) -> list[str]:
    """An episode whose words cover less of its speech than [transcription].min_speech_coverage."""
    threshold = course.transcription.min_speech_coverage
    return [f"{place(course.path, f'[[episodes]] {g.episode!r}')}: the words cover {g.covered_share:.1%} of the speech "
            f"in {_where(g)}, under [transcription].min_speech_coverage = {threshold:g}; the stretches without "
            f"words are listed in {g.review}: write what is said into {g.edit}, or lower the setting"
            for g in gaps if g.covered_share < threshold]
