"""The translate stage: a task per episode and language, `translate:<slug>:<lang>`.

The task reads the captions stage's VTT and JSON, drafts every cue whose source text
it has not drafted before (the drafts are cached by source-text hash and engine
version, so a re-cut or re-timed episode is re-timed, never translated again), makes
the translator's file once, and reads it back. A cue takes the translator's words when
they differ from the draft the file was made with, else the machine draft. A cue whose
source text is no longer in the translator's file (the editor corrected it) is "source
changed": only it is drafted again. When every cue has a translation the language is
published (`transcripts/<slug>.<lang>.json/.vtt/.srt/.txt`); while one has none it is
not, and the review file names the cues.
"""
from __future__ import annotations

import difflib
import functools
import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

from ..captions import Cue, Violation, get_writer, lint_cues
from ..core import languages, layout
from ..core import transcript as transcript_io
from ..core.course import Course, Episode
from ..core.dependency import Task
from ..core.errors import StageError
from ..core.fsutil import write_json, write_text
from ..core.settings import CaptionSettings, TranslationSettings
from . import engines, sheet
from .cues import SourceCue, Translated, resplit, source_cues, translated_transcript
from .review import review_text

log = logging.getLogger("coursecast.translate")

LIBRARIES = ("faster-whisper", "ctranslate2", "langcodes")  # Whisper's translate drafts; language tags (Apertium: tools)
TASK_WEIGHT = 0.05  # relative cost of a translate task whose drafts are cached (Whisper adds the audio's seconds)
SOFT_RULES = ("reading-speed", "too short")  # lint findings a translation cannot help: its times are the speech's
MACHINE_NOTE = "Machine translation by {engine}: {machine} of {cues} cues not reviewed by a translator."


@dataclass(frozen=True)
class TranslateJob:
    """What the `translate:<slug>:<lang>` task reads."""

    episode: str  # slug
    language: str  # BCP 47 tag translated into
    vtt: Path  # the source captions (captions stage)
    spoken: Path  # the source transcript JSON: its language, speakers, duration
    audio: Path  # the ASR audio Whisper's translate task hears (read only by that engine)
    sheet: Path  # the translator's file: made once, never overwritten
    base: Path  # each cue's source and draft when the translator's file was made
    drafts: Path  # the draft cache (work file)
    review: Path  # what the translator should look at
    outputs: tuple[tuple[str, Path], ...]  # (extension, file) of the published translation
    engine: engines.EngineChoice  # how cues are drafted, its version: part of every draft's key
    whisper_folder: str  # the offline Whisper model folder ("" when Whisper is not the engine)
    settings: TranslationSettings
    captions: CaptionSettings


@dataclass(frozen=True)
class Plan:
    """Every source cue with its translation, or the reason it has none."""

    source_language: str  # the episode's language (detected, for "auto")
    cues: tuple[SourceCue, ...]  # the source cues, in order
    translated: tuple[Translated | None, ...]  # per cue: its translation, None when untranslated
    changed: tuple[int, ...]  # indexes of cues whose source text is not in the translator's file
    drafts: tuple[str, ...]  # per cue: the machine draft ("" when none)

    @property
    def missing(self) -> tuple[int, ...]:
        return tuple(i for i, t in enumerate(self.translated) if t is None)

    @property
    def machine(self) -> int:
        return sum(1 for t in self.translated if t is not None and t.machine)


# -- drafts ------------------------------------------------------------------------------
def _read_cache(job: TranslateJob) -> dict[str, str]:
    try:
        return json.loads(job.drafts.read_text(encoding="utf-8")).get(job.engine.version, {})
    except (OSError, ValueError, AttributeError):
        return {}  # only a cache


def cached_drafts(job: TranslateJob, cues: Sequence[SourceCue], source_language: str) -> list[str]:
    """The drafts the cache has (for `check`: no engine runs)."""
    cache = _read_cache(job)
    return [cache.get(c.key, "") for c in cues]


def new_drafts(job: TranslateJob, cues: Sequence[SourceCue], source_language: str) -> list[str]:
    """Every cue's draft: the cached ones, and the engine's for source texts not drafted before (saved)."""
    if not (job.settings.machine_drafts and job.engine.usable):
        return ["" for _ in cues]
    cache = _read_cache(job)
    todo = [i for i, c in enumerate(cues) if c.key not in cache and c.text]
    if todo:
        made = _engine_drafts(job, cues, todo, source_language)
        cache.update({cues[i].key: text for i, text in zip(todo, made)})
        write_json(job.drafts, {job.engine.version: cache})
        log.info("translate:%s:%s: drafted %d cue(s) with %s, %d from the cache", job.episode, job.language,
                 len(todo), job.engine.label, len(cues) - len(todo))
    return [cache.get(c.key, "") for c in cues]


def _engine_drafts(job: TranslateJob, cues: Sequence[SourceCue], todo: list[int], source: str) -> list[str]:
    if job.engine.kind == "apertium":
        return engines.apertium(job.engine.name, [cues[i].text for i in todo])
    words = engines.whisper_translate(job.audio, source, Path(job.whisper_folder))
    placed = engines.words_on_cues(words, [(c.start, c.end) for c in cues])
    return [placed[i] for i in todo]


# -- the plan: source cues, the translator's file, the drafts ------------------------------
def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _base(job: TranslateJob) -> list[dict]:
    try:
        return json.loads(job.base.read_text(encoding="utf-8"))["cues"]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise StageError(f"{job.base}: damaged ({e}); delete it: every translation line of {job.sheet.name} then "
                         "counts as the translator's") from e


def make_sheet(job: TranslateJob, cues: Sequence[SourceCue], drafts: Sequence[str], source: str) -> None:
    """The translator's file and its base, when there is none yet (never overwritten)."""
    if job.sheet.exists():
        return
    write_json(job.base, {"source_language": source, "language": job.language, "engine": job.engine.version,
                          "cues": [{"source": c.text, "draft": d} for c, d in zip(cues, drafts)]})
    write_text(job.sheet, sheet.render(job.episode, source, job.language, cues, drafts, job.engine.label))


def plan(job: TranslateJob, draft: Callable[[TranslateJob, Sequence[SourceCue], str], list[str]]) -> Plan:
    """Each source cue's translation: the translator's words, else the machine draft, else none."""
    spoken = transcript_io.load(job.spoken)
    source = spoken.language
    if languages.primary(source) == languages.primary(job.language):
        raise StageError(f"episode '{job.episode}' is spoken in {source}, the language it is to be translated into; "
                         f"give it its own translations list without {job.language!r}")
    cues = source_cues(job.vtt, spoken)
    drafts = draft(job, cues, source)
    if draft is new_drafts:
        make_sheet(job, cues, drafts, source)
    if not job.sheet.exists():
        raise StageError(f"{job.sheet}: not made yet; run 'coursecast translate'")
    base = _base(job)
    found = sheet.parse(job.sheet, source, job.language, len(base) if base else _numbered(job.sheet))
    known = _matched([c.source for c in found], [c.text for c in cues])
    translated, changed = [], []
    for index, cue in enumerate(cues):
        if index not in known:
            changed.append(index)
        at = known.get(index)
        mine = found[at].target if at is not None else ""
        untouched = at is not None and at < len(base) and mine == base[at].get("draft", "")
        translated.append(_chosen(cue, mine if (at is not None and not untouched) else "", drafts[index], job))
    return Plan(source, tuple(cues), tuple(translated), tuple(changed), tuple(drafts))


def _numbered(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
               if sheet.HEADER.match(line.strip()))


def _matched(old: Sequence[str], new: Sequence[str]) -> dict[int, int]:
    """New cue index -> the translator's file's cue index with the same source text (in order)."""
    matcher = difflib.SequenceMatcher(None, [_norm(t) for t in old], [_norm(t) for t in new], autojunk=False)
    return {b + k: a + k for a, b, size in matcher.get_matching_blocks() for k in range(size)}


def _chosen(cue: SourceCue, mine: str, draft: str, job: TranslateJob) -> Translated | None:
    if mine:
        return Translated(cue, mine, False)
    if draft and job.settings.publish_machine_drafts:
        return Translated(cue, draft, True)
    return None


# -- the action ----------------------------------------------------------------------------
def translate(job: TranslateJob) -> Plan:
    """The task's action: plan, review file, and the published translation when every cue has one."""
    result = plan(job, new_drafts)
    write_text(job.review, review_text(job, result))
    if result.missing:
        for _, path in job.outputs:
            path.unlink(missing_ok=True)  # a language with untranslated cues is not published
        log.warning("translate:%s:%s: %d of %d cues untranslated; not published (see %s)", job.episode,
                    job.language, len(result.missing), len(result.cues), job.review.name)
        return result
    _publish(job, result)
    return result


def translated_cues(job: TranslateJob, result: Plan) -> list[Cue]:
    return [c for t in result.translated if t for c in resplit(t.source, t.text, job.captions)]


def lint(cues: Sequence[Cue], settings: CaptionSettings, speakers: dict) -> list[Violation]:
    """The caption lint per language; reading speed and minimum time are the speech's, so only warnings."""
    found = lint_cues(cues, settings, speakers=speakers)
    return [replace(v, severity="warning") if v.rule == "reading-speed" or "too short" in v.message else v
            for v in found]


def _publish(job: TranslateJob, result: Plan) -> None:
    about = {"from": result.source_language, "cues": len(result.cues), "machine_cues": result.machine,
             "engine": job.engine.label if result.machine else ""}
    spoken = transcript_io.load(job.spoken)
    done = translated_transcript(spoken, [t for t in result.translated if t], job.language, about)
    cues = translated_cues(job, result)
    if errors := [v for v in lint(cues, job.captions, done.speakers) if v.severity == "error"]:
        log.warning("translate:%s:%s: %d cue(s) break the caption rules (as the source captions do: 'coursecast "
                    "check' lists them), e.g. %s", job.episode, job.language, len(errors), errors[0])
    note = MACHINE_NOTE.format(engine=job.engine.label, machine=result.machine, cues=len(result.cues))
    for ext, path in job.outputs:
        text = get_writer(ext).render(done, cues)
        if result.machine and ext == "vtt":
            text = text.replace("WEBVTT\n", f"WEBVTT\n\nNOTE {note}\n", 1)
        elif result.machine and ext == "txt":
            text = f"[{note}]\n\n{text}"
        write_text(path, text)


# -- tasks -----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _whisper() -> tuple[str, str]:
    from .. import transcribe  # upstream stage: its offline model folder and version

    folder = transcribe.offline_folder("base")
    return (str(folder) if folder else ""), transcribe.offline_version("base")


def _spoken_language(course: Course, episode: Episode) -> str:
    """The episode's language; for "auto", the one its transcript was detected in ('und' before it exists, so
    its first build has no drafts and the next, knowing the language, drafts the cues)."""
    if episode.language != languages.AUTO:
        return episode.language
    try:
        return json.loads(layout.transcript(course, episode, "json").read_text(encoding="utf-8"))["language"]
    except (OSError, ValueError, KeyError, TypeError):
        return languages.UNDETERMINED


def engine(course: Course, episode: Episode, language: str) -> engines.EngineChoice:
    source = _spoken_language(course, episode)
    choice = engines.engine_for(source, language, course.translation.whisper_model)
    if choice.kind == "whisper":
        folder, version = _whisper()
        choice = replace(choice, version=f"whisper {choice.name} ({version})",
                         missing="" if folder else "the offline Whisper model is not installed; run 'make setup'")
    return choice


def translate_job(course: Course, episode: Episode, language: str) -> TranslateJob:
    choice = engine(course, episode, language)
    folder = _whisper()[0] if choice.kind == "whisper" else ""
    return TranslateJob(
        episode.slug, language, layout.transcript(course, episode, "vtt"), layout.transcript(course, episode, "json"),
        layout.asr_audio(course, episode), layout.translation_file(course, episode, language),
        layout.translation_base(course, episode, language), layout.translation_drafts(course, episode, language),
        layout.translation_review(course, episode, language),
        tuple((ext, layout.translation(course, episode, language, ext)) for ext in layout.TRANSLATION_EXTENSIONS),
        choice, folder, course.translation, course.captions)


def tasks(course: Course) -> list[Task]:
    """One task per episode and language the course file asks for; none for a course without translations."""
    return [_task(translate_job(course, e, lang)) for e in course.episodes for lang in e.translations]


def _task(job: TranslateJob) -> Task:
    audio = (job.audio,) if job.engine.kind == "whisper" else ()
    return Task(stage="translate", name=f"translate:{job.episode}:{job.language}", action=translate, job=job,
                inputs=(job.vtt, job.spoken, job.sheet, job.base, *audio),
                targets=(job.review, *(path for _, path in job.outputs)),
                libraries=LIBRARIES, tools=(f"engine {job.engine.version or job.engine.kind}",), episode=job.episode,
                weight=TASK_WEIGHT)
