"""Search indexes for the tests: a course of many hours made of real sentences, and reading an index back."""
from __future__ import annotations

import json
import random
from pathlib import Path

from pipeline.core.transcript import Segment, Transcript, Word
from pipeline.site import search

SENTENCES = (  # spoken-English sentences of the length the demo has (15-20 words)
    "Participatory budgeting lets residents of a district decide how part of the city's money is spent.",
    "A data trust holds what sensors collect and answers to the people the data describes.",
    "In Malmö the city measured how residents used energy and then changed the building rules.",
    "Before we buy another dashboard we should ask which decision it will change, and for whom.",
    "Procurement teams often write requirements that only one vendor can meet, which locks the city in.",
    "The pilot ran for eighteen months, and the evaluation was published before the next budget.",
    "Open standards matter because a city outlives every supplier it signs a contract with.",
    "When the traffic lights adapt to buses, the whole line becomes more reliable for commuters.",
)
SECONDS_PER_WORD = 0.4  # 150 words a minute
TURN_SENTENCES = 4  # sentences before the other speaker talks
KNOWN_EVERY = 10  # one sentence in this many is from SENTENCES (numbered); the rest are made of random words
VOCABULARY = 5000  # distinct made-up words, drawn with Zipf's law as speech draws its words
SENTENCE_WORDS = (8, 22)  # words in a made-up sentence, fewest and most
SYLLABLES = tuple(c + v for c in "bdfgklmnprstvz" for v in ("a", "e", "i", "o", "u", "ö", "å", "ei"))


def _made_up_words(rng: random.Random) -> list[str]:
    return ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(VOCABULARY)]


def _sentences(seed: str):
    """Endless sentences: one in KNOWN_EVERY known (numbered), the others Zipf-drawn made-up words, which
    gzip compresses less well than real speech (an honest upper bound for the index's size)."""
    rng = random.Random(seed)
    vocabulary = _made_up_words(rng)
    weights = [1 / rank for rank in range(1, VOCABULARY + 1)]
    n = 0
    while True:
        if n % KNOWN_EVERY == 0:
            yield SENTENCES[n // KNOWN_EVERY % len(SENTENCES)].replace(" the ", f" the {n} ", 1)
        else:
            words = rng.choices(vocabulary, weights, k=rng.randint(*SENTENCE_WORDS))
            yield " ".join(words).capitalize() + "."
        n += 1


def sentence_transcript(slug: str, minutes: float, extra: tuple[str, ...] = ()) -> Transcript:
    """`minutes` of speech cycling through SENTENCES (each numbered, so no two are alike), `extra` first."""
    segments, t, n, made = [], 0.0, 0, _sentences(slug)
    while t < minutes * 60:
        text = extra[n] if n < len(extra) else next(made)
        words = []
        for token in text.split():
            words.append(Word(token, round(t, 3), round(t + SECONDS_PER_WORD * 0.9, 3), 0.9))
            t += SECONDS_PER_WORD
        speaker = ("anna", "erik")[(n // TURN_SENTENCES) % 2]
        segments.append(Segment(words[0].start, words[-1].end, text, tuple(words), speaker=speaker))
        n += 1
    return Transcript(episode=slug, language="en", engine="faster-whisper", model="tiny.en", options={},
                      audio_sha256="0" * 64, duration=t, segments=tuple(segments), speakers={})


def write_hours_index(folder: Path, hours: float, episode_minutes: float = 60.0) -> tuple[Path, float]:
    """An index of `hours` of speech in episodes of `episode_minutes`; (its path, seconds of speech)."""
    episodes, total = [], 0.0
    for number in range(int(hours * 60 // episode_minutes)):
        slug = f"ep{number + 1:02d}"
        model = sentence_transcript(slug, episode_minutes)
        total += model.duration
        path = folder / f"{slug}.json"
        model.save(path)
        episodes.append(search.SearchEpisode(slug, f"episodes/{slug}.html", f"Episode {number + 1}", "Module 1",
                                             "en", path, (("anna", "Anna Host"), ("erik", "Erik Guest"))))
    job = search.SearchJob(folder / "search-index.js", tuple(episodes))
    search.write_index(job)
    return job.target, total


def read_index(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    prefix = f"window.{search.GLOBAL}="
    assert text.startswith(prefix) and text.endswith(";\n")
    return json.loads(text[len(prefix):-2])
