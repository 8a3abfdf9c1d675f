"""Text in a script the PDF's fonts do not cover (Arabic, CJK, emoji in titles, names and speech) is printed in
an installed font that covers it (checked with pdffonts and pdftotext), and a character no installed font has is
refused before the build, naming the course file's field and the character (issue 26)."""
from __future__ import annotations

from pathlib import Path

from pipeline.core import layout
from pipeline.core.transcript import Segment, Transcript, Word
from pipeline.printing import stage as printing
from print_helpers import EPISODES, print_one, pdftotext, tool, write_course

ARABIC, CHINESE, EMOJI = "مدينة ذكية", "智慧城市", "😀"  # "smart city" twice, and a face
SPOKEN = f"مرحبا بكم {CHINESE} 课程 {EMOJI} and welcome".split()


def _course(tmp_path: Path, title: str):
    course = write_course(tmp_path, episodes=(("m1-what-is", 1, 1, title, (0,)),))
    words = tuple(Word(w, i * 0.5, i * 0.5 + 0.4, 0.9) for i, w in enumerate(SPOKEN))
    segment = Segment(0.0, words[-1].end, " ".join(SPOKEN), words, "host")
    Transcript("m1-what-is", "en", "openai-whisper", "tiny", {}, "0" * 64, 10.0, (segment,),
               {"host": "Host"}).save(layout.transcript(course, course.episodes[0], "json"))
    return course


def _letters(text: str) -> set[str]:
    return {c for c in text if not c.isascii() and not c.isspace()}


def test_arabic_cjk_and_emoji_print_in_a_font_that_has_them(tmp_path):
    course = _course(tmp_path, f"{ARABIC} {CHINESE} {EMOJI} Smart")
    assert printing.preflight(course) == []
    pdf = tmp_path / "scripts.pdf"
    print_one(course, "m1-what-is", pdf)
    fonts = tool("pdffonts", str(pdf))
    assert "NotoSansArabic" in fonts and "DroidSansFallback" in fonts, fonts  # the fallbacks, embedded
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:]), fonts  # every font embedded
    text = pdftotext(pdf)
    assert CHINESE in text and "课程" in text and EMOJI in text, text  # no empty boxes, not misread
    assert _letters(ARABIC) <= _letters(text), text  # set unshaped, but every letter is there


def test_a_character_no_installed_font_has_is_refused_naming_the_field(tmp_path):
    course = write_course(tmp_path, episodes=((*EPISODES[0][:3], "Melting 🫠", ()),))  # U+1FAE0: Unicode 14
    problems = printing.preflight(course)
    assert len(problems) == 1, problems
    assert "[[episodes]] 'm1-what-is'.title: U+1FAE0 (🫠, MELTING FACE)" in problems[0]
    assert "fonts-noto-core" in problems[0] and "remove it" in problems[0]
