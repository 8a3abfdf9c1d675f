"""The transcript: the typed root of captions, printed PDFs and the feeds' transcripts.

Engines produce it, editors' corrections update it, every writer reads it. It is
stored as `transcripts/<slug>.json` (the final, edited transcript) and
`transcripts/<slug>.machine.json` (what the engine heard, never edited).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable

from .errors import CoursecastError
from .fsutil import write_json
from .text import without_controls

FORMAT_VERSION = 4  # the JSON layout, written into every transcript (2: coverage, term_fixes, language_probability;
# 3: edited.applied_at dropped: the editing file's time is not an input, its sha256 says which edits were merged;
# 4: device, compute_type: where the engine ran, since a GPU's float16 words are not the CPU's int8 words)


@dataclass(frozen=True)
class Word:
    text: str  # as spoken, with leading space as Whisper gives it stripped
    start: float  # seconds from the start of the episode
    end: float  # seconds
    probability: float  # 0..1 engine confidence; 1.0 for words an editor wrote
    aligned: str = "whisper"  # how the time was found: whisper | forced | interpolated


@dataclass(frozen=True)
class Segment:
    start: float  # seconds
    end: float  # seconds
    text: str  # the segment's text, words joined
    words: tuple[Word, ...]  # word-level timing, in order
    speaker: str | None = None  # roster id, or None when unknown
    avg_logprob: float = 0.0  # Whisper's average log probability
    no_speech_prob: float = 0.0  # Whisper's no-speech probability
    compression_ratio: float = 0.0  # gzip ratio of the text (loops score high)
    flags: tuple[str, ...] = ()  # e.g. "repeat" for a dropped loop, "edited"


@dataclass(frozen=True)
class Stretch:
    start: float  # seconds from the start of the episode
    end: float  # seconds

    @property
    def duration(self) -> float:
        return self.end - self.start

    def __str__(self) -> str:
        return f"{self.start:.1f}-{self.end:.1f} s"


@dataclass(frozen=True)
class Coverage:
    """How much of the speech that voice-activity detection found has words (the transcribe stage's check)."""

    speech_s: float  # seconds of speech (Silero VAD)
    covered_share: float  # 0..1: share of those seconds that have a word (widened a little each side)
    redecoded: tuple[Stretch, ...] = ()  # speech without words, decoded again on its own: it gave words
    without_words: tuple[Stretch, ...] = ()  # speech without words even when decoded again on its own


@dataclass(frozen=True)
class TermFix:
    at: float  # seconds: where the corrected words start
    before: str  # the words as decoded ("Swain Heim")
    after: str  # the spelling of the roster or the vocabulary ("Sweynheim")


@dataclass(frozen=True)
class EditInfo:
    file: str  # the editing file, relative to the course folder
    sha256: str  # its content hash when applied
    changed_words: int  # words the editor changed or inserted
    deleted_words: int  # machine words the editor removed


@dataclass(frozen=True)
class Soundbite:
    """A passage an editor marked in the editing file (`{{ ... }}`): a podcast:soundbite, a highlight."""

    start: float  # seconds: its first word's start
    end: float  # seconds: its last word's end
    title: str  # the editor's title, or the passage's words


@dataclass(frozen=True)
class Transcript:
    episode: str  # episode slug
    language: str  # BCP 47 / ISO 639-1 code, e.g. "en"
    engine: str  # "openai-whisper" | "faster-whisper"
    model: str  # model name or checkpoint description
    options: dict[str, Any]  # every decoding option used (JSON-able)
    audio_sha256: str  # hash of the audio the engine heard
    duration: float  # seconds of audio
    segments: tuple[Segment, ...]
    speakers: dict[str, str] = field(default_factory=dict)  # roster id -> display name
    edited: EditInfo | None = None  # set when an editor's file was merged
    coverage: Coverage | None = None  # share of the speech with words, what still has none (None: not measured)
    term_fixes: tuple[TermFix, ...] = ()  # names and terms respelled after decoding (roster, vocabulary)
    language_probability: float | None = None  # detected language's probability; None: the course file gave it
    device: str = ""  # where the engine ran: "cpu" or "cuda" ("": a transcript older than format 4)
    compute_type: str = ""  # its arithmetic there: "int8", "float16" or "float32" ("": older than format 4)
    version: int = FORMAT_VERSION
    attribution: tuple[str, ...] = ()  # how the speakers were found and named, a sentence each (for editors)
    soundbites: tuple[Soundbite, ...] = ()  # passages editors marked, in time order

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    def speaker_name(self, speaker: str | None) -> str:
        if speaker is None:
            return "Speaker"
        return self.speakers.get(speaker, speaker)

    def with_segments(self, segments: Iterable[Segment]) -> "Transcript":
        return replace(self, segments=tuple(segments))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def save(self, path: Path) -> None:
        write_json(path, self.to_dict())


@dataclass(frozen=True)
class Turn:
    """Consecutive segments of one speaker: a paragraph in print and in the editing file."""

    speaker: str | None
    segments: tuple[Segment, ...]

    @property
    def start(self) -> float:
        return self.segments[0].start

    @property
    def end(self) -> float:
        return self.segments[-1].end

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())


def turns(transcript: Transcript) -> list[Turn]:
    """Group segments into speaker turns."""
    result: list[Turn] = []
    for seg in transcript.segments:
        if result and result[-1].speaker == seg.speaker:
            result[-1] = Turn(seg.speaker, result[-1].segments + (seg,))
        else:
            result.append(Turn(seg.speaker, (seg,)))
    return result


def _word(raw: dict) -> Word:
    return Word(**{**raw, "text": without_controls(raw["text"])})  # an engine's stray control bytes never pass


def _segment(raw: dict) -> Segment:
    raw = dict(raw)
    raw["text"] = without_controls(raw["text"])
    raw["words"] = tuple(_word(w) for w in raw.get("words", ()))
    raw["flags"] = tuple(raw.get("flags", ()))
    return Segment(**raw)


def _coverage(raw: dict) -> Coverage:
    stretches = lambda key: tuple(Stretch(**s) for s in raw.get(key, ()))  # noqa: E731
    return Coverage(raw["speech_s"], raw["covered_share"], stretches("redecoded"), stretches("without_words"))


def from_dict(raw: dict[str, Any]) -> Transcript:
    raw = dict(raw)
    raw["segments"] = tuple(_segment(s) for s in raw.get("segments", ()))
    if raw.get("edited"):
        raw["edited"] = EditInfo(**{k: v for k, v in raw["edited"].items() if k != "applied_at"})  # format 2 had it
    raw["attribution"] = tuple(without_controls(line) for line in raw.get("attribution", ()))
    if raw.get("coverage"):
        raw["coverage"] = _coverage(raw["coverage"])
    raw["term_fixes"] = tuple(TermFix(**{**f, "before": without_controls(f["before"])})
                              for f in raw.get("term_fixes", ()))
    raw["soundbites"] = tuple(Soundbite(**{**b, "title": without_controls(b["title"])})
                              for b in raw.get("soundbites", ()))
    return Transcript(**raw)


def load(path: Path) -> Transcript:
    """Read a transcript JSON; CoursecastError naming the file if it is unreadable."""
    path = Path(path)
    try:
        return from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as e:
        raise CoursecastError(f"{path}: transcript not found; run 'coursecast transcribe'") from e
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise CoursecastError(
            f"{path}: not a coursecast transcript ({e}); delete it and run 'coursecast transcribe'"
        ) from e
    except OSError as e:
        raise CoursecastError(f"{path}: cannot be read ({e.strerror or e}); check the file and its permissions") from e
