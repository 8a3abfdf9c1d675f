"""The print stage, checked as a reader would: pdftotext, pdfinfo, pdffonts, qpdf, pypdf, pdftoppm."""
from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import numpy as np
import pypdf
import pytest
from PIL import Image

from pipeline.core import layout
from pipeline.printing import stage as printing
from pipeline.core.errors import CourseFileError, StageError
from pipeline.printing.jobs import printed_course, printed_episode
from pipeline.printing.story import blocks, clock, smarten
from pipeline.printing.styles import LOW_CONFIDENCE, find_font, geometry
from pipeline.core.transcript import Segment, Transcript, Word, load
from print_helpers import (
    print_one, run_task,
    CHAPTER_TITLES, CLOCK, make_transcript, normalise, pdfinfo, pdftotext, printed_words, tool,
    transcript_words, write_course,
)

from paths import SPEECH
NAMES = ("Ingrid Ærøskøbing", "Paweł Łódźki")
WORDS = {"m1-what-is": 900, "m1-words": 260, "m2-who-decides": 150}  # transcript sizes per episode


@pytest.fixture
def course(tmp_path):
    course = write_course(tmp_path)
    for episode in course.episodes:
        make_transcript(episode.slug, WORDS[episode.slug]).save(layout.transcript(course, episode, "json"))
    return course


def _episode(course, slug="m1-what-is"):
    return course.episode(slug)


def _print(course, slug="m1-what-is", proof=False, target=None):
    episode = _episode(course, slug)
    target = target or layout.episode_pdf(course, episode, proof=proof)
    return print_one(course, episode.slug, target, proof=proof)


def _frame_text(course, pdf: Path, proof: bool) -> str:
    """pdftotext of the text frame only: no running heads, footers or proof line numbers."""
    geom = geometry(course.print, proof)
    crop = [round(geom.left) - 1, round(geom.top) - 1, round(geom.text_width) + 2,
            round(geom.page[1] - geom.top - geom.bottom) + 2]
    return tool("pdftotext", "-enc", "UTF-8", "-x", *map(str, crop[:1]), "-y", str(crop[1]),
                "-W", str(crop[2]), "-H", str(crop[3]), str(pdf), "-")


def _body_words(course, pdf: Path, proof: bool) -> list[str]:
    text = _frame_text(course, pdf, proof)
    for title in CHAPTER_TITLES:
        text = text.replace(title, " ")
    return printed_words(text, NAMES)


def _word_count(slug: str) -> int:
    return len(make_transcript(slug, WORDS[slug]).words)


def _find_run(haystack: list[str], needle: list[str], start: int = 0) -> int:
    """Index where `needle` occurs contiguously in `haystack` at or after `start`; -1 if not."""
    for index in range(start, len(haystack) - len(needle) + 1):
        if haystack[index:index + len(needle)] == needle:
            return index
    return -1


# -- the reading edition --------------------------------------------------------------
def test_reading_edition_prints_every_word_in_reading_order(course):
    report = _print(course)
    transcript = make_transcript("m1-what-is", WORDS["m1-what-is"])
    words = _body_words(course, report.target, proof=False)
    expected = transcript_words(transcript)
    assert report.words == len(expected)
    assert words[-len(expected):] == expected  # everything after the episode's heading, in order
    assert report.pages >= 2


def test_reading_edition_metadata_fonts_and_structure(course):
    report = _print(course)
    info = pdfinfo(report.target)
    assert info["Title"] == "What is a “smart city”, and who asked for one?"
    assert info["Author"] == "Smart Cities Course Team"
    assert "Ontology: definitions" in info["Subject"]
    assert info["Page size"].startswith("595.276 x 841.89 pts (A4)")
    assert info["CreationDate"].startswith("Tue Sep  1")  # the episode's date, not the build time
    fonts = tool("pdffonts", str(report.target)).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # the emb column
    assert {"DejaVuSerif", "DejaVuSans-Bold"} <= {line.split()[0].split("+")[-1] for line in fonts}
    assert "No syntax or stream encoding errors" in tool("qpdf", "--check", str(report.target))
    root = pypdf.PdfReader(report.target).trailer["/Root"]
    assert root["/Lang"] == "en"


def test_episode_shows_course_speakers_summary_and_turns(course):
    text = pdftotext(_print(course).target)
    for expected in ("Smart cities for city officials · Module 1: Ontology: definitions",
                     "Ingrid Ærøskøbing Host, Nordic Urban Lab",
                     "Paweł Łódźki Guest, City of Łódź, Department of Digital Services",
                     "A conversation about data, councils", "Episode 1 · 1 September 2026",
                     "© 2026 Smart Cities Course Team, CC BY 4.0", "Introductions", "The island’s timetable"):
        assert expected in text, expected
    assert re.search(r"Ingrid Ærøskøbing 0:00 When we started", text)  # the players' clock (core/timecode)
    assert re.search(r"Paweł Łódźki \d{1,2}:\d\d In Malmö", text)
    page_numbers = [int(tool("pdftotext", "-f", str(p), "-l", str(p), str(_print(course).target), "-")
                        .split()[-1]) for p in (1, 2)]
    assert page_numbers == [1, 2]


def test_nordic_letters_quotes_and_dashes_survive(course):
    text = pdftotext(_print(course).target)
    for expected in ("Łódź", "Ærø", "Tromsø", "Åkirkeby", "Göteborg", "“smart city”", "I’d", "isn’t",
                     "a survey — it", "good example – a small"):
        assert expected in text, expected


def test_letter_paper(tmp_path):
    course = write_course(tmp_path, print_table='[print]\npaper = "Letter"')
    make_transcript("m1-words", 200).save(layout.transcript(course, _episode(course, "m1-words"), "json"))
    report = _print(course, "m1-words")
    assert pdfinfo(report.target)["Page size"].startswith("612 x 792 pts (letter)")


def test_outline_has_episode_and_chapters(course):
    outline = pypdf.PdfReader(_print(course).target).outline
    assert outline[0].title == "What is a “smart city”, and who asked for one?"
    assert [item.title for item in outline[1]] == list(CHAPTER_TITLES[:3])


def test_identical_input_gives_identical_bytes(course, tmp_path):
    first = _print(course, target=tmp_path / "a" / "episode.pdf").target.read_bytes()
    second = _print(course, target=tmp_path / "b" / "episode.pdf").target.read_bytes()
    assert first == second
    proof = _print(course, proof=True, target=tmp_path / "a" / "proof.pdf").target.read_bytes()
    assert proof == _print(course, proof=True, target=tmp_path / "b" / "proof.pdf").target.read_bytes()


def test_no_temp_files_left(course):
    report = _print(course)
    assert [p.name for p in report.target.parent.iterdir() if p.name.startswith(".")] == []


# -- the proofreading edition ---------------------------------------------------------
def test_proof_has_every_word_line_numbers_per_page_and_timecodes(course):
    report = _print(course, proof=True)
    transcript = make_transcript("m1-what-is", WORDS["m1-what-is"])
    expected = transcript_words(transcript)
    assert _body_words(course, report.target, proof=True)[-len(expected):] == expected
    geom = geometry(course.print, proof=True)
    for page in range(1, report.pages + 1):
        margin = tool("pdftotext", "-f", str(page), "-l", str(page), "-x", "0", "-y", "0",
                      "-W", str(round(geom.left) - 2), "-H", str(round(geom.page[1])), str(report.target), "-")
        numbers = [int(n) for n in margin.split()]
        assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 10, (page, numbers)
    paragraphs = [b for b in blocks(transcript, _episode(course).chapters, {}) if hasattr(b, "tokens")]
    clocks = [w for w in _frame_text(course, report.target, True).split() if CLOCK.match(w)]
    assert len(clocks) == len(paragraphs) > 10  # a timecode on every paragraph
    assert clocks == sorted(clocks)


def _shaded_area(pdf: Path, folder: Path) -> int:
    """Pixels of page 1 inside runs of 6+ pixels of the low-confidence shade (text edges are shorter)."""
    subprocess.run(["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-png", str(pdf), str(folder / pdf.stem)],
                   check=True)
    pixels = np.asarray(Image.open(next(folder.glob(f"{pdf.stem}*.png"))).convert("RGB"), dtype=int)
    shade = np.array([int(LOW_CONFIDENCE[i:i + 2], 16) for i in (1, 3, 5)])
    mask = (np.abs(pixels - shade) <= 2).all(axis=2)
    return int(np.lib.stride_tricks.sliding_window_view(mask, 6, axis=1).all(axis=2).sum())


def test_proof_marks_low_confidence_words_subtly(course, tmp_path):
    proof, reading = _print(course, proof=True), _print(course)
    doubtful = sum(1 for w in make_transcript("m1-what-is", WORDS["m1-what-is"]).words if w.probability < 0.5)
    assert proof.marked_words == doubtful > 0 and reading.marked_words == 0
    counts = [_shaded_area(pdf, tmp_path) for pdf in (proof.target, reading.target)]
    assert counts[0] > 100 and counts[1] == 0


def test_proof_legend_and_wide_margins(course):
    report = _print(course, proof=True)
    assert "Proofreading edition" in pdftotext(report.target)
    assert geometry(course.print, True).text_width < geometry(course.print, False).text_width - 50


# -- booklets -------------------------------------------------------------------------
def _booklet(course, module_number=None):
    return run_task(course, f"print:module-{module_number}" if module_number else "print:course")


def test_module_booklet_title_page_contents_and_episodes_in_order(course):
    report = _booklet(course, 1)
    pages = [" ".join(tool("pdftotext", "-f", str(p), "-l", str(p), str(report.target), "-").split())
             for p in range(1, report.pages + 1)]
    assert "Ontology: definitions" in pages[0] and "Transcripts of 2 episodes" in pages[0]
    assert "Contents" in pages[1]
    for episode in course.module_episodes(1):
        entry = re.search(re.escape(episode.title) + r"\s+(\d+)", pages[1])
        assert entry, episode.title
        assert episode.title in pages[int(entry.group(1)) - 1]  # the TOC's page number is right
    for chapter in CHAPTER_TITLES[:3]:
        assert re.search(re.escape(chapter) + r"\s+\d+", pages[1]), chapter
    words, at = _body_words(course, report.target, proof=False), 0
    for episode in course.module_episodes(1):
        at = _find_run(words, transcript_words(make_transcript(episode.slug, WORDS[episode.slug])), at)
        assert at >= 0, f"{episode.slug} missing or out of order"
    assert report.words == sum(_word_count(e.slug) for e in course.module_episodes(1))


def test_module_booklet_outline_and_checks(course):
    report = _booklet(course, 1)
    outline = pypdf.PdfReader(report.target).outline
    titles = [item.title for item in outline if not isinstance(item, list)]
    assert titles == ["Contents", *(e.title for e in course.module_episodes(1)), "Index"]
    assert "No syntax or stream encoding errors" in tool("qpdf", "--check", str(report.target))
    assert pdfinfo(report.target)["Title"] == "Module 1: Ontology: definitions"


def test_course_booklet_has_every_module_and_episode(course):
    report = _booklet(course)
    reader = pypdf.PdfReader(report.target)
    top = [item.title for item in reader.outline if not isinstance(item, list)]
    assert top == ["Contents", "Module 1: Ontology: definitions", "Module 2: Governance: participation and democracy",
                   "Index"]
    nested = [item.title for item in reader.outline[2] if not isinstance(item, list)]
    assert nested == [e.title for e in course.module_episodes(1)]
    words, at = _body_words(course, report.target, proof=False), 0
    for episode in sorted(course.episodes, key=lambda e: (e.module, e.number)):
        at = _find_run(words, transcript_words(make_transcript(episode.slug, WORDS[episode.slug])), at)
        assert at >= 0, f"{episode.slug} missing or out of order"
    assert report.words == sum(_word_count(slug) for slug in WORDS)


def test_every_pdf_embeds_every_font(course):
    built = []
    for task in printing.tasks(course):
        task.run()
        built += [p for p in task.targets if p.suffix == ".pdf"]
    kinds = {"episode": [p for p in built if not p.name.endswith(".proof.pdf")
                         and not p.name.startswith(("module-", "course"))],
             "proof": [p for p in built if p.name.endswith(".proof.pdf")],
             "module": [p for p in built if p.name.startswith("module-")], "course": [layout.course_pdf(course)]}
    assert all(kinds.values()) and layout.course_pdf(course) in built, kinds
    for pdf in built:
        fonts = tool("pdffonts", str(pdf)).splitlines()[2:]  # name, type, encoding, emb, sub, uni, object id
        assert fonts, pdf
        assert [line for line in fonts if line.split()[-5] != "yes"] == [], f"{pdf.name} does not embed these"


def test_a_thousand_character_title_still_lays_out(course):
    # the course file refuses titles over 300 characters; the print stage copes with longer ones anyway
    long = " ".join(f"Title{i}" for i in range(200))[:1000]
    last = long.split()[-2]  # the last whole word
    course = dataclasses.replace(course, episodes=tuple(dataclasses.replace(e, title=long) for e in course.episodes),
                                 modules=tuple(dataclasses.replace(m, title=long) for m in course.modules))
    for task in printing.tasks(course):
        task.run()
        for pdf in (p for p in task.targets if p.suffix == ".pdf"):
            assert last in pdftotext(pdf).split(), pdf.name


# -- content rules --------------------------------------------------------------------
def test_typographic_quotes_and_dashes():
    assert smarten('"Hello') == "“Hello" and smarten('world."') == "world.”"
    assert smarten("it's") == "it’s" and smarten("'quoted'") == "‘quoted’"
    assert smarten("-") == "–" and smarten("--") == "—" and smarten("well--you") == "well—you"
    assert normalise(["“it’s”"]) == ['"it\'s"']


def test_clock_reads_like_an_audio_player():
    assert [clock(s, long=False) for s in (0, 65, 751.4)] == ["0:00", "1:05", "12:31"]
    assert [clock(s, long=True) for s in (300, 3751)] == ["0:05:00", "1:02:31"]


def test_long_turns_break_into_paragraphs():
    transcript = make_transcript("x", 2000, speakers=("host",))
    paragraphs = blocks(transcript, (), {"host": "Ann"})
    assert len(paragraphs) > 8 and all(len(p.tokens) < 2 * 110 + 40 for p in paragraphs)
    assert [p.opens_turn for p in paragraphs] == [True] + [False] * (len(paragraphs) - 1)
    assert [t for p in paragraphs for t, _ in p.tokens] == transcript.text.split()


def test_chapters_split_turns_and_repeat_the_speaker_name():
    words = tuple(Word(w, i, i + 0.5, 0.9) for i, w in enumerate("one two three. four five six.".split()))
    segments = (Segment(0, 2.5, "one two three.", words[:3], "host"),
                Segment(3, 5.5, "four five six.", words[3:], "host"))
    transcript = Transcript("x", "en", "openai-whisper", "tiny.en", {}, "", 6.0, segments)
    from pipeline.core.course import Chapter
    result = blocks(transcript, (Chapter(2.8, "Second"), Chapter(99.0, "Past the end")), {"host": "Ann"})
    assert [type(b).__name__ for b in result] == ["Para", "ChapterHead", "Para"]
    assert result[2].opens_turn and result[2].speaker == "Ann"


def test_transcript_without_speakers_prints_timecodes_only(tmp_path):
    course = write_course(tmp_path)
    episode = _episode(course, "m1-words")
    make_transcript(episode.slug, 120, speakers=None).save(layout.transcript(course, episode, "json"))
    report = _print(course, "m1-words")
    text = pdftotext(report.target)
    assert re.search(r"(?<![\d:])0:00 When we started", text) and "Speaker" not in text
    assert _body_words(course, report.target, False)[-report.words:] == transcript_words(
        make_transcript(episode.slug, 120, speakers=None))


def test_edited_text_is_printed_when_words_disagree(tmp_path):
    course = write_course(tmp_path)
    episode = _episode(course, "m1-words")
    segment = Segment(0, 2, "The editor’s version wins.", (Word("The", 0, 1, 0.1), Word("machine", 1, 2, 0.1)))
    Transcript(episode.slug, "en", "openai-whisper", "tiny.en", {}, "", 2.0, (segment,)).save(
        layout.transcript(course, episode, "json"))
    report = _print(course, "m1-words", proof=True)
    assert "The editor’s version wins." in pdftotext(report.target) and report.marked_words == 0


def test_wrong_transcript_is_refused(course, tmp_path):
    episode = dataclasses.replace(printed_episode(course, _episode(course, "m1-words")),
                                  transcript=layout.transcript(course, _episode(course), "json"))
    with pytest.raises(StageError, match="m1-what-is"):
        printing.print_episode(printed_course(course, ()), episode, tmp_path / "x.pdf")


def test_missing_font_says_what_to_install():
    with pytest.raises(StageError, match="apt-get install fonts-dejavu-core"):
        find_font("DejaVu Nonexistent Serif")


def test_bad_settings_are_refused_before_a_build(tmp_path, course):
    assert printing.preflight(course) == []
    with pytest.raises(CourseFileError) as caught:
        write_course(tmp_path, print_table='[print]\npaper = "A5"\nlow_confidence = 2.0')
    problems = "\n".join(caught.value.problems)
    assert "[print].paper: 'A5': use one of 'A4', 'Letter'" in problems and "[print].low_confidence: 2.0" in problems
    missing = write_course(tmp_path, print_table='[print]\nfont = "Nope Serif"')
    assert any("[print].font" in p and "Nope Serif" in p for p in printing.preflight(missing))


# -- tasks ----------------------------------------------------------------------------
def test_tasks_declare_inputs_targets_and_run(course):
    tasks = {t.name: t for t in printing.tasks(course)}
    assert set(tasks) == {"print:m1-what-is", "print:m1-words", "print:m2-who-decides",
                          "print:module-1", "print:module-2", "print:course"}
    episode = _episode(course)
    task = tasks["print:m1-what-is"]
    assert task.stage == "print" and task.episode == "m1-what-is"
    assert task.inputs[:2] == (layout.transcript(course, episode, "json"), layout.chapters_json(course, episode))
    assert any(p.name == "DejaVuSerif.ttf" for p in task.inputs)  # a new font file reprints
    assert task.targets == (layout.episode_pdf(course, episode), layout.episode_pdf(course, episode, proof=True))
    assert {layout.transcript(course, e, "json") for e in course.episodes} <= set(tasks["print:course"].inputs)
    for task in tasks.values():
        task.run()
        assert all(target.is_file() for target in task.targets), task.name


def test_params_change_only_where_the_value_is_printed(course):
    def params(c):
        return {t.name: t.params for t in printing.tasks(c)}

    before = params(course)
    renamed = dataclasses.replace(course, episodes=tuple(
        dataclasses.replace(e, title="New title") if e.slug == "m1-words" else e for e in course.episodes))
    after = params(renamed)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"print:m1-words", "print:module-1", "print:course"}
    louder = dataclasses.replace(course, audio=dataclasses.replace(course.audio, target_lufs_mono=-20.0))
    assert params(louder) == before
    letter = dataclasses.replace(course, print=dataclasses.replace(course.print, paper="Letter"))
    assert all(params(letter)[name] != before[name] for name in before)


# -- a real transcript ----------------------------------------------------------------
@pytest.mark.slow
def test_real_whisper_transcript_prints_every_word(tmp_path):
    if not (SPEECH / "whisper_jfk.flac").is_file():
        pytest.skip(f"{SPEECH} is absent: the real-speech test needs ../shared/speech/whisper_jfk.flac")
    from pipeline.core.settings import TranscriptionSettings
    from pipeline.transcribe import stage as transcribe  # our own code: an import error fails, never skips

    course = write_course(tmp_path)
    episode = _episode(course, "m2-who-decides")
    source = layout.transcript(course, episode, "json")
    transcribe.transcribe(SPEECH / "whisper_jfk.flac", source, episode=episode.slug, language="en",
                          settings=TranscriptionSettings(), root=course.root)
    report = _print(course, "m2-who-decides")
    words = _body_words(course, report.target, proof=False)
    expected = transcript_words(load(source))
    assert "country" in " ".join(expected).lower() and words[-len(expected):] == expected
    assert _print(course, "m2-who-decides", proof=True).pages >= 1
