"""Fixtures for the print stage's tests and benchmark: a small course file and transcripts
built from our own data model (word timings and probabilities), and readers of PDFs
that use the real tools (pdftotext, pdfinfo, pdffonts, qpdf)."""
from __future__ import annotations

import itertools
import re
import subprocess
import json
from pathlib import Path

from pipeline.core import course_file
from pipeline.core import layout
from pipeline.core.transcript import Segment, Transcript, Word

WORDS_PER_SECOND = 2.5  # speaking rate of the synthetic transcripts (150 words a minute)
TURN_SENTENCES = (3, 1, 5, 2, 9, 1, 4)  # sentences per turn, cycled: short answers and long ones
TURN_PAUSE_S = 0.6  # seconds of silence between turns

# Realistic interview sentences, with the letters, quotes and dashes a Nordic course needs.
SENTENCES = (
    "When we started the project in Łódź, nobody on the council had heard the phrase “smart city”.",
    "The ferry timetable on Ærø is a good example - a small island, a small budget, and very clear needs.",
    "I'd say the question isn't whether to collect data, it's who gets to decide what it is for.",
    "In Malmö and Tromsø the officials we met wanted fewer dashboards and more time with residents.",
    "Participation is not a survey — it means that citizens can change the outcome of a decision.",
    "We published every sensor location on a map, so anyone could ask why it was there.",
    "Privacy by design sounds good in a brochure, but it costs money and it needs staff who understand it.",
    "Our first pilot failed because the vendor owned the data and the city owned only the problems.",
    "Göteborg changed its procurement rules after that, and the contracts now say who owns what.",
    "If you remember one thing from this module, remember that technology follows the questions you ask.",
    "Honestly, the hardest part was explaining to the residents of Åkirkeby why the streetlights blinked.",
    "She said: “Show me the decision, not the data,” and the whole room went quiet for a moment.",
)

COURSE_TOML = """\
[course]
title = "Smart cities for city officials"
subtitle = "An open online course on smart cities, with a Nordic focus"
author = "Smart Cities Course Team"
owner_name = "Smart Cities Course Team"
owner_email = "course-team@example.org"
language = "en"
base_url = "https://example.org/smart-cities/"
copyright = "© 2026 Smart Cities Course Team, CC BY 4.0"
categories = ["Education > Courses"]

[[modules]]
number = 1
slug = "ontology"
title = "Ontology: definitions"
summary = "What do we mean by a smart city? Definitions, histories and the words we use."

[[modules]]
number = 2
slug = "governance"
title = "Governance: participation and democracy"
summary = "Who decides in a smart city, and how citizens take part."

[[speakers]]
id = "host"
name = "Ingrid Ærøskøbing"
role = "host"
affiliation = "Nordic Urban Lab"

[[speakers]]
id = "guest"
name = "Paweł Łódźki"
role = "guest"
affiliation = "City of Łódź, Department of Digital Services"

{episodes}
{print_table}
"""

EPISODE_TOML = """\
[[episodes]]
slug = "{slug}"
module = {module}
number = {number}
title = "{title}"
summary = "A conversation about data, councils and the residents who live with the decisions."
date = 2026-09-{day:02d}
speakers = ["host", "guest"]
sources = [{{ file = "{slug}.wav" }}]
chapters = [{chapters}]
"""

EPISODES = (  # slug, module, number, title, chapter marks (seconds)
    ("m1-what-is", 1, 1, "What is a “smart city”, and who asked for one?", (0, 40, 95)),
    ("m1-words", 1, 2, "Words we use — from Łódź to Ærø", (0, 30)),
    ("m2-who-decides", 2, 1, "Who decides?", ()),
)
CHAPTER_TITLES = ("Introductions", "The island’s timetable", "What the council learned", "Closing")


def _chapter_list(marks) -> str:
    return ", ".join(f'{{ at = "00:{int(s) // 60:02d}:{int(s) % 60:02d}.000", title = "{CHAPTER_TITLES[i]}" }}'
                     for i, s in enumerate(marks))


def write_course(folder: Path, *, print_table: str = "", episodes=EPISODES) -> course_file.Course:
    """A course.toml in `folder` with the given [print] table; returns the loaded Course."""
    blocks = [EPISODE_TOML.format(slug=s, module=m, number=n, day=min(n, 28), title=t.replace('"', '\\"'),
                                  chapters=_chapter_list(c)) for s, m, n, t, c in episodes]
    path = folder / "course.toml"
    path.write_text(COURSE_TOML.format(episodes="\n".join(blocks), print_table=print_table), encoding="utf-8")
    course = course_file.load(path)
    write_chapters(course)
    return course


def write_chapters(course: course_file.Course) -> None:
    """The published chapters JSON of every episode, as the episodes stage writes it (no pause shortened)."""
    for episode in course.episodes:
        chapters = [{"startTime": c.at, "title": c.title} for c in episode.chapters]
        path = layout.chapters_json(course, episode)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"version": "1.2.0", "chapters": chapters}), encoding="utf-8")


def print_one(course: course_file.Course, slug: str, target: Path, *, proof: bool = False):
    """print_episode with the course's print job values (no font files: they only key staleness)."""
    from pipeline.printing import stage as printing
    from pipeline.printing.jobs import printed_course, printed_episode

    return printing.print_episode(printed_course(course, ()), printed_episode(course, course.episode(slug)), target,
                                  proof=proof)


def run_task(course: course_file.Course, name: str):
    """Run one print task of the course (e.g. 'print:module-1') and return its report."""
    from pipeline.printing import stage as printing

    return {t.name: t for t in printing.tasks(course)}[name].run()


def _probability(index: int) -> float:
    """A deterministic spread: most words sure, every 17th word doubtful."""
    return 0.31 if index % 17 == 5 else 0.93


def _segment(sentence: str, start: float, first_index: int, speaker: str | None) -> Segment:
    words = tuple(Word(t, start + i / WORDS_PER_SECOND, start + (i + 0.8) / WORDS_PER_SECOND,
                       _probability(first_index + i)) for i, t in enumerate(sentence.split()))
    return Segment(words[0].start, words[-1].end, sentence, words, speaker)


def make_transcript(slug: str, word_count: int, *, speakers=("host", "guest"),
                    start_at: float = 0.0) -> Transcript:
    """About `word_count` words: one segment per sentence (cycling through SENTENCES), turns of
    TURN_SENTENCES sentences alternating between `speakers` (None: nobody is named)."""
    segments, turn_lengths, words, turn = [], itertools.cycle(TURN_SENTENCES), 0, 0
    sentences, left = itertools.cycle(SENTENCES), next(turn_lengths)
    while words < word_count:
        speaker = speakers[turn % len(speakers)] if speakers else None
        start = start_at + words / WORDS_PER_SECOND + turn * TURN_PAUSE_S
        segments.append(_segment(next(sentences), start, words, speaker))
        words += len(segments[-1].words)
        left -= 1
        if not left:
            turn, left = turn + 1, next(turn_lengths)
    duration = segments[-1].end + 1.0 if segments else 0.0
    return Transcript(episode=slug, language="en", engine="openai-whisper", model="tiny.en", options={},
                      audio_sha256="0" * 64, duration=duration, segments=tuple(segments),
                      speakers={"host": "Host", "guest": "Guest"})


# -- reading PDFs as a reader would ---------------------------------------------------
def tool(*cmd: str) -> str:
    proc = subprocess.run(list(cmd), capture_output=True, text=True, errors="replace")
    assert proc.returncode == 0, f"{' '.join(cmd)} failed: {proc.stderr}"
    return proc.stdout


def pdftotext(pdf: Path) -> str:
    return tool("pdftotext", "-enc", "UTF-8", str(pdf), "-")


def pdfinfo(pdf: Path) -> dict[str, str]:
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in tool("pdfinfo", str(pdf)).splitlines())}


_TYPOGRAPHIC = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})
CLOCK = re.compile(r"^\d{1,2}:\d\d(:\d\d)?$")


def normalise(words) -> list[str]:
    """Words as a reader compares them: typographic quotes and dashes folded to ASCII."""
    return [w.translate(_TYPOGRAPHIC).replace("--", "-") for w in words]


def transcript_words(transcript: Transcript) -> list[str]:
    return normalise(transcript.text.split())


def printed_words(text: str, names=()) -> list[str]:
    """pdftotext's words with page furniture, speaker names, timecodes and line numbers removed."""
    for name in names:
        text = text.replace(name, " ")
    words = [w for w in text.split() if not CLOCK.match(w) and not w.isdigit()]
    return normalise(words)
