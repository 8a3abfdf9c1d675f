"""What coursecast promises, tried as a careless user and as a hostile file would: tiny generated courses,
the real CLI and real ffmpeg. Every case ends in exit 1 or 2 with a message naming the file and the fix,
never a traceback; nothing the build did not make is deleted; no control character is published."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import MINIMAL_COURSE, make_tone
from pipeline.core import layout
from pipeline.core.course_fields import MAX_LINE_CHARS
from pipeline.core.transcript import Segment, Transcript, Word

EDIT = "edits/ep1.txt"  # the editing file of the test course's one episode
MACHINE_WORDS = "Welcome to the course about smart cities".split()  # what the 'machine' heard, 0.2 s a word


def coursecast(root: Path, *args: str, course: str = "course.toml", timeout: float = 180) -> subprocess.CompletedProcess:
    """The CLI as a producer runs it, from the course folder."""
    return subprocess.run([sys.executable, "-m", "pipeline", "--course", course, "-j", "2", *args], cwd=root,
                          capture_output=True, text=True, timeout=timeout)


def refused(result: subprocess.CompletedProcess, code: int, *phrases: str) -> str:
    """The run ended with `code`, said each phrase, and showed people no traceback; returns what it said."""
    said = result.stdout + result.stderr
    assert result.returncode == code, said
    assert "Traceback" not in said and "internal error" not in said, said
    for phrase in phrases:
        assert phrase in said, f"{phrase!r} not in:\n{said}"
    return said


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A tiny course whose episodes stage is built (real ffmpeg); tests work on copies of it."""
    root = tmp_path_factory.mktemp("built")
    make_tone(root / "raw_interviews" / "ep1.wav")
    (root / "course.toml").write_text(MINIMAL_COURSE, encoding="utf-8")
    refused(coursecast(root, "episodes"), 0)
    return root


@pytest.fixture
def course(built, tmp_path) -> Path:
    """A copy of the built course, its own to change."""
    root = tmp_path / "course"
    shutil.copytree(built, root, symlinks=True)
    return root


@pytest.fixture
def edited(course_dir) -> Path:
    """A course with a machine transcript and the editing file made from it (no transcription run)."""
    words = tuple(Word(w, round(0.2 + 0.2 * i, 3), round(0.35 + 0.2 * i, 3), 0.9) for i, w in enumerate(MACHINE_WORDS))
    segment = Segment(words[0].start, words[-1].end, " ".join(MACHINE_WORDS), words, "host")
    machine = Transcript("ep1", "en", "test", "test", {}, "0" * 64, 1.5, (segment,), {"host": "Anna Host"})
    (course_dir / "transcripts").mkdir()
    machine.save(course_dir / "transcripts" / "ep1.machine.json")
    (course_dir / "edits").mkdir()
    (course_dir / EDIT).write_text("# Episode 1\n\n[00:00:00] Anna Host:\n" + " ".join(MACHINE_WORDS) + "\n")
    return course_dir


# -- clean deletes only what the build made ---------------------------------------------------------
def test_a_mistyped_course_path_deletes_nothing(course):
    before = files(course)
    said = refused(coursecast(course, "clean", "--yes", course="cuorse.toml"), 2, "cuorse.toml",
                   "course file not found", "did you mean")
    assert "course.toml" in said.split("did you mean", 1)[1]
    assert files(course) == before


def test_a_broken_course_file_deletes_nothing(course):
    (course / "course.toml").write_text(MINIMAL_COURSE.replace("[[episodes]]", "[[episodes]"), encoding="utf-8")
    before = files(course)
    refused(coursecast(course, "clean", "--yes"), 2, "course.toml", "not valid TOML", "fix the syntax")
    assert files(course) == before


def test_clean_never_deletes_through_a_linked_episodes_folder(course, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    shutil.move(course / "episodes", elsewhere)
    (course / "episodes").symlink_to(elsewhere, target_is_directory=True)
    before = files(elsewhere)
    assert "ep1.mp3" in before
    said = refused(coursecast(course, "clean", "--yes"), 0, "Left alone", f"episodes: a link to {elsewhere}")
    assert files(elsewhere) == before
    assert "ep1.mp3" not in said  # one line for the link, not one per file behind it


def test_peoples_files_artwork_and_linked_folders_survive_clean(course, tmp_path):
    art = course / "episodes" / "cover.jpg"  # where the old clean deleted it from
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=navy:s=1400x1400", "-frames:v", "1",
                    str(art)], check=True)
    text = MINIMAL_COURSE.replace('categories = ["Education > Courses"]',
                                  'categories = ["Education > Courses"]\nartwork = "episodes/cover.jpg"')
    (course / "course.toml").write_text(text, encoding="utf-8")
    refused(coursecast(course, "episodes"), 0)
    (course / "transcripts").mkdir(exist_ok=True)
    (course / "transcripts" / "notes.txt").write_text("the producer's own notes")
    shared = tmp_path / "shared-drive"
    shared.mkdir()
    (shared / "keep.txt").write_text("not the build's")
    (course / "transcripts" / "linked").symlink_to(shared, target_is_directory=True)
    (course / "edits").mkdir(exist_ok=True)  # `episodes` transcribes now (strikes cut the audio): edits/ exists
    (course / EDIT).write_text("an editor's work")
    said = refused(coursecast(course, "clean", "--yes"), 0, "Left alone",
                   "episodes/cover.jpg: the course file points at it",
                   "transcripts/notes.txt: not made by the build",
                   f"transcripts/linked: a link to {shared}")
    assert art.is_file() and (shared / "keep.txt").is_file() and (course / EDIT).read_text() == "an editor's work"
    assert (course / "transcripts" / "notes.txt").is_file() and (course / "raw_interviews" / "ep1.wav").is_file()
    assert not (course / "episodes" / "ep1.mp3").exists() and not (course / ".coursecast" / "state.json").exists()
    assert "Deleted" in said


def test_clean_finds_the_outputs_of_an_episode_no_longer_in_the_course(course):
    text = MINIMAL_COURSE.replace('slug = "ep1"', 'slug = "renamed"')
    (course / "course.toml").write_text(text, encoding="utf-8")
    refused(coursecast(course, "clean", "--yes"), 0)
    assert not (course / "episodes" / "ep1.mp3").exists() and not (course / "episodes" / "ep1.m4a").exists()


def test_clean_while_a_build_holds_the_course(course):
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, sys, time\n"
                               "h = open(sys.argv[1], 'a+'); fcntl.flock(h, fcntl.LOCK_EX)\n"
                               "h.write('pid 1, started now'); h.flush(); print('held', flush=True); time.sleep(60)",
                               str(course / ".coursecast" / "lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        refused(coursecast(course, "--no-wait", "clean", "--yes"), 2, ".coursecast/lock",
                "another coursecast build", "without --no-wait")
    finally:
        holder.kill()
        holder.wait()
    assert (course / "episodes" / "ep1.mp3").is_file()


# -- the course file refuses what would collide or is hostile ---------------------------------------
def test_a_slug_that_collides_with_a_generated_name_is_refused(course_dir):
    text = MINIMAL_COURSE.replace('slug = "ep1"', 'slug = "course"')
    (course_dir / "course.toml").write_text(text, encoding="utf-8")
    refused(coursecast(course_dir, "build"), 2, "course.toml", "[[episodes]] 'course'", "choose another slug")


def test_control_characters_and_a_thousand_character_title_are_refused_at_load(course_dir):
    text = MINIMAL_COURSE.replace('title = "Episode one"', 'title = "Episode\\u001b[31m one"')
    text = text.replace('title = "Module one"', f'title = "{"Module " * 150}"')
    (course_dir / "course.toml").write_text(text, encoding="utf-8")
    said = refused(coursecast(course_dir, "build"), 2, "course.toml", "'ep1'.title",
                   "control character U+001B (ESC)", "remove it", "[[modules]] #1.title",
                   f"more than the {MAX_LINE_CHARS} allowed; shorten it")
    assert "\x1b" not in said
    assert not (course_dir / "episodes").exists()  # nothing was built, nothing tagged


# -- editors' files: bounded, clean, files --------------------------------------------------------
def test_a_megabyte_paste_into_the_editing_file_is_refused_at_once(edited):
    with open(edited / EDIT, "a", encoding="utf-8") as handle:
        handle.write("[00:00:01] Anna Host:\n" + "lorem ipsum dolor sit amet " * 40_000 + "\n")
    start = time.monotonic()
    refused(coursecast(edited, "check"), 1, EDIT, "words for an episode of 1.5 s", "a paste?")
    refused(coursecast(edited, "diff", "ep1"), 2, EDIT, "remove what does not belong to this episode")
    assert time.monotonic() - start < 60
    (edited / EDIT).write_text(f"[00:00:00] Anna Host:\nWelcome\n{'x' * 300_000}\n")  # a paste without spaces
    refused(coursecast(edited, "diff", "ep1"), 2, f"{EDIT}:3: a 'word' of 300,000 characters", "put spaces")
    with open(edited / EDIT, "a", encoding="utf-8") as handle:
        handle.write("lorem ipsum " * 400_000)  # 4.8 MB: refused before it is read
    refused(coursecast(edited, "diff", "ep1"), 2, EDIT, "bytes, more than the", "put back the editor's version")


def test_control_characters_in_the_editing_file_are_refused_with_their_place(edited):
    (edited / EDIT).write_text("# Episode 1\n\n[00:00:00] Anna Host:\nWelcome to the\x1b[2J course\r\n"
                               "about smart\x00 cities\n")
    said = refused(coursecast(edited, "diff", "ep1"), 2, f"{EDIT}:4:15: U+001B (ESC)", f"{EDIT}:5:12: U+0000 (NUL)",
                   "delete it")
    assert "\x1b" not in said and "\x00" not in said
    refused(coursecast(edited, "check"), 1, f"{EDIT}:4:15")


def test_control_characters_in_the_replacements_are_refused(edited):
    (edited / "edits" / "replacements.toml").write_text('[replace]\n"smart" = "clever\\u001b[5m"\n')
    said = refused(coursecast(edited, "diff", "ep1"), 2, "edits/replacements.toml", "control character U+001B (ESC)",
                   "remove it")
    assert "\x1b" not in said


def test_a_folder_where_the_editing_file_should_be_is_a_located_error(edited):
    (edited / EDIT).unlink()
    (edited / EDIT).mkdir()
    refused(coursecast(edited, "diff", "ep1"), 2, EDIT, "a folder", "move it out of the way")
    refused(coursecast(edited, "check"), 2, EDIT, "a folder")  # issue 20: a wrong kind of path is exit 2


def test_turn_times_past_the_end_or_out_of_order_are_warned_with_their_line(edited):
    (edited / EDIT).write_text("[00:00:01] Anna Host:\nWelcome to the course\n\n[00:00:00] Erik Guest:\nabout smart\n\n"
                               "[00:09:59] Anna Host:\ncities\n")
    refused(coursecast(edited, "diff", "ep1"), 0)
    from pipeline.core import course_file
    from pipeline.proofread import edit_sources, episode_plan, read_machine

    loaded = course_file.load(edited / "course.toml")
    sources = edit_sources(loaded, loaded.episodes[0])
    plan = episode_plan(sources, read_machine(sources, layout.machine_transcript(loaded, loaded.episodes[0])))
    assert [w.split(": ")[0] for w in plan.warnings] == [f"{EDIT}:4", f"{EDIT}:7"]
    assert "earlier than the turn before it (line 1)" in plan.warnings[0]
    assert "after the end of the episode (1.5 s)" in plan.warnings[1]


# -- the build's own record and what check says ---------------------------------------------------
def test_a_truncated_state_file_is_a_located_error(course):
    state = course / ".coursecast" / "state.json"
    state.write_bytes(state.read_bytes()[: state.stat().st_size // 2])
    for command in (("episodes",), ("status",), ("check",)):
        refused(coursecast(course, *command), 2, str(state), "damaged", "delete it and build again")
    refused(coursecast(course, "clean", "--yes"), 0)  # clean is a way out: it needs only the course file
    assert not state.exists() and not (course / "episodes" / "ep1.mp3").exists()
    refused(coursecast(course, "status"), 0)


def test_check_on_a_half_built_course_says_what_is_missing(course):
    (course / "episodes" / "ep1.m4a").unlink()  # as a kill or a full disk would leave it
    said = refused(coursecast(course, "check"), 1, "episode 'ep1': missing episodes/ep1.m4a",
                   "run 'coursecast build'", "course-wide outputs: missing transcripts/module-1-one.pdf")
    assert "out of date" not in said  # nothing built is stale: moving the course folder changed nothing
    refused(coursecast(course, "episodes"), 0)
    assert "missing episodes/ep1.m4a" not in coursecast(course, "check").stdout


def test_a_full_disk_while_tagging_is_a_located_error(course):
    episodes = course / "episodes"
    saved = course / "saved-episodes"
    shutil.copytree(episodes, saved)
    size = sum(p.stat().st_size for p in saved.rglob("*") if p.is_file()) + 1024 * 1024
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(episodes)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        shutil.copytree(saved, episodes, dirs_exist_ok=True)
        space = os.statvfs(episodes)
        free = space.f_bavail * space.f_frsize
        untagged = course / ".coursecast" / "work" / "ep1" / "untagged.mp3"
        room = untagged.stat().st_size + 8 * 1024  # the copy fits; the copy and its cover art do not
        (episodes / "filler").write_bytes(b"\0" * max(0, free - room))
        (course / "course.toml").write_text(MINIMAL_COURSE.replace('"Episode one"', '"Episode one, retitled"'))
        refused(coursecast(course, "episodes"), 1, f"tags:ep1: the disk is full (writing in {episodes})",
                "free some space")
        assert not [p for p in episodes.iterdir() if ".part" in p.name]
    finally:
        subprocess.run(["umount", str(episodes)], check=True)


def test_an_unexpected_exception_is_exit_3_and_says_how_to_report_it(tmp_path):
    probe = ("import click, sys\nfrom pipeline import cli\n"
             "@cli.cli.command()\ndef boom():\n    raise RuntimeError('a bug')\n"
             "sys.argv = ['coursecast', 'boom']\ncli.main()\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 3
    assert "internal error" in result.stderr and "RuntimeError: a bug" in result.stderr
    assert "with -v" in result.stderr and "report it" in result.stderr and "Traceback" not in result.stderr


def test_machine_text_never_carries_control_characters(edited):
    path = edited / "transcripts" / "ep1.machine.json"
    data = json.loads(path.read_text())
    data["segments"][0]["words"][0]["text"] = "Wel\x1bcome"
    data["segments"][0]["text"] = "Wel\x1bcome" + data["segments"][0]["text"][7:]
    path.write_text(json.dumps(data))
    from pipeline.core.transcript import load

    assert "\x1b" not in load(path).text and load(path).words[0].text == "Welcome"
