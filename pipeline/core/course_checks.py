"""Checks across the whole course file, run when it loads: settings values, paths, model and languages, names.

Each check returns (where, problem-and-fix) pairs; the loader lists them with
every other problem of the file, so a build stops before any work. Checks that
need the recordings or installed tools (ffprobe, fonts) run just before a build
(`course_media`, the stages' `check`).
"""
from __future__ import annotations

import difflib
from pathlib import Path

from . import languages
from .course import Course
from .errors import StageError
from .layout import name_clashes
from .model_choice import choose
from .settings import MODEL_NAMES, STAGE_SETTINGS


def settings_problems(course: Course) -> list[tuple[str, str]]:
    """Every [table].key whose value no stage could use, with the fix."""
    found = []
    for table in STAGE_SETTINGS:
        settings = getattr(course, table)
        found += [(f"[{table}].{key}", f"{getattr(settings, key)!r}: {fix}") for key, fix in settings.problems()]
    return found


def _inside(course: Course, rel: str, where: str) -> list[tuple[str, str]]:
    if not rel:
        return []
    path = Path(rel)
    if path.is_absolute() or ".." in path.parts:
        return [(where, f"{rel!r} leaves the course folder; give a path inside it, e.g. 'media/intro.wav'")]
    if (course.root / path).exists() and not (course.root / path).resolve().is_relative_to(course.root.resolve()):
        return [(where, f"{rel!r} is a link that leaves the course folder; copy the file in")]
    return []


def path_problems(course: Course) -> list[tuple[str, str]]:
    """Stings and artwork stay inside the course folder (what is published must be the course's own)."""
    found = _inside(course, course.audio.intro, "[audio].intro") + _inside(course, course.audio.outro, "[audio].outro")
    found += _inside(course, course.info.artwork, "[course].artwork")
    for module in course.modules:
        for key in ("intro", "outro", "artwork"):
            found += _inside(course, getattr(module, key), f"[[modules]] '{module.slug}'.{key}")
    for episode in course.episodes:
        found += _inside(course, episode.artwork, f"[[episodes]] '{episode.slug}'.artwork")
    return found


def _model_problem(setting: str, root: Path) -> str | None:
    """What is wrong with one model setting (a name, checkpoint or CTranslate2 folder); None when fine."""
    if setting in MODEL_NAMES:
        return None
    try:
        choice = choose(setting, root)
    except StageError as e:
        return str(e).split(": ", 1)[-1]
    if choice.kind == "name":
        close = difflib.get_close_matches(setting, MODEL_NAMES, n=1)
        hint = f"did you mean {close[0]!r}? Or" if close else "use"
        return (f"{setting!r} is not a Whisper model name; {hint} a name such as {', '.join(MODEL_NAMES[:4])}, "
                "an openai-whisper checkpoint (.pt) or a CTranslate2 folder")
    return None


def model_settings(course: Course) -> list[tuple[str, str]]:
    """(where, setting) of every model the file names: [transcription] model, each language's, each episode's."""
    found = [("[transcription].model", course.transcription.model)]
    found += [(f"[transcription].models.{tag}", model) for tag, model in course.transcription.models]
    return found + [(f"[[episodes]] '{e.slug}'.model", e.model) for e in course.episodes if e.model]


def model_problems(course: Course) -> list[tuple[str, str]]:
    """A model setting that is neither a Whisper model name, nor a checkpoint, nor a CTranslate2 folder;
    a language rule for no language."""
    found = [(where, why) for where, setting in model_settings(course)
             if (why := _model_problem(setting, course.root))]
    for tag, _ in course.transcription.models:
        if why := languages.problem(tag):
            found.append((f"[transcription].models.{tag}", why))
    return found


def language_problems(course: Course) -> list[tuple[str, str]]:
    """Episodes in a language Whisper, or the chosen model, cannot transcribe; the fix names a model that can."""
    found = []
    for episode in course.episodes:
        where, code = f"[[episodes]] '{episode.slug}'.language", languages.whisper_code(episode.language)
        model = course.model_of(episode)
        if code is None:
            found.append((where, f"{episode.language!r}: Whisper cannot transcribe this language; "
                                 "give the episode's language as one Whisper knows (e.g. 'sv', 'fi', 'no')"))
        elif model.endswith(".en") and code != "en":
            found.append((where, _english_only(course, episode, model, code)))
    return found


def _english_only(course: Course, episode, model: str, code: str) -> str:
    """The message for an episode whose model knows English only, with the fixes for it alone or its language."""
    wanted = "detects the language" if code == languages.AUTO else f"transcribes {episode.language!r}"
    multilingual = model[:-3]
    other = "" if multilingual == "base" else f", or {multilingual!r}, downloaded once when online"
    source = ("its model" if episode.model else "[transcription] models"
              if model != course.transcription.model else "[transcription] model")
    rule = "" if code == languages.AUTO else (f"; or for every {code!r} episode: "
                                              f"[transcription] models = {{ {code} = 'base' }}")
    return (f"{episode.language!r}, but {source} = {model!r} knows English only; set model = 'base' (multilingual: "
            f"it {wanted}, and works offline{other}): for this episode alone, model = 'base' in its table{rule}")


def time_problems(course: Course) -> list[tuple[str, str]]:
    """Chapters and turn hints after the end of what the episode keeps (known without the recordings
    when every source has keep ranges and there is no sting)."""
    found = []
    for episode in course.episodes:
        stings = course.audio.intro or course.audio.outro or any(
            m.intro or m.outro for m in course.modules if m.number == episode.module)
        if stings or not episode.sources or not all(s.keep for s in episode.sources):
            continue
        length = sum(r.duration for s in episode.sources for r in s.keep)
        for key, marks in (("chapters", [(c.at, c.title) for c in episode.chapters]),
                           ("turns", [(t.at, t.speaker) for t in episode.turns])):
            found += [(f"[[episodes]] '{episode.slug}'.{key}[{index}]", f"{label!r} at {at:.1f} s is after the "
                       f"{length:.1f} s the episode keeps; fix its 'at'")
                      for index, (at, label) in enumerate(marks, 1) if at >= length]
    return found


def problems(course: Course) -> list[tuple[str, str]]:
    """Everything wrong across the file (not its single values: the parser checked those)."""
    found = settings_problems(course) + path_problems(course) + model_problems(course) + language_problems(course)
    found += time_problems(course)
    return found + name_clashes(course)
