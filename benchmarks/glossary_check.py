"""The glossary's false-positive set: real words that must never be respelled into a roster name (issue 20).

    python -m benchmarks.glossary_check [--speech DIR]

The glossary (pipeline/transcribe/glossary.py) respells near misses of roster names after
decoding; the conversational set counts the names it makes right, this counts the words it
makes wrong. Every transcript of real speech here is respelled with FALSE_FRIENDS, a roster of
names that look like ordinary words ("Berg", "Lund", "Strand", "Hope", "A reader") beside the
demo's speakers, and every replacement is a wrong one (none of those names is said):

  - texts: every reference text in ../shared/speech (English read speech, the German, Spanish and
    French clips) and in tests/speech (the Italian clip, and the Portuguese one the glossary once broke:
    "aprender" -> "A reader");
  - transcripts: what Whisper wrote for the same recordings (the benchmark and the tests respell
    their own transcripts with `wrong_in_transcript`);
  - lexicon: the LEXICON_WORDS most common words of each of LEXICON_LANGUAGES (wordfreq), each
    alone; the ones still respelled are all rarer than the glossary's COMMON_ZIPF, and listed.
"""
from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

from benchmarks.speech import OWN_SPEECH, SPEECH

FALSE_FRIENDS = ("Berg", "Lund", "Holm", "Strand", "Mark", "Hope", "Rose", "Bill", "A reader",
                 # the demo's speakers (demo/course.toml)
                 "Mikael Lindqvist", "Dr. Ingrid Sørensen", "Aino Virtanen", "Astrid Bergström", "Lars Øvergaard")
LEXICON_LANGUAGES = ("en", "sv", "da", "nb", "fi", "de", "es", "fr", "it", "pt", "nl")
LEXICON_WORDS = 5000  # the most common words of each language checked one by one
SPEAKER_TAG = re.compile(r"^(SPEAKER_\d+:|\[\w+ channel\])\s*")  # who speaks, in two of the reference texts


@dataclass(frozen=True)
class Text:
    name: str  # the reference file, relative to its speech folder
    language: str  # ISO 639-1 code, as Whisper detects it
    text: str  # what is said, speaker tags removed


@dataclass(frozen=True)
class Wrong:
    name: str  # where: a Text's name, a transcript's or "lexicon:<language>"
    said: str  # the words replaced
    term: str  # the roster name they became


def roster() -> tuple[str, ...]:
    """FALSE_FRIENDS as the speakers task respells them (titles dropped)."""
    from pipeline.transcribe import stage

    return stage.glossary_terms(FALSE_FRIENDS, ())


def texts(speech: Path = SPEECH) -> list[Text]:
    """Every reference text of real speech under `speech` (none when it is missing) and in the repository's
    tests/speech."""
    found = []
    for folder in (Path(speech), OWN_SPEECH):
        for path in sorted(folder.rglob("*.txt")):
            language = path.stem.rsplit("_", 1)[-1] if path.parent.name == "multilingual" else "en"
            lines = (SPEAKER_TAG.sub("", line).strip() for line in path.read_text(encoding="utf-8").splitlines())
            found.append(Text(str(path.relative_to(folder)), language, " ".join(line for line in lines if line)))
    return found


def wrong_in_texts(items: list[Text], terms: tuple[str, ...] | None = None,
                   heard: float | None = None) -> list[Wrong]:
    """Every word of `items` respelled into a roster name (none of them is said: each is wrong); `heard`:
    each word taken as heard with that probability (None: a text, nothing heard confidently)."""
    from pipeline.transcribe import glossary

    terms = roster() if terms is None else terms
    found = []
    for item in items:
        words = item.text.split()
        probabilities = None if heard is None else [heard] * len(words)
        for start, count, term in glossary.corrections(words, terms, sound=item.language == "en",
                                                       language=item.language, probabilities=probabilities):
            found.append(Wrong(item.name, " ".join(words[start:start + count]), term))
    return found


def wrong_in_transcript(name: str, transcript, terms: tuple[str, ...] | None = None) -> list[Wrong]:
    """Every word of a Whisper transcript (core.transcript.Transcript) respelled into a FALSE_FRIENDS name."""
    from dataclasses import replace

    from pipeline.transcribe import glossary

    fixed = glossary.respell(replace(transcript, term_fixes=()), roster() if terms is None else terms)
    return [Wrong(name, f.before, f.after) for f in fixed.term_fixes]


def wrong_in_lexicon(terms: tuple[str, ...] | None = None, heard: float | None = None,
                     size: int = LEXICON_WORDS) -> list[Wrong]:
    """The `size` most common words of each language, each alone, that the glossary respells into a roster
    name (`heard` as for wrong_in_texts)."""
    from wordfreq import top_n_list

    terms = roster() if terms is None else terms
    words = [Text(f"lexicon:{lang}", lang, w) for lang in LEXICON_LANGUAGES for w in top_n_list(lang, size)]
    return wrong_in_texts([w for w in words if re.fullmatch(r"[^\W\d_]+", w.text)], terms, heard)


def measure(speech: Path = SPEECH) -> dict:
    """The counts `make bench` reports: words checked and words wrongly respelled, per kind."""
    items = texts(speech)
    in_texts, in_lexicon = wrong_in_texts(items), wrong_in_lexicon()
    return {"reference_words": sum(len(t.text.split()) for t in items), "reference_wrong": len(in_texts),
            "lexicon_words": LEXICON_WORDS * len(LEXICON_LANGUAGES), "lexicon_wrong": len(in_lexicon),
            "wrong": [f"{w.name}: {w.said} -> {w.term}" for w in in_texts + in_lexicon]}


def rare_words(size: int = 30000) -> dict[str, int]:
    """The residual risk, for the README: of the `size` most common words of each language, how many are
    still respelled taken as a text (no confidence) and taken as heard confidently (probability 1)."""
    return {"words": size * len(LEXICON_LANGUAGES), "as_text": len(wrong_in_lexicon(size=size)),
            "heard_confidently": len(wrong_in_lexicon(heard=1.0, size=size))}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.glossary_check", description=__doc__.split("\n")[0])
    parser.add_argument("--speech", type=Path, default=SPEECH, help="the real recordings (default: ../shared/speech)")
    result = measure(parser.parse_args().speech)
    print("\n".join(result.pop("wrong")))
    print(result)


if __name__ == "__main__":
    main()
