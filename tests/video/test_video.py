"""The video stage, checked as a viewer would: ffprobe, extracted tracks, decoded frames."""
from __future__ import annotations

import dataclasses
import logging
import shlex

import pytest
import video_helpers as vh
from captions.captions_helpers import conversation

from pipeline.core import layout
from pipeline.core.fonts import find_font
from pipeline.video import mux
from pipeline.video import stage as video
from pipeline.captions.lint import Cue
from pipeline.captions.stage import write_outputs
from pipeline.core.errors import CourseFileError, StageError
from pipeline.core.settings import CaptionSettings


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("video")


@pytest.fixture(scope="module")
def clip(work):
    return vh.make_clip(work / "episode.mp4")


@pytest.fixture(scope="module")
def tracks(work):
    return [mux.CaptionTrack("en", vh.write(work / "episode.en.vtt", vh.CAPTIONS_EN)),
            mux.CaptionTrack("sv", vh.write(work / "episode.sv.vtt", vh.CAPTIONS_SV))]


@pytest.fixture(scope="module")
def captioned(clip, tracks, work):
    return mux.caption_video(clip, tracks, work / "episode.captioned.mp4")


# -- closed captions ----------------------------------------------------------------------
def test_ffprobe_shows_one_mov_text_track_per_language_with_its_tag_and_title(captioned):
    subs = vh.subtitle_streams(captioned.path)
    assert [s["codec_name"] for s in subs] == ["mov_text", "mov_text"]
    assert [s["tags"]["language"] for s in subs] == ["eng", "swe"]
    assert [s["tags"]["handler_name"] for s in subs] == ["English", "Svenska"]
    assert [s["disposition"]["default"] for s in subs] == [1, 0]
    assert captioned.languages == ("eng", "swe") and captioned.cues == (3, 2)


def test_extracted_track_gives_back_the_caption_text_and_times(captioned, work):
    assert vh.extract_track(captioned.path, 0, work / "en.srt") == vh.SHOWN_EN


def test_second_language_is_its_own_track(captioned, work):
    cues = vh.extract_track(captioned.path, 1, work / "sv.srt")
    assert cues == [(0.4, 1.4, "Anna Lindqvist:\nVälkommen till smarta städer."),
                    (1.8, 2.6, "Erik Guest: Här är Åsa från Örebro.")]


def test_video_and_audio_are_stream_copied_bit_for_bit(clip, captioned):
    for stream in ("v:0", "a:0"):
        source = vh.packet_md5s(clip, stream)
        assert source and vh.packet_md5s(captioned.path, stream) == source
    assert captioned.duration == pytest.approx(3.0, abs=0.05)


def test_the_mux_command_is_logged_as_run_with_one_tagged_mov_text_track_per_language(clip, tracks, work, caplog):
    caplog.set_level(logging.DEBUG, logger="coursecast.media")
    mux.caption_video(clip, tracks, work / "logged.mp4")
    [cmd] = [shlex.split(r.getMessage()) for r in caplog.records if r.getMessage().startswith("ffmpeg ")]
    assert [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "-map"] == ["0:V", "0:a?", "1:s", "2:s"]
    assert (cmd[cmd.index("-c:v") + 1], cmd[cmd.index("-c:a") + 1], cmd[cmd.index("-c:s") + 1]) == (
        "copy", "copy", "mov_text")
    assert [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "-metadata:s:s:1"] == [
        "language=swe", "handler_name=Svenska", "title=Svenska"]
    assert cmd[-1].endswith(".mp4") and ".part" in cmd[-1]  # written to a temp name, then moved


# -- what the viewer reads ------------------------------------------------------------------
def test_cues_are_shown_as_written_without_a_label_added():
    cues = [Cue(0, 1, ("Anna: Hello.",), "Anna"), Cue(2, 3, ("Again.",), "Anna"), Cue(4, 5, ("- Hi.",), None)]
    assert [c.lines for c in mux.shown(cues)] == [("Anna: Hello.",), ("Again.",), ("- Hi.",)]


def test_the_mp4_track_from_the_captions_stage_names_each_speaker_exactly_once(work):
    names = {"anna": "Anna Lindqvist", "erik": "Erik Guest"}
    transcript = conversation([("anna", "Welcome to smart cities."), ("anna", "Data and trust."),
                               ("erik", "Thank you.")], speakers=names, pace=0.03, pause=1.6, tail=0.5)
    vtt = work / "stage.en.vtt"
    write_outputs(transcript, {"vtt": vtt}, CaptionSettings())  # the long pause: Anna's turn takes two cues
    clip = vh.make_clip(work / "stage-source.mp4", seconds=round(transcript.duration + 0.5))
    result = mux.caption_video(clip, [mux.CaptionTrack("en", vtt)], work / "stage.mp4")
    texts = [text for _, _, text in vh.extract_track(result.path, 0, work / "stage.srt")]
    assert texts == ["Anna Lindqvist: Welcome to smart cities.", "Data and trust.", "Erik Guest: Thank you."]


def test_captions_made_from_an_earlier_cut_are_refused_as_stale(clip, work):
    late = vh.write(work / "late.vtt", "WEBVTT\n\n00:00:09.000 --> 00:00:10.000\n<v Anna>Too late.\n")
    with pytest.raises(StageError, match="earlier cut.*coursecast transcribe"):
        mux.caption_video(clip, [mux.CaptionTrack("en", late)], work / "late.mp4")
    assert not (work / "late.mp4").exists()


def test_a_recording_without_picture_is_reported(work, tracks):
    sound = vh.make_clip(work / "sound-only.mp4", seconds=1.0, video=False)
    with pytest.raises(StageError, match=r"sound-only\.mp4: has no video stream.*kind = \"video\""):
        mux.caption_video(sound, tracks[:1], work / "never.mp4")


def test_unknown_language_and_font_are_explained():
    assert mux.language_tag("sv-FI") == ("swe", "Svenska")
    assert mux.language_tag("se") == mux.language_tag("sme") == ("sme", "Davvisámegiella")
    with pytest.raises(StageError, match="not a registered language tag"):
        mux.language_tag("xx")
    with pytest.raises(StageError, match="'No Such Font' is not installed"):
        find_font("No Such Font")
    assert find_font("DejaVu Sans").name == "DejaVuSans.ttf"


# -- open captions ----------------------------------------------------------------------------
@pytest.mark.parametrize("width,height", [(1280, 720), (1920, 1080)])
def test_burned_in_captions_change_the_caption_area_and_nothing_else(work, tracks, width, height):
    source = vh.make_clip(work / f"plain-{height}.mp4", seconds=2.0, width=width, height=height)
    track = mux.CaptionTrack("en", vh.write(work / "short.vtt", vh.CAPTIONS_EN.split("\n\n00:00:02.200")[0]))
    burned = mux.burn_captions(source, track, work / f"open-{height}.mp4", preset="ultrafast", crf=18)
    at_cue = vh.changed(vh.frame(source, 0.6, width, height), vh.frame(burned.path, 0.6, width, height))
    left, top, right, bottom = vh.bounding_box(at_cue)
    caption_area = at_cue[int(height * 0.75):]
    assert caption_area.mean() > 0.02  # text drawn there
    assert at_cue[:int(height * 0.75)].mean() < 0.001  # and nowhere else (encoding noise only)
    assert abs((left + right) / 2 - width / 2) < width * 0.02  # bottom-centred
    assert left > width * 0.05 and right < width * 0.95 and bottom < height * 0.96  # inside the safe area
    assert 0.09 < (bottom - top) / height < 0.13  # two lines, the same share of any picture height
    in_gap = vh.changed(vh.frame(source, vh.GAP_TIME, width, height),
                        vh.frame(burned.path, vh.GAP_TIME, width, height))
    assert in_gap.mean() < 0.001  # no caption between cues
    assert burned.burned_in and burned.languages == ("eng",)


def test_ass_script_sizes_the_font_from_the_picture_height():
    shown = [mux.Caption(0.0, 1.0, ("Åsa {x} \\N",))]
    small = mux.ass_script(shown, width=1280, height=720, font="DejaVu Sans", max_chars=42)
    large = mux.ass_script(shown, width=1920, height=1080, font="DejaVu Sans", max_chars=42)
    assert "Style: Caption,DejaVu Sans,40," in small and "Style: Caption,DejaVu Sans,59," in large
    assert "Åsa \\{x\\} \\\u2060N" in small  # braces and backslashes shown, not read as ASS codes


# -- the stage in the course --------------------------------------------------------------------
def _tasks(course) -> dict:
    return {task.name: task for task in video.tasks(course)}


def test_tasks_for_video_episodes_only_with_their_inputs_targets_and_params(tmp_path):
    course = vh.make_course(tmp_path)
    tasks = _tasks(course)
    assert set(tasks) == {"video:talk", "video-tags:talk"}
    talk, mux_task, tag_task = course.episode("talk"), tasks["video:talk"], tasks["video-tags:talk"]
    assert mux_task.stage == tag_task.stage == "video" and mux_task.episode == tag_task.episode == "talk"
    assert mux_task.inputs == (layout.episode_video(course, talk), layout.transcript(course, talk, "vtt"))
    assert mux_task.targets == (layout.untagged_captioned_video(course, talk), layout.video_captions(course, talk, "en"))
    assert [t.track.language for t in mux_task.job.tracks] == ["en"]  # the mux takes the captions' text as written
    assert tag_task.inputs == (layout.untagged_captioned_video(course, talk), layout.artwork(course, course.module(1)),
                               layout.chapters_json(course, talk))
    assert tag_task.targets == (layout.captioned_video(course, talk),)  # the one video published
    assert layout.episode_video(course, talk).is_relative_to(course.root / layout.STATE)  # never published


def test_a_title_change_re_tags_the_video_and_re_muxes_nothing(tmp_path):
    course = vh.make_course(tmp_path)
    talk = course.episode("talk")
    retitled = dataclasses.replace(course, episodes=tuple(
        dataclasses.replace(e, title="A new title") if e is talk else e for e in course.episodes))
    before, after = _tasks(course), _tasks(retitled)
    assert after["video:talk"].params == before["video:talk"].params
    assert after["video-tags:talk"].params != before["video-tags:talk"].params
    assert after["video-tags:talk"].job.fields.title == "A new title"


def test_open_captions_add_a_task_whose_settings_do_not_touch_the_mux(tmp_path):
    tasks = _tasks(vh.make_course(tmp_path, "open_captions = true\nopen_caption_crf = 30\n"))
    opened = tasks["video-open:talk"]
    assert opened.job.crf == 30 and opened.job.preset == "veryfast"
    assert opened.job.max_chars == 42  # the burned-in font is sized for a full line
    assert opened.job.font_file in opened.inputs  # a changed font file redraws the captions
    plain = _tasks(vh.make_course(tmp_path))
    assert tasks["video:talk"].job == plain["video:talk"].job  # a change of crf never re-runs the mux


def test_missing_captions_name_the_command_that_builds_them(tmp_path):
    course = vh.make_course(tmp_path)
    vh.make_clip(layout.episode_video(course, course.episode("talk")), seconds=1.0)
    with pytest.raises(StageError, match=r"talk\.vtt: captions not found.*'coursecast transcribe'"):
        _tasks(course)["video:talk"].run()


def test_mux_task_writes_the_captioned_video_and_the_vtt_beside_it(tmp_path):
    course = vh.make_course(tmp_path)
    talk = course.episode("talk")
    vh.make_clip(layout.episode_video(course, talk))
    vh.write(layout.transcript(course, talk, "vtt"), vh.CAPTIONS_EN)
    result = _tasks(course)["video:talk"].run()
    assert result.path == layout.untagged_captioned_video(course, talk)
    assert layout.video_captions(course, talk, "en").read_text(encoding="utf-8") == vh.CAPTIONS_EN
    assert [s["tags"]["language"] for s in vh.subtitle_streams(result.path)] == ["eng"]
    assert not list(result.path.parent.glob(".*.part*"))  # no temp files left


def test_the_published_video_is_captioned_and_tagged_like_the_audio(tmp_path):
    course = vh.make_course(tmp_path)
    talk = course.episode("talk")
    vh.make_clip(layout.episode_video(course, talk))
    vh.write(layout.transcript(course, talk, "vtt"), vh.CAPTIONS_EN)
    vh.make_cover(layout.artwork(course, course.module(1)))
    vh.write(layout.chapters_json(course, talk), '{"version": "1.2.0", "chapters": ['
             '{"startTime": 0.0, "title": "Welcome"}, {"startTime": 1.5, "title": "Data and trust"}]}')
    tasks = _tasks(course)
    tasks["video:talk"].run()
    tasks["video-tags:talk"].run()
    probed = vh.ffprobe(layout.captioned_video(course, talk), "-show_format", "-show_chapters")
    tags = probed["format"]["tags"]
    assert (tags["title"], tags["artist"], tags["date"]) == ("A video talk", "Anna Lindqvist", "2026-09-01")
    assert tags["album"] == "Video test course — Module 1: Module one" and tags["description"] == "On camera."
    kinds = [(s["codec_type"], s["codec_name"], s["disposition"]["attached_pic"]) for s in probed["streams"]]
    assert ("video", "h264", 0) in kinds and ("audio", "aac", 0) in kinds
    assert ("subtitle", "mov_text", 0) in kinds and ("video", "mjpeg", 1) in kinds  # captions and the cover
    assert [(float(c["start_time"]), c["tags"]["title"]) for c in probed["chapters"]] == [
        (0.0, "Welcome"), (1.5, "Data and trust")]
    assert float(probed["chapters"][-1]["end_time"]) == pytest.approx(3.0, abs=0.05)  # to the end of the video


def test_preflight_names_a_missing_font_and_the_loader_a_bad_preset(tmp_path):
    course = vh.make_course(tmp_path, 'open_captions = true\nfont = "No Such Font"\n')
    assert any("[video].font" in p and "No Such Font" in p for p in video.preflight(course))
    good = dataclasses.replace(course, video=dataclasses.replace(course.video, font="DejaVu Sans"))
    assert video.preflight(good) == []
    with pytest.raises(CourseFileError, match=r"\[video\].open_caption_preset: 'quick': use one of 'ultrafast'"):
        vh.make_course(tmp_path, 'open_captions = true\nopen_caption_preset = "quick"\n')
