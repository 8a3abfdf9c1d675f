"""Machine-translation engines: Apertium's offline pairs (Debian packages) and Whisper's `translate` task.

An engine turns the source cues' texts into drafts. Apertium translates text; Whisper
translates speech (any language it knows into English), so its words are placed on the
cues by their times. `engine_for` says which engine a pair has, with the version that
keys the drafts (the pair package's Debian version, the pinned offline model's), or why
none: a pair Apertium has but this machine lacks names the `apt-get install` line.
"""
from __future__ import annotations

import functools
import logging
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..core import languages
from ..core.errors import StageError

log = logging.getLogger("coursecast.translate")

APERTIUM = "apertium"  # the Debian package and command
CUE_BREAK = "\n\n"  # between cues sent to Apertium: it keeps blank lines, so cue i is paragraph i
APERTIUM_TIMEOUT_S = 600  # seconds one episode's cues may take (Apertium does ~1000 words a second)
WHISPER_BEAM_SIZE = 5  # beams for Whisper's translate task
# (source, target) primary language -> (Apertium mode, Debian package): the pairs issue 23 lists.
APERTIUM_PAIRS: dict[tuple[str, str], tuple[str, str]] = {
    ("en", "es"): ("eng-spa", "apertium-eng-spa"), ("es", "en"): ("spa-eng", "apertium-eng-spa"),
    ("en", "ca"): ("eng-cat", "apertium-eng-cat"), ("ca", "en"): ("cat-eng", "apertium-eng-cat"),
    ("en", "gl"): ("en-gl", "apertium-en-gl"), ("gl", "en"): ("gl-en", "apertium-en-gl"),
    ("is", "en"): ("isl-eng", "apertium-isl-eng"),
    ("sv", "da"): ("swe-dan", "apertium-swe-dan"), ("da", "sv"): ("dan-swe", "apertium-swe-dan"),
    ("sv", "nb"): ("swe-nob", "apertium-swe-nor"), ("sv", "no"): ("swe-nob", "apertium-swe-nor"),
    ("da", "nb"): ("dan-nob", "apertium-dan-nor"), ("da", "no"): ("dan-nob", "apertium-dan-nor"),
    ("nn", "nb"): ("nno-nob", "apertium-nno-nob"), ("nb", "nn"): ("nob-nno", "apertium-nno-nob"),
    ("is", "sv"): ("isl-swe", "apertium-isl-swe"),
}


@dataclass(frozen=True)
class EngineChoice:
    """How one (source, target) pair is drafted."""

    kind: str  # "apertium", "whisper" or "none"
    name: str  # the Apertium mode ('eng-spa') or the Whisper model ('base'); "" for none
    version: str  # what keys the drafts: 'apertium-eng-spa 0.8.1-2', 'whisper base (<packages>)'; "" for none
    missing: str = ""  # for a pair an engine has but this machine lacks: what to run ("" when usable or no engine)

    @property
    def usable(self) -> bool:
        return self.kind != "none" and not self.missing

    @property
    def label(self) -> str:
        """For people: 'Apertium eng-spa (apertium-eng-spa 0.8.1-2)'."""
        return {"apertium": f"Apertium {self.name} ({self.version})",
                "whisper": f"Whisper translate, model {self.name}"}.get(self.kind, "no engine")


@functools.lru_cache(maxsize=None)
def package_version(package: str) -> str | None:
    """The installed Debian version of `package`, None when it is not installed (or there is no dpkg)."""
    if shutil.which("dpkg-query") is None:
        return None
    done = subprocess.run(["dpkg-query", "-W", "-f", "${Status} ${Version}", package], capture_output=True, text=True)
    fields = done.stdout.split()
    return fields[-1] if done.returncode == 0 and "installed" in fields[:3] and len(fields) >= 4 else None


def engine_for(source: str, target: str, whisper_model: str, whisper_version: str = "") -> EngineChoice:
    """The engine of the pair (BCP 47 tags); Whisper for any language it knows into English."""
    pair = (languages.primary(source), languages.primary(target))
    if pair in APERTIUM_PAIRS:
        mode, package = APERTIUM_PAIRS[pair]
        version = package_version(package)
        if shutil.which(APERTIUM) is None or version is None:
            return EngineChoice("apertium", mode, "", f"apt-get install {APERTIUM} {package}")
        return EngineChoice("apertium", mode, f"{package} {version}")
    if pair[1] == "en" and pair[0] != "en" and languages.whisper_code(source):
        return EngineChoice("whisper", whisper_model, f"whisper {whisper_model} ({whisper_version})")
    return EngineChoice("none", "", "")


def apertium(mode: str, texts: Sequence[str]) -> list[str]:
    """Each text translated by the Apertium mode (unknown words kept as they are, without Apertium's '*')."""
    if not texts:
        return []
    flat = [" ".join(t.split()) for t in texts]  # one paragraph per cue: no line breaks inside
    cmd = [APERTIUM, "-u", mode]
    log.debug("%s", shlex.join(cmd))
    try:
        done = subprocess.run(cmd, input=CUE_BREAK.join(flat) + "\n", capture_output=True, text=True,
                              timeout=APERTIUM_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise StageError(f"apertium {mode}: could not run ({e}); check with 'echo hello | {shlex.join(cmd)}'") from e
    if done.returncode != 0:
        raise StageError(f"apertium {mode} failed: {done.stderr.strip()[-400:]}; run 'apt-get install --reinstall "
                         f"{APERTIUM}' and the pair's package")
    out = [" ".join(p.split()) for p in done.stdout.strip("\n").split(CUE_BREAK)]
    if len(out) != len(flat):
        raise StageError(f"apertium {mode}: {len(flat)} cues in, {len(out)} out; report it with the episode's VTT")
    return out


@dataclass(frozen=True)
class HeardWord:
    text: str  # the English word as Whisper's translate task gives it
    start: float  # seconds
    end: float  # seconds


def whisper_translate(audio: Path, source: str, model_folder: Path) -> list[HeardWord]:
    """Whisper's translate task on `audio` (spoken in `source`) -> English words with times."""
    import faster_whisper  # heavy: only when a draft is made

    model = faster_whisper.WhisperModel(str(model_folder), device="cpu", compute_type="int8")
    segments, _ = model.transcribe(str(audio), task="translate", language=languages.whisper_code(source),
                                   beam_size=WHISPER_BEAM_SIZE, word_timestamps=True, vad_filter=True)
    return [HeardWord(w.word.strip(), float(w.start), float(w.end)) for s in segments for w in (s.words or ())]


def words_on_cues(words: Sequence[HeardWord], spans: Sequence[tuple[float, float]]) -> list[str]:
    """Each word on the cue its middle falls in (or the nearest cue): the draft of each cue."""
    texts: list[list[str]] = [[] for _ in spans]
    for word in words:
        middle = (word.start + word.end) / 2
        nearest = min(range(len(spans)), key=lambda i: max(spans[i][0] - middle, middle - spans[i][1], 0.0),
                      default=None)
        if nearest is not None:
            texts[nearest].append(word.text)
    return [" ".join(t) for t in texts]
