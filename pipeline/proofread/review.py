"""What editors changed, and what they must look at again.

- `diff_report(sources, machine, title)`: the editors' changes against the machine transcript,
  word by word, speaker by speaker, with the word error rate between the two (how
  much the machine got wrong: useful to pick a model). `coursecast diff EPISODE`.
- `write_review(job)`: transcripts/<slug>.review.txt, the `review:<slug>`
  task: corrections that could not be carried over to a recut recording, speech
  the transcriber found no words for (with its times), passages nobody has
  proofread yet, names and terms respelled after decoding, and every replacement
  made, with where.
- `check(course)`: corrections that could not be placed, malformed editing files.
- `tasks(course)`: the editing files (`edits:<slug>`) and review files (`review:<slug>`).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from ..core import layout
from ..core.course import Course, Episode
from ..core.dependency import Task
from ..core.errors import CoursecastError, StageError
from ..core.fsutil import write_if_changed
from ..core.timecode import format_timecode
from ..core.transcript import Transcript, load
from ..transcribe import heard_parts
from .cuts import cuts_job, cuts_tasks, emptied_chapters, strike_problems
from .corrections import EditSources, EpisodeEdits, edit_sources, episode_plan
from .editing import edit_tasks, episode_title, relative
from .merge import Correction, key
from .proposals import proposal_lines

LIBRARIES = ("jiwer",)  # what measures the editor's changes (the code is keyed by itself)
CONTEXT_WORDS = 4  # words shown either side of a change
TASK_WEIGHT = 0.01  # relative cost of a review task (a transcription weighs its seconds of audio)


@dataclass(frozen=True)
class Hunk:
    at: float  # seconds into the episode
    speaker: str  # who says it (display name)
    before: str  # the machine's words ("" when the editor inserted)
    after: str  # the editor's words ("" when the editor deleted)
    lead: str  # words before the change
    tail: str  # words after it


@dataclass(frozen=True)
class SpeakerChange:
    at: float  # seconds into the episode
    words: int  # how many words changed hands
    before: str  # the machine's speaker (display name)
    after: str  # the editor's


@dataclass(frozen=True)
class Replaced:
    where: str  # "[00:01:02]" in the machine's words, or "edits/<slug>.txt:12" in the editor's
    before: str  # the text as it was
    after: str  # as the rule wrote it
    rule: str  # the rule, e.g. '"Malmo" → "Malmö"'


@dataclass(frozen=True)
class DiffReport:
    episode: str  # slug
    title: str  # "Episode 1: ..."
    edit_file: str | None  # the editing file, relative to the course folder; None: none yet
    changed: int  # words the editor wrote
    deleted: int  # machine words the editor removed
    wer: float  # word error rate of the machine transcript against the corrected one (0..)
    substitutions: int
    deletions: int  # corrected words the machine missed
    insertions: int  # machine words the corrected transcript does not have
    reference_words: int  # words in the corrected transcript
    hunks: tuple[Hunk, ...]
    speakers: tuple[SpeakerChange, ...]
    unplaced: tuple[Correction, ...]
    replaced: tuple[Replaced, ...]

    def render(self) -> str:
        lines = [self.title, self._edited_line(), self._wer_line()]
        if self.hunks:
            lines += ["", "Words:"] + [f"  [{_tc(h.at)}] {h.speaker}: {_word_diff(h)}" for h in self.hunks]
        if self.speakers:
            lines += ["", "Speakers:"] + [f"  [{_tc(s.at)}] {s.words} word{'s' * (s.words != 1)}: "
                                          f"{s.before} → {s.after}" for s in self.speakers]
        lines += _unplaced_lines(self.unplaced, self.edit_file) + _replaced_lines(self.replaced)
        return "\n".join(lines) + "\n"

    def _edited_line(self) -> str:
        if self.edit_file is None:
            return "Not edited yet (no editing file)."
        return f"Edited in {self.edit_file}: {self.changed} words written, {self.deleted} machine words deleted."

    def _wer_line(self) -> str:
        return (f"Word error rate of the machine transcript: {self.wer:.1%} ({self.substitutions} substituted, "
                f"{self.deletions} missed, {self.insertions} extra, of {self.reference_words} words).")


def _tc(seconds: float) -> str:
    return format_timecode(seconds, millis=False)


def _word_diff(hunk: Hunk) -> str:
    change = (f"[-{hunk.before}-]" if hunk.before else "") + (f"{{+{hunk.after}+}}" if hunk.after else "")
    return " ".join(part for part in (hunk.lead, change, hunk.tail) if part)


def _unplaced_lines(unplaced, edit_file) -> list[str]:
    if not unplaced:
        return []
    lines = ["", f"Corrections not carried over to the new recording ({len(unplaced)}); "
                 f"put them into {edit_file} by hand where they still apply:"]
    for c in unplaced:
        change = f'"{" ".join(c.before)}" → "{" ".join(c.after)}"' if c.before else f'inserted "{" ".join(c.after)}"'
        lines.append(f"  {edit_file}:{c.line} (was at {_tc(c.at)}): {change}: {c.reason}")
    return lines


def _replaced_lines(replaced) -> list[str]:
    if not replaced:
        return []
    return ["", f"Replacements ({len(replaced)}):"] + [
        f'  {r.where} "{r.before}" → "{r.after}" (rule {r.rule})' for r in replaced]


# -- building the report ---------------------------------------------------------------
def read_machine(sources: EditSources, path: Path) -> Transcript:
    if not path.exists():
        raise StageError(f"{relative(sources.root, path)}: not transcribed yet; run 'coursecast transcribe' first")
    return load(path)


def diff_report(sources: EditSources, machine: Transcript, title: str) -> DiffReport:
    """The editors' changes to one episode against its machine transcript (no audio needed)."""
    return _report(sources, machine, episode_plan(sources, machine), title)


def _report(sources: EditSources, machine: Transcript, edits: EpisodeEdits, title: str) -> DiffReport:
    names = {**machine.speakers, **dict(sources.roster)}
    name = lambda speaker: names.get(speaker, speaker) if speaker else "Speaker"  # noqa: E731
    raw = [s.word.text for s in edits.shown]
    final = [w.text for w in edits.plan.words]
    measure = _wer(raw, final)
    path = sources.edit_file
    return DiffReport(
        episode=machine.episode, title=title,
        edit_file=relative(sources.root, path) if path.exists() else None,
        changed=edits.plan.changed, deleted=edits.plan.deleted, wer=measure[0], substitutions=measure[1],
        deletions=measure[2], insertions=measure[3], reference_words=measure[4],
        hunks=tuple(_hunks(edits, name)), speakers=tuple(_speaker_changes(edits, name)),
        unplaced=edits.plan.unplaced, replaced=tuple(_replaced(edits)))


def _wer(machine: list[str], final: list[str]) -> tuple[float, int, int, int, int]:
    """(WER, substitutions, deletions, insertions, reference words): punctuation and case ignored."""
    import jiwer

    reference = " ".join(k for k in (key(w) for w in final) if k)
    hypothesis = " ".join(k for k in (key(w) for w in machine) if k)
    if not reference:
        return (0.0 if not hypothesis else 1.0), 0, 0, len(hypothesis.split()), 0
    if not hypothesis:
        return 1.0, 0, len(reference.split()), 0, len(reference.split())
    out = jiwer.process_words(reference, hypothesis)
    return float(out.wer), out.substitutions, out.deletions, out.insertions, len(reference.split())


def _hunks(edits: EpisodeEdits, name) -> list[Hunk]:
    before = [s.word.text for s in edits.machine]
    after = [w.text for w in edits.plan.words]
    hunks = []
    ops = difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            continue
        at = edits.machine[i1].word.start if i1 < len(edits.machine) else (
            edits.machine[-1].word.end if edits.machine else 0.0)
        speaker = edits.plan.words[j1].speaker if j1 < len(after) else None
        hunks.append(Hunk(round(at, 3), name(speaker), " ".join(before[i1:i2]), " ".join(after[j1:j2]),
                          " ".join(after[max(0, j1 - CONTEXT_WORDS):j1]), " ".join(after[j2:j2 + CONTEXT_WORDS])))
    return hunks


def _speaker_changes(edits: EpisodeEdits, name) -> list[SpeakerChange]:
    changes: list[SpeakerChange] = []
    previous = None
    for planned in edits.plan.words:
        if planned.source is None:
            continue
        machine = edits.machine[planned.source]
        pair = (name(edits.speakers[machine.segment]), name(planned.speaker))
        if pair[0] == pair[1]:
            previous = None
            continue
        if previous == pair:
            last = changes[-1]
            changes[-1] = SpeakerChange(last.at, last.words + 1, last.before, last.after)
        else:
            changes.append(SpeakerChange(machine.word.start, 1, *pair))
        previous = pair
    return changes


def _replaced(edits: EpisodeEdits) -> list[Replaced]:
    """Which rule changed what, where: in the machine's words, then in the editor's."""
    machine = [Replaced(f"[{_tc(edits.shown[c.index].word.start)}]", c.before, c.after, c.rule.label)
               for c in edits.replaced]
    file = edits.doc.file if edits.doc else ""
    return machine + [Replaced(f"{file}:{line}", c.before, c.after, c.rule.label)
                      for line, c in edits.edit_replaced]


# -- the review file, the tasks and the check ------------------------------------------
@dataclass(frozen=True)
class ReviewJob:
    """What the `review:<slug>` task reads."""

    sources: EditSources  # the editing file, the replacements, the roster
    machine: Path  # the machine transcript
    target: Path  # the review file
    title: str  # "Episode N: Title (slug)"
    heard: tuple[tuple[str, Path], ...] = ()  # (part, what the transcriber heard): speech without words
    max_pause_s: float = 0.0  # [audio] max_pause_s: longer pauses are proposed for cutting
    chapters: tuple[tuple[float, str], ...] = ()  # the course file's (time, title): those the strikes empty
    timeline: Path | None = None  # the cut's timeline.json: chapter times onto the words' time


def review_job(course: Course, episode: Episode) -> ReviewJob:
    heard = tuple((h.part, h.heard) for h in heard_parts(course, episode))
    return ReviewJob(edit_sources(course, episode), layout.machine_transcript(course, episode),
                     layout.review_file(course, episode), episode_title(episode), heard, course.audio.max_pause_s,
                     tuple((c.at, c.title) for c in episode.chapters), layout.timeline(course, episode))


def review_text(job: ReviewJob) -> str:
    """The review file's text for one episode."""
    machine = read_machine(job.sources, job.machine)
    edits = episode_plan(job.sources, machine)
    report = _report(job.sources, machine, edits, job.title)
    edit = report.edit_file or relative(job.sources.root, job.sources.edit_file)
    lines = [f"# Review: {report.title}",
             f"# Written by every build; do not edit this file: corrections go into {edit}.", ""]
    heard = [(part, load(path)) for part, path in job.heard if path.is_file()]
    body = (_unplaced_lines(report.unplaced, edit) + _speech_lines(heard, edit) + _new_lines(edits, machine.episode)
            + _respelled_lines(machine) + _replaced_lines(report.replaced) + _emptied_lines(job, edits, machine))
    if edits.warnings:
        body = ["", f"Turn times not used ({len(edits.warnings)}); correct them:",
                *(f"  {w}" for w in edits.warnings)] + body
    if not body:
        body = ["", f"Nothing to review: every correction in {edit} is in the transcript."]
    body += proposal_lines(_kept_words(edits), job.max_pause_s, edit, machine.coverage)
    return "\n".join(lines + body[1:]) + "\n"


def _kept_words(edits: EpisodeEdits) -> list:
    """The machine's words the edited transcript still has, unstruck: what a proposal may point at."""
    return [edits.plan.machine[p.source].word for p in edits.plan.words if p.source is not None and not p.struck]


def _emptied_lines(job: ReviewJob, edits: EpisodeEdits, machine: Transcript) -> list[str]:
    emptied = emptied_chapters(edits, job.chapters, job.timeline, machine.duration) if job.timeline else []
    if not emptied:
        return []
    return ["", f"Chapters left empty by strikes ({len(emptied)}); the published chapters leave them out:",
            *(f"  {line}" for line in emptied)]


def _part(part: str) -> str:
    return "" if part == "mix" else f" ({part} channel)"


def _speech_lines(heard: list[tuple[str, Transcript]], edit: str) -> list[str]:
    """Speech the transcriber found no words for, even decoded again on its own."""
    gaps = [(part, s) for part, t in heard if t.coverage for s in t.coverage.without_words]
    if not gaps:
        return []
    return ["", f"Speech without words ({len(gaps)}); listen there and write what is said into {edit}:"] + [
        f"  [{_tc(s.start)}] {s}: speech but no words{_part(part)}" for part, s in gaps]


def _respelled_lines(machine: Transcript) -> list[str]:
    """Names and terms respelled after decoding (roster, vocabulary): check they were meant."""
    if not machine.term_fixes:
        return []
    return ["", f"Names and terms respelled after decoding ({len(machine.term_fixes)}):"] + [
        f'  [{_tc(f.at)}] "{f.before}" → "{f.after}"' for f in machine.term_fixes]


def _new_lines(edits: EpisodeEdits, slug: str) -> list[str]:
    if edits.doc is None or not edits.plan.new_words:
        return []
    runs: list[list[int]] = []
    for m in edits.plan.new_words:
        if runs and m == runs[-1][-1] + 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    return ["", f"New passages, not yet in the editing file ({len(runs)}); run 'coursecast update-edits "
                f"{slug}' to put them there, then proofread them:"] + [
        f"  [{_tc(edits.machine[r[0]].word.start)}] " + " ".join(edits.machine[m].word.text for m in r)
        for r in runs]


def write_review(job: ReviewJob) -> bool:
    """Write transcripts/<slug>.review.txt (only when its content changed); True if written."""
    return write_if_changed(job.target, review_text(job).encode("utf-8"))


def review_tasks(course: Course) -> list[Task]:
    tasks = []
    for episode in course.episodes:
        job = review_job(course, episode)
        inputs = (job.machine, job.sources.edit_file, job.sources.edit_base, job.sources.replacements,
                  *(path for _, path in job.heard), *((job.timeline,) if job.chapters else ()))
        tasks.append(Task(stage="transcribe", name=f"review:{episode.slug}", action=write_review, job=job,
                          inputs=inputs, targets=(job.target,), libraries=LIBRARIES,
                          episode=episode.slug, weight=TASK_WEIGHT))
    return tasks


def tasks(course: Course) -> list[Task]:
    """The proofreading round trip's tasks: editing files (created once), strikes (cuts) and review files."""
    return edit_tasks(course) + cuts_tasks(course) + review_tasks(course)


def _stale_edit_file(course: Course, episode: Episode) -> list[str]:
    """An editing file made from an earlier cut or transcription: never silently stale (refresh.py)."""
    from .refresh import stale

    found = stale(edit_sources(course, episode), load(layout.machine_transcript(course, episode)))
    return [found.problem(episode.slug)] if found else []


def check(course: Course) -> list[str]:
    """Malformed editing or replacements files, corrections that could not be placed, strikes refused."""
    problems: list[str] = []
    for episode in course.episodes:
        if not layout.machine_transcript(course, episode).exists():
            continue
        try:
            edits = episode_plan(edit_sources(course, episode), load(layout.machine_transcript(course, episode)))
        except CoursecastError as e:
            problems.append(str(e))
            continue
        review = relative(course.root, layout.review_file(course, episode))
        problems += [f"{edits.doc.file}:{c.line}: correction {' '.join(c.before)!r} → {' '.join(c.after)!r} "
                     f"could not be placed ({c.reason}); see {review}" for c in edits.plan.unplaced]
        problems += _stale_edit_file(course, episode)
        problems += strike_problems(cuts_job(course, episode))
    return list(dict.fromkeys(problems))
