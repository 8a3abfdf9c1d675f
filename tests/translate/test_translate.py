"""The translate stage (issue 23): Apertium drafts on the source cue times, the translator's file and its
round trip, bad translator's files, a language without an engine, and the course file's translations."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "captions"))

from captions_helpers import conversation  # noqa: E402

from conftest import MINIMAL_COURSE, make_tone  # noqa: E402
from pipeline import captions, translate  # noqa: E402
from pipeline.core import course_file, layout  # noqa: E402
from pipeline.core.errors import CourseFileError, StageError  # noqa: E402
from pipeline.core.settings import CaptionSettings  # noqa: E402

NAMES = {"host": "Anna Host", "guest": "Erik Guest"}
TURNS = [("host", "Welcome to the course. Today we talk about the city council and its budget."),
         ("guest", "Thank you. The council meets every Monday, and the residents decide how the money is spent."),
         ("host", "How many people took part last year?"),
         ("guest", "More than two thousand people voted, most of them young.")]
TIME_TOLERANCE_S = 0.05  # the tolerance on a translated cue's times
needs_apertium = pytest.mark.skipif(not translate.engine_for("en", "es", "base").usable,
                                    reason="apertium and apertium-eng-spa are not installed (scripts/setup.sh)")


def _course(root: Path, translations: str):
    make_tone(root / "raw_interviews" / "ep1.wav")
    text = MINIMAL_COURSE.replace('categories = ["Education > Courses"]',
                                  f'categories = ["Education > Courses"]\ntranslations = {translations}')
    (root / "course.toml").write_text(text, encoding="utf-8")
    return course_file.load(root / "course.toml")


def _source(course, turns=TURNS) -> None:
    """The captions stage's outputs for ep1, written by its own writers."""
    spoken = conversation(turns, speakers=NAMES)
    spoken = spoken.__class__(**{**spoken.__dict__, "episode": "ep1"})
    episode = course.episode("ep1")
    paths = {ext: layout.transcript(course, episode, ext) for ext in ("json", "vtt")}
    paths["json"].parent.mkdir(parents=True, exist_ok=True)
    captions.write_outputs(spoken, paths, CaptionSettings())


def _run(course):
    [task] = translate.tasks(course)
    return task.run()


def test_a_course_without_translations_has_no_translate_tasks(course_dir):
    course = course_file.load(course_dir / "course.toml")
    assert translate.tasks(course) == [] and course.episodes[0].translations == ()


@pytest.mark.parametrize("value, says", [('["es", "x!"]', "not a language tag"), ('["en"]', "spoken in"),
                                         ('["es", "es"]', "more than once"), ('"es"', "must be a list")])
def test_the_loader_refuses_bad_translation_tags(tmp_path, value, says):
    with pytest.raises(CourseFileError) as refused:
        _course(tmp_path, value)
    assert "translations" in str(refused.value) and says in str(refused.value)


def test_an_episode_overrides_the_course_list(tmp_path):
    make_tone(tmp_path / "raw_interviews" / "ep1.wav")
    text = MINIMAL_COURSE.replace('speakers = ["host", "guest"]', 'speakers = ["host", "guest"]\ntranslations = ["sv"]')
    (tmp_path / "course.toml").write_text(text, encoding="utf-8")
    assert course_file.load(tmp_path / "course.toml").episode("ep1").translations == ("sv",)


@needs_apertium
def test_spanish_drafts_keep_the_source_cue_times_and_pass_the_lint(tmp_path):
    course = _course(tmp_path, '["es"]')
    _source(course)
    plan = _run(course)
    episode = course.episode("ep1")
    source = captions.read_caption_file(layout.transcript(course, episode, "vtt")).cues
    spanish = captions.read_caption_file(layout.translation(course, episode, "es", "vtt"))
    assert not plan.missing and plan.machine == len(source)
    for cue in source:  # each source cue is one or more Spanish cues spanning the same time
        group = [c for c in spanish.cues if cue.start - TIME_TOLERANCE_S <= c.start < cue.end]
        assert abs(group[0].start - cue.start) <= TIME_TOLERANCE_S and abs(group[-1].end - cue.end) <= TIME_TOLERANCE_S
    errors = [v for v in translate.stage.lint(spanish.cues, CaptionSettings(), {}) if v.severity == "error"]
    assert errors == [] and spanish.problems == ()
    text = layout.translation(course, episode, "es", "vtt").read_text(encoding="utf-8")
    assert "NOTE Machine translation by Apertium eng-spa" in text and "consejo" in text
    assert json.loads(layout.translation(course, episode, "es", "json").read_text())["language"] == "es"


def _sheet_lines(course):
    return layout.translation_file(course, course.episode("ep1"), "es").read_text(encoding="utf-8").splitlines()


@needs_apertium
def test_the_translators_words_win_and_survive_a_correction_of_another_cue(tmp_path, caplog):
    course = _course(tmp_path, '["es"]')
    _source(course)
    _run(course)
    sheet = layout.translation_file(course, course.episode("ep1"), "es")
    lines = _sheet_lines(course)
    first = next(i for i, line in enumerate(lines) if line.startswith("es: "))
    lines[first] = "es: Bienvenidos al curso, escrito por la traductora."
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    drafts = layout.translation_drafts(course, course.episode("ep1"), "es")
    corrected = [*TURNS[:3], ("guest", "More than three thousand people voted, most of them young.")]
    _source(course, corrected)  # the editor corrects the last sentence
    before = sheet.read_text(encoding="utf-8")
    with caplog.at_level("INFO", logger="coursecast.translate"):
        plan = _run(course)
    assert sheet.read_text(encoding="utf-8") == before  # never overwritten
    assert len(plan.changed) == 1 and "three thousand" in plan.cues[plan.changed[0]].text
    assert any("drafted 1 cue(s)" in r.getMessage() for r in caplog.records)  # only that cue drafted again
    vtt = " ".join(layout.translation(course, course.episode("ep1"), "es", "vtt").read_text(encoding="utf-8").split())
    assert "escrito por la traductora" in vtt and "tres mil" in vtt
    review = layout.translation_review(course, course.episode("ep1"), "es").read_text(encoding="utf-8")
    assert "Source changed (1 cue(s))" in review
    assert drafts.exists()


@needs_apertium
@pytest.mark.parametrize("damage, says", [
    (lambda ls: _without(ls, 2), "cue [2] was removed"),
    (lambda ls: [l for l in ls if not l.startswith("[2] ")], "second 'en:' line"),
    (lambda ls: ls + ["[99] 00:00:30.000", "en: x", "es: y"], "cue [99] was added"),
    (lambda ls: ls + [next(l for l in ls if l.startswith("[1] ")), "en: x", "es: y"], "is here twice"),
    (lambda ls: _swap(ls), "out of order"),
    (lambda ls: [l.replace("es: ", "es: \x1b", 1) if l.startswith("es: ") else l for l in ls], "control character"),
])
def test_a_bad_translators_file_is_refused_with_its_line_and_the_last_translation_stays(tmp_path, damage, says):
    course = _course(tmp_path, '["es"]')
    _source(course)
    _run(course)
    episode = course.episode("ep1")
    published = layout.translation(course, episode, "es", "vtt").read_text(encoding="utf-8")
    sheet = layout.translation_file(course, episode, "es")
    sheet.write_text("\n".join(damage(_sheet_lines(course))) + "\n", encoding="utf-8")
    damaged = sheet.read_text(encoding="utf-8")
    with pytest.raises(StageError) as refused:
        _run(course)
    assert says in str(refused.value) and ", line " in str(refused.value)
    assert sheet.read_text(encoding="utf-8") == damaged
    assert layout.translation(course, episode, "es", "vtt").read_text(encoding="utf-8") == published


def _without(lines: list[str], number: int) -> list[str]:
    """The file with cue `number`'s block (header, source, translation) deleted."""
    at = next(i for i, l in enumerate(lines) if l.startswith(f"[{number}] "))
    return lines[:at] + lines[at + 3:]


def _swap(lines: list[str]) -> list[str]:
    """Cue 2's block moved after cue 3's."""
    start = lambda n: next(i for i, l in enumerate(lines) if l.startswith(f"[{n}] "))  # noqa: E731
    two, three, four = start(2), start(3), start(4)
    return lines[:two] + lines[three:four] + lines[two:three] + lines[four:]


def test_a_language_without_an_engine_gets_the_translators_file_and_is_not_published(tmp_path):
    course = _course(tmp_path, '["sv"]')
    _source(course)
    plan = _run(course)
    episode = course.episode("ep1")
    assert len(plan.missing) == len(plan.cues) > 0
    assert layout.translation_file(course, episode, "sv").read_text(encoding="utf-8").count("\nsv:") == len(plan.cues)
    assert not layout.translation(course, episode, "sv", "vtt").exists()
    problems = translate.check(course)
    assert any(f"{len(plan.cues)} of {len(plan.cues)} cues untranslated" in p for p in problems)
    assert translate.preflight(course) == []  # no engine is not something to install


def test_a_translation_longer_than_its_cue_is_split_on_the_cues_time_within_the_rules():
    from pipeline.translate.cues import SourceCue, resplit

    settings = CaptionSettings()
    source = SourceCue(10.0, 16.0, "Short English.", "host", "Anna Host: ")
    long = ("Una traducción bastante más larga que el original, que no cabe en dos líneas de cuarenta y dos "
            "caracteres y que por eso se reparte en varias.")
    cues = resplit(source, long, settings)
    assert len(cues) > 1 and cues[0].start == 10.0 and cues[-1].end == 16.0
    assert cues[0].lines[0].startswith("Anna Host: ")
    assert all(len(c.lines) <= settings.max_lines and max(map(len, c.lines)) <= settings.max_chars_per_line
               for c in cues)
    gaps = [b.start - a.end for a, b in zip(cues, cues[1:])]
    assert all(gap >= settings.min_gap_frames / settings.frame_rate - 1e-6 for gap in gaps)
    assert " ".join(" ".join(c.lines) for c in cues) == "Anna Host: " + long


@needs_apertium
def test_a_retimed_episode_is_retimed_without_translating_again(tmp_path, caplog):
    course = _course(tmp_path, '["es"]')
    _source(course)
    _run(course)
    episode = course.episode("ep1")
    before = captions.read_caption_file(layout.translation(course, episode, "es", "vtt")).cues
    spoken = conversation(TURNS, speakers=NAMES, start=1.3)  # the same words, a second later (a re-cut)
    spoken = spoken.__class__(**{**spoken.__dict__, "episode": "ep1"})
    captions.write_outputs(spoken, {ext: layout.transcript(course, episode, ext) for ext in ("json", "vtt")},
                           CaptionSettings())
    with caplog.at_level("INFO", logger="coursecast.translate"):
        _run(course)
    assert not any("drafted" in r.getMessage() for r in caplog.records)  # every draft came from the cache
    after = captions.read_caption_file(layout.translation(course, episode, "es", "vtt")).cues
    assert [c.lines for c in after] == [c.lines for c in before]
    assert all(abs(b.start + 1.0 - a.start) <= TIME_TOLERANCE_S for a, b in zip(after, before))


def test_a_pair_apertium_has_but_this_machine_lacks_is_named_by_the_preflight_with_its_install_line(tmp_path):
    course = _course(tmp_path, '["gl"]')
    choice = translate.engine_for("en", "gl", "base")
    if choice.usable:
        pytest.skip("apertium-en-gl is installed here")
    [problem] = translate.preflight(course)
    assert "apt-get install apertium apertium-en-gl" in problem and "'gl'" in problem
