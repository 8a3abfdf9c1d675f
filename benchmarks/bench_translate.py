"""Translation benchmark (issue 23): chrF of the translate stage's engines against references we wrote.

- Whisper's translate task (the offline multilingual base model, as the translate stage runs it) on the
  multilingual clips (../shared/speech/multilingual; Italian and Portuguese from tests/speech), against our
  English translations of their texts.
- Apertium eng-spa (as the translate stage runs it) on English reference texts in ../shared/speech,
  against our Spanish translations of them.

The references are ours (written for this benchmark, a few sentences each): figures for orientation,
not a ranking of engines. chrF is sacrebleu's (pinned in pyproject.toml's bench extra).

    python -m benchmarks.bench_translate
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from .speech import SPEECH, multilingual

# clip's language -> our English translation of its reference text
WHISPER_REFERENCES = {
    "de": "The room behind this portal was used as a mortuary.",
    "es": "The sands are whitish and medium-grained, and it gets very few visitors.",
    "fr": "Under the Consulate he became conservator of waters and forests and a general councillor.",
    "it": "Also on the radio, some of his songs, or rather rhythms, were born.",
    "pt": "An old fox cannot learn any trade.",
}
# English reference text (a file of ../shared/speech) -> our Spanish translation of it
APERTIUM_REFERENCES = {
    "whisper_jfk.txt": "Y así, mis compatriotas estadounidenses, no pregunten qué puede hacer su país por ustedes, "
                       "pregunten qué pueden hacer ustedes por su país.",
    "leopard_test_librispeech.txt": "El señor Quilter es el apóstol de las clases medias y nos alegra dar la "
                                    "bienvenida a su evangelio.",
    "ljspeech/LJ001-0001.txt": "La imprenta, en el único sentido que nos ocupa en este momento, se diferencia de la "
                               "mayoría, si no de todas, las artes y oficios representados en la Exposición",
    "ljspeech/LJ001-0002.txt": "en que es relativamente moderna.",
    "ljspeech/LJ001-0003.txt": "Pues, aunque los chinos sacaban impresiones de bloques de madera grabados en relieve "
                               "siglos antes que los grabadores en madera de los Países Bajos, mediante un proceso "
                               "similar",
}


def _chrf(hypotheses: list[str], references: list[str]) -> float:
    import sacrebleu

    return round(sacrebleu.corpus_chrf(hypotheses, [references]).score, 1)


def whisper_section() -> dict:
    from pipeline.transcribe import offline_folder
    from pipeline.translate import whisper_translate

    folder = offline_folder("base")
    if folder is None:
        return {"skipped": "the offline multilingual base model is not installed (make setup)"}
    rows, started = [], time.monotonic()
    for language, reference in WHISPER_REFERENCES.items():
        clip = multilingual(language)
        words = whisper_translate(clip, language, folder)
        hypothesis = " ".join(w.text for w in words)
        rows.append({"clip": clip.name, "language": language, "hypothesis": hypothesis, "reference": reference,
                     "chrf": _chrf([hypothesis], [reference])})
    return {"engine": "whisper translate, base (offline, faster-whisper int8, beam 5)", "sentences": rows,
            "chrf": _chrf([r["hypothesis"] for r in rows], [r["reference"] for r in rows]),
            "seconds": round(time.monotonic() - started, 1)}


def apertium_section() -> dict:
    from pipeline.translate import engine_for
    from pipeline.translate.engines import apertium

    choice = engine_for("en", "es", "base")
    if not choice.usable:
        return {"skipped": f"Apertium eng-spa is not installed: {choice.missing}"}
    sources = [" ".join((SPEECH / name).read_text(encoding="utf-8").split()) for name in APERTIUM_REFERENCES]
    started = time.monotonic()
    drafts = apertium(choice.name, sources)
    rows = [{"text": name, "source": s, "hypothesis": d, "reference": r, "chrf": _chrf([d], [r])}
            for name, s, d, r in zip(APERTIUM_REFERENCES, sources, drafts, APERTIUM_REFERENCES.values())]
    return {"engine": choice.label, "sentences": rows,
            "chrf": _chrf(drafts, list(APERTIUM_REFERENCES.values())), "seconds": round(time.monotonic() - started, 2)}


def run() -> dict:
    if not SPEECH.is_dir():
        return {"skipped": f"{SPEECH} is missing"}
    return {"whisper_into_english": whisper_section(), "apertium_en_es": apertium_section()}


def table(result: dict) -> list[str]:
    lines = ["Translation (chrF against our reference translations, sacrebleu 2.6.0)"]
    for key in ("whisper_into_english", "apertium_en_es"):
        part = result.get(key, {})
        if "skipped" in part:
            lines.append(f"  {key}: skipped: {part['skipped']}")
            continue
        each = ", ".join(f"{r.get('language') or Path(r.get('text', '')).stem} {r['chrf']}" for r in part["sentences"])
        lines.append(f"  {part['engine']}: chrF {part['chrf']} over {len(part['sentences'])} sentences ({each}); "
                     f"{part['seconds']} s")
    return lines


def main() -> None:
    result = run()
    print("\n".join(table(result)))
    json.dump(result, sys.stderr, indent=2, ensure_ascii=False)


if __name__ == "__main__":
    main()
