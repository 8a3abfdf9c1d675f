"""The transcribe stage on generated speech (espeak-ng) and generated silence/noise, real engines."""
from __future__ import annotations

import difflib
import re
import threading
from pathlib import Path

import numpy as np
import pytest

from pipeline.core import course_file
from pipeline.transcribe import engines, guards
from pipeline.core import layout
from pipeline import speakers
from pipeline.core.asr_audio import read_audio
from pipeline.transcribe import stage
from pipeline.core.course import TurnHint
from pipeline.core.dependency import StateStore
from pipeline.core.fsutil import sha256_file
from pipeline.core.settings import TranscriptionSettings
from pipeline.core.transcript import Segment, Word, load

from transcribe_helpers import asr_wav, concat, espeak, ffmpeg, identity_timeline, lavfi, model_cache, stereo, wer  # noqa: F401,F811  (fixture)
from conftest import course_head

FIRST = "The city council met on Monday to discuss the new tram line."
SECOND = "Residents asked for more bicycle lanes downtown."
GAP_S = 2.0  # seconds of silence between the two sentences


@pytest.fixture(scope="module")
def two_sentences(tmp_path_factory) -> tuple[Path, float, float]:
    """FIRST, 2 s of silence, SECOND: (wav, end of FIRST, start of SECOND) in seconds."""
    folder = tmp_path_factory.mktemp("speech")
    first, second = espeak(FIRST, folder / "a.wav"), espeak(SECOND, folder / "b.wav", voice="en-gb")
    first_s = len(read_audio(first)) / engines.SAMPLE_RATE
    return concat([first, GAP_S, second], folder / "asr.wav"), first_s, first_s + GAP_S


def _listen(wav: Path, tmp_path: Path, **settings) -> tuple:
    dst = tmp_path / "heard.json"
    result = stage.transcribe(wav, dst, episode="ep1", language="en", root=tmp_path,
                              settings=TranscriptionSettings(**settings))
    return result, load(dst)


def test_heard_transcript_records_engine_model_options_and_real_word_times(two_sentences, tmp_path, model_cache):  # noqa: F811
    wav, first_end, second_start = two_sentences
    result, heard = _listen(wav, tmp_path)
    assert (heard.engine, result.engine) == ("faster-whisper", "faster-whisper")  # "auto" = the fastest
    assert "tiny.en" in heard.model
    assert heard.options["beam_size"] == 5
    assert heard.options["vad"] is None  # one window, decoded as recorded: the options say what ran
    assert heard.audio_sha256 == sha256_file(wav)
    assert heard.duration == pytest.approx(len(read_audio(wav)) / engines.SAMPLE_RATE, abs=0.001)
    assert wer(FIRST + " " + SECOND, heard.text) < 0.2
    words = heard.words
    assert all(w.start <= w.end for w in words) and all(a.start <= b.start for a, b in zip(words, words[1:]))
    assert not [w for w in words if first_end + 0.3 < w.start < second_start - 0.3], "a word inside the pause"
    bicycle = next(w for w in words if "bicycle" in w.text.lower())
    assert bicycle.start > second_start  # aligned: evenly spread times would not know about the pause
    assert all(s.speaker is None for s in heard.segments)


@pytest.mark.slow
def test_openai_whisper_hears_the_same_at_the_same_times(two_sentences, tmp_path, model_cache):  # noqa: F811
    wav, _, _ = two_sentences
    _, fast = _listen(wav, tmp_path, engine="faster-whisper")
    _, reference = _listen(wav, tmp_path, engine="openai-whisper")
    assert reference.engine == "openai-whisper" and reference.options == fast.options
    assert wer(reference.text, fast.text) < 0.15
    key = lambda words: [w.text.lower().strip(".,") for w in words]  # noqa: E731
    matcher = difflib.SequenceMatcher(a=key(reference.words), b=key(fast.words), autojunk=False)
    shared = [(reference.words[m.a + i].start, fast.words[m.b + i].start)
              for m in matcher.get_matching_blocks() for i in range(m.size)]
    assert len(shared) >= 12
    assert max(abs(a - b) for a, b in shared) < 0.3  # VAD-restored times agree with faster-whisper's


@pytest.mark.parametrize("source, engine, vad", [
    ("anullsrc=r=16000:cl=mono", "faster-whisper", True),
    ("anullsrc=r=16000:cl=mono", "openai-whisper", True),
    ("anullsrc=r=16000:cl=mono", "faster-whisper", False),  # Whisper says "You" here: the guard drops it
    ("anoisesrc=r=16000:color=pink:amplitude=0.4,tremolo=f=9:d=0.95", "faster-whisper", True),  # applause-like
])
def test_a_minute_of_silence_or_applause_gives_no_text(source, engine, vad, tmp_path, model_cache):  # noqa: F811
    wav = lavfi(source, 60, tmp_path / "quiet.wav")
    result, heard = _listen(wav, tmp_path, engine=engine, vad=vad)
    assert heard.text == "" and heard.segments == ()
    assert heard.duration == pytest.approx(60.0)
    assert (heard.options["vad"] is not None) == vad  # longer than one window: the VAD ran when set, and says so


def _segment(text: str, start: float = 0.0, step: float = 0.3, **extra) -> Segment:
    words = tuple(Word(t, start + i * step, start + (i + 1) * step, 0.9) for i, t in enumerate(text.split()))
    return Segment(start, words[-1].end, text, words, **extra)


def test_phrase_loops_collapse_and_are_flagged():
    looped, loops = guards.collapse_loops(_segment("thank you thank you thank you thank you so much"))
    assert (looped.text, loops, looped.flags) == ("thank you so much", 1, ("repeat",))
    assert looped.end == pytest.approx(looped.words[-1].end)
    speech, loops = guards.collapse_loops(_segment("it was very, very, very hard"))
    assert (speech.text, loops, speech.flags) == ("it was very, very, very hard", 0, ())


def test_runs_of_identical_segments_and_doubtful_ones_are_dropped():
    same = [_segment("We will be right back.", start=i * 2.0) for i in range(4)]
    twice = [_segment("Yes.", 10.0), _segment("Yes.", 11.0)]
    doubt = Segment(20.0, 21.0, "You", (Word("You", 20.0, 21.0, 0.02),), no_speech_prob=0.95)  # over silence
    thanks = (Word("Thank", 30.0, 30.4, 0.0), Word("you.", 30.4, 30.4, 0.98))  # scores seen after a last word
    invented = Segment(30.0, 30.4, "Thank you.", thanks, no_speech_prob=0.67, avg_logprob=-0.99)
    said = Segment(29.0, 29.9, "Thank you.", (Word("Thank", 29.0, 29.4, 0.52), Word("you.", 29.4, 29.9, 0.98)),
                   no_speech_prob=0.61, avg_logprob=-0.25)
    garbled = Segment(40.0, 41.0, "My name is L", tuple(Word(t, 40.0, 41.0, 0.1) for t in "My name is L".split()),
                      no_speech_prob=0.57, avg_logprob=-2.48)
    kept, removed = guards.guard([*same, *twice, doubt, said, invented, garbled], no_speech_threshold=0.6,
                                  log_prob_threshold=-1.0)
    assert [s.text for s in kept] == ["We will be right back.", "Yes.", "Yes.", "Thank you."]
    assert kept[0].flags == ("repeat",) and kept[-1].start == 29.0 and removed == 3 + 3


def test_roster_names_are_respelled_after_decoding_without_a_prompt(tmp_path, model_cache):  # noqa: F811
    wav = espeak("My guest is Kajsa Thorsdottir. She works on the Sidewalk Labs project in Toronto.",
                 tmp_path / "names.wav")
    terms = stage.glossary_terms(["Kajsa Thorsdottir"], ["Sidewalk Labs", "Sidewalk Labs "])
    assert terms == ("Kajsa Thorsdottir", "Sidewalk Labs")
    stage.transcribe(wav, tmp_path / "plain.json", episode="e", language="en", root=tmp_path,
                     settings=TranscriptionSettings())
    stage.transcribe(wav, tmp_path / "named.json", episode="e", language="en", root=tmp_path,
                     settings=TranscriptionSettings(), terms=terms)
    plain, named = load(tmp_path / "plain.json"), load(tmp_path / "named.json")
    assert "Kajsa Thorsdottir" not in plain.text and not plain.term_fixes
    assert "Kajsa Thorsdottir" in named.text and named.options["prompt"] == ""  # no prompt: nothing skipped
    assert [f.after for f in named.term_fixes] == ["Kajsa Thorsdottir"]
    fix = named.term_fixes[0]
    assert fix.before in plain.text and fix.at == pytest.approx(next(
        w.start for w in named.words if w.text.startswith("Kajsa")))
    assert len(named.words) < len(plain.words)  # the misheard words became the one name, timed from its first


# -- speakers ---------------------------------------------------------------------------------
HINTS = speakers.SpeakerHints(names=(("host", "Anna Host"), ("guest", "Erik Guest")))


def test_turn_hints_name_speakers_and_no_hints_leave_them_unknown(two_sentences, tmp_path, model_cache):  # noqa: F811
    wav, first_end, second_start = two_sentences
    stage.transcribe(wav, tmp_path / "heard.json", episode="ep1", language="en", root=tmp_path,
                     settings=TranscriptionSettings())
    turns = (TurnHint(0.0, "host"), TurnHint((first_end + second_start) / 2, "guest"))
    hinted = speakers.attribute(tmp_path / "heard.json", tmp_path / "m.json",
                             speakers.SpeakerHints(HINTS.names, (), turns))
    machine = load(tmp_path / "m.json")
    assert machine.speakers == {"host": "Anna Host", "guest": "Erik Guest"}
    assert [(s.speaker, "tram" in s.text) for s in machine.segments][0] == ("host", True)
    assert {s.speaker for s in machine.segments if "bicycle" in s.text} == {"guest"}
    assert hinted.unknown == 0 and hinted.by_turns == len(machine.words)
    unknown = speakers.attribute(tmp_path / "heard.json", tmp_path / "u.json", HINTS)
    assert {s.speaker for s in load(tmp_path / "u.json").segments} == {None}
    assert unknown.unknown == len(machine.words)


@pytest.fixture(scope="module")
def interview(tmp_path_factory):
    """Host on the left, guest on the right, speaking in turn; the guest's mic hears the host at -30 dB."""
    folder = tmp_path_factory.mktemp("interview")
    host = espeak("Welcome to the course. What is a smart city?", folder / "host.wav")
    guest = espeak("A city that uses data to serve its residents.", folder / "guest.wav", voice="en-gb")
    host_s = len(read_audio(host)) / engines.SAMPLE_RATE
    left = concat([host, 1.0 + len(read_audio(guest)) / engines.SAMPLE_RATE], folder / "left.wav")
    quiet_host = folder / "bleed.wav"
    ffmpeg("-i", str(host), "-af", "volume=-30dB", "-c:a", "pcm_s16le", str(quiet_host))
    right = concat([quiet_host, 1.0, guest], folder / "right.wav")
    return folder, left, right, host_s


def test_one_speaker_per_channel_is_attributed_by_channel(interview, tmp_path, model_cache):  # noqa: F811
    folder, left, right, host_s = interview
    sides = []
    for side, wav, speaker in (("left", left, "host"), ("right", right, "guest")):
        stage.transcribe(wav, tmp_path / f"heard.{side}.json", episode="ep1", language="en", root=tmp_path,
                         settings=TranscriptionSettings())
        sides.append(speakers.ChannelSpeaker(side, wav, tmp_path / f"heard.{side}.json", speaker))
    result = speakers.attribute(None, tmp_path / "m.json", speakers.SpeakerHints(HINTS.names, tuple(sides)))
    machine = load(tmp_path / "m.json")
    host_text = " ".join(s.text for s in machine.segments if s.speaker == "host")
    guest_text = " ".join(s.text for s in machine.segments if s.speaker == "guest")
    assert "welcome" in host_text.lower() and "smart city" in host_text.lower()
    assert "data" in guest_text.lower() and "city" in guest_text.lower()
    assert "welcome" not in guest_text.lower()  # the bleed of the host into the guest's mic is dropped
    assert result.by_channel == len(machine.words) and result.unknown == 0
    assert machine.segments[0].speaker == "host" and machine.segments[0].start < host_s


def test_unsplit_parts_of_an_episode_come_from_the_mix(interview, tmp_path, model_cache):  # noqa: F811
    """Sides silent after the split source: the mix is heard there and turn hints name the speaker."""
    folder, left, right, host_s = interview
    tail = espeak("Thanks for listening to the course.", tmp_path / "tail.wav")
    tail_s = len(read_audio(tail)) / engines.SAMPLE_RATE
    both = asr_wav(stereo(left, right, tmp_path / "split.wav"), tmp_path / "split-mix.wav")  # -ac 1 downmix
    mix = concat([both, 0.5, tail], tmp_path / "mix.wav")
    sides = []
    for side, wav, speaker in (("left", left, "host"), ("right", right, "guest")):
        padded = concat([wav, 0.5 + tail_s], tmp_path / f"asr.{side}.wav")  # silent where unsplit
        stage.transcribe(padded, tmp_path / f"heard.{side}.json", episode="ep1", language="en", root=tmp_path,
                         settings=TranscriptionSettings())
        sides.append(speakers.ChannelSpeaker(side, padded, tmp_path / f"heard.{side}.json", speaker))
    stage.transcribe(mix, tmp_path / "heard.json", episode="ep1", language="en", root=tmp_path,
                     settings=TranscriptionSettings())
    hints = speakers.SpeakerHints(HINTS.names, tuple(sides), (TurnHint(0.0, "guest"),))
    result = speakers.attribute(tmp_path / "heard.json", tmp_path / "m.json", hints)
    machine = load(tmp_path / "m.json")
    assert [s.speaker for s in machine.segments if "listening" in s.text.lower()] == ["guest"]
    assert sum("welcome" in s.text.lower() for s in machine.segments) == 1  # not twice (mix and side)
    assert result.by_turns > 0 and result.by_channel > 0


# -- tasks, staleness, checks ----------------------------------------------------------------
COURSE = course_head("Test course") + """
[[speakers]]
id = "host"
name = "Anna Host"
role = "host"

[[speakers]]
id = "guest"
name = "Erik Guest"
role = "guest"

[transcription]
vocabulary = ["tram line"]
{transcription}

[[episodes]]
slug = "ep1"
module = 1
number = 1
title = "{title}"
summary = "The first episode."
date = 2026-09-01
speakers = ["host", "guest"]
turns = [{{ at = "00:00:00.000", speaker = "{first}" }}]

[[episodes.sources]]
file = "ep1.wav"

[[episodes]]
slug = "ep2"
module = 1
number = 2
title = "Split"
summary = "One speaker per channel."
date = 2026-09-02
speakers = ["host", "guest"]

[[episodes.sources]]
file = "ep2.wav"
channels = {{ left = "host", right = "guest" }}
"""


def _course(folder: Path, title="Episode one", first="host", transcription=""):
    path = folder / "course.toml"
    path.write_text(COURSE.format(title=title, first=first, transcription=transcription), encoding="utf-8")
    return course_file.load(path)


def test_tasks_declare_inputs_targets_and_params(tmp_path):
    course = _course(tmp_path)
    ep1, ep2 = course.episodes
    tasks = {t.name: t for t in stage.tasks(course) + speakers.tasks(course)}
    assert set(tasks) == {"transcribe:ep1", "speakers:ep1", "transcribe:ep2:left", "transcribe:ep2:right",
                          "speakers:ep2"}  # a fully split episode is heard side by side, not as a mix
    listen = tasks["transcribe:ep1"]
    assert listen.inputs[0] == layout.asr_audio(course, ep1) and listen.stage == "transcribe"
    assert listen.targets == (layout.heard_transcript(course, ep1),)
    assert listen.job.engine == "faster-whisper" and listen.job.model.setting == "tiny.en"
    assert listen.job.options.prompt == "" and not hasattr(listen.job, "terms")  # no prompt: names respelled later
    assert tasks["speakers:ep1"].job.terms == ("Anna Host", "Erik Guest", "tram line")
    assert {"faster-whisper", "ctranslate2", "onnxruntime"} <= set(listen.libraries)
    assert {"rapidfuzz", "jellyfish"} <= set(tasks["speakers:ep1"].libraries)  # the respelling's matchers
    assert tasks["speakers:ep2"].inputs == (
        layout.heard_transcript(course, ep2, "left"), layout.heard_transcript(course, ep2, "right"),
        layout.asr_channel(course, ep2, "left"), layout.asr_channel(course, ep2, "right"), layout.timeline(course, ep2))
    assert tasks["speakers:ep2"].targets == (layout.machine_transcript(course, ep2), layout.voice_turns(course, ep2))
    assert tasks["transcribe:ep2:right"].inputs[0] == layout.asr_channel(course, ep2, "right")


def test_only_audio_model_and_options_make_whisper_listen_again(tmp_path, two_sentences, model_cache):  # noqa: F811
    wav, _, _ = two_sentences
    course = _course(tmp_path)
    asr = layout.asr_audio(course, course.episodes[0])
    asr.parent.mkdir(parents=True)
    asr.write_bytes(wav.read_bytes())
    identity_timeline(layout.timeline(course, course.episodes[0]), len(read_audio(asr)) / engines.SAMPLE_RATE)
    store = StateStore(tmp_path / ".coursecast")

    def ep1_tasks(course):
        return [t for t in stage.tasks(course) + speakers.tasks(course) if t.episode == "ep1"]

    for task in ep1_tasks(course):
        task.run()
        store.record(task)
    assert load(layout.machine_transcript(course, course.episodes[0])).segments[0].speaker == "host"

    def stale(course) -> dict[str, bool]:
        return {t.name: store.verdict(t).stale for t in ep1_tasks(course)}

    assert stale(_course(tmp_path, title="A new title")) == {"transcribe:ep1": False, "speakers:ep1": False}
    assert stale(_course(tmp_path, first="guest")) == {"transcribe:ep1": False, "speakers:ep1": True}
    assert stale(_course(tmp_path, transcription="beam_size = 3")) == {"transcribe:ep1": True, "speakers:ep1": False}
    asr.write_bytes(wav.read_bytes()[:-3200])
    assert stale(_course(tmp_path))["transcribe:ep1"] is True


def test_settings_that_cannot_work_are_refused_when_the_course_file_loads(tmp_path):
    with pytest.raises(course_file.CourseFileError) as caught:
        _course(tmp_path, transcription='engine = "whisperx"\nmodel = "models/missing"')
    problems = "\n".join(caught.value.problems)
    assert re.search(r"course\.toml:\d+: \[transcription\]\.engine: 'whisperx': use one of 'auto', 'faster-whisper'",
                     problems)
    assert re.search(r"course\.toml:\d+: \[transcription\]\.model:", problems)
    assert "models/missing is neither a .pt checkpoint nor a CTranslate2 folder" in problems
    assert stage.check(_course(tmp_path)) == []
    swedish = (tmp_path / "course.toml").read_text().replace('title = "Split"', 'title = "Split"\nlanguage = "sv"')
    (tmp_path / "course.toml").write_text(swedish)
    with pytest.raises(course_file.CourseFileError) as caught:
        course_file.load(tmp_path / "course.toml")
    assert any("'ep2'.language: 'sv', but [transcription] model = 'tiny.en' knows English only; set model = 'base' "
               "(multilingual: it transcribes 'sv', and works offline, or 'tiny', downloaded once when online)"
               in p for p in caught.value.problems), caught.value.problems
    with pytest.raises(course_file.CourseFileError) as caught:
        _course(tmp_path, transcription='model = "tiny-en"')
    assert any("[transcription].model: 'tiny-en' is not a Whisper model name" in p and "did you mean 'tiny.en'" in p
               for p in caught.value.problems)


@pytest.mark.parametrize("engine", ["faster-whisper", "openai-whisper"])
def test_concurrent_tasks_share_one_model_safely(engine, two_sentences, tmp_path, model_cache):  # noqa: F811
    wav, _, _ = two_sentences
    engines.set_parallelism(2)
    try:
        assert engines.threads_per_task() == max(1, engines.cpu_cores() // 2)
        results: dict[int, str] = {}

        def work(index: int) -> None:
            dst = tmp_path / f"h{index}.json"
            stage.transcribe(wav, dst, episode="e", language="en", root=tmp_path,
                             settings=TranscriptionSettings(engine=engine))
            results[index] = load(dst).text

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results[0] == results[1] and wer(FIRST + " " + SECOND, results[0]) < 0.2
    finally:
        engines.set_parallelism(1)


def test_word_edges_in_a_pause_are_trimmed_to_the_speech():
    rate = engines.SAMPLE_RATE
    tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(int(0.4 * rate)) / rate)
    samples = np.concatenate([np.zeros(int(0.6 * rate)), tone, np.zeros(int(0.5 * rate))]).astype(np.float32)
    late = guards.tighten(Segment(0.0, 1.5, "pity", (Word("pity", 0.0, 1.5, 0.9),)), samples)
    assert late.start == pytest.approx(0.6, abs=0.03) and late.end == pytest.approx(1.0, abs=0.03)
    assert late.words[0].start == late.start
    short = Word("it", 0.5, 0.7, 0.9)  # too short to hold a pause: left alone
    assert guards.tighten(Segment(0.5, 0.7, "it", (short,)), samples).words == (short,)


def test_segments_split_where_a_long_pause_falls_between_words():
    words = (Word("How", 0.0, 0.3, 0.9), Word("did", 0.3, 0.6, 0.9), Word("it", 0.6, 0.9, 0.9),
             Word("start?", 9.0, 9.5, 0.9), Word("Thanks.", 9.9, 10.3, 0.9))
    parts = guards.split_at_pauses(Segment(0.0, 10.3, "How did it start? Thanks.", words, avg_logprob=-0.2))
    assert [(p.start, p.end, p.text) for p in parts] == [(0.0, 0.9, "How did it"), (9.0, 10.3, "start? Thanks.")]
    assert parts[1].avg_logprob == -0.2
    whole = Segment(0.0, 0.9, "How did it", words[:3])
    assert guards.split_at_pauses(whole) == [whole]
