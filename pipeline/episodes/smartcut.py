"""Smart cutting: a video episode copies the recording's own frames between its keyframes and encodes
only the frames around each cut (and a sting's black frames).

What professional editors call smart rendering (Premiere Pro, LosslessCut's smart cut): a frame that
is copied is the recording's, bit for bit, so it loses nothing to a second encode and costs nothing to
make. It is only done where the result is a clean H.264 stream, and proved before it is used:

- the recording is H.264, 4:2:0, already the episode's size, at the episode's frame rate, its first
  frame at time 0, and made by x264, which writes its settings into the stream;
- the frames around a cut are encoded with those settings (quality included), and their parameter
  sets (SPS/PPS, ffprobe's extradata hash) must be the recording's, byte for byte; a copied stretch
  starts on a keyframe, ends before the next one, and holds exactly the frames it should;
- the joined video must have every frame the plan asks for.

Anything else (another encoder, another size, a parameter set that differs) falls back to encoding
the whole picture (pipeline.episodes.video), and the log says why.
"""
from __future__ import annotations

import json
import logging
import math
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..core.errors import MediaError
from ..core.media import NO_SPACE, pipe, run

log = logging.getLogger("coursecast.smartcut")

X264_MARK = b"x264 - core"  # how x264's settings message (an SEI) starts
MIN_COPY_FRAMES = 2  # a stretch shorter than this between keyframes is encoded, not copied
PYRAMID = ("none", "strict", "normal")  # x264's b_pyramid values, as its settings print them (0, 1, 2)
DIRECT = ("none", "spatial", "temporal", "auto")  # x264's direct values, as printed (0..3)
# x264's printed settings -> its parameter names, where they differ only in spelling; what is left out shapes
# neither the parameter sets nor the pictures' structure (threads, dead zones) or is handled below
SAME = {"cabac": "cabac", "ref": "ref", "me": "me", "subme": "subme", "psy": "psy", "mixed_ref": "mixed-refs",
        "me_range": "merange", "chroma_me": "chroma-me", "trellis": "trellis", "8x8dct": "8x8dct",
        "fast_pskip": "fast-pskip", "sliced_threads": "sliced-threads", "nr": "nr", "decimate": "dct-decimate",
        "bluray_compat": "bluray-compat", "constrained_intra": "constrained-intra", "bframes": "bframes",
        "b_adapt": "b-adapt", "b_bias": "b-bias", "weightb": "weightb", "weightp": "weightp", "keyint": "keyint",
        "keyint_min": "min-keyint", "scenecut": "scenecut", "rc_lookahead": "rc-lookahead", "mbtree": "mbtree",
        "crf": "crf", "qp": "qp", "bitrate": "bitrate", "ratetol": "ratetol", "qcomp": "qcomp", "qpmin": "qpmin",
        "qpmax": "qpmax", "qpstep": "qpstep", "ip_ratio": "ipratio", "pb_ratio": "pbratio",
        "vbv_maxrate": "vbv-maxrate", "vbv_bufsize": "vbv-bufsize", "crf_max": "crf-max"}
UNSAFE = {"interlaced", "open_gop", "intra_refresh", "cqm"}  # non-zero: cuts at keyframes are not clean


class NotSmart(Exception):
    """Why this episode's picture is encoded whole (a log line, never an error)."""


@dataclass(frozen=True)
class Part:
    """A stretch of the episode's picture: frames of one recording, or black (a sting)."""

    path: Path | None  # the recording; None: black frames
    first: int  # first frame (in the recording)
    count: int  # frames
    copy: bool  # stream-copied (whole GOPs); else encoded


@dataclass(frozen=True)
class Source:
    """What smart cutting needs to know of one recording."""

    path: Path
    keys: tuple[int, ...]  # frame numbers of its keyframes
    order: tuple[int, ...]  # frame numbers of its packets, in decoding order
    sizes: tuple[int, ...]  # bytes of those packets: a copied stretch must hold the same ones
    extradata: str  # ffprobe's hash of its parameter sets
    params: str  # x264 settings that reproduce them (-x264-params)


def x264_settings(path: Path) -> dict[str, str]:
    """The settings x264 wrote into the recording's first frame ({} when another encoder made it)."""
    first = pipe(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:v:0", "-c", "copy", "-frames:v", "1",
                  "-f", "h264", "-"], None, what=f"{path}: reading its encoder's settings")
    at = first.find(X264_MARK)
    if at < 0:
        return {}
    text = first[at:first.find(b"\0", at)].decode("ascii", "replace")
    options = text.split(" - options: ", 1)[1] if " - options: " in text else ""
    return dict(item.split("=", 1) for item in options.split() if "=" in item)


def x264_params(settings: dict[str, str]) -> str:
    """-x264-params that make the same parameter sets and picture structure as `settings` (NotSmart if not)."""
    if not settings:
        raise NotSmart("it was not made by x264 (no settings in the stream)")
    unsafe = sorted(k for k in UNSAFE if settings.get(k, "0") not in ("0", ""))
    if unsafe:
        raise NotSmart(f"its x264 settings have {', '.join(unsafe)}")
    params = {SAME[k]: v for k, v in settings.items() if k in SAME}
    on, _, strengths = settings.get("deblock", "1:0:0").partition(":")
    params.update({"no-deblock": "1"} if on == "0" else {"deblock": strengths.replace(":", ",")})
    if "psy_rd" in settings:
        params["psy-rd"] = settings["psy_rd"].replace(":", ",")
    if "aq" in settings:
        mode, _, strength = settings["aq"].partition(":")
        params.update({"aq-mode": mode, **({"aq-strength": strength} if strength else {})})
    for key, names, name in (("b_pyramid", PYRAMID, "b-pyramid"), ("direct", DIRECT, "direct")):
        if key in settings and settings[key].isdigit() and int(settings[key]) < len(names):
            params[name] = names[int(settings[key])]
    if settings.get("rc") == "cqp":
        params.pop("crf", None)
    return ":".join(f"{k}={v}" for k, v in params.items())


def _stream(path: Path) -> dict:
    out = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_data_hash", "sha256", "-show_entries",
               "stream=codec_name,pix_fmt,width,height,r_frame_rate,avg_frame_rate,time_base,start_pts,"
               "sample_aspect_ratio,extradata_hash:packet=pts,flags,size", "-of", "json", str(path)],
              what=f"{path}: reading its keyframes")
    return json.loads(out.stdout or "{}")


def source(path: Path, width: int, height: int, fps: Fraction) -> Source:
    """The recording's keyframes and settings, or NotSmart naming what rules copying out."""
    raw = _stream(path)
    stream = (raw.get("streams") or [{}])[0]
    facts = (stream.get("codec_name"), stream.get("pix_fmt"), stream.get("width"), stream.get("height"))
    if facts != ("h264", "yuv420p", width, height):
        raise NotSmart(f"it is {facts[0]} {facts[1]} {facts[2]}x{facts[3]}, the episode is h264 yuv420p "
                       f"{width}x{height}")
    if stream.get("sample_aspect_ratio", "1:1") not in ("1:1", "0:1", "N/A"):
        raise NotSmart(f"its pixels are not square ({stream.get('sample_aspect_ratio')})")
    try:
        rates = {Fraction(stream.get(k, "0/1")) for k in ("r_frame_rate", "avg_frame_rate")}
    except (ValueError, ZeroDivisionError):  # "0/0": ffprobe could not tell
        rates = set()
    if rates != {fps}:
        raise NotSmart(f"its frame rate is not a constant {fps} fps")
    if int(stream.get("start_pts") or 0) != 0:
        raise NotSmart("its first frame is not at time 0")
    order, keys = tuple(_numbers(raw, fps)), tuple(sorted(_numbers(raw, fps, keys=True)))
    sizes = tuple(int(p.get("size") or 0) for p in raw.get("packets", []) if p.get("pts") not in (None, "N/A"))
    if not order or len(set(order)) != len(order):
        raise NotSmart("its frames' times are missing or repeat")
    return Source(path, keys, order, sizes, stream.get("extradata_hash", ""), x264_params(x264_settings(path)))


def plan(clips: list[tuple[Source | None, int, int]]) -> list[Part]:
    """Parts of the episode's picture: per clip (recording or None for black, first frame, count), the whole
    GOPs inside it copied, the frames before its first keyframe and after its last one encoded."""
    parts: list[Part] = []
    for src, first, count in clips:
        if count <= 0:
            continue
        if src is None:
            parts.append(Part(None, 0, count, False))
            continue
        end = first + count
        keys = [k for k in src.keys if first <= k <= end]
        if len(keys) >= 2 and keys[-1] - keys[0] >= MIN_COPY_FRAMES and _closed(src, keys[0], keys[-1]):
            head, tail = (first, keys[0] - first), (keys[-1], end - keys[-1])
            copied = Part(src.path, keys[0], keys[-1] - keys[0], True)
            parts += [p for p in (Part(src.path, *head, False), copied, Part(src.path, *tail, False)) if p.count]
        else:
            parts.append(Part(src.path, first, count, False))
    return parts


def _closed(src: Source, start: int, stop: int) -> bool:
    """Whether the packets from keyframe `start` to keyframe `stop` (decoding order) are frames start..stop-1."""
    at, to = src.order.index(start), src.order.index(stop)
    return sorted(src.order[at:to]) == list(range(start, stop))


def build(parts: list[Part], sources: dict[Path, Source], size: tuple[int, int], fps: Fraction, audio: Path,
          target: Path, *, what: str) -> int:
    """Encode and copy `parts` in a folder beside `target`, join them with `audio` (copied) into `target`;
    the frames copied. NotSmart when nothing would be copied, or a part or the whole does not check (the
    caller then writes `target` again, encoding the whole picture)."""
    if not any(p.copy for p in parts):
        raise NotSmart("no keyframe-to-keyframe stretch lies inside the kept ranges")
    first = next(iter(sources.values()))
    if len({s.extradata for s in sources.values()}) != 1 or len({s.params for s in sources.values()}) != 1:
        raise NotSmart("its recordings were encoded with different settings")
    with tempfile.TemporaryDirectory(prefix=".smartcut.", suffix=".part", dir=target.parent) as folder:
        listing = []
        for n, part in enumerate(parts):
            out = Path(folder) / f"{n:04d}.mp4"
            try:
                if part.copy:
                    _copy(part, fps, out, what)
                else:
                    _encode(part, first.params, size, fps, out, what)
            except MediaError as e:
                if NO_SPACE in str(e):
                    raise
                raise NotSmart(str(e)) from e
            _check_part(part, out, first.extradata, fps, sources[part.path] if part.copy else None)
            listing += [f"file '{out.name}'", f"duration {float(part.count / fps):.6f}"]  # the next part's start
        (Path(folder) / "parts.txt").write_text("\n".join(listing) + "\n", encoding="utf-8")
        run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "concat", "-safe", "0",
             "-i", str(Path(folder) / "parts.txt"),
             "-i", str(audio), "-map", "0:v:0", "-map", "1:a:0", "-c", "copy", "-movflags", "+faststart", "-f", "mp4",
             str(target)], what=f"{what}: joining the copied and encoded video")
    frames = sorted(_numbers(_stream(target), fps))
    if len(frames) != sum(p.count for p in parts) or frames != list(range(len(frames))):
        raise NotSmart(f"the joined video has {len(frames)} frames where {sum(p.count for p in parts)} were planned")
    return sum(p.count for p in parts if p.copy)


def _encode(part: Part, params: str, size: tuple[int, int], fps: Fraction, out: Path, what: str) -> None:
    """The part's frames encoded with the recording's x264 settings (black frames for a sting)."""
    if part.path is None:
        source = ["-f", "lavfi", "-i", f"color=c=black:s={size[0]}x{size[1]}:r={fps}"]
    else:  # an accurate seek: decoding starts at the keyframe before and drops what comes before the frame;
        # its timestamps then start half a frame in, so they are set back to 0 (else a frame is repeated)
        source = ["-ss", f"{float((part.first - Fraction(1, 2)) / fps):.6f}", "-i", str(part.path)]
    run(["ffmpeg", "-nostdin", "-v", "error", "-y", *source, "-map", "0:v:0", "-frames:v", str(part.count),
         "-vf", "setpts=PTS-STARTPTS", "-c:v", "libx264", "-x264-params", params, "-pix_fmt", "yuv420p",
         "-f", "mp4", str(out)],
        what=f"{what}: encoding frames {part.first}-{part.first + part.count - 1} around a cut")


def _copy(part: Part, fps: Fraction, out: Path, what: str) -> None:
    """The part's packets copied: from its keyframe, as many as it has frames. The seek lands on the last
    keyframe at or before its time: rounded up to the microsecond, that is this one (at 30 fps too)."""
    at = math.ceil(part.first * 1_000_000 / fps) / 1_000_000
    run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", f"{at:.6f}", "-i", str(part.path),
         "-map", "0:v:0", "-c", "copy", "-frames:v", str(part.count), "-f", "mp4", str(out)],
        what=f"{what}: copying frames {part.first}-{part.first + part.count - 1}")


def _check_part(part: Part, out: Path, extradata: str, fps: Fraction, src: Source | None) -> None:
    """NotSmart unless `out` has the recording's parameter sets and the part's frames (a copy: its packets)."""
    raw = _stream(out)
    stream = (raw.get("streams") or [{}])[0]
    if stream.get("extradata_hash") != extradata:
        raise NotSmart("x264 cannot make its parameter sets again (they differ from the recording's)")
    frames = sorted(_numbers(raw, fps))
    if frames != list(range(frames[0] if frames else 0, (frames[0] if frames else 0) + part.count)):
        kind = "copied" if part.copy else "encoded"
        raise NotSmart(f"{kind} frames {part.first}-{part.first + part.count - 1} came out as {len(frames)} frames")
    if src is not None:
        at = src.order.index(part.first)
        if [int(p.get("size") or 0) for p in raw.get("packets", [])] != list(src.sizes[at:at + part.count]):
            raise NotSmart(f"copying frames {part.first}-{part.first + part.count - 1} gave other packets")


def _numbers(raw: dict, fps: Fraction, *, keys: bool = False) -> list[int]:
    """Frame numbers of the video packets ffprobe listed, in decoding order (only the keyframes' with `keys`)."""
    base = Fraction(((raw.get("streams") or [{}])[0]).get("time_base", "1/1"))
    return [round(int(p["pts"]) * base * fps) for p in raw.get("packets", [])
            if p.get("pts") not in (None, "N/A") and (not keys or "K" in p.get("flags", ""))]
