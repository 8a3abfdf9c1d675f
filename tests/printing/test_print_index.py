"""The booklets end with an index of the speakers and the vocabulary terms, each with the pages where it is
printed: checked against pdftotext page by page, and with a layout that moves the pages."""
from __future__ import annotations

import re

import pytest

from print_helpers import make_transcript, pdftotext, run_task, tool, write_course
from pipeline.core import layout
from pipeline.printing.index import NO_PAGES, page_list

NAMES = ("Ingrid Ærøskøbing", "Paweł Łódźki")  # the test course's speakers
VOCABULARY = ("Tromsø", "procurement rules", "Participatory budgeting")  # the last is never said
WORDS = {"m1-what-is": 900, "m1-words": 260, "m2-who-decides": 150}
VOCABULARY_TABLE = "[transcription]\nvocabulary = [" + ", ".join(f'"{t}"' for t in VOCABULARY) + "]\n"


def _course(tmp_path, print_table: str = ""):
    course = write_course(tmp_path, print_table=VOCABULARY_TABLE + print_table)
    for episode in course.episodes:
        make_transcript(episode.slug, WORDS[episode.slug]).save(layout.transcript(course, episode, "json"))
    return course


def _pages(pdf, count: int) -> list[str]:
    return [" ".join(tool("pdftotext", "-f", str(p), "-l", str(p), str(pdf), "-").split()) for p in
            range(1, count + 1)]


def _index(pages: list[str]) -> tuple[int, dict[str, str]]:
    """(the index's first page, term -> the page list it prints)."""
    first = next(i for i, text in enumerate(pages) if text.startswith("Index") or " Index Speakers " in
                 f" {text} ")
    text = " ".join(pages[first:])
    listed = {}
    for term in (*NAMES, *VOCABULARY):
        found = re.search(re.escape(term) + r"\s+((?:\d+(?:–\d+)?(?:, )?)+|" + NO_PAGES + ")", text)
        assert found, (term, text[:500])
        listed[term] = found.group(1).rstrip(", ")
    return first + 1, listed


def _expected(pages: list[str], first_index_page: int, term: str) -> str:
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, term.split())) + r"(?!\w)", re.IGNORECASE)
    where = [n for n, text in enumerate(pages[:first_index_page - 1], 1) if pattern.search(text)]
    return page_list(where) if where else NO_PAGES


@pytest.mark.parametrize("print_table", ["", '[print]\npaper = "Letter"\n'])
def test_the_course_booklet_index_lists_every_speaker_and_term_with_the_pages_pdftotext_finds(tmp_path, print_table):
    course = _course(tmp_path, print_table)
    report = run_task(course, "print:course")
    pages = _pages(report.target, report.pages)
    first, listed = _index(pages)
    assert first == report.pages or first >= report.pages - 1  # the index is the booklet's end
    for name in NAMES:
        assert listed[name] == _expected(pages, first, name) != NO_PAGES, (name, listed)
    for term in VOCABULARY:
        assert listed[term] == _expected(pages, first, term), (term, listed)
    assert listed["Participatory budgeting"] == NO_PAGES
    assert "Index" in pages[1]  # in the contents too


def test_a_module_booklet_has_its_own_index(tmp_path):
    course = _course(tmp_path)
    report = run_task(course, "print:module-2")
    pages = _pages(report.target, report.pages)
    first, listed = _index(pages)
    for name in NAMES:
        assert listed[name] == _expected(pages, first, name)
    assert "Index" in pdftotext(report.target)


def test_page_lists_read_as_ranges():
    assert page_list((3, 4, 5, 9, 11, 12)) == "3–5, 9, 11, 12" and page_list((7,)) == "7"
