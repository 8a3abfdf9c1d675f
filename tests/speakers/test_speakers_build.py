"""Who is speaking, through the whole build: a real two-person conversation on one channel, no turn hints.

The recording is laid out from two real voices in ../shared/speech by the benchmark's
data builder (benchmarks/speakers_data.py), so the truth is known word by word. The
guest talks first, so the rule ("the host speaks first") names the voices the wrong way
round until voice samples are added: that is the fix the editing file tells its editor
about, and it must re-label without transcribing or segmenting again.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import wave
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from benchmarks import speakers_data as data
from pipeline.core import course_file, layout, stages
from pipeline.core.dependency import StateStore
from pipeline.core.transcript import Transcript, load
from pipeline.speakers.metrics import Span, best_mapping, der, words_right

from conftest import SPEAKERS, course_head

pytestmark = pytest.mark.slow

HOST_VOICE, GUEST_VOICE = "sonnets", "lj"  # the guest (LJ Speech) talks first
SEED = 2  # a layout where the guest's first turn runs 10 s before the host answers
TARGET_DER = 0.15  # issue 16: two people on one channel
TARGET_WORDS = 0.90  # issue 16: share of words on the right speaker
NAMES = {"host": "Anna Host", "guest": "Erik Guest"}  # conftest.SPEAKERS
PODCAST_NS = "https://podcastindex.org/namespace/1.0"


@dataclass(frozen=True)
class Built:
    root: Path  # the course folder
    course: Path  # its course.toml
    item: data.Item  # the recording and its truth
    samples: Path  # held-out voice samples, host.wav and guest.wav, not yet in raw_interviews/voices/


def write_wav(path: Path, samples: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(data.SAMPLE_RATE)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def coursecast(course: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", "--course", str(course), "-j", "2", *args],
                          capture_output=True, text=True)


def build(built: Built, name: str) -> set[str]:
    """Build everything; the names of the tasks that ran."""
    timings = built.root / f"{name}-timings.json"
    result = coursecast(built.course, "build", "--timings", str(timings))
    assert result.returncode == 0, result.stderr[-3000:]
    return set(json.loads(timings.read_text())["built"])


COURSE = course_head() + SPEAKERS + """
[[episodes]]
slug = "ep1"
module = 1
number = 1
title = "Two people, one channel"
summary = "A conversation recorded on one track."
date = 2026-09-01
speakers = ["host", "guest"]

[[episodes.sources]]
file = "ep1.wav"
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    if not data.available():
        pytest.skip(f"real speech not available: {data.SPEECH} is missing (../shared/speech is not beside the repo)")
    root = tmp_path_factory.mktemp("two-voices")
    item = data.conversation("two people", [GUEST_VOICE, HOST_VOICE], seconds=40, seed=SEED, levels_db=[-20, -25])
    write_wav(root / "raw_interviews" / "ep1.wav", item.mix)
    (root / "course.toml").write_text(COURSE, encoding="utf-8")
    for person, voice in (("host", HOST_VOICE), ("guest", GUEST_VOICE)):  # held out: the voice's last phrases
        write_wav(root / "held-out" / f"{person}.wav", np.concatenate(data.phrases(voice)[-4:]))
    result = Built(root, root / "course.toml", item, root / "held-out")
    ran = build(result, "first")
    assert {"diarize:ep1", "speakers:ep1"} <= ran and not any(n.startswith("voice:") for n in ran)
    return result


def final(built: Built) -> Transcript:
    return load(built.root / "transcripts" / "ep1.json")


def named_right(built: Built, voice_to_id: dict[str, str]) -> float:
    """Share of the final transcript's words (with a true speaker) given the expected roster id."""
    transcript = final(built)
    words = [(w, s.speaker) for s in transcript.segments for w in s.words]
    truth = data.word_truth(built.item, [w for w, _ in words])
    pairs = [(voice_to_id[t], given) for t, (_, given) in zip(truth, words) if t is not None]
    return sum(a == b for a, b in pairs) / len(pairs)


def verdicts(built: Built) -> dict[str, tuple[str, ...]]:
    """Every stale task of the course as it is now, with the reasons the state store gives."""
    course = course_file.load(built.course)
    store = StateStore(built.root / ".coursecast")
    return {t.name: v.reasons for t in stages.all_tasks(course) if (v := store.verdict(t)).stale}


def test_voices_found_on_one_channel_meet_the_target(built):
    found = json.loads((built.root / ".coursecast" / "work" / "ep1" / "speakers.json").read_text())
    spans = [Span(a, b, s) for a, b, s in found["turns"]]
    rate = der(built.item.truth, spans).der
    transcript = final(built)
    words = transcript.words
    truth = data.word_truth(built.item, words)
    labels = [s.speaker for s in transcript.segments for _ in s.words]
    mapping = {"host": GUEST_VOICE, "guest": HOST_VOICE}  # the rule: the first voice is taken for the host
    right = words_right(truth, labels, mapping)
    assert found["labels"] == ["SPEAKER_1", "SPEAKER_2"]
    assert rate <= 0.05, rate  # measured 0.5 % (target 15 %)
    assert right >= 0.95, right  # measured 99.0 % of 99 words (target 90 %)
    assert best_mapping(built.item.truth, spans) == {"SPEAKER_1": GUEST_VOICE, "SPEAKER_2": HOST_VOICE}


def test_the_published_episode_has_both_voices_at_one_level(built):
    report = json.loads((built.root / "episodes" / "ep1.loudness.json").read_text(encoding="utf-8"))
    voices = report["sound"]["voices"]
    assert report["passed"] and report["sound"]["levelled"] and len(voices) == 2, report["sound"]
    before = [v["before_lufs"] for v in voices]
    after = [v["after_lufs"] for v in voices]
    assert abs(before[0] - before[1]) > 3.0  # recorded 5 dB apart
    assert abs(after[0] - after[1]) <= 1.5, voices  # each voice's turns in the published MP3


def test_the_editing_file_says_how_each_name_was_decided(built):
    text = (built.root / "edits" / "ep1.txt").read_text(encoding="utf-8")
    comments = " ".join(line[1:].strip() for line in text.splitlines() if line.startswith("#"))
    assert "Speakers found by voice" in comments
    assert "Voice 1 is Anna Host: by rule, the host speaks first." in comments
    assert "Voice 2 is Erik Guest: by rule" in comments
    assert "Change the name on that turn's line" in comments and "raw_interviews/voices/<speaker-id>.wav" in comments
    turns = [line for line in text.splitlines() if line.startswith("[")]
    assert turns[0].endswith("] Anna Host:") and any(t.endswith("] Erik Guest:") for t in turns)


def test_every_form_shows_who_speaks(built):
    root = built.root / "transcripts"
    vtt = (root / "ep1.vtt").read_text(encoding="utf-8")
    assert "<v Anna Host>Anna Host: " in vtt and "<v Erik Guest>Erik Guest: " in vtt  # voice tag + visible label
    srt = (root / "ep1.srt").read_text(encoding="utf-8")
    assert "\nAnna Host: " in srt and "\nErik Guest: " in srt
    paragraphs = (root / "ep1.txt").read_text(encoding="utf-8").split("\n\n")
    assert [p.split(":")[0] for p in paragraphs[:2]] == ["Anna Host", "Erik Guest"]
    pdf = subprocess.run(["pdftotext", "-enc", "UTF-8", str(root / "ep1.pdf"), "-"], capture_output=True,
                         text=True, check=True).stdout
    assert re.search(r"^Anna Host 0:00 ", pdf, re.M) and re.search(r"^Erik Guest \d{1,2}:\d\d ", pdf, re.M)  # turns
    segments = json.loads((root / "ep1.podcast.json").read_text(encoding="utf-8"))["segments"]
    assert {s.get("speaker") for s in segments} == {"Anna Host", "Erik Guest"}
    html = (root / "ep1.html").read_text(encoding="utf-8")
    assert "<cite>Erik Guest:</cite>" in html and "<cite>Anna Host:</cite>" in html  # Podcasting 2.0 HTML
    page = (built.root / "site" / "episodes" / "ep1.html").read_text(encoding="utf-8")
    assert '<cite>Erik Guest</cite>' in page and '<cite>Anna Host</cite>' in page
    feed = ET.parse(built.root / "feeds" / "one.xml")
    persons = [p.text for p in feed.getroot().iterfind(f"channel/item/{{{PODCAST_NS}}}person")]
    assert persons == ["Anna Host", "Erik Guest"]


def test_voice_samples_rename_the_voices_and_rebuild_only_names(built):
    edits = (built.root / "edits" / "ep1.txt").read_bytes()
    voices = built.root / layout.RAW / layout.VOICES
    voices.mkdir()
    shutil.copy(built.samples / "host.wav", voices / "host.wav")
    shutil.copy(built.samples / "guest.wav", voices / "guest.wav")
    stale = verdicts(built)
    assert {"voice:host", "voice:guest", "speakers:ep1"} <= set(stale)
    assert not set(stale) & {"episodes:ep1", "transcribe:ep1", "diarize:ep1", "master:ep1"}, stale
    ran = build(built, "samples")
    assert not any(n.startswith(("episodes:", "transcribe:", "diarize:", "master:")) for n in ran), ran
    assert {"voice:host", "voice:guest", "speakers:ep1", "captions:ep1", "print:ep1"} <= ran
    assert named_right(built, {HOST_VOICE: "host", GUEST_VOICE: "guest"}) >= TARGET_WORDS  # measured 99.0 %
    notes = " ".join(load(built.root / "transcripts" / "ep1.machine.json").attribution)
    assert "Voice 1 is Erik Guest: by voice sample raw_interviews/voices/guest.wav" in notes
    vtt = (built.root / "transcripts" / "ep1.vtt").read_text(encoding="utf-8")
    assert vtt.split("\n\n")[1].splitlines()[1].startswith("<v Erik Guest>Erik Guest: ")  # the guest talks first
    assert (built.root / "edits" / "ep1.txt").read_bytes() == edits  # the editors' file is never rewritten


def test_renaming_a_speaker_rebuilds_what_shows_names_and_never_segments_again(built):
    text = built.course.read_text(encoding="utf-8")
    built.course.write_text(text.replace('name = "Erik Guest"', 'name = "Erik Gästsson"'), encoding="utf-8")
    stale = verdicts(built)
    assert "speakers:ep1" in stale
    assert not [n for n in stale if n.startswith(("episodes:", "diarize:", "voice:", "master:"))], stale
    # names are respelled after decoding by the speakers task (ARCHITECTURE.md): Whisper never listens again
    assert "transcribe:ep1" not in stale, stale
    ran = build(built, "rename")  # the editing file still says "Erik Guest": its turn lines are still read
    assert not any(n.startswith(("episodes:", "transcribe:", "diarize:", "voice:", "master:")) for n in ran), ran
    vtt = (built.root / "transcripts" / "ep1.vtt").read_text(encoding="utf-8")
    assert "<v Erik Gästsson>Erik Gästsson: " in vtt and "Erik Guest" not in vtt
