"""The speakers task of the transcribe stage: what was heard + who was where -> the machine transcript.

`speakers:<slug>` runs after the episode's listening tasks and is cheap: a new turn
hint or a renamed speaker re-attributes in milliseconds, never re-transcribes.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core import layout
from ..core.course import Course, Episode, TurnHint
from ..core.dependency import Task
from ..episodes import published_times
from ..transcribe import heard_parts
from .attribute import AttributionResult, ChannelSpeaker, SpeakerHints, attribute

STAGE_VERSION = 1  # bump when attribution writes something different from the same inputs
TASK_WEIGHT = 1.0  # relative cost: reads the sides' audio once


@dataclass(frozen=True)
class AttributeJob:
    """What the `speakers:<slug>` task reads."""

    mix: Path | None  # what the engine heard in the mix; None when only the sides were heard
    target: Path  # the machine transcript
    names: tuple[tuple[str, str], ...]  # (roster id, display name) of the episode's speakers
    channels: tuple[ChannelSpeaker, ...]  # both sides, when recorded one speaker per channel
    turns: tuple[TurnHint, ...]  # the course file's turn hints (course-file times)
    timeline: Path  # the cut, which puts the turn hints on the episode's timeline


def attribute_speakers(job: AttributeJob) -> AttributionResult:
    """The speakers task's action: turn hints moved onto the episode, then every word given its speaker."""
    times = published_times(job.timeline, [t.at for t in job.turns]) if job.turns else ()
    turns = tuple(TurnHint(at, hint.speaker) for at, hint in zip(times, job.turns))
    return attribute(job.mix, job.target, SpeakerHints(job.names, job.channels, turns))


def channel_speakers(course: Course, episode: Episode) -> tuple[ChannelSpeaker, ...]:
    """Both sides of a one-speaker-per-channel episode, with who sits on each; () otherwise."""
    sides = dict(next((s.channels for s in episode.sources if s.channels), ()))
    if len(sides) != 2:
        return ()
    return tuple(ChannelSpeaker(side, layout.asr_channel(course, episode, side),
                                layout.heard_transcript(course, episode, side), speaker)
                 for side, speaker in sorted(sides.items()))


def speaker_names(course: Course, episode: Episode) -> tuple[tuple[str, str], ...]:
    """(roster id, name) of everyone the episode names: its speakers, its channels' and its turn hints'."""
    return tuple((s.id, s.name) for s in course.episode_speakers(episode))


def _task(course: Course, episode: Episode) -> Task:
    heard = heard_parts(course, episode)
    mix = next((h.heard for h in heard if h.part == "mix"), None)
    channels = channel_speakers(course, episode)
    job = AttributeJob(mix, layout.machine_transcript(course, episode), speaker_names(course, episode), channels,
                       episode.turns, layout.timeline(course, episode))
    return Task(stage="transcribe", name=f"speakers:{episode.slug}", action=attribute_speakers, job=job,
                inputs=(*(h.heard for h in heard), *(c.audio for c in channels), job.timeline),
                targets=(job.target,), tools=(f"speakers-stage {STAGE_VERSION}",), episode=episode.slug,
                weight=TASK_WEIGHT)


def tasks(course: Course) -> list[Task]:
    """One speakers task per episode, after its listening tasks."""
    return [_task(course, episode) for episode in course.episodes]


def preflight(course: Course) -> list[str]:
    """Channel maps the episode cannot be attributed with."""
    problems = []
    for episode in course.episodes:
        where = f"{course.path.name}, [[episodes]] '{episode.slug}'"
        maps = {s.channels for s in episode.sources if s.channels}
        if any(len(m) != 2 for m in maps):
            problems.append(f"{where}: 'channels' names one side only; name both, e.g. "
                            '{ left = "host", right = "guest" }, or remove it')
        if len(maps) > 1:
            problems.append(f"{where}: sources map channels to speakers differently; the episode's left "
                            "and right tracks must hold the same person throughout")
    return problems


check = preflight
