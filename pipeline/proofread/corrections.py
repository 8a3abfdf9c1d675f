"""Editors' corrections applied to an episode: the entry points the captions task and the CLI call.

`EditSources` names where one episode's corrections come from; it is part of
the job of every task that reads them. `corrected_transcript(sources, machine)`
is the machine transcript with the course's replacements and the episode's
editing file merged in, timed against the episode's audio; every output
(captions, text, PDFs, feeds) is made from it. `episode_plan` is the same merge
without the timing, cheap enough for `coursecast check` and `coursecast diff`.
"""
from __future__ import annotations

import functools
import itertools
import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path

from ..core import layout
from ..core.course import Course, Episode
from ..core.fsutil import sha256_file
from ..core.transcript import EditInfo, Segment, Transcript, Word, load
from .align import align, time_words
from .bounds import check_length, checked_times, read, squeezed
from .editing import EditDoc, Shown, editor_names, relative, respell, shown_words
from .merge import EditWord, MergePlan, Planned, edit_words, key, plan, unedited
from .replacements import Change, Rules, load_rules
from .soundbites import place

log = logging.getLogger("coursecast.proofread")


@dataclass(frozen=True)
class EditSources:
    """Where one episode's corrections come from."""

    root: Path  # the course folder: messages name files relative to it
    edit_file: Path  # the editors' text (may not exist yet)
    edit_base: Path  # the machine transcript the editing file was made from
    replacements: Path  # the course's replacements file (may not exist)
    roster: tuple[tuple[str, str], ...]  # (id, name) of every course speaker: whom an editor may name

    @property
    def files(self) -> tuple[Path, ...]:
        """The files whose content the corrections depend on."""
        return (self.edit_file, self.edit_base, self.replacements)


@dataclass(frozen=True)
class WordTiming:
    """How words an editor wrote are timed: forced alignment against the episode's audio."""

    audio: Path  # the 16 kHz audio of the episode
    model: str  # the episode's Whisper model (course.model_of): the one that aligns


def edit_sources(course: Course, episode: Episode) -> EditSources:
    return EditSources(course.root, layout.edit_file(course, episode), layout.edit_base(course, episode),
                       layout.replacements_file(course), tuple((s.id, s.name) for s in course.speakers))


def word_timing(course: Course, episode: Episode) -> WordTiming:
    return WordTiming(layout.asr_audio(course, episode), course.model_of(episode))


@dataclass(frozen=True)
class EpisodeEdits:
    """What one episode's merge starts from and what it planned."""

    rules: Rules  # the course's replacements
    shown: tuple[Shown, ...]  # the machine's words as written (before replacements)
    speakers: tuple[str | None, ...]  # the machine's speaker of each segment
    machine: tuple[Shown, ...]  # the machine's words, replacements applied
    replaced: tuple[Change, ...]  # replacements made in them (index: machine word)
    doc: EditDoc | None  # the editing file, when there is one
    edit_replaced: tuple[tuple[int, Change], ...]  # replacements made in the editor's words, with their line
    edit: tuple[EditWord, ...]  # the editing file's words
    plan: MergePlan
    warnings: tuple[str, ...] = ()  # 'file:line: ...' for turn times that were not used


def episode_plan(sources: EditSources, machine: Transcript) -> EpisodeEdits:
    """Replacements and the editing file planned onto `machine` (no audio needed)."""
    rules = load_rules(sources.replacements, sources.root)
    raw = tuple(shown_words(machine))
    shown, replaced = respell(list(raw), rules)
    speakers = tuple(s.speaker for s in machine.segments)
    start = (rules, raw, speakers, tuple(shown), tuple(replaced))
    path = sources.edit_file
    if not os.path.lexists(path):  # a link to nowhere is read, and refused with its path
        return EpisodeEdits(*start, None, (), (), unedited(shown, speakers))
    base_transcript = load(sources.edit_base) if sources.edit_base.exists() else machine
    doc = read(path, file=relative(sources.root, path), inside=sources.root, names=editor_names(sources.roster, machine),
               former=base_transcript.speakers)
    check_length(doc, machine.duration)
    doc, warnings = checked_times(doc, machine.duration)
    base = respell(shown_words(base_transcript), rules)[0]
    words, edit_replaced = edit_words(doc, rules)
    merged = plan(base, shown, words, doc, speakers, machine.duration, tuple(s.speaker for s in base_transcript.segments))
    return EpisodeEdits(*start, doc, tuple(edit_replaced), tuple(words), merged, warnings)


def corrected_transcript(sources: EditSources, timing: WordTiming, machine: Transcript) -> Transcript:
    """The machine transcript with replacements and the editing file merged in, every word timed.

    Raises StageError (file:line) for a malformed editing file or replacements file.
    Reads the episode's 16 kHz audio only where the editor wrote words.
    """
    edits = episode_plan(sources, machine)
    timer = functools.partial(align, timing.audio, model=timing.model, root=sources.root, language=machine.language)
    kept = replace(edits.plan, words=tuple(p for p in edits.plan.words if not p.struck))  # struck: in no text
    words = time_words(kept, machine.duration, timer)
    for warning in (*edits.warnings, *squeezed(kept, words, edits.doc.file if edits.doc else "")):
        log.warning("%s", warning)
    segments = assemble(kept, words, machine.segments)
    names = editor_names(sources.roster, machine)
    used = {w.speaker for w in edits.plan.words if w.speaker is not None}
    speakers = {**machine.speakers, **{s: names[s] for s in sorted(used) if s in names}}
    info = _edit_info(sources, edits.plan) if edits.plan.edited else None
    bites = _soundbites(edits, segments)
    return replace(machine, segments=segments, speakers=speakers, edited=info, soundbites=bites)


def _soundbites(edits: EpisodeEdits, segments: tuple[Segment, ...]) -> tuple:
    """The editing file's marked passages, timed by the corrected transcript's words."""
    if not edits.doc or not edits.doc.soundbites:
        return ()
    lines = [line for turn in edits.doc.turns for line in turn.lines]
    found, warnings = place(edits.doc.soundbites, lines, [w for s in segments for w in s.words], key, edits.doc.file)
    for warning in warnings:
        log.warning("%s", warning)
    return found


def _edit_info(sources: EditSources, merged: MergePlan) -> EditInfo:
    path = sources.edit_file
    return EditInfo(file=relative(sources.root, path), sha256=sha256_file(path),
                    changed_words=merged.changed, deleted_words=merged.deleted)


def assemble(merged: MergePlan, words: tuple[Word, ...], segments: tuple[Segment, ...]) -> tuple[Segment, ...]:
    """Words grouped into segments: a new one at every turn and wherever the machine began one."""
    keyed, previous = [], 0
    for planned, word in zip(merged.words, words):
        previous = planned.segment if planned.segment >= 0 else previous
        keyed.append(((planned.turn, previous), planned, word))
    result = []
    for (_, index), group in itertools.groupby(keyed, key=lambda item: item[0]):
        group = list(group)
        result.append(_segment(segments[index], [p for _, p, _ in group], [w for _, _, w in group]))
    return tuple(result)


def _segment(machine: Segment, planned: list[Planned], words: list[Word]) -> Segment:
    speaker = planned[0].speaker
    edited = any(p.written or p.source is None for p in planned) or speaker != machine.speaker
    flags = machine.flags + (("edited",) if edited and "edited" not in machine.flags else ())
    return replace(machine, start=words[0].start, end=max(w.end for w in words),
                   text=" ".join(w.text for w in words), words=tuple(words), speaker=speaker, flags=flags)
