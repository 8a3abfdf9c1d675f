"""Tags and chapters: ID3 (with CHAP/CTOC) on the MP3, iTunes atoms and chapters on the M4A, chapters JSON.

Tagging never touches the audio: the untagged encodes are copied (MP3) or
remuxed without re-encoding (M4A, to carry the chapters) to a temp file beside
the target, tagged there and moved into place.
"""
from __future__ import annotations

import json
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    PCST,
    TALB,
    TCON,
    TCOP,
    TDES,
    TDRC,
    TIT2,
    TLAN,
    TPE1,
    TPE2,
    TRCK,
    CTOCFlags,
    PictureType,
)
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm

import ffmpeg

from ..core.errors import StageError
from ..core.ffgraph import command, head
from ..core.fsutil import atomic_path, write_json
from ..core.languages import alpha3
from ..core.media import run

log = logging.getLogger("coursecast.tags")

GENRE = "Podcast"  # what podcast apps file episodes under
ID3_VERSION = 3  # ID3v2.3: read by every player that reads chapters (v2.4 is not)
NO_OFFSET = 0xFFFFFFFF  # CHAP byte offsets: unused, times are authoritative
CHAPTERS_JSON_VERSION = "1.2.0"  # Podcasting 2.0 JSON chapters
MEDIA_KIND_PODCAST = 21  # MP4 'stik' value for a podcast episode
TOC_ID = "toc"  # the CTOC frame's element id

@dataclass(frozen=True)
class ChapterMark:
    start: float  # seconds into the published episode
    end: float  # seconds
    title: str


@dataclass(frozen=True)
class TagFields:
    """The text of the tags: what an episode's audio and video files say about it."""

    title: str  # episode title
    artist: str  # the speakers, "Name, Name"
    album: str  # "Course — Module N: Title"
    album_artist: str  # the course's author
    track: int  # episode number in its module
    track_total: int  # episodes in the module
    date: str  # YYYY-MM-DD
    language: str  # ISO 639-1/BCP 47 code from the course file, e.g. "en"
    summary: str
    copyright: str
    podcast: str  # course title, for the chapters JSON


@dataclass(frozen=True)
class TagInfo(TagFields):
    """The text, the cover and the chapters: everything a tagged file carries."""

    cover: bytes = b""  # JPEG, 1400-3000 px square RGB
    chapters: tuple[ChapterMark, ...] = ()


def chapter_marks(chapters: list[tuple[float, str]], duration: float) -> tuple[ChapterMark, ...]:
    """(start, title) pairs -> marks ending where the next starts (the last at `duration`)."""
    inside = [(at, title) for at, title in sorted(chapters) if at < duration]
    ends = [at for at, _ in inside[1:]] + [duration]
    return tuple(ChapterMark(at, end, title) for (at, title), end in zip(inside, ends))


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))


def id3_tags(info: TagInfo) -> ID3:
    lang = alpha3(info.language)
    tags = ID3()
    for frame in (TIT2, TPE1, TPE2, TALB, TCON, TCOP, TDES, TDRC, TLAN, TRCK):
        tags.add(frame(encoding=3, text=[_id3_value(frame, info, lang)]))
    tags.add(COMM(encoding=3, lang=lang, desc="", text=[info.summary]))
    tags.add(PCST(value=1))
    tags.add(APIC(encoding=3, mime="image/jpeg", type=PictureType.COVER_FRONT, desc="Cover", data=info.cover))
    ids = [f"chp{i}" for i in range(len(info.chapters))]
    for element, mark in zip(ids, info.chapters):
        tags.add(CHAP(element_id=element, start_time=_ms(mark.start), end_time=_ms(mark.end),
                      start_offset=NO_OFFSET, end_offset=NO_OFFSET,
                      sub_frames=[TIT2(encoding=3, text=[mark.title])]))
    if ids:
        tags.add(CTOC(element_id=TOC_ID, flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                      child_element_ids=ids, sub_frames=[TIT2(encoding=3, text=["Chapters"])]))
    return tags


def _id3_value(frame: type, info: TagInfo, lang: str) -> str:
    return {
        TIT2: info.title, TPE1: info.artist, TPE2: info.album_artist, TALB: info.album, TCON: GENRE,
        TCOP: info.copyright, TDES: info.summary, TDRC: info.date, TLAN: lang,
        TRCK: f"{info.track}/{info.track_total}",
    }[frame]


def tag_mp3(source: Path, target: Path, info: TagInfo) -> None:
    """Copy the untagged MP3 beside `target`, write ID3v2.3 tags and chapters, move it into place."""
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
        MP3(tmp)  # fails early (MutagenError) when the copy is not an MP3
        id3_tags(info).save(tmp, v2_version=ID3_VERSION)


def _ffmetadata(marks: tuple[ChapterMark, ...]) -> str:
    def escape(text: str) -> str:
        for char in "\\=;#\n":
            text = text.replace(char, "\\" + char)
        return text

    lines = [";FFMETADATA1"]
    for mark in marks:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={_ms(mark.start)}", f"END={_ms(mark.end)}",
                  f"title={escape(mark.title)}"]
    return "\n".join(lines) + "\n"


def _remux_with_chapters(source: Path, tmp: Path, marks: tuple[ChapterMark, ...], *, video: bool) -> None:
    """Stream-copy the M4A's sound, or every stream of a video (picture, sound, caption tracks), adding
    chapters (Nero 'chpl' and a QuickTime chapter track)."""
    with tempfile.TemporaryDirectory(prefix="coursecast-chapters-") as folder:
        meta = Path(folder) / "chapters.txt"
        meta.write_text(_ffmetadata(marks), encoding="utf-8")
        media, chapters = ffmpeg.input(str(source)), ffmpeg.input(str(meta), f="ffmetadata")
        streams = [media["V"], media["a"], media["s?"]] if video else [media["a"]]
        out = ffmpeg.output(*streams, str(tmp), format="mp4" if video else "ipod", c="copy", map_metadata=1,
                            map_chapters=1, movflags="+faststart")
        run(command(head("error"), [out], [media, chapters]), what=f"{source}: adding chapters")


def mp4_tags(mp4: MP4, info: TagInfo) -> None:
    if mp4.tags is None:
        mp4.add_tags()
    tags = mp4.tags
    tags["©nam"], tags["©ART"], tags["aART"] = [info.title], [info.artist], [info.album_artist]
    tags["©alb"], tags["©gen"], tags["©day"] = [info.album], [GENRE], [info.date]
    tags["trkn"] = [(info.track, info.track_total)]
    tags["desc"], tags["ldes"], tags["©cmt"] = [info.summary], [info.summary], [info.summary]
    tags["cprt"], tags["stik"], tags["pcst"] = [info.copyright], [MEDIA_KIND_PODCAST], True
    tags["----:com.apple.iTunes:LANGUAGE"] = [MP4FreeForm(info.language.encode("utf-8"))]
    tags["covr"] = [MP4Cover(info.cover, imageformat=MP4Cover.FORMAT_JPEG)]


def _tag_mp4(source: Path, target: Path, info: TagInfo, *, video: bool) -> None:
    with atomic_path(target) as tmp:
        if info.chapters:
            _remux_with_chapters(source, tmp, info.chapters, video=video)
        else:
            shutil.copyfile(source, tmp)
        mp4 = MP4(tmp)
        mp4_tags(mp4, info)
        mp4.save()


def tag_m4a(source: Path, target: Path, info: TagInfo) -> None:
    """Remux the untagged M4A with its chapters beside `target`, write iTunes tags, move it into place."""
    _tag_mp4(source, target, info, video=False)


def tag_video(source: Path, target: Path, info: TagInfo) -> None:
    """The same for a video MP4: picture, sound and caption tracks copied, chapters added, iTunes tags and
    the cover written; then moved into place."""
    _tag_mp4(source, target, info, video=True)


def write_chapters_json(target: Path, info: TagInfo) -> None:
    """Podcasting 2.0 chapters (JSON 1.2), for the feed's <podcast:chapters>."""
    write_json(target, {
        "version": CHAPTERS_JSON_VERSION,
        "title": info.title,
        "podcastName": info.podcast,
        "chapters": [{"startTime": round(m.start, 3), "endTime": round(m.end, 3), "title": m.title}
                     for m in info.chapters],
    })


def read_chapters(path: Path) -> tuple[tuple[float, str], ...]:
    """(start seconds, title) of each visible chapter in a chapters JSON: times on the published episode.

    The one reader of the chapters file; PDFs, feeds and pages take their chapters from it.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return tuple((float(c["startTime"]), str(c["title"])) for c in data["chapters"]
                     if c.get("toc", True) and c.get("title"))
    except FileNotFoundError as e:
        raise StageError(f"{path}: the episode's chapters are missing; run 'coursecast episodes' first") from e
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as e:
        raise StageError(f"{path}: unreadable chapters ({e}); run 'coursecast episodes' again") from e


def audio_duration(path: Path) -> float:
    """Seconds, as a podcast app reads it (the MP3's Xing frame count)."""
    return MP3(path).info.length
