"""A model per episode, or per language: one German episode no longer forces a multilingual model on the rest."""
from __future__ import annotations

import re

import pytest

from conftest import MINIMAL_COURSE
from pipeline.core import course_file
from pipeline.core.dependency import job_params
from pipeline.core.errors import CourseFileError
from pipeline.transcribe import stage

GERMAN = """
[[episodes]]
slug = "ep2"
module = 1
number = 2
title = "Auf Deutsch"
summary = "The second episode, in German."
date = 2026-09-08
language = "de"
speakers = ["host", "guest"]
{model}
[[episodes.sources]]
file = "ep2.wav"
"""


def _load(tmp_path, *, rule: str = "", model: str = ""):
    text = MINIMAL_COURSE + GERMAN.format(model=model) + (f"\n[transcription]\n{rule}\n" if rule else "")
    (tmp_path / "course.toml").write_text(text, encoding="utf-8")
    return course_file.load(tmp_path / "course.toml")


def _listen(course):
    return {t.name: t for t in stage.tasks(course)}


def test_a_language_rule_gives_only_that_language_another_model(tmp_path):
    course = _load(tmp_path, rule='models = { de = "base" }')
    tasks = _listen(course)
    assert tasks["transcribe:ep1"].job.model.setting == "tiny.en"
    assert tasks["transcribe:ep2"].job.model.setting == "base"
    assert [course.model_of(e) for e in course.episodes] == ["tiny.en", "base"]
    # the English episode's key does not change when the rule is added or changed: it is not heard again
    plain = _listen(_load(tmp_path, model='model = "base"'))["transcribe:ep1"]
    other = _listen(_load(tmp_path, rule='models = { de = "small" }'))["transcribe:ep1"]
    assert job_params(plain.job) == job_params(tasks["transcribe:ep1"].job) == job_params(other.job)
    assert plain.tools == tasks["transcribe:ep1"].tools


def test_an_episode_model_beats_the_rule_and_a_region_falls_back_to_its_language(tmp_path):
    course = _load(tmp_path, rule='models = { de = "small" }', model='model = "base"')
    assert _listen(course)["transcribe:ep2"].job.model.setting == "base"
    assert course.transcription.model_for("de-AT") == "small" and course.transcription.model_for("en") == "tiny.en"


def test_an_english_only_model_for_a_german_episode_is_refused_with_both_fixes(tmp_path):
    with pytest.raises(CourseFileError) as caught:
        _load(tmp_path)
    (problem,) = [p for p in caught.value.problems if "'ep2'.language" in p]
    assert re.match(r"course\.toml:\d+: \[\[episodes\]\] 'ep2'\.language: 'de', but \[transcription\] model = "
                    r"'tiny\.en' knows English only", problem), problem
    assert "model = 'base' in its table" in problem and "models = { de = 'base' }" in problem


def test_bad_rules_and_episode_models_are_refused_with_their_line(tmp_path):
    with pytest.raises(CourseFileError) as caught:
        _load(tmp_path, rule='models = { de = "base", xx_bad = "base", sv = "tiny-en" }', model='model = "bsae"')
    problems = "\n".join(caught.value.problems)
    assert re.search(r"course\.toml:\d+: \[transcription\]\.models\.xx_bad: 'xx_bad' is not a language tag", problems)
    assert re.search(r"\[transcription\]\.models\.sv: 'tiny-en' is not a Whisper model name; did you mean 'tiny\.en'",
                     problems)
    line = next(i for i, t in enumerate((tmp_path / "course.toml").read_text().splitlines(), 1) if "bsae" in t)
    assert f"course.toml:{line}: [[episodes]] 'ep2'.model: 'bsae' is not a Whisper model name" in problems
    with pytest.raises(CourseFileError, match="models: must be a table of strings"):
        _load(tmp_path, rule='models = ["base"]')
