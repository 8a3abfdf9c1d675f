"""An editing file made from an earlier cut or transcription: found by `check`, brought up to date on request.

After a recut (keep ranges changed) or a new transcription, the machine transcript
no longer matches `edits/<slug>.base.json`, the one the editing file was made from.
The build still carries every correction it can onto the new words (merge.py), but
the file itself shows the old text: passages that are no longer published, and
none of the new ones. So it is never left silently stale:

- `stale(sources, machine)` says what changed (new passages with their times,
  words gone, corrections that could not be carried); `check` fails on it, naming
  the passages to proofread and the fix;
- `update(...)` (`coursecast update-edits`) rewrites the editing file from the
  merge: the editor's words and speakers where they still apply, the machine's
  words where the editor has not been, no removed passages; corrections that could
  not be placed are kept as comments at its top, with the new passages to
  proofread. The file as it was is kept beside it (`<slug>.before-update-<time>.txt`),
  and its base becomes today's machine transcript, so the next merge starts from it.
"""
from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from pathlib import Path

from ..core.fsutil import write_bytes, write_text
from ..core.timecode import format_timecode
from ..core.transcript import Transcript, load
from .corrections import EditSources, EpisodeEdits, episode_plan
from .editing import UNKNOWN_SPEAKER, _help, _paragraph, _stamp, _who, editor_names, relative, respell, shown_words
from .merge import Correction, Planned, key

MAX_PASSAGE_WORDS = 12  # words of a new passage quoted in a message


@dataclass(frozen=True)
class Passage:
    at: float  # seconds into the episode
    words: tuple[str, ...]  # the machine's words, which the editor has not seen


@dataclass(frozen=True)
class Stale:
    file: str  # the editing file, relative to the course folder
    new: tuple[Passage, ...]  # passages of the current recording the file does not have
    gone: int  # words of the file's recording that are no longer in the current one
    unplaced: tuple[Correction, ...]  # corrections the build could not carry over

    def problem(self, slug: str) -> str:
        """What `check` says, with the passages to proofread and the fix."""
        what = [f"{len(self.new)} new passage(s) not in it"] if self.new else []
        what += [f"{self.gone} word(s) no longer in the recording"] if self.gone else []
        what += [f"{len(self.unplaced)} correction(s) not carried over"] if self.unplaced else []
        where = "; ".join(f"[{_tc(p.at)}] {_quote(p.words)}" for p in self.new)
        made = "made from an earlier cut or transcription of the episode"
        return (f"{self.file}: {made} ({', '.join(what) or 'other words'})"
                f"{': proofread ' + where if where else ''}; run 'coursecast update-edits {slug}' to bring it up to "
                f"date (your corrections are kept){', then proofread the new passages there' if self.new else ''}")


def _tc(seconds: float) -> str:
    return format_timecode(seconds, millis=False)


def _quote(words: tuple[str, ...]) -> str:
    more = " ..." if len(words) > MAX_PASSAGE_WORDS else ""
    return f'"{" ".join(words[:MAX_PASSAGE_WORDS])}{more}"'


def _base_keys(sources: EditSources, edits: EpisodeEdits) -> list[str]:
    base = load(sources.edit_base)
    return [key(s.word.text) for s in respell(shown_words(base), edits.rules)[0]]


def stale(sources: EditSources, machine: Transcript) -> Stale | None:
    """How the editing file lags the machine transcript; None when it has none or is made from these words."""
    if not sources.edit_file.exists() or not sources.edit_base.exists():
        return None
    edits = episode_plan(sources, machine)
    base = _base_keys(sources, edits)
    now = [key(s.word.text) for s in edits.machine]
    if base == now:
        return None
    kept = sum(size for *_, size in difflib.SequenceMatcher(None, base, now, autojunk=False).get_matching_blocks())
    return Stale(relative(sources.root, sources.edit_file), _passages(edits), len(base) - kept, edits.plan.unplaced)


def _passages(edits: EpisodeEdits) -> tuple[Passage, ...]:
    runs: list[list[int]] = []
    for m in edits.plan.new_words:
        if runs and m == runs[-1][-1] + 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    return tuple(Passage(edits.machine[r[0]].word.start, tuple(edits.machine[m].word.text for m in r)) for r in runs)


# -- bringing the file up to date ------------------------------------------------------------
def _turn_start(edits: EpisodeEdits, word: Planned) -> float:
    if word.source is not None:
        return edits.machine[word.source].word.start
    return word.at if word.at is not None else word.span[0]


def updated_text(sources: EditSources, machine: Transcript, *, title: str, listed: list[str],
                 found: Stale, now: str) -> str:
    """The editing file as the merge reads it today: the editor's work where it applies, the machine's elsewhere."""
    edits = episode_plan(sources, machine)
    names = editor_names(sources.roster, machine)
    lines = [f"# {title}", "#", *_help(names=", ".join(listed) or UNKNOWN_SPEAKER, unknown=UNKNOWN_SPEAKER,
                                      base=relative(sources.root, sources.edit_base)), *_who(machine.attribution)]
    lines += _update_notes(found, now)
    turns: list[list[Planned]] = []
    for word in edits.plan.words:
        if turns and turns[-1][-1].turn == word.turn:
            turns[-1].append(word)
        else:
            turns.append([word])
    for words in turns:
        speaker = words[0].speaker
        label = names.get(speaker, speaker) if speaker is not None else UNKNOWN_SPEAKER
        lines += ["", *_paragraph(f"[{_stamp(_turn_start(edits, words[0]))}] {label}:", [w.text for w in words])]
    return "\n".join(lines) + "\n"


def _update_notes(found: Stale, now: str) -> list[str]:
    notes = ["#", f"# Brought up to date for a new cut or transcription on {now} (coursecast update-edits)."]
    if found.new:
        notes.append(f"# New passages, not proofread yet ({len(found.new)}):")
        notes += [f"#   [{_tc(p.at)}] {_quote(p.words)}" for p in found.new]
    if found.unplaced:
        notes.append(f"# Corrections not carried over ({len(found.unplaced)}); put them in by hand where they apply:")
        notes += [f'#   was at {_tc(c.at)}: "{" ".join(c.before)}" -> "{" ".join(c.after)}" ({c.reason})'
                  for c in found.unplaced]
    return notes


@dataclass(frozen=True)
class Updated:
    file: Path  # the editing file, rewritten
    kept: Path  # the file as it was
    found: Stale  # what was brought up to date


def update(sources: EditSources, machine_path: Path, *, title: str, listed: list[str]) -> Updated | None:
    """Rewrite a stale editing file from the merge and make today's machine transcript its base; None when it
    is up to date. The old file is kept beside it."""
    machine = load(machine_path)
    found = stale(sources, machine)
    if found is None:
        return None
    now = dt.datetime.now(dt.timezone.utc)
    text = updated_text(sources, machine, title=title, listed=listed, found=found,
                        now=now.strftime("%Y-%m-%d %H:%M UTC"))
    kept = sources.edit_file.with_name(f"{sources.edit_file.stem}.before-update-{now:%Y%m%dT%H%M%S}.txt")
    write_bytes(kept, sources.edit_file.read_bytes())
    write_text(sources.edit_file, text)  # the text first: killed before the base, the next merge still holds
    write_bytes(sources.edit_base, machine_path.read_bytes())
    return Updated(sources.edit_file, kept, found)


def update_course(course, slugs=()) -> list[str]:
    """`coursecast update-edits`: every stale editing file of the course (or of `slugs`) brought up to date;
    a line per episode for people."""
    from ..core import layout
    from .corrections import edit_sources
    from .editing import episode_title

    lines = []
    for episode in course.episodes:
        machine = layout.machine_transcript(course, episode)
        if (slugs and episode.slug not in slugs) or not machine.exists():
            continue
        done = update(edit_sources(course, episode), machine, title=episode_title(episode),
                      listed=[course.speaker(s).name for s in episode.speakers])
        if done is None:
            lines.append(f"{episode.slug}: up to date")
            continue
        folder = layout.EDITS
        lines.append(f"{episode.slug}: {folder}/{done.file.name} brought up to date ({len(done.found.new)} new "
                     f"passage(s) to proofread, listed at its top); the old file is {folder}/{done.kept.name}")
    return lines
