"""Course-file times in every form a producer writes, and every problem with its course.toml:LINE."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from conftest import MINIMAL_COURSE
from pipeline.core import course_file
from pipeline.core.course_lines import Locator
from pipeline.core.errors import CourseFileError
from pipeline.core.timecode import parse_timecode

KEEP = 'keep = [["00:00:00.000", "00:00:01.500"]]'


@pytest.mark.parametrize("written, seconds", [
    ("00:01:20.250", 80.25), ("1:02:03", 3723.0), ("01:02:03.5", 3723.5), ("1:20", 80.0), ("12:05.5", 725.5),
    ("80", 80.0), ("80s", 80.0), ("80.5 s", 80.5), (80, 80.0), (80.5, 80.5), (dt.time(0, 1, 20, 500000), 80.5),
    ("90:00", 5400.0),  # minutes past 59 in MM:SS
])
def test_every_time_form_is_accepted(written, seconds):
    assert parse_timecode(written) == pytest.approx(seconds)


@pytest.mark.parametrize("written", ["1:5", "1:60", "abc", "-3", -3, True, "1:02:60", "", "80 m"])
def test_wrong_times_name_the_forms(written):
    with pytest.raises(ValueError, match=r"is not a time.*HH:MM:SS\.mmm, H:MM:SS, MM:SS, seconds"):
        parse_timecode(written)


def _write(tmp_path, text):
    (tmp_path / "course.toml").write_text(text, encoding="utf-8")
    return tmp_path / "course.toml"


def _problems(tmp_path, text) -> list[str]:
    with pytest.raises(CourseFileError) as caught:
        course_file.load(_write(tmp_path, text))
    return caught.value.problems


def _line_of(text: str, needle: str, nth: int = 1) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return lines[nth - 1]


def test_keep_chapters_and_turns_take_short_forms_and_toml_times(tmp_path):
    text = MINIMAL_COURSE.replace(KEEP, 'keep = [[0, "0:00.8"], ["1s", 00:00:01.500]]').replace(
        'speakers = ["host", "guest"]',
        'speakers = ["host", "guest"]\nchapters = [{ at = "0:00", title = "Start" }, { at = 1, title = "Then" }]\n'
        'turns = [{ at = 00:00:00, speaker = "host" }, { at = "0.9s", speaker = "guest" }]')
    episode = course_file.load(_write(tmp_path, text)).episodes[0]
    assert [(r.start, r.end) for r in episode.sources[0].keep] == [(0.0, 0.8), (1.0, 1.5)]
    assert [c.at for c in episode.chapters] == [0.0, 1.0] and [t.at for t in episode.turns] == [0.0, 0.9]


def test_overlapping_keep_ranges_are_refused_with_their_line(tmp_path):
    text = MINIMAL_COURSE.replace(KEEP, 'keep = [\n  ["0:00", "0:10"],\n  ["0:20", "0:30"],\n  ["0:05", "0:12"],\n]')
    problems = _problems(tmp_path, text)
    assert problems == [f"course.toml:{_line_of(text, '0:05')}: [[episodes]] 'ep1'.sources #1.keep[3]: overlaps range 1 "
                        "(00:00:00.000 to 00:00:10.000): the same speech would be published twice; end one range "
                        "where the next starts"]
    touching = MINIMAL_COURSE.replace(KEEP, 'keep = [["0:00", "0:01"], ["0:01", "0:01.5"]]')
    assert course_file.load(_write(tmp_path, touching)).episodes[0].sources[0].keep[1].start == 1.0


def test_every_problem_carries_the_line_it_is_on(tmp_path):
    text = MINIMAL_COURSE.replace('owner_email = "team@example.org"', 'owner_email = "nobody"').replace(
        'title = "Episode one"', 'title = "Episode one"\ntitel = "typo"').replace(
        KEEP, 'keep = [["0:01", "bad"]]') + '\n[captions]\nmax_lines = 0\n'
    problems = _problems(tmp_path, text)
    expected = {
        f"course.toml:{_line_of(text, 'nobody')}: [course].owner_email: 'nobody' is not an e-mail address",
        f"course.toml:{_line_of(text, 'titel')}: [[episodes]] 'ep1'.titel: unknown key (did you mean 'title'?)",
        f"course.toml:{_line_of(text, 'bad')}: [[episodes]] 'ep1'.sources #1.keep[1]: 'bad' is not a time",
        f"course.toml:{_line_of(text, 'max_lines')}: [captions].max_lines: 0: use at least 1",
    }
    assert all(any(p.startswith(e) for p in problems) for e in expected), problems
    assert all(re.match(r"course\.toml:\d+: ", p) for p in problems)
    broken = _problems(tmp_path, MINIMAL_COURSE.replace('[[modules]]', '[[modules]\n', 1))
    assert re.match(r"course\.toml:\d+: not valid TOML", broken[0]), broken


def test_the_scanner_finds_array_tables_under_their_parent_and_items_of_multiline_arrays():
    text = ('[course]\ntitle = "x"\n\n[[episodes]]\nslug = "a"\n[[episodes.sources]]\nfile = "1"\n'
            '[[episodes.sources]]  # second\nfile = "2"\nkeep = [\n  ["0:00", "0:01"],  # ]]\n  ["0:02", "0:03"],\n]\n'
            '[[episodes]]\nslug = "b"\ntitle = "[not a table]"\n[[episodes.sources]]\nfile = "3"\n')
    where = Locator(text)
    assert where.line("[course].title") == 2
    assert where.line("[[episodes]] 'a'.sources #2.file") == 9
    assert where.line("[[episodes]] 'a'.sources #2.keep[2]") == 12
    assert where.line("[[episodes]] 'b'.sources #1.file") == 18
    assert where.line("[[episodes]] #2.title") == 16
    assert where.line("[[episodes]] 'b'.nothing") == 14


def test_language_tags_are_normalised_to_bcp47_and_wrong_ones_refused(tmp_path):
    text = MINIMAL_COURSE.replace('language = "en"', 'language = "en_us"').replace(
        'date = 2026-09-01', 'date = 2026-09-01\nlanguage = "SV-fi"')
    course = course_file.load(_write(tmp_path, text.replace('[[speakers]]', '[transcription]\nmodel = "base"\n\n[[speakers]]', 1)))
    assert course.info.language == "en-US" and course.episodes[0].language == "sv-FI"
    problems = _problems(tmp_path, MINIMAL_COURSE.replace('language = "en"', 'language = "english_UK"'))
    assert any(re.match(r"course\.toml:\d+: \[course\]\.language: 'english_UK' is not a language tag", p)
               for p in problems), problems


def test_stage_and_recording_messages_carry_the_line_too(tmp_path):
    from pipeline import speakers
    from pipeline.core.course_media import probe_sources

    text = MINIMAL_COURSE.replace(KEEP, KEEP + '\nchannels = { left = "host" }')
    course = course_file.load(_write(tmp_path, text))
    assert any(p.startswith(f"course.toml:{_line_of(text, 'channels')}: [[episodes]] 'ep1'.sources #1.channels: "
                            "'channels' names one side only") for p in speakers.preflight(course))
    with pytest.raises(CourseFileError) as caught:
        probe_sources(course)
    assert caught.value.problems[0].startswith(
        f"course.toml:{_line_of(text, '[[episodes.sources]]')}: [[episodes]] 'ep1'.sources #1: "
        "raw_interviews/ep1.wav does not exist")


def test_one_recording_in_two_sources_may_not_keep_the_same_part_twice(tmp_path):
    twice = MINIMAL_COURSE + '\n[[episodes.sources]]\nfile = "ep1.wav"\nkeep = [["0:01", "0:02"]]\n'
    (problem,) = _problems(tmp_path, twice)
    assert problem.startswith(f"course.toml:{_line_of(twice, 'keep', 2)}: [[episodes]] 'ep1'.sources #2.keep: keeps "
                              "part of 'ep1.wav' that source #1 keeps too")
    apart = MINIMAL_COURSE + '\n[[episodes.sources]]\nfile = "ep1.wav"\nkeep = [["0:01.5", "0:02"]]\n'
    assert len(course_file.load(_write(tmp_path, apart)).episodes[0].sources) == 2


def test_a_multiline_string_is_not_read_as_tables_or_keys():
    text = ('[[speakers]]\nid = "a"\nbio = """\n[[episodes]]\nslug = "x"\n"""\n[[episodes]]\nslug = "b"\n'
            "title = '''\n[course]\n'''\nnumber = 2\n")
    where = Locator(text)
    assert where.line("[[episodes]] 'b'.slug") == 8 and where.line("[[episodes]] #1.number") == 12
    assert where.line("[course].title") is None and where.line("[[speakers]] #1.bio") == 3


def test_modules_named_by_slug_and_colliding_names_are_located(tmp_path):
    text = MINIMAL_COURSE.replace('title = "Module one"', 'title = "Module one"\nintro = "../outside.wav"').replace(
        'slug = "ep1"', 'slug = "course"')
    problems = _problems(tmp_path, text)
    assert any(p.startswith(f"course.toml:{_line_of(text, 'outside.wav')}: [[modules]] 'one'.intro: '../outside.wav' "
                            "leaves the course folder") for p in problems), problems
    assert all(re.match(r"course\.toml:\d+: ", p) for p in problems), problems
