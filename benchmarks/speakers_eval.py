"""Scoring the speaker finder and two baselines on the evaluation set (speakers_data).

    python -m benchmarks.speakers_eval [--only NAME,...] [--json bench/speakers.json]

Methods
- `segmentation`: pipeline.speakers (segmentation-3.0 windows, chained, voices clustered).
- `turn hints`: the pipeline's turn-hint path, as a careful producer would type the hints: one at
  every change of who holds the floor in the truth (the latest to start talking), to the whole
  second; each word takes the latest hint at or before its middle (`speakers.hinted_speakers`).
  It needs the truth, so it is a reference for what typed turns give, not a method for new recordings.
- `alternate`: the trivial baseline: a new speaker at every pause longer than 0.5 s
  between Whisper's words, two speakers taking turns.
- `voice windows`: resemblyzer alone for who is who: 1.6 s windows every 0.4 s over the speech
  that segmentation-3.0 finds (so only the identity differs), embedded and clustered (average linkage, cosine) into the number of speakers.
Words come from faster-whisper tiny.en (the pipeline's default), cached per mix.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
import wave
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from pipeline.core.asr_audio import SAMPLE_RATE
from pipeline.speakers.diarize import diarize
from pipeline.speakers.metrics import Span, best_mapping, der, words_right
from pipeline.speakers.words import assign_words

from . import speakers_data as data

PAUSE_S = 0.5  # alternate baseline: a pause this long between words changes the speaker
HINT_STEP_S = 0.1  # turn hints: the truth is read every this many seconds
HINT_ROUND_S = 1.0  # turn hints: typed to the whole second, as the course file's producers do
WINDOW_S = 1.6  # voice-windows baseline: window length (resemblyzer's partial)
WINDOW_STEP_S = 0.4  # voice-windows baseline: window step
CACHE = Path(__file__).resolve().parents[1] / "bench" / "speakers-words"  # Whisper words per mix


@dataclass(frozen=True)
class Score:
    item: str  # evaluation item
    method: str  # segmentation | turn hints | alternate | voice windows
    der: float  # diarization error rate, 0.25 s collar
    words_right: float  # share of words on the right speaker
    words: int  # words with a known true speaker
    seconds: float  # audio length
    taken: float  # seconds the method took (diarization only, not Whisper)


@dataclass(frozen=True)
class HeardWord:
    text: str  # the word
    start: float  # seconds
    end: float  # seconds


def heard_words(mix: np.ndarray, cache: Path = CACHE) -> list[HeardWord]:
    """faster-whisper tiny.en's words for `mix` (cached by the mix's content)."""
    pcm = (np.clip(mix, -1, 1) * 32767).astype("<i2").tobytes()
    key = cache / f"{hashlib.sha256(pcm).hexdigest()[:16]}.json"
    if not key.exists():
        _transcribe(pcm, key)
    return [HeardWord(*w) for w in json.loads(key.read_text())]


def _transcribe(pcm: bytes, dst: Path) -> None:
    from pipeline import transcribe as stage
    from pipeline.core.settings import TranscriptionSettings
    from pipeline.core.transcript import load

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "mix.wav"
        with wave.open(str(wav), "wb") as out:
            out.setnchannels(1), out.setsampwidth(2), out.setframerate(SAMPLE_RATE), out.writeframes(pcm)
        stage.transcribe(wav, Path(tmp) / "heard.json", episode="eval", language="en", root=Path(tmp),
                         settings=TranscriptionSettings())
        words = [[w.text, w.start, w.end] for s in load(Path(tmp) / "heard.json").segments for w in s.words]
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(json.dumps(words))


def segmentation(item: data.Item, speakers: int, words, truth) -> tuple[list[Span], tuple]:
    result = diarize(item.mix, speakers=speakers)
    return [Span(t.start, t.end, t.speaker) for t in result.turns], assign_words(words, result.turns)


def turn_hints(item: data.Item, speakers: int, words, truth) -> tuple[list[Span], tuple]:
    """The turn-hint path with hints typed from the truth (see the module's notes)."""
    from pipeline.core.course import TurnHint
    from pipeline.speakers import hinted_speakers

    hints: list[TurnHint] = []
    end = max((s.end for s in truth), default=0.0)
    for t in np.arange(0.0, end, HINT_STEP_S):
        talking = [s for s in truth if s.start <= t < s.end]
        holder = max(talking, key=lambda s: s.start).speaker if talking else None
        if holder and (not hints or hints[-1].speaker != holder):
            at = round(t / HINT_ROUND_S) * HINT_ROUND_S
            hints = [h for h in hints if h.at < at] + [TurnHint(at, holder)]
    labels = tuple(hinted_speakers(words, hints))
    return _word_spans(words, labels), labels


def alternate(item: data.Item, speakers: int, words, truth) -> tuple[list[Span], tuple]:
    labels, current = [], 0
    for i, word in enumerate(words):
        if i and word.start - words[i - 1].end > PAUSE_S:
            current = 1 - current
        labels.append(f"S{current}")
    return _word_spans(words, labels), tuple(labels)


def _word_spans(words, labels) -> list[Span]:
    """Turns as a transcript shows them: consecutive words of one speaker, from the first's start to the last's end."""
    spans: list[Span] = []
    for word, label in zip(words, labels):
        if label is None:
            continue
        if spans and spans[-1].speaker == label:
            spans[-1] = Span(spans[-1].start, word.end, label)
        else:
            spans.append(Span(word.start, word.end, label))
    return spans


def voice_windows(item: data.Item, speakers: int, words, truth) -> tuple[list[Span], tuple]:
    """Speech from segmentation-3.0 (as in `segmentation`), identity from voice windows alone."""
    from scipy.cluster.hierarchy import fcluster, linkage

    from pipeline.speakers.encoder import embed_many
    from pipeline.speakers.linking import frames, pieces
    from pipeline.speakers.segmentation import frame_time, local_activity

    speech = [(float(frame_time(p.start)), float(frame_time(p.end))) for p in pieces(frames(local_activity(item.mix)))]
    starts = [t for a, b in speech for t in np.arange(a, max(a + 1e-3, b - WINDOW_S + 1e-3), WINDOW_STEP_S)]
    voices = np.stack(embed_many([item.mix[int(t * SAMPLE_RATE):int((t + WINDOW_S) * SAMPLE_RATE)] for t in starts]))
    groups = fcluster(linkage(voices, "average", metric="cosine"), speakers, "maxclust") if len(starts) > 1 else [1]
    centres = np.array(starts) + WINDOW_S / 2
    spans = []
    for a, b in speech:
        for t in np.arange(a, b, 0.05):
            label = f"V{groups[int(np.argmin(np.abs(centres - t - 0.025)))]}"
            if spans and spans[-1].speaker == label and abs(spans[-1].end - t) < 1e-6:
                spans[-1] = Span(spans[-1].start, t + 0.05, label)
            else:
                spans.append(Span(t, min(t + 0.05, b), label))
    return spans, assign_words(words, [_turn(s) for s in spans])


def _turn(span: Span):
    from pipeline.speakers.diarize import SpeakerTurn
    return SpeakerTurn(span.start, span.end, span.speaker)


METHODS = {"segmentation": segmentation, "turn hints": turn_hints, "alternate": alternate,
           "voice windows": voice_windows}


def score(item: data.Item, truth_words, truth: tuple[Span, ...], words, method: str) -> Score:
    speakers = len(item.labels)
    began = time.perf_counter()
    spans, given = METHODS[method](item, speakers, words, truth)
    taken = time.perf_counter() - began
    result = der(truth, spans)
    right = words_right(truth_words, given, best_mapping(truth, spans))
    return Score(item.name, method, result.der, right, sum(t is not None for t in truth_words),
                 len(item.mix) / SAMPLE_RATE, taken)


def items(only: set[str] | None = None):
    """(key, Item) of the evaluation set, built lazily."""
    builders = {
        "stereo": data.stereo_mix,
        "three": lambda: data.Item("three voices (leopard)", _three_mix(), (), ("SPEAKER_1", "SPEAKER_2", "SPEAKER_3"), ()),
        "conv": lambda: data.conversation("2 voices: LJ + sonnets", ["lj", "sonnets"], seconds=90, seed=1,
                                          levels_db=[-20, -27]),
        "conv-phone": lambda: data.telephone(items_one("conv")),
        "conv-jfk": lambda: data.conversation("2 voices: sonnets + JFK", ["sonnets", "jfk"], seconds=60, seed=2,
                                              levels_db=[-24, -20]),
        "conv-jfk-phone": lambda: data.telephone(items_one("conv-jfk")),
        "conv-quick": lambda: data.conversation("2 voices, quick turns, overlaps, noise 20 dB", ["lj", "sonnets"],
                                                seconds=90, seed=4, levels_db=[-22, -26], pace=data.QUICK),
        "conv-quick-phone": lambda: data.telephone(items_one("conv-quick")),
        "conv3": lambda: data.conversation("3 voices: LJ + sonnets + JFK", ["lj", "sonnets", "jfk"], seconds=90,
                                           seed=3, levels_db=[-22, -26, -20]),
    }
    for key, build in builders.items():
        if only is None or key in only:
            yield key, build()


def items_one(key: str) -> data.Item:
    return next(item for _, item in items({key}))


def _three_mix() -> np.ndarray:
    from pipeline.core.asr_audio import read_audio as read_mono
    return read_mono(data.SPEECH / "leopard_diarization_test.wav")


def truths(key: str, item: data.Item, words) -> tuple[tuple, tuple[Span, ...]]:
    if key == "three":
        return data.three_voice_truth(words, item.mix)
    return data.word_truth(item, words), item.truth


def evaluate(only: set[str] | None = None, methods=tuple(METHODS)) -> list[Score]:
    scores = []
    for key, item in items(only):
        words = heard_words(item.mix)
        truth_words, truth = truths(key, item, words)
        for method in methods:
            scores.append(score(item, truth_words, truth, words, method))
            s = scores[-1]
            print(f"{s.item:<42} {s.method:<14} DER {s.der:6.1%}  words {s.words_right:6.1%} of {s.words:<4} "
                  f"{s.seconds:5.1f} s audio in {s.taken:5.2f} s", flush=True)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speakers_eval", description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help="comma list of items: stereo, three, conv, conv-phone, ...")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma list of methods")
    parser.add_argument("--json", type=Path, default=None, help="write the scores here")
    args = parser.parse_args()
    if not data.available():
        raise SystemExit(f"speakers: {data.SPEECH} is missing; the evaluation needs the real speech there")
    scores = evaluate(set(args.only.split(",")) if args.only else None, tuple(args.methods.split(",")))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(s) for s in scores], indent=2) + "\n")


if __name__ == "__main__":
    main()
