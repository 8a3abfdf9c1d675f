"""`coursecast init`: a new course folder with a commented course file that shows every key.

The course file is written from `KEYS` (every key of the course's own tables, with
an example or its default and one line saying what it is) and from the settings
dataclasses (each field's default and the comment on its line), so the file, the
README's key reference and the loader cannot drift apart (tests/test_course_init.py).
Two example episodes show how recordings, keep ranges, chapters and turn hints are
written; the producer copies two recordings to the paths they name and builds.
"""
from __future__ import annotations

import dataclasses
import inspect
import io
import json
import tokenize
from pathlib import Path

from . import layout
from .errors import CoursecastError
from .fsutil import write_text
from .settings import STAGE_SETTINGS

COURSE_FILE = "course.toml"  # the name `--course FOLDER` means
FOLDERS = (layout.RAW, f"{layout.RAW}/module1", f"{layout.RAW}/{layout.VOICES}", layout.EDITS)  # made by init

# (key, value as TOML, required, meaning) per table; a value of None: the key is optional and shown commented out.
KEYS: dict[str, tuple[tuple[str, str, bool, str], ...]] = {
    "course": (
        ("title", '"{title}"', True, "the course's name: feeds, site, PDFs"),
        ("subtitle", '""', False, "one line under the title"),
        ("author", '"Course Team"', True, "who made it (itunes:author)"),
        ("owner_name", '"Course Team"', True, "the feed's owner (itunes:owner)"),
        ("owner_email", '"team@example.org"', True, "the owner's e-mail address"),
        ("language", '"en"', True, "BCP 47 tag of the course ('en', 'sv', 'en-GB'); episodes inherit it"),
        ("base_url", '"https://example.org/course/"', True, "public URL the outputs are published under"),
        ("website", '""', False, "the course's web page, if any (http(s) URL)"),
        ("copyright", '"© 2026 Course Team, CC BY 4.0"', True, "copyright line of feeds and PDFs"),
        ("categories", '["Education > Courses"]', True, 'Apple categories, "Education" or "Education > Courses"'),
        ("artwork", '""', False, "cover image, relative to the course folder (\"\": generated)"),
        ("guid", '""', False, "podcast:guid seed (\"\": derived from base_url)"),
        ("translations", "[]", False, "BCP 47 tags to translate every episode into, e.g. [\"es\"]"),
    ),
    "modules": (
        ("number", "1", True, "1, 2, ...: the module's place in the course"),
        ("slug", '"introduction"', True, "lower-case letters, digits and '-': names its files"),
        ("title", '"Introduction"', True, "the module's name"),
        ("summary", '""', False, "a sentence or two about the module"),
        ("artwork", '""', False, "cover image (\"\": generated)"),
        ("intro", '""', False, "sting before its episodes (overrides [audio] intro)"),
        ("outro", '""', False, "sting after its episodes (overrides [audio] outro)"),
    ),
    "speakers": (
        ("id", '"host"', True, "short id the episodes use"),
        ("name", '"Anna Host"', True, "the name shown in transcripts"),
        ("role", '"host"', True, "host, guest, lecturer, interviewer or narrator"),
        ("affiliation", '""', False, "where the speaker works"),
        ("bio", '""', False, "a sentence about the speaker"),
    ),
    "episodes": (
        ("slug", '"welcome"', True, "lower-case letters, digits and '-': names its files"),
        ("module", "1", True, "the number of its module"),
        ("number", "1", True, "its place in the module"),
        ("title", '"Welcome"', True, "the episode's name"),
        ("summary", '"What the course is about."', True, "a sentence or two (feeds, site)"),
        ("date", "2026-09-01", True, "publication date, no quotes"),
        ("language", '"en"', False, "BCP 47 tag, or \"auto\" to detect it (default: the course's)"),
        ("speakers", '["host", "guest"]', True, "ids of who speaks, host first"),
        ("model", '""', False, "Whisper model for this episode (\"\": [transcription] models or model)"),
        ("translations", "[]", False, "its own translations list (default: the course's)"),
        ("artwork", '""', False, "cover image (\"\": the module's)"),
        ("chapters", '[{ at = "0:00", title = "Introduction" }]', False, "chapter marks: time and title"),
        ("turns", '[{ at = "0:00", speaker = "host" }]', False, "who starts speaking when (helps speaker labels)"),
        ("sources", "", True, "one [[episodes.sources]] table per recording, in order"),
    ),
    "episodes.sources": (
        ("file", '"module1/welcome.wav"', True, "the recording, relative to raw_interviews/"),
        ("kind", '"audio"', False, '"audio" or "video"'),
        ("keep", '[["0:05", "12:00"]]', False, "ranges to keep, [start, end] each (default: all of it)"),
        ("channels", '{ left = "host", right = "guest" }', False, "one speaker per stereo channel"),
    ),
}
MARK_KEYS = {"chapters": ("at", "title"), "turns": ("at", "speaker")}  # keys of each inline table in these lists

HEAD = """\
# The course file of "{title}", written by `coursecast init`.
# Every key is shown: required keys with an example value to replace, optional
# keys commented out ('#') with their default or an example. Remove the '#' to
# set one.
# Times (keep, chapters, turns) may be written "1:02:03.500", "1:02:03", "12:05"
# (minutes:seconds), seconds (80 or "80s") or as a TOML time (00:01:20, no quotes).
# README.md: "Your own course" (the steps) and "Course file keys" (every key).
"""

EXAMPLE_HEAD = """
# Two example episodes. Copy your recordings to the files they name
# (raw_interviews/module1/welcome.wav, raw_interviews/module1/second.wav), or
# change 'file'; then: coursecast --course {folder} build"""

SECOND_EPISODE = {"slug": '"second-episode"', "number": "2", "title": '"The second episode"',
                  "summary": '"The second conversation of the course."', "date": "2026-09-08",
                  "file": '"module1/second.wav"'}  # the second example: what differs from the first


def _line(key: str, value: str, required: bool, meaning: str) -> str:
    text = f"{'' if required else '# '}{key} = {value}"
    return f"{text:<48}  # {meaning}" if meaning else text


def _table(name: str, title: str, array: bool = True) -> list[str]:
    header = f"[[{name}]]" if array else f"[{name}]"
    return ["", header] + [_line(k, v.replace("{title}", title), r, m) for k, v, r, m in KEYS[name]]


def _episode(values: dict[str, str], explain: bool) -> list[str]:
    """An [[episodes]] table and its one source: every key, required ones set, optional ones commented out."""
    def row(key: str, value: str, required: bool, meaning: str) -> str:
        value = values.get(key, value)
        return _line(key, value, required, meaning) if explain else f"{'' if required else '# '}{key} = {value}"
    episode = [row(*k) for k in KEYS["episodes"] if k[0] != "sources"]
    rows = [row(*k) for k in KEYS["episodes.sources"]]
    return ["", "[[episodes]]", *episode, "", "[[episodes.sources]]  # " + KEYS["episodes"][-1][3], *rows]


def _speakers() -> list[str]:
    rows = _table("speakers", "")
    guest = ["", "[[speakers]]", 'id = "guest"', 'name = "Erik Guest"', 'role = "guest"']
    return rows + guest


def field_comments(cls) -> dict[str, str]:
    """The comment on each settings field's line: its meaning."""
    comments, name = {}, None
    for token in tokenize.generate_tokens(io.StringIO(inspect.getsource(cls)).readline):
        if token.type == tokenize.NAME and token.start[1] == 4 and name is None:
            name = token.string
        elif token.type == tokenize.COMMENT and name:
            comments[name] = token.string.lstrip("#").strip()
        elif token.type == tokenize.NEWLINE:
            name = None
    return comments


def toml_value(value) -> str:
    """A settings default as TOML: true, 1.5, "text", ["a"], { de = "base" }."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple) and value and all(isinstance(v, tuple) for v in value):
        return "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in value) + " }"
    if isinstance(value, tuple):
        return json.dumps(list(value), ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def _settings() -> list[str]:
    lines = ["", "# Settings per stage: every key is optional; the defaults are shown."]
    for table, cls in STAGE_SETTINGS.items():
        meanings = field_comments(cls)
        lines += ["", f"[{table}]"]
        for field in dataclasses.fields(cls):
            table_of_strings = str(field.type).startswith("tuple[tuple")
            value = "{}" if table_of_strings and not field.default else toml_value(field.default)
            lines.append(_line(field.name, value, False, meanings.get(field.name, "")))
    return lines


def template(title: str, folder: str) -> str:
    """The commented course file `init` writes."""
    lines = [HEAD.format(title=title).rstrip("\n"), *_table("course", title, array=False)]
    lines += _table("modules", title) + _speakers()
    lines += [*EXAMPLE_HEAD.format(folder=folder).split("\n"), *_episode({}, True), *_episode(SECOND_EPISODE, False)]
    return "\n".join(lines + _settings()) + "\n"


def course_path(given: Path) -> Path:
    """`--course` as given: a folder means its course.toml."""
    return given / COURSE_FILE if given.is_dir() else given


def create(folder: Path, title: str = "") -> list[Path]:
    """Make a course folder: its course file (never over an existing one) and its folders; what it made."""
    target = folder / COURSE_FILE
    if target.exists() or target.is_symlink():
        raise CoursecastError(f"{target}: a course file is already there; init never overwrites one. "
                              "Edit it, or run init in a new folder")
    try:
        made = [folder / name for name in FOLDERS if not (folder / name).is_dir()]
        for path in (folder, *made):
            path.mkdir(parents=True, exist_ok=True)
        title = title or folder.resolve().name.replace("-", " ").replace("_", " ").strip().capitalize() or "My course"
        write_text(target, template(title.replace('"', "'"), str(folder)))
    except OSError as e:
        raise CoursecastError(f"{folder}: cannot create the course there ({e.strerror or e}); choose a folder "
                              "you may write to") from e
    return [target, *made]
