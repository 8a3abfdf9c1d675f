"""The speakers tasks of the transcribe stage: what was heard + who was where -> the machine transcript.

`speakers:<slug>` runs after the episode's listening tasks and is cheap: a new turn
hint, a renamed speaker or a new voice sample re-attributes in milliseconds, never
re-transcribes. It also respells near misses of the roster's names and the
vocabulary (transcribe.glossary), so a new spelling is applied here, not heard again. Who speaks comes, in this order, from one speaker per channel, the
course file's turn hints, the episode's only speaker, or the voices found by
`diarize:<slug>` (found.py) named from the roster: by voice samples
(`voice:<speaker-id>`), else by the rule (naming.py).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..core import layout
from ..core.course import Course, Episode, TurnHint
from ..core.course_lines import place
from ..core.dependency import Task
from ..episodes import published_times
from ..transcribe import episode_terms, heard_parts
from . import found
from .turns import write_turns
from .attribute import AttributionResult, ChannelSpeaker, SpeakerHints, attribute
from .naming import RosterEntry, describe, display_names, name_speakers

# What shapes the machine transcript besides the code (keyed by itself, transcribe/glossary.py included): the
# respelling's fuzzy and phonetic matching, and the arithmetic of attribution and naming.
LIBRARIES = ("rapidfuzz", "jellyfish", "wordfreq", "numpy", "scipy")  # the glossary respells with the first three
TASK_WEIGHT = 1.0  # relative cost: reads the sides' audio once
SOLE_NOTE = "The episode lists one speaker, so every word is {}'s."  # the sole speaker's note, with its name
HINTS_NOTE = "Speakers from the course file's turn hints."  # how speakers were found, for the editing file
CHANNELS_NOTE = "Speakers from the recording's channels: {}."  # with "left: Name, right: Name"


@dataclass(frozen=True)
class AttributeJob:
    """What the `speakers:<slug>` task reads."""

    mix: Path | None  # what the engine heard in the mix; None when only the sides were heard
    target: Path  # the machine transcript
    names: tuple[tuple[str, str], ...]  # (roster id, display name) of the episode's speakers
    channels: tuple[ChannelSpeaker, ...]  # both sides, when recorded one speaker per channel
    turns: tuple[TurnHint, ...]  # the course file's turn hints (course-file times)
    timeline: Path  # the cut, which puts the turn hints on the episode's timeline
    found: Path | None = None  # speakers.json: the voices found in the mix (no channels, no turn hints)
    roster: tuple[RosterEntry, ...] = ()  # (id, role) of the episode's speakers: whom the voices are named from
    voices: tuple[tuple[str, Path], ...] = ()  # (roster id, voice of its sample) that name voices by sound
    sole: str | None = None  # the episode's one speaker, when it lists one: every word of the mix is theirs
    terms: tuple[str, ...] = ()  # roster names and vocabulary: near misses respelled after decoding
    turns_file: Path | None = None  # who speaks when, times and voice indices only: what levelling reads


def attribute_speakers(job: AttributeJob) -> AttributionResult:
    """The speakers task's action: turn hints moved onto the episode, voices named, every word given its speaker."""
    times = published_times(job.timeline, [t.at for t in job.turns]) if job.turns else ()
    turns = tuple(TurnHint(at, hint.speaker) for at, hint in zip(times, job.turns))
    hints = SpeakerHints(job.names, job.channels, turns)
    if job.found:
        hints = named_voices(job, hints)
    elif job.sole:
        hints = replace(hints, turns=(TurnHint(0.0, job.sole),),
                        notes=(SOLE_NOTE.format(dict(job.names).get(job.sole, job.sole)),))
    elif turns:
        hints = replace(hints, notes=(HINTS_NOTE,))
    elif job.channels:
        names = dict(job.names)
        sides = ", ".join(f"{c.side}: {names.get(c.speaker, c.speaker)}" for c in job.channels)
        hints = replace(hints, notes=(CHANNELS_NOTE.format(sides),))
    result = attribute(job.mix, job.target, hints, job.terms)
    if job.turns_file is not None:
        write_turns(job.target, job.turns_file)
    return result


def named_voices(job: AttributeJob, hints: SpeakerHints) -> SpeakerHints:
    """The voices found in the mix, named from the roster: their turns and how each was named."""
    result = found.load_found(job.found)
    loaded = {speaker: found.load_voice(path) for speaker, path in job.voices}
    samples = {speaker: voice for speaker, (voice, _) in loaded.items()}
    named = name_speakers(result.labels, dict(zip(result.labels, result.voices)), job.roster, samples)
    ids = {n.label: n.speaker or n.label for n in named}
    names = {**dict(job.names), **display_names(named)}
    files = {speaker: f"{layout.RAW}/{layout.VOICES}/{name}" for speaker, (_, name) in loaded.items()}
    notes = describe(named, job.roster, names, files)
    turns = tuple(replace(t, speaker=ids.get(t.speaker, t.speaker)) for t in result.turns)
    return replace(hints, names=tuple(names.items()), found=turns, notes=notes)


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
    voiced = found.by_voice(course, episode)
    job = AttributeJob(mix, layout.machine_transcript(course, episode), speaker_names(course, episode), channels,
                       episode.turns, layout.timeline(course, episode),
                       found=layout.speaker_turns(course, episode) if voiced else None,
                       roster=found.roster(course, episode) if voiced else (),
                       voices=found.sampled(course, episode), sole=found.sole_speaker(course, episode),
                       terms=episode_terms(course, episode), turns_file=layout.voice_turns(course, episode))
    voice_files = (job.found, *(path for _, path in job.voices)) if job.found else ()
    return Task(stage="transcribe", name=f"speakers:{episode.slug}", action=attribute_speakers, job=job,
                inputs=(*(h.heard for h in heard), *(c.audio for c in channels), job.timeline, *voice_files),
                targets=(job.target, job.turns_file), libraries=LIBRARIES, episode=episode.slug,
                weight=TASK_WEIGHT)


def tasks(course: Course) -> list[Task]:
    """Per episode: the voices found in a one-channel recording (when they are needed) and the speakers task;
    one task per voice sample those use."""
    diarized = [found.diarize_task(course, e) for e in course.episodes if found.by_voice(course, e)]
    return [*diarized, *found.voice_tasks(course), *(_task(course, episode) for episode in course.episodes)]


def preflight(course: Course) -> list[str]:
    """Channel maps the episode cannot be attributed with; voice samples that name nobody; missing speaker models."""
    problems = []
    for episode in course.episodes:
        mapped = next((i for i, s in enumerate(episode.sources, 1) if s.channels), 1)
        where = place(course.path, f"[[episodes]] '{episode.slug}'.sources #{mapped}.channels")
        maps = {s.channels for s in episode.sources if s.channels}
        if any(len(m) != 2 for m in maps):
            problems.append(f"{where}: 'channels' names one side only; name both, e.g. "
                            '{ left = "host", right = "guest" }, or remove it')
        if len(maps) > 1:
            problems.append(f"{where}: sources map channels to speakers differently; the episode's left "
                            "and right tracks must hold the same person throughout")
    return problems + found.sample_problems(course) + found.model_problems(course) + found.device_problems(course)


check = preflight
