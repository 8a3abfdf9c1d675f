"""The course file (course.toml) -> typed, validated Course; every problem reported at once.

Problems are collected, not raised one by one, so a producer fixes a file with
ten mistakes in one go: single values here and in `course_fields`, values across
the file (settings, paths, model and languages, colliding names) in
`course_checks`. Checks that need the recordings themselves (existence,
readability, ranges past the end) live in `course_media`, because they need ffprobe.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
from pathlib import Path
from typing import Any

from . import course_checks, languages, paths
from .course import (  # noqa: F401  (re-exported: the loader's callers get the model with it)
    SOURCE_KINDS,
    SPEAKER_ROLES,
    Chapter,
    Course,
    CourseInfo,
    Episode,
    Module,
    Range,
    Source,
    Speaker,
    TurnHint,
)
from .course_fields import (
    _check_keys,
    _closest,
    _int,
    _no_duplicates,
    _parse_marks,
    _parse_settings,
    _Problems,
    _str,
    _timecode,
    text_problem,
)
from .course_lines import Locator, slugs_of
from .errors import CourseFileError  # noqa: F401  (re-exported)
from .settings import STAGE_SETTINGS
from .timecode import format_timecode
from .validate import is_email, is_slug, is_url

_COURSE_FIELDS = {
    "title": True, "subtitle": False, "author": True, "owner_name": True, "owner_email": True,
    "language": True, "base_url": True, "website": False, "copyright": True,
    "categories": True, "artwork": False, "guid": False, "translations": False,
}
_MODULE_FIELDS = {"number": True, "slug": True, "title": True, "summary": False, "artwork": False,
                  "intro": False, "outro": False}
_SPEAKER_FIELDS = {"id": True, "name": True, "role": True, "affiliation": False, "bio": False}
_EPISODE_FIELDS = {
    "slug": True, "module": True, "number": True, "title": True, "summary": True, "date": True,
    "language": False, "speakers": True, "sources": True, "chapters": False, "turns": False,
    "artwork": False, "model": False, "translations": False,
}
_SOURCE_FIELDS = {"file": True, "kind": False, "keep": False, "channels": False}
_TOP_LEVEL = {"course", "modules", "speakers", "episodes", *STAGE_SETTINGS}


def _translations(raw: dict, where: str, problems: _Problems, own: str | None) -> tuple[str, ...] | None:
    """The BCP 47 tags of `raw['translations']` (None when the key is absent); each refused with its fix when it
    is not a language tag, is listed twice, or is `own`, the language the text is in already."""
    if "translations" not in raw:
        return None
    value = raw["translations"]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(f"{where}.translations", 'must be a list of language tags, e.g. ["es", "sv"]')
        return ()
    for tag in value:
        if why := languages.problem(tag):
            problems.add(f"{where}.translations", why)
        elif own and own != languages.AUTO and languages.primary(tag) == languages.primary(own):
            problems.add(f"{where}.translations", f"{tag!r} is the language the episode is spoken in ({own}); "
                                                  "translate into another language, or give the episode its own "
                                                  "translations list without it")
    _no_duplicates(value, where, "translations", problems)
    return tuple(value)


def _parse_info(raw: Any, problems: _Problems) -> CourseInfo:
    raw = _check_keys(raw, _COURSE_FIELDS, "[course]", problems)
    get = lambda key: _str(raw, key, "[course]", problems)  # noqa: E731
    email, base_url, website, language = get("owner_email"), get("base_url"), get("website"), get("language")
    if email and not is_email(email):
        problems.add("[course].owner_email", f"{email!r} is not an e-mail address; write name@example.org")
    for key, url in (("base_url", base_url), ("website", website)):
        if url and not is_url(url):
            problems.add(f"[course].{key}", f"{url!r} is not an http(s) URL; write https://example.org/course/")
    if language and (why := languages.problem(language)):
        problems.add("[course].language", why)
    language = languages.normalised(language)
    categories = raw.get("categories", [])
    if not isinstance(categories, list) or not categories or not all(isinstance(c, str) for c in categories):
        problems.add("[course].categories", 'must be a list of strings, e.g. ["Education > Courses", "Government"]')
        categories = []
    elif why := next((text_problem(c) for c in categories if text_problem(c)), ""):
        problems.add("[course].categories", why)
        categories = []
    if base_url and not base_url.endswith("/"):
        base_url += "/"
    return CourseInfo(
        title=get("title"), subtitle=get("subtitle"), author=get("author"), owner_name=get("owner_name"),
        owner_email=email, language=language, base_url=base_url, website=website,
        copyright=get("copyright"), categories=tuple(categories), artwork=get("artwork"), guid=get("guid"),
        translations=_translations(raw, "[course]", problems, None) or (),
    )


def _parse_modules(raw: Any, problems: _Problems) -> tuple[Module, ...]:
    if not isinstance(raw, list) or not raw:
        problems.add("[[modules]]", "the course needs at least one [[modules]] table")
        return ()
    modules = []
    for index, item in enumerate(raw, 1):
        where = f"[[modules]] #{index}"
        item = _check_keys(item, _MODULE_FIELDS, where, problems)
        get = lambda key: _str(item, key, where, problems)  # noqa: E731
        slug = get("slug")
        if slug and not is_slug(slug):
            problems.add(f"{where}.slug", f"{slug!r}: use lower-case letters, digits and '-'")
        modules.append(Module(_int(item, "number", where, problems), slug, get("title"), get("summary"),
                              get("artwork"), get("intro"), get("outro")))
    _no_duplicates([m.number for m in modules], "[[modules]]", "number", problems)
    _no_duplicates([m.slug for m in modules], "[[modules]]", "slug", problems)
    return tuple(modules)


def _parse_speakers(raw: Any, problems: _Problems) -> tuple[Speaker, ...]:
    speakers = []
    for index, item in enumerate(raw or [], 1):
        where = f"[[speakers]] #{index}"
        item = _check_keys(item, _SPEAKER_FIELDS, where, problems)
        get = lambda key: _str(item, key, where, problems)  # noqa: E731
        role = get("role")
        if role and role not in SPEAKER_ROLES:
            problems.add(f"{where}.role", f"{role!r} is not a role; use one of {', '.join(SPEAKER_ROLES)}")
        speakers.append(Speaker(get("id"), get("name"), role, get("affiliation"), get("bio")))
    _no_duplicates([s.id for s in speakers], "[[speakers]]", "id", problems)
    return tuple(speakers)


def _inside(raw_dir: Path, file: str, where: str, problems: _Problems) -> Path | None:
    candidate = Path(file)
    if candidate.is_absolute() or ".." in candidate.parts:
        problems.add(where, f"{file!r} leaves raw_interviews/; give a path inside raw_interviews/, "
                            "e.g. 'module1/interview.wav'")
        return None
    path = raw_dir / candidate
    if path.exists() and not path.resolve().is_relative_to(raw_dir.resolve()):
        problems.add(where, f"{file!r} is a link that leaves raw_interviews/; copy the recording in")
        return None
    return path


def _parse_ranges(raw: Any, where: str, problems: _Problems) -> tuple[Range, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.add(where, 'must be a list of [start, end] pairs, e.g. [["00:00:05.000", "00:12:00.000"]]')
        return ()
    ranges = []
    for index, pair in enumerate(raw, 1):
        here = f"{where}[{index}]"
        if not (isinstance(pair, list) and len(pair) == 2):
            problems.add(here, 'must be a [start, end] pair, e.g. ["00:00:05.000", "00:12:00.000"]')
            continue
        start, end = (_timecode(v, here, problems) for v in pair)
        if start is None or end is None:
            continue
        if end <= start:
            problems.add(here, f"ends ({pair[1]}) before it starts ({pair[0]}); swap or fix the times")
            continue
        ranges.append(Range(start, end))
    _no_overlaps(ranges, where, problems)
    return tuple(ranges)


def _no_overlaps(ranges: list[Range], where: str, problems: _Problems) -> None:
    """Keep ranges of one recording that overlap would publish the same speech twice."""
    order = sorted(range(len(ranges)), key=lambda i: ranges[i].start)
    for a, b in zip(order, order[1:]):
        if ranges[b].start < ranges[a].end:
            problems.add(f"{where}[{b + 1}]", f"overlaps range {a + 1} ({format_timecode(ranges[a].start)} to "
                                              f"{format_timecode(ranges[a].end)}): the same speech would be "
                                              "published twice; end one range where the next starts")


def _parse_source(item: Any, raw_dir: Path, speakers: set[str], where: str, problems: _Problems):
    item = _check_keys(item, _SOURCE_FIELDS, where, problems)
    file = _str(item, "file", where, problems)
    kind = _str(item, "kind", where, problems, "audio")
    if kind not in SOURCE_KINDS:
        problems.add(f"{where}.kind", f"{kind!r} is not a source kind; use 'audio' or 'video'")
    path = _inside(raw_dir, file, f"{where}.file", problems) if file else None
    channels = item.get("channels", {})
    if not isinstance(channels, dict) or set(channels) - {"left", "right"}:
        problems.add(f"{where}.channels", 'must be a table like { left = "host-id", right = "guest-id" }')
        channels = {}
    for side, speaker in channels.items():
        if speaker not in speakers:
            problems.add(f"{where}.channels.{side}", f"speaker {speaker!r} is not in [[speakers]]")
    keep = _parse_ranges(item.get("keep"), f"{where}.keep", problems)
    if path is None:
        return None
    return Source(file, path, kind, keep, tuple(sorted(channels.items())))


def _same_recording_twice(sources: list[Source], where: str, problems: _Problems) -> None:
    """Two sources of one episode from the same recording must keep different parts of it."""
    for later, source in enumerate(sources):
        for first, other in enumerate(sources[:later]):
            if other.file != source.file:
                continue
            whole = not source.keep or not other.keep
            if whole or any(a.start < b.end and b.start < a.end for a in source.keep for b in other.keep):
                problems.add(f"{where}.sources #{later + 1}.keep", f"keeps part of {source.file!r} that source "
                             f"#{first + 1} keeps too: the same speech would be published twice; keep different "
                             "ranges (a source without keep ranges keeps all of it)")
                break


def _parse_episode(item, index, ctx, problems: _Problems) -> Episode | None:
    where = f"[[episodes]] #{index}"
    if isinstance(item, dict) and isinstance(item.get("slug"), str) and item["slug"].strip():
        where = f"[[episodes]] '{item['slug'].strip()}'"
    item = _check_keys(item, _EPISODE_FIELDS, where, problems)
    slug = _str(item, "slug", where, problems)
    if slug:
        if not is_slug(slug):
            problems.add(f"{where}.slug", f"{slug!r}: use lower-case letters, digits and '-'")
    module = item.get("module")
    if module not in ctx["modules"]:
        problems.add(f"{where}.module", f"module {module!r} is not in [[modules]]; use one of "
                                        f"{sorted(ctx['modules'])}")
    speakers = item.get("speakers", [])
    if not isinstance(speakers, list):
        problems.add(f"{where}.speakers", 'must be a list of speaker ids, e.g. ["host", "guest"]')
        speakers = []
    for speaker in speakers:
        if speaker not in ctx["speakers"]:
            problems.add(f"{where}.speakers", f"speaker {speaker!r} is not in [[speakers]]; add it or fix the id")
    date = item.get("date")
    if not isinstance(date, dt.date):
        problems.add(f"{where}.date", f"{date!r} is not a date; write date = 2026-09-01 (no quotes)")
        date = dt.date(1970, 1, 1)
    elif isinstance(date, dt.datetime):
        date = date.date()
    language = _str(item, "language", where, problems, ctx["language"]) or ctx["language"]
    if why := languages.problem(language or "en", auto=True):
        problems.add(f"{where}.language", why)
    language = languages.normalised(language)
    own = _translations(item, where, problems, language)
    translations = own if own is not None else ctx["translations"]
    if own is None and language != languages.AUTO:
        clash = [t for t in translations if languages.problem(t) is None
                 and languages.primary(t) == languages.primary(language or "en")]
        for tag in clash:
            problems.add(f"{where}.language", f"[course] translations has {tag!r}, the language this episode is "
                                              "spoken in; give the episode its own translations list without it")
    raw_sources = item.get("sources", [])
    if not isinstance(raw_sources, list) or not raw_sources:
        problems.add(f"{where}.sources", "needs at least one [[episodes.sources]] table")
        raw_sources = []
    sources = [_parse_source(s, ctx["raw_dir"], ctx["speakers"], f"{where}.sources #{i}", problems)
               for i, s in enumerate(raw_sources, 1)]
    _same_recording_twice([s for s in sources if s], where, problems)
    kinds = {s.kind for s in sources if s}
    if len(kinds) > 1:
        problems.add(f"{where}.sources", "mixes audio and video sources; an episode is all audio or all video")
    chapters = _parse_marks(item.get("chapters", []), "title", f"{where}.chapters", problems)
    turns = _parse_marks(item.get("turns", []), "speaker", f"{where}.turns", problems)
    for turn in turns:
        if turn[1] not in ctx["speakers"]:
            problems.add(f"{where}.turns", f"speaker {turn[1]!r} is not in [[speakers]]")
    return Episode(
        slug=slug, module=module if isinstance(module, int) else 0, number=_int(item, "number", where, problems),
        title=_str(item, "title", where, problems), summary=_str(item, "summary", where, problems),
        date=date, language=language, speakers=tuple(speakers),
        sources=tuple(s for s in sources if s), chapters=tuple(Chapter(at, t) for at, t in chapters),
        turns=tuple(TurnHint(at, s) for at, s in turns), artwork=_str(item, "artwork", where, problems),
        model=_str(item, "model", where, problems), translations=tuple(translations),
    )


def parse(raw: dict, path: Path, text: str | None = None) -> Course:
    """Validate a parsed TOML document; CourseFileError lists every problem found, each with its line
    (`text`: the file's text, read from `path` when not given)."""
    problems = _Problems(path, _locator(raw, path, text))
    for key in raw:
        if key not in _TOP_LEVEL:
            problems.add(key, f"unknown table{_closest(key, _TOP_LEVEL)}; allowed: {', '.join(sorted(_TOP_LEVEL))}")
    if "course" not in raw:
        problems.add("[course]", "missing the [course] table")
    info = _parse_info(raw.get("course", {}), problems)
    modules = _parse_modules(raw.get("modules"), problems)
    speakers = _parse_speakers(raw.get("speakers"), problems)
    ctx = {"modules": {m.number for m in modules}, "speakers": {s.id for s in speakers},
           "language": info.language or "en", "raw_dir": path.parent / "raw_interviews",
           "translations": info.translations}
    raw_episodes = raw.get("episodes", [])
    episodes = [_parse_episode(e, i, ctx, problems) for i, e in enumerate(raw_episodes or [], 1)]
    episodes = [e for e in episodes if e]
    _no_duplicates([e.slug for e in episodes], "[[episodes]]", "slug", problems)
    _no_duplicates([(e.module, e.number) for e in episodes], "[[episodes]]", "(module, number)", problems)
    settings = _parse_settings(raw, problems, STAGE_SETTINGS)
    course = Course(path=path, info=info, modules=modules, speakers=speakers, episodes=tuple(episodes), **settings)
    for where, problem in course_checks.problems(course):
        problems.add(where, problem)
    if problems.items:
        raise CourseFileError(list(dict.fromkeys(problems.items)))
    return course


def _locator(raw: dict, path: Path, text: str | None) -> Locator | None:
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
    return Locator(text, slugs_of(raw))


def _nearby(path: Path) -> str:
    """The fix for a course file that is not there: a close name in its folder, or how to give one."""
    try:
        names = sorted(p.name for p in path.parent.glob("*.toml"))
    except OSError:
        names = []
    close = difflib.get_close_matches(path.name, names, n=1)
    if close:
        return f"did you mean {path.parent / close[0]}? Pass it with --course"
    folder = path.parent if path.suffix == ".toml" else path  # a folder not made yet is named as it was given
    return f"pass the course file (or its folder) with --course PATH, or start one with 'coursecast init {folder}'"


def load(path: Path) -> Course:
    """Read and validate a course file (without looking at the recordings)."""
    path = Path(path).resolve()
    if path.exists() and not path.is_dir() and (why := paths.file_problem(path, str(path), what="course file")):
        raise CourseFileError([why])  # a FIFO would block the read forever
    text = ""
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except FileNotFoundError as e:
        raise CourseFileError([f"{path}: course file not found; {_nearby(path)}"]) from e
    except IsADirectoryError as e:
        raise CourseFileError([f"{path}: a folder, not a course file; pass --course PATH/course.toml"]) from e
    except OSError as e:
        raise CourseFileError([f"{path}: cannot be read ({e.strerror or e}); check its permissions"]) from e
    except UnicodeDecodeError as e:
        raise CourseFileError([f"{path}: not UTF-8 text ({e.reason}); save it as UTF-8"]) from e
    except tomllib.TOMLDecodeError as e:
        at = re.search(r"at line (\d+)", str(e))
        line = f":{at.group(1)}" if at else ""
        raise CourseFileError([f"{path.name}{line}: not valid TOML: {e}; fix the syntax there"]) from e
    return parse(raw, path, text)
