"""ffmpeg commands of the episodes stage: the cut (pass 1) and the normalise-and-encode (pass 2).

Pass 1 decodes every recording once, trims the kept ranges sample-accurately,
crossfades the joins and writes, from one filtergraph: the float master, the
16 kHz ASR audio (stings muted), the per-side ASR audio of one-speaker-per-
channel recordings, a level check of every input and the master's loudness.
With pauses shortened, `recut` keeps the master's stretches between them (the cut
master and the ASR audio). Pass 2 (the master task) reads the cut master, never the
recordings: it takes the strikes out, normalises and encodes.

Both are ffmpeg-python graphs (pipeline.core.ffgraph compiles them): streams
are passed around, never labels or filtergraph text.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
from ffmpeg.nodes import FilterableStream, OutputStream

from ..core.ffgraph import Filter, apply, command, filt, head, source
from .loudness import MEASURE_FILTER, GainPlan
from .settings import Mastering
from .timeline import Piece, Timeline

ASR_RATE = 16000  # Hz, what Whisper listens to
ASR_FRAME = 160  # samples (10 ms at 16 kHz): granularity of the sting muting
FADE_CURVE = "qsin"  # equal-power crossfade: no dip between unrelated takes
INPUT_SLACK_S = 0.5  # seconds decoded past the last kept sample of an input
LAME_CBR_SCALE = 0.95  # LAME's own gain on CBR/ABR encodes below LAME_UNSCALED_KBPS
LAME_UNSCALED_KBPS = 320  # kbps from which LAME leaves the level alone
HALF = "0.5*c0+0.5*c1"  # both sides at half level: a one-speaker-per-side recording, mixed to mono


@dataclass(frozen=True)
class Pass1Outputs:
    master: Path  # float WAV at the encode rate
    asr: Path  # 16 kHz mono s16 WAV
    left: Path | None  # 16 kHz mono of the left side (None: the episode has no split recording)
    right: Path | None


@dataclass(frozen=True)
class Graph:
    cmd: list[str]  # the ffmpeg command
    level_channels: list[int]  # channels seen by each volumedetect, in filter order
    level_names: list[str]  # the input each volumedetect checks, in filter order


def _inputs(pieces: tuple[Piece, ...]) -> dict[Path, int]:
    order: dict[Path, int] = {}
    for piece in pieces:
        order.setdefault(piece.path, len(order))
    return order


def _pan(layout: str, expr: str) -> Filter:
    return filt("pan", args=f"{layout}|" + "|".join(f"c{i}={expr}" for i in range(2 if layout == "stereo" else 1)))


def _mix(piece: Piece, layout: str) -> Filter:
    """The filter turning a trimmed piece (mono or stereo float) into the episode's layout."""
    if piece.split or (piece.channels > 1 and layout == "mono"):
        return _pan(layout, HALF)
    if piece.channels == 1 and layout == "stereo":
        return _pan("stereo", "c0")
    return filt("anull")


def _positions(lengths: list[int], xfades: list[int]) -> list[int]:
    """Start sample of each part when part k overlaps part k-1 by xfades[k] samples."""
    starts = [0]
    for length, xfade in zip(lengths[:-1], xfades[1:]):
        starts.append(starts[-1] + length - xfade)
    return starts


def _fades(length: int, xfade_in: int, xfade_out: int) -> list[Filter]:
    steps = [filt("anull")]
    if xfade_in:
        steps.append(filt("afade", t="in", ss=0, ns=xfade_in, curve=FADE_CURVE))
    if xfade_out:
        steps.append(filt("afade", t="out", ss=length - xfade_out, ns=xfade_out, curve=FADE_CURVE))
    return steps


def _concat(streams: list[FilterableStream]) -> FilterableStream:
    return ffmpeg.concat(*streams, v=0, a=1)


def _chain(parts: list[FilterableStream], lengths: list[int], xfades: list[int], layout: str,
           rate: int) -> FilterableStream:
    """Join parts in order, part k overlapping part k-1 by xfades[k] samples (equal-power).

    Parts alternate between two buses padded with exact silence, and the buses
    are summed sample by sample (amerge + pan). ffmpeg 5.1's acrossfade is not
    used: it may start a crossfade before its first input has ended (and drop
    the rest) when its second input already has audio queued; amix in such a
    graph dropped audio too.
    """
    count = len(parts)
    faded = [apply(part, _fades(lengths[k], xfades[k], xfades[k + 1] if k + 1 < count else 0))
             for k, part in enumerate(parts)]
    if count == 1 or not any(xfades):
        return _concat(faded)
    starts = _positions(lengths, xfades)
    total = starts[-1] + lengths[-1]
    buses = []
    for bus in (0, 1):
        items, position = [], 0
        for k in range(bus, count, 2):
            items += _silence(starts[k] - position, layout, rate)
            items.append(faded[k])
            position = starts[k] + lengths[k]
        items += _silence(total - position, layout, rate)
        buses.append(_concat(items))
    total_expr = "c0+c2|c1=c1+c3" if layout == "stereo" else "c0+c1"
    return apply(ffmpeg.filter(buses, "amerge", inputs=2), [filt("pan", args=f"{layout}|c0={total_expr}")])


def _silence(samples: int, layout: str, rate: int) -> list[FilterableStream]:
    """Exactly `samples` of silence (none when 0)."""
    if samples <= 0:
        return []
    return [apply(source("anullsrc", r=rate, cl=layout), [filt("atrim", end_sample=samples),
                                                          filt("aformat", sample_fmts="flt")])]


def _mute(spans: list[tuple[float, float]]) -> list[Filter]:
    if not spans:
        return []
    expr = "+".join(f"between(t,{a:.3f},{b:.3f})" for a, b in spans)
    return [filt("asetnsamples", n=ASR_FRAME), filt("volume", 0, enable=expr)]


def _asr(extra: list[Filter] = ()) -> list[Filter]:
    """To the ASR audio's rate and sample format, then `extra`."""
    return [filt("aresample", ASR_RATE), filt("aformat", sample_fmts="s16"), *extra]


def _wav(stream: FilterableStream, path: Path, codec: str, **options: object) -> OutputStream:
    return ffmpeg.output(stream, str(path), **{"c:a": codec}, **options)


@dataclass(frozen=True)
class _Decoded:
    inputs: list[FilterableStream]  # one per recording, in first-use order
    pieces: dict[int, FilterableStream]  # piece index -> its copy of the decoded recording
    levels: list[FilterableStream]  # one volumedetect per recording
    channels: list[int]  # channels each volumedetect sees
    names: list[str]  # the recording each volumedetect checks


def _decode(pieces: tuple[Piece, ...], rate: int) -> _Decoded:
    """Each recording decoded once (up to INPUT_SLACK_S past its last use), split into its pieces and a level check."""
    decoded = _Decoded([], {}, [], [], [])
    for path in _inputs(pieces):
        uses = [i for i, p in enumerate(pieces) if p.path == path]
        channels = 1 if pieces[uses[0]].channels == 1 else 2
        end = max(pieces[i].end for i in uses)
        recording = ffmpeg.input(str(path), t=f"{end + INPUT_SLACK_S:.3f}")
        fmt = "mono" if channels == 1 else "stereo"
        split = apply(recording["a:0"], [filt("aresample", rate, first_pts=0),
                                         filt("aformat", sample_fmts="flt", channel_layouts=fmt)]).asplit()
        decoded.inputs.append(recording)
        decoded.pieces.update({i: split[k] for k, i in enumerate(uses)})
        decoded.levels.append(split[len(uses)].filter("volumedetect"))  # takes s16 only: a side branch
        decoded.channels.append(channels)
        decoded.names.append(pieces[uses[0]].name)
    return decoded


def pass1(pieces: tuple[Piece, ...], timeline: Timeline, layout: str, outputs: Pass1Outputs,
          mute: list[tuple[float, float]]) -> Graph:
    """The cut: one ffmpeg command decoding each recording once."""
    rate, sides = timeline.rate, outputs.left is not None
    decoded = _decode(pieces, rate)
    mixed, side_parts = [], {"l": [], "r": []}
    for clip in timeline.clips:
        piece = pieces[clip.piece]
        trimmed = apply(decoded.pieces[clip.piece], [filt("atrim", start_sample=clip.start, end_sample=clip.end),
                                                     filt("asetpts", "PTS-STARTPTS")])
        if not sides:
            mixed.append(apply(trimmed, [_mix(piece, layout)]))
            continue
        split = trimmed.asplit()
        mixed.append(apply(split[0], [_mix(piece, layout)]))
        for k, (side, channel) in enumerate((("l", "c0"), ("r", "c1")), start=1):
            side_parts[side].append(apply(split[k], [_pan("mono", channel if piece.split else "0*c0")]))
    xfades, lengths = [c.xfade for c in timeline.clips], [c.length for c in timeline.clips]
    measured = apply(_chain(mixed, lengths, xfades, layout, rate), [MEASURE_FILTER]).asplit()
    mono = [_pan("mono", HALF)] if layout == "stereo" else []
    asr = apply(measured[1], [*mono, *_asr(_mute(mute))])
    outs = [_wav(measured[0], outputs.master, "pcm_f32le", rf64="auto"), _wav(asr, outputs.asr, "pcm_s16le")]
    if sides:
        for side, path in (("l", outputs.left), ("r", outputs.right)):
            cut = _chain(side_parts[side], lengths, xfades, "mono", rate)
            outs.append(_wav(apply(cut, _asr()), path, "pcm_s16le"))
    outs += [ffmpeg.output(level, "-", f="null") for level in decoded.levels]
    cmd = command(head("info"), outs, decoded.inputs)
    return Graph(cmd, decoded.channels, decoded.names)


def _cut(stream: FilterableStream, spans: list[tuple[int, int]], xfades: list[int], layout: str,
         rate: int) -> FilterableStream:
    """Keep `spans` (samples) of a stream, span k overlapping span k-1 by xfades[k] samples."""
    if len(spans) == 1 and spans[0][0] == 0:
        return apply(stream, [filt("atrim", end_sample=spans[0][1])])
    split = stream.asplit()
    kept = [apply(split[i], [filt("atrim", start_sample=a, end_sample=b), filt("asetpts", "PTS-STARTPTS")])
            for i, (a, b) in enumerate(spans)]
    return _chain(kept, [b - a for a, b in spans], xfades, layout, rate)


def _lame_compensation(settings: Mastering, channels: int) -> Filter:
    """LAME scales CBR encodes under 320 kbps by 0.95 (-0.45 dB, against clipping); undo it before encoding."""
    kbps = settings.mp3_bitrate_mono_kbps if channels == 1 else settings.mp3_bitrate_stereo_kbps
    return filt("volume", f"{-20 * math.log10(LAME_CBR_SCALE):.4f}dB") if kbps < LAME_UNSCALED_KBPS else filt("anull")


def _encode_options(ext: str, settings: Mastering, channels: int) -> dict[str, object]:
    mono = channels == 1
    common = {"ar": settings.sample_rate_hz, "ac": channels}
    if ext == "mp3":
        kbps = settings.mp3_bitrate_mono_kbps if mono else settings.mp3_bitrate_stereo_kbps
        return {"c:a": "libmp3lame", "b:a": f"{kbps}k", **common, "id3v2_version": 0, "write_xing": 1}
    kbps = settings.aac_bitrate_mono_kbps if mono else settings.aac_bitrate_stereo_kbps
    return {"c:a": "aac", "b:a": f"{kbps}k", **common, "movflags": "+faststart"}


def _normalised(cut: FilterableStream, plan: GainPlan, ext: str, rate: int, settings: Mastering,
                channels: int) -> FilterableStream:
    """The cut with the plan's gain (and limiter) applied, and LAME's own scaling undone for an MP3."""
    steps = list(plan.filters(rate))
    if ext == "mp3":
        steps.append(_lame_compensation(settings, channels))
    return apply(cut, steps)


def clip_spans(timeline: Timeline) -> tuple[list[tuple[int, int]], list[int]]:
    """(samples of the one source each clip keeps, samples each overlaps the one before) of a one-piece timeline."""
    return [(c.start, c.end) for c in timeline.clips], [c.xfade for c in timeline.clips]


def recut(master: Path, spans: list[tuple[int, int]], xfades: list[int], rate: int, layout: str, cut: Path,
          asr: list[tuple[Path, Path]]) -> list[str]:
    """Shortened pauses: keep `spans` (samples) of the float master as the cut master (float WAV), and the
    same stretches of each (ASR audio, re-cut ASR audio) pair."""
    source = ffmpeg.input(str(master))
    outs = [_wav(_cut(source["a:0"], spans, xfades, layout, rate), cut, "pcm_f32le", rf64="auto")]
    scale = ASR_RATE / rate
    small = [(round(a * scale), round(b * scale)) for a, b in spans]
    small_xfades = [round(x * scale) for x in xfades]
    sources = [source]
    for src, dst in asr:
        sources.append(ffmpeg.input(str(src)))
        recut_asr = _cut(sources[-1]["a:0"], small, small_xfades, "mono", ASR_RATE)
        outs.append(_wav(apply(recut_asr, [filt("aformat", sample_fmts="s16")]), dst, "pcm_s16le"))
    return command(head("info"), outs, sources)


def pass2(master: Path, published: Timeline, plan: GainPlan, settings: Mastering, channels: int, ext: str,
          target: Path) -> list[str]:
    """Take the strikes out of the cut master (`published`: its clips), normalise by `plan` and encode one format
    (`ext`: "mp3" or "m4a") to `target`."""
    spans, xfades = clip_spans(published)
    layout = "mono" if channels == 1 else "stereo"
    source = ffmpeg.input(str(master))
    cut = _cut(source["a:0"], spans, xfades, layout, published.rate)
    out = ffmpeg.output(_normalised(cut, plan, ext, published.rate, settings, channels), str(target),
                        **_encode_options(ext, settings, channels))
    return command(head("info"), [out], [source])
