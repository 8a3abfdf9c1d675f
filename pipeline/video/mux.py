"""Captions into video: the mov_text mux (closed captions) and the libass burn-in (open captions).

Closed captions (`caption_video`): the episode MP4 with one switchable mov_text
track per caption language (ISO 639-2 language tag, the language's own name as
track title), video and audio stream-copied, so the mux is fast and lossless.
The WebVTT is copied beside it (`<slug>.<lang>.vtt`) for web players.

Open captions (`burn_captions`, optional): the captions rendered into the
picture by libass from an ASS script written here: font size relative to the
picture height, white text with a black outline, EBU R 95 safe margins, at most
two lines, bottom-centred, a font checked to cover the Nordic letters. This one
re-encodes (x264).

Both show each cue's text as the captions stage wrote it: that text already
opens every speaker turn with its "Name: " label (or "- "), so nothing is added
here and no label is shown twice.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import ffmpeg

from ..captions import Cue, read_caption_file
from ..core.errors import StageError
from ..core.ffgraph import command, filt, apply, head, with_output_options
from ..core.fonts import find_font
from ..core.fsutil import atomic_path
from ..core.languages import iso_639_2
from ..core.media import MediaInfo, probe, run
from ..core.settings import MAX_CRF, X264_PRESETS
from ..core.timecode import ass_timecode, format_timecode

CUE_OVERRUN_S = 0.5  # seconds a cue may run past the video's end before the captions count as stale

# Open-caption layout, as fractions of the picture (so 720p and 1080p look the same).
FONT_HEIGHT = 0.055  # font size / picture height: 40 px at 720p, 59 px at 1080p
SAFE_MARGIN = 0.05  # each side: EBU R 95 graphics-safe area (90% of width and height)
CHAR_WIDTH_EM = 0.5  # caption character advance / ASS font size: 0.43 measured in DejaVu Sans, + room for capitals
OUTLINE = 0.0035  # outline width / picture height (2.5 px at 720p)
SHADOW = 0.0015  # drop shadow / picture height (1 px at 720p)
MOV_TEXT_SAFE = str.maketrans("{}\\", "()/")  # ffmpeg 5.1's mov_text encoder shows these escaped (\{)

@dataclass(frozen=True)
class CaptionTrack:
    language: str  # BCP 47 / ISO 639 code of the captions, e.g. "en" or "sv"; "auto": the transcript's
    vtt: Path  # the WebVTT file (from the transcribe stage)
    spoken: Path | None = None  # the transcript JSON whose detected language an "auto" track takes
    note: str = ""  # after the language's name in the track's title, e.g. "(machine translation)"


@dataclass(frozen=True)
class CaptionedVideo:
    path: Path  # the MP4 written
    languages: tuple[str, ...]  # ISO 639-2 code of each caption track, in track order
    cues: tuple[int, ...]  # captions per language
    duration: float  # seconds of video
    burned_in: bool  # True for the open-caption rendition


@dataclass(frozen=True)
class Caption:
    start: float  # seconds
    end: float  # seconds
    lines: tuple[str, ...]  # text as shown: the cue as written, speaker label included


# -- languages --------------------------------------------------------------------------
def language_tag(language: str) -> tuple[str, str]:
    """'en' / 'en-GB' -> ('eng', 'English'): the ISO 639-2 code MP4 stores and the track title."""
    try:
        return iso_639_2(language)
    except ValueError as e:
        raise StageError(str(e)) from None


# -- captions in, captions out ----------------------------------------------------------
def read_cues(vtt: Path) -> tuple[Cue, ...]:
    """The cues of a WebVTT file; StageError naming the file when it is missing or malformed."""
    vtt = Path(vtt)
    if not vtt.is_file():
        raise StageError(f"{vtt}: captions not found; build them with 'coursecast transcribe'")
    parsed = read_caption_file(vtt)
    errors = [str(p) for p in parsed.problems if p.severity == "error"]
    if errors or not parsed.cues:
        why = "; ".join(errors[:3]) or "no cues"
        raise StageError(f"{vtt}: not usable captions ({why}); rebuild them with 'coursecast transcribe'")
    return parsed.cues


def shown(cues: Sequence[Cue]) -> list[Caption]:
    """Cues as a viewer reads them: the text as written, its 'Name: ' labels included (none added here)."""
    return [Caption(cue.start, cue.end, cue.lines) for cue in cues]


def mux_vtt(captions: Sequence[Caption]) -> str:
    """The captions as plain WebVTT (no voice tags; the labels are in the text) for ffmpeg's mov_text encoder."""
    def escape(line: str) -> str:
        return line.translate(MOV_TEXT_SAFE).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    blocks = [f"{format_timecode(c.start)} --> {format_timecode(c.end)}\n" + "\n".join(map(escape, c.lines))
              for c in captions]
    return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"


def _ass_text(line: str) -> str:
    return line.replace("\\", "\\\u2060").replace("{", "\\{").replace("}", "\\}")


def ass_script(captions: Sequence[Caption], *, width: int, height: int, font: str, max_chars: int) -> str:
    """An ASS script in the picture's own pixels: bottom-centred, outlined, inside the safe area."""
    margin_x, margin_y = round(width * SAFE_MARGIN), round(height * SAFE_MARGIN)
    fitting = (width - 2 * margin_x) / (max_chars * CHAR_WIDTH_EM)  # px: widest line (label included) fits
    size = round(min(height * FONT_HEIGHT, fitting))
    outline, shadow = round(height * OUTLINE, 1), round(height * SHADOW, 1)
    style = (f"Style: Caption,{font},{size},&H00FFFFFF,&H00FFFFFF,&H00000000,&H80000000,0,0,0,0,"
             f"100,100,0,0,1,{outline},{shadow},2,{margin_x},{margin_x},{margin_y},1")
    events = [f"Dialogue: 0,{ass_timecode(c.start)},{ass_timecode(c.end)},Caption,,0,0,0,,"
              + "\\N".join(map(_ass_text, c.lines)) for c in captions]
    return "\n".join([
        "[Script Info]", "ScriptType: v4.00+", f"PlayResX: {width}", f"PlayResY: {height}",
        "WrapStyle: 2", "ScaledBorderAndShadow: yes", "YCbCr Matrix: TV.709", "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
        "Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, "
        "Shadow, Alignment, MarginL, MarginR, MarginV, Encoding", style, "",
        "[Events]", "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
        *events, "",
    ])


# -- the media work ---------------------------------------------------------------------
def _video_info(video: Path) -> MediaInfo:
    """ffprobe the episode video; StageError when it is missing or has no picture."""
    video = Path(video)
    if not video.is_file():
        raise StageError(f"{video}: episode video not found; build it with 'coursecast episodes'")
    info = probe(video)
    if info.video is None:
        raise StageError(f"{video}: has no video stream, but the course file calls the episode video "
                         "(kind = \"video\"); point its sources at the video recording or set kind = \"audio\"")
    return info


def _check_fits(cues: Sequence[Cue], info: MediaInfo, vtt: Path) -> None:
    last = max(c.end for c in cues)
    if last > info.duration + CUE_OVERRUN_S:
        raise StageError(f"{vtt}: captions run to {last:.3f} s but {info.path.name} lasts {info.duration:.3f} s; "
                         "they were made from an earlier cut: run 'coursecast transcribe' again")


def _prepared(tracks: Sequence[CaptionTrack], info: MediaInfo) -> list[tuple[CaptionTrack, list[Caption]]]:
    prepared = []
    for track in tracks:
        cues = read_cues(track.vtt)
        _check_fits(cues, info, track.vtt)
        prepared.append((track, shown(cues)))
    return prepared


def _track_args(index: int, language: str, note: str = "") -> list[str]:
    code, title = language_tag(language)
    title = f"{title} {note}".strip()
    return [f"-metadata:s:s:{index}", f"language={code}", f"-metadata:s:s:{index}", f"handler_name={title}",
            f"-metadata:s:s:{index}", f"title={title}", f"-disposition:s:{index}", "default" if index == 0 else "0"]


def caption_video(video: Path, tracks: Sequence[CaptionTrack], target: Path) -> CaptionedVideo:
    """Add one mov_text caption track per language to `video` (video and audio copied) -> `target`."""
    if not tracks:
        raise StageError(f"{target}: no caption tracks given; a captioned video needs at least one")
    codes = tuple(language_tag(t.language)[0] for t in tracks)
    info = _video_info(video)
    prepared = _prepared(tracks, info)
    with tempfile.TemporaryDirectory(prefix="coursecast-video-") as work, atomic_path(target) as tmp:
        picture = ffmpeg.input(str(video))
        subs = []
        for index, (track, captions) in enumerate(prepared):
            sub = Path(work) / f"track{index}.vtt"
            sub.write_text(mux_vtt(captions), encoding="utf-8")
            subs.append(ffmpeg.input(str(sub), f="webvtt"))
        out = ffmpeg.output(picture["V"], picture["a?"], *(sub["s"] for sub in subs), str(tmp), format="mp4",
                            **{"c:v": "copy", "c:a": "copy", "c:s": "mov_text"}, map_metadata=0, map_chapters=0,
                            movflags="+faststart")
        tags = [arg for index, (track, _) in enumerate(prepared)
                for arg in _track_args(index, track.language, track.note)]
        cmd = with_output_options(command(head(), [out], [picture, *subs]), tags)
        run(cmd, what=f"{target}: adding caption tracks")
    return CaptionedVideo(Path(target), codes, tuple(len(c) for _, c in prepared), info.duration, False)


def burn_captions(video: Path, track: CaptionTrack, target: Path, *, font: str = "DejaVu Sans",
                  preset: str = "veryfast", crf: int = 21, max_chars: int = 42) -> CaptionedVideo:
    """Render `track`'s captions into the picture (x264 `preset`/`crf`, audio copied) -> `target`;
    the font is sized so a line of `max_chars` characters fits the safe area."""
    _check_encoder(preset, crf, target)
    find_font(font)  # FontError names the family and what to install
    info = _video_info(video)
    [(_, captions)] = _prepared([track], info)
    script = ass_script(captions, width=info.video.width, height=info.video.height, font=font, max_chars=max_chars)
    with tempfile.TemporaryDirectory(prefix="coursecast-video-") as work, atomic_path(target) as tmp:
        ass = Path(work) / "captions.ass"
        ass.write_text(script, encoding="utf-8")
        episode = ffmpeg.input(str(video))
        burned = apply(episode["V:0"], [filt("ass", filename=str(ass))])  # ffmpeg-python escapes the path
        out = ffmpeg.output(burned, episode["a?"], str(tmp), format="mp4", **{"c:v": "libx264", "c:a": "copy"},
                            preset=preset, crf=crf, pix_fmt="yuv420p", map_metadata=0, movflags="+faststart")
        run(command(head(), [out], [episode]), what=f"{target}: burning in captions")
    return CaptionedVideo(Path(target), (language_tag(track.language)[0],), (len(captions),), info.duration, True)


def _check_encoder(preset: str, crf: int, target: Path) -> None:
    if preset not in X264_PRESETS:
        raise StageError(f"{target}: x264 preset {preset!r} unknown; set [video] open_caption_preset to one of "
                         + ", ".join(X264_PRESETS))
    if not 0 <= crf <= MAX_CRF:
        raise StageError(f"{target}: open_caption_crf {crf} is outside 0..{MAX_CRF}; set [video] "
                         "open_caption_crf to e.g. 21")
