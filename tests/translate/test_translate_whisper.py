"""Whisper's translate task drafts a non-English episode into English (issue 23), on real French speech (French -> English has no Apertium pair)
from ../shared/speech/multilingual, with the offline multilingual base model."""
from __future__ import annotations

import subprocess

import pytest

from paths import SPEECH
from pipeline import captions, translate
from pipeline.core import course_file, layout
from pipeline.core.transcript import Segment, Transcript, Word
from pipeline.transcribe import offline_folder

from conftest import MINIMAL_COURSE, make_tone

CLIP = SPEECH / "multilingual" / "picovoice_fr.wav"
FRENCH = "Sous le consulat il devient conservateur des eaux et forêts et conseiller général."
CLIP_S = 6.7  # seconds of the clip
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CLIP.is_file(), reason=f"{CLIP} is missing (../shared/speech)"),
    pytest.mark.skipif(offline_folder("base") is None, reason="the offline multilingual base model is not installed"),
]


def test_a_french_episode_gets_an_english_draft_from_whisper_on_its_cue_times(tmp_path):
    make_tone(tmp_path / "raw_interviews" / "ep1.wav")
    text = MINIMAL_COURSE.replace('speakers = ["host", "guest"]',
                                  'speakers = ["host", "guest"]\nlanguage = "fr"\ntranslations = ["en"]')
    (tmp_path / "course.toml").write_text(text + '\n[transcription]\nmodel = "base"\n', encoding="utf-8")
    course = course_file.load(tmp_path / "course.toml")
    episode = course.episode("ep1")
    asr = layout.asr_audio(course, episode)
    asr.parent.mkdir(parents=True)
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(CLIP), "-ac", "1", "-ar", "16000", str(asr)], check=True)
    words = FRENCH.split()
    step = (CLIP_S - 1.0) / len(words)
    timed = tuple(Word(w, round(0.5 + i * step, 3), round(0.5 + (i + 1) * step, 3), 0.9) for i, w in enumerate(words))
    halves = (timed[:6], timed[6:])  # two segments: two cues
    spoken = Transcript("ep1", "fr", "test", "base", {}, "0" * 64, CLIP_S,
                        tuple(Segment(h[0].start, h[-1].end, " ".join(w.text for w in h), h, "host") for h in halves),
                        {"host": "Anna Host"})
    paths = {ext: layout.transcript(course, episode, ext) for ext in ("json", "vtt")}
    paths["json"].parent.mkdir(parents=True, exist_ok=True)
    captions.write_outputs(spoken, paths, course.captions)
    [task] = translate.tasks(course)
    assert task.job.engine.kind == "whisper" and task.job.engine.usable
    plan = task.run()
    assert not plan.missing and plan.machine == len(plan.cues)
    english = " ".join(t.text for t in plan.translated).lower()
    assert "consulate" in english and "general" in english
    source = captions.read_caption_file(paths["vtt"]).cues
    drafted = captions.read_caption_file(layout.translation(course, episode, "en", "vtt")).cues
    assert drafted[0].start == source[0].start and drafted[-1].end == source[-1].end
