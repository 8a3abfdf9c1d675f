"""What a hostile user, or a damaged disk, finds (issue 26 items 1-2, issue 20 item 3): `serve` reaches only the
published folders' real files, `clean` never trusts a forged record, and every path a user controls that is the
wrong kind of thing (FIFO, folder, file for a folder, link out, unreadable, read-only folder, full disk) is a located
message and exit 2 (a failed task: exit 1), never a hang (every run has a timeout) or an internal error (exit 3).
Tiny generated courses, the real CLI, real ffmpeg, raw HTTP that does not normalise the path."""
from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MINIMAL_COURSE, make_tone
from test_reliability import EDIT, coursecast, files, refused

HANG_S = 60  # seconds: a command that takes longer on a 2-second course is hanging


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A tiny course with its episodes stage built and a stand-in site page (tests work on copies)."""
    root = tmp_path_factory.mktemp("built")
    make_tone(root / "raw_interviews" / "ep1.wav")
    (root / "course.toml").write_text(MINIMAL_COURSE, encoding="utf-8")
    refused(coursecast(root, "episodes"), 0)
    (root / "site").mkdir()
    (root / "site" / "index.html").write_text("<h1>the course</h1>")
    (root / "edits").mkdir(exist_ok=True)  # the episodes stage now runs the edits task (cut by text)
    (root / EDIT).write_text("an editor's private work")
    return root


@pytest.fixture
def course(built, tmp_path) -> Path:
    root = tmp_path / "course"
    shutil.copytree(built, root, symlinks=True)
    return root


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    return coursecast(root, *args, timeout=HANG_S)  # TimeoutExpired (a hang) fails the test


# -- serve: only the published folders' real files --------------------------------------------------
@contextlib.contextmanager
def serving(root: Path):
    """`coursecast serve --port 0` as a producer runs it; yields (host, port)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-u", "-m", "pipeline", "serve", "--port", "0"], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        address = line.split("http://", 1)[1].split("/", 1)[0]
        host, port = address.rsplit(":", 1)
        yield host, int(port)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def raw_get(address: tuple[str, int], path: str) -> tuple[int, str, bytes]:
    """GET with the literal path (like curl --path-as-is): nothing normalises '..' before the server sees it."""
    connection = http.client.HTTPConnection(*address, timeout=10)
    connection.putrequest("GET", path, skip_host=False, skip_accept_encoding=True)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, response.getheader("Location") or "", body


PRIVATE = ("/episodes/../edits/ep1.txt", "/episodes/%2e%2e/edits/ep1.txt", "/episodes/..%2fedits/ep1.txt",
           "/episodes/%2E%2E%2Fedits%2Fep1.txt", "/episodes/../raw_interviews/ep1.wav",
           "/site/../.coursecast/state.json", "/episodes/../course.toml", "/site/%2e%2e/course.toml",
           "/site/..%5ccourse.toml", "/site/..\\course.toml", "//etc/passwd", "/%2fetc/passwd",
           "/site//etc/passwd", "/edits/ep1.txt", "/raw_interviews/ep1.wav", "/.coursecast/state.json",
           "/course.toml", "/site/outside.txt", "/site/editors/ep1.txt", "/site/pipe.html", "/episodes/",
           "/site/.hidden", "/site/index.html/..", "/site/%ff", "http://127.0.0.1/episodes/../course.toml",
           "/episodes/ep1.mp3/../../course.toml", "/episodes/%00/../course.toml", "/site/index.html%00.txt")


def test_serve_reaches_nothing_outside_the_published_folders(course, tmp_path):
    outside = tmp_path / "outside-secret.txt"
    outside.write_text("not the course's")
    (course / "site" / "outside.txt").symlink_to(outside)
    (course / "site" / "editors").symlink_to(course / "edits", target_is_directory=True)
    os.mkfifo(course / "site" / "pipe.html")  # would block a server that opens it
    (course / "site" / ".hidden").write_text("hidden")
    (course / "site" / "audio.mp3").symlink_to(course / "episodes" / "ep1.mp3")  # inside: fine
    with serving(course) as address:
        for path in PRIVATE:
            status, _, body = raw_get(address, path)
            assert status == 404, (path, status, body[:80])
            assert b"editor's private" not in body and b"[course]" not in body and b"RIFF" not in body
        assert raw_get(address, "/")[:2] == (302, "/site/index.html")  # `/` opens the site
        assert raw_get(address, "/site/index.html")[::2] == (200, b"<h1>the course</h1>")
        assert raw_get(address, "/site/")[::2] == (200, b"<h1>the course</h1>")
        assert raw_get(address, "/site")[:2] == (301, "/site/")
        mp3 = (course / "episodes" / "ep1.mp3").read_bytes()
        assert raw_get(address, "/episodes/ep1.mp3")[::2] == (200, mp3)
        assert raw_get(address, "/site/audio.mp3")[::2] == (200, mp3)  # a link to another published file


def test_a_published_folder_linked_to_the_course_folder_publishes_nothing(course):
    from pipeline.site.serve import published_file

    shutil.rmtree(course / "site")
    (course / "site").symlink_to(course, target_is_directory=True)  # site -> the course folder itself
    (course / "feeds").symlink_to(course / "raw_interviews", target_is_directory=True)  # feeds -> recordings
    for path in ("/site/course.toml", "/site/edits/ep1.txt", "/site/raw_interviews/ep1.wav", "/feeds/ep1.wav"):
        assert published_file(course, path) is None, path
    assert published_file(course, "/episodes/ep1.mp3") == (course / "episodes" / "ep1.mp3").resolve()


# -- clean: never trusts its own list ----------------------------------------------------------------
def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_clean_with_a_forged_outputs_list_deletes_nothing_it_should_not(course, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("someone else's")
    (course / "notes.txt").write_text("the producer's notes")
    (course / "transcripts").mkdir(exist_ok=True)
    changed = course / "transcripts" / "old-episode.txt"
    changed.write_text("changed by a person since")
    record = course / ".coursecast" / "outputs.json"
    forged = json.loads(record.read_text())
    for rel in ("course.toml", EDIT, "raw_interviews/ep1.wav", "notes.txt"):
        forged[rel] = _sha(course / rel)  # with the right hashes: a damaged list cannot be told from a true one
    forged["../outside.txt"] = forged[str(outside)] = _sha(outside)
    forged["transcripts/old-episode.txt"] = "0" * 64  # the build wrote something else there
    record.write_text(json.dumps(forged))
    keep = {p: p.read_bytes() for p in (course / "course.toml", course / EDIT, course / "raw_interviews" / "ep1.wav",
                                        course / "notes.txt", outside, changed)}
    said = refused(run(course, "clean", "--yes"), 0, "Deleted")
    assert {p: p.read_bytes() for p in keep} == keep, said
    assert "transcripts/old-episode.txt: changed since the build wrote it" in said
    assert not (course / "episodes" / "ep1.mp3").exists()  # what the build did make is gone


# -- wrong kinds of paths: exit 2, the path and the fix, never a hang --------------------------------
def _fifo(path: Path) -> None:
    if path.exists():
        path.unlink()
    os.mkfifo(path)


def _folder(path: Path) -> None:
    if path.exists():
        path.unlink()
    path.mkdir(parents=True)


def _with(course: Path, line: str) -> None:
    """Add `line` to the [course] table of the course file."""
    text = (course / "course.toml").read_text()
    (course / "course.toml").write_text(text.replace("[course]\n", f"[course]\n{line}\n", 1))


def _sting(course: Path, make) -> None:
    (course / "course.toml").write_text((course / "course.toml").read_text() + '\n[audio]\nintro = "media/intro.wav"\n')
    (course / "media").mkdir()
    make(course / "media" / "intro.wav")


CASES = {  # name -> (make it wrong, phrases the message must have)
    "editing file is a FIFO": (lambda c: _fifo(c / EDIT), (EDIT, "a FIFO (named pipe)", "remove it")),
    "editing file is a folder": (lambda c: _folder(c / EDIT), (EDIT, "a folder, where an editing file belongs",
                                                                "move it out of the way")),
    "editing file links out": (lambda c: ((c / EDIT).unlink(), (c / EDIT).symlink_to("/etc/passwd")),
                               (EDIT, "a link to /etc/passwd, outside", "copy the file into the course folder")),
    "replacements is a FIFO": (lambda c: _fifo(c / "edits" / "replacements.toml"),
                               ("edits/replacements.toml", "a FIFO (named pipe)")),
    "replacements is a folder": (lambda c: _folder(c / "edits" / "replacements.toml"),
                                 ("edits/replacements.toml", "a folder, where a replacements file belongs")),
    "edits is a file": (lambda c: (shutil.rmtree(c / "edits"), (c / "edits").write_text("x")),
                        ("edits/: a file, where a folder belongs", "move it out of the way")),
    "voice sample is a FIFO": (lambda c: ((c / "raw_interviews" / "voices").mkdir(),
                                          _fifo(c / "raw_interviews" / "voices" / "host.wav")),
                               ("raw_interviews/voices/host.wav", "a FIFO (named pipe), not a voice sample")),
    "voice sample is a folder": (lambda c: _folder(c / "raw_interviews" / "voices" / "host.wav"),
                                 ("raw_interviews/voices/host.wav", "a folder, where a voice sample belongs")),
    "voice sample links out": (lambda c: ((c / "raw_interviews" / "voices").mkdir(),
                                          (c / "raw_interviews" / "voices" / "host.wav").symlink_to("/etc/hostname")),
                               ("raw_interviews/voices/host.wav", "a link to /etc/hostname, outside")),
    "voices is a file": (lambda c: (c / "raw_interviews" / "voices").write_text("x"),
                         ("raw_interviews/voices/: a file, where a folder belongs",)),
    "recording is a FIFO": (lambda c: _fifo(c / "raw_interviews" / "ep1.wav"),
                            ("raw_interviews/ep1.wav", "sources #1.file", "a FIFO (named pipe), not a recording")),
    "recording is a folder": (lambda c: _folder(c / "raw_interviews" / "ep1.wav"),
                              ("raw_interviews/ep1.wav", "a folder, where a recording belongs")),
    "artwork is a folder": (lambda c: (_with(c, 'artwork = "cover.jpg"'), (c / "cover.jpg").mkdir()),
                            ("cover.jpg (course.toml, [course].artwork)", "a folder, where a picture belongs")),
    "artwork is a FIFO": (lambda c: (_with(c, 'artwork = "cover.jpg"'), os.mkfifo(c / "cover.jpg")),
                          ("cover.jpg (course.toml, [course].artwork)", "a FIFO (named pipe), not a picture")),
    "sting is a FIFO": (lambda c: _sting(c, os.mkfifo), ("media/intro.wav", "[audio].intro", "not a sting")),
    "sting is a folder": (lambda c: _sting(c, Path.mkdir), ("media/intro.wav", "a folder, where a sting belongs")),
    "a built file is a FIFO": (lambda c: _fifo(c / "episodes" / "ep1.mp3"),
                               ("episodes/ep1.mp3: a FIFO (named pipe) among the build's files", "remove it")),
    "episodes is a file": (lambda c: (shutil.rmtree(c / "episodes"), (c / "episodes").write_text("x")),
                           ("episodes/: a file, where a folder belongs", "the build makes the folder")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_wrong_kind_of_path_is_exit_2_with_its_path_and_fix(course, case):
    make, phrases = CASES[case]
    make(course)
    for command in (("status",), ("check",), ("build",), ("diff", "ep1")):
        said = refused(run(course, *command), 2, *phrases)
        assert said.count("\n  - ") >= 1, said  # one problem a line, every one listed


def test_a_fifo_given_as_the_course_file_is_refused(course):
    os.mkfifo(course / "pipe.toml")
    refused(coursecast(course, "status", course="pipe.toml", timeout=HANG_S), 2, "pipe.toml",
            "a FIFO (named pipe), not a course file")


def _without_read_override() -> list[str] | None:
    """The command prefix under which a file's mode bits decide (root reads any file), or None.

    As root, drop the capabilities that override them (`setpriv`, util-linux) rather than become another user,
    who may not reach the checkout at all (a clone in a 0700 temporary folder, as CI's may be)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"] if setpriv else None


@pytest.mark.parametrize("rel", [EDIT, "raw_interviews/ep1.wav", "raw_interviews/voices/host.wav"])
def test_an_unreadable_file_is_exit_2_with_the_fix(built, rel, tmp_path):
    prefix = _without_read_override()
    if prefix is None:
        pytest.skip("running as root without setpriv: root reads every file, so nothing is unreadable")
    root = tmp_path / "course"
    shutil.copytree(built, root, symlinks=True)
    if not (root / rel).exists():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(root / "raw_interviews" / "ep1.wav", root / rel)
    (root / rel).chmod(0)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1]), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([*prefix, sys.executable, "-m", "pipeline", "status"], cwd=root, env=env,
                            capture_output=True, text=True, timeout=HANG_S)
    said = refused(result, 2, rel, "cannot be read (permission denied)", f"chmod a+r {rel}")
    assert said.rstrip().endswith(f"chmod a+r {rel}"), said


@contextlib.contextmanager
def mounted(*args: str):
    """mount ARGS... (the last is the mount point), unmounted after; skips where mount is not allowed."""
    if subprocess.run(["mount", *args], capture_output=True).returncode != 0:
        pytest.skip("cannot mount here (needs root): the read-only and full-disk cases need a mount")
    try:
        yield
    finally:
        subprocess.run(["umount", args[-1]], check=True)


def test_a_read_only_course_folder_checks_and_refuses_a_build_clearly(course, tmp_path):
    view = tmp_path / "read-only"
    view.mkdir()
    with mounted("--bind", "-o", "ro", str(course), str(view)):
        said = refused(run(view, "status"), 0)
        assert "to build" in said
        refused(run(view, "check"), 1, "run 'coursecast build'")  # what is missing, not an internal error
        refused(run(view, "build"), 2, f"{view}: the course folder cannot be written", "make the folder writable")


def test_a_full_disk_while_encoding_is_one_clear_line(course_dir):
    work = course_dir / ".coursecast" / "work"
    work.mkdir(parents=True)
    with mounted("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(work)):
        said = refused(run(course_dir, "episodes"), 1, "episode 'ep1': the disk is full", "free some space")
    assert "ffmpeg failed" not in said and "Error writing" not in said


def test_ffmpeg_on_a_full_disk_is_one_line_naming_the_file(tmp_path):
    from pipeline.core.errors import MediaError
    from pipeline.core.media import run as run_ffmpeg

    full = tmp_path / "full"
    full.mkdir()
    with mounted("-t", "tmpfs", "-o", "size=16k", "tmpfs", str(full)):
        target = full / "long.wav"
        with pytest.raises(MediaError) as caught:
            run_ffmpeg(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=duration=5", str(target)],
                       what="encoding")
    said = str(caught.value)
    assert said == (f"encoding: the disk is full (No space left on device, writing {target}); free some space and "
                    "build again")
