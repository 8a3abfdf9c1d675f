"""ffmpeg commands of the episodes stage: the cut (pass 1) and the normalise-and-encode (pass 2).

Pass 1 decodes every recording once, trims the kept ranges sample-accurately,
crossfades the joins and writes, from one filtergraph: the float master, the
16 kHz ASR audio (stings muted), the per-side ASR audio of one-speaker-per-
channel recordings, a level check of every input and the master's loudness.
Pass 2 reads the master, never the recordings.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from .loudness import MEASURE_FILTER, GainPlan
from .settings import Mastering
from .timeline import Piece, Timeline, master_spans

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


def _input_args(pieces: tuple[Piece, ...], order: dict[Path, int], extra: list[str]) -> list[str]:
    args: list[str] = []
    for path in order:
        end = max(p.end for p in pieces if p.path == path)
        args += [*extra, "-t", f"{end + INPUT_SLACK_S:.3f}", "-i", str(path)]
    return args


def _pan(layout: str, expr: str) -> str:
    return f"pan={layout}|" + "|".join(f"c{i}={expr}" for i in range(2 if layout == "stereo" else 1))


def _mix(piece: Piece, layout: str) -> str:
    """Filters turning a trimmed piece (mono or stereo float) into the episode's layout."""
    if piece.split or (piece.channels > 1 and layout == "mono"):
        return _pan(layout, HALF)
    if piece.channels == 1 and layout == "stereo":
        return _pan("stereo", "c0")
    return "anull"


def _positions(lengths: list[int], xfades: list[int]) -> list[int]:
    """Start sample of each part when part k overlaps part k-1 by xfades[k] samples."""
    starts = [0]
    for length, xfade in zip(lengths[:-1], xfades[1:]):
        starts.append(starts[-1] + length - xfade)
    return starts


def _chain(labels: list[str], lengths: list[int], xfades: list[int], out: str, layout: str,
           rate: int) -> list[str]:
    """Join labelled parts in order, part k overlapping part k-1 by xfades[k] samples (equal-power).

    Parts alternate between two buses padded with exact silence, and the buses
    are summed sample by sample (amerge + pan). ffmpeg 5.1's acrossfade is not
    used: it may start a crossfade before its first input has ended (and drop
    the rest) when its second input already has audio queued; amix in such a
    graph dropped audio too.
    """
    count = len(labels)
    fades = []
    for k in range(count):
        steps = ["anull"]
        if xfades[k]:
            steps.append(f"afade=t=in:ss=0:ns={xfades[k]}:curve={FADE_CURVE}")
        if k + 1 < count and xfades[k + 1]:
            steps.append(f"afade=t=out:ss={lengths[k] - xfades[k + 1]}:ns={xfades[k + 1]}:curve={FADE_CURVE}")
        fades.append(f"[{labels[k]}]{','.join(steps)}[{out}_f{k}]")
    if count == 1 or not any(xfades):
        return fades + ["".join(f"[{out}_f{k}]" for k in range(count)) + f"concat=n={count}:v=0:a=1[{out}]"]
    starts = _positions(lengths, xfades)
    total = starts[-1] + lengths[-1]
    parts = list(fades)
    for bus in (0, 1):
        items, position = [], 0
        for k in range(bus, count, 2):
            items += _silence(starts[k] - position, f"{out}_z{k}", layout, rate, parts)
            items.append(f"{out}_f{k}")
            position = starts[k] + lengths[k]
        items += _silence(total - position, f"{out}_e{bus}", layout, rate, parts)
        parts.append("".join(f"[{i}]" for i in items) + f"concat=n={len(items)}:v=0:a=1[{out}_b{bus}]")
    total_expr = "c0+c2|c1=c1+c3" if layout == "stereo" else "c0+c1"
    parts.append(f"[{out}_b0][{out}_b1]amerge=inputs=2,pan={layout}|c0={total_expr}[{out}]")
    return parts


def _silence(samples: int, label: str, layout: str, rate: int, parts: list[str]) -> list[str]:
    """A label of exactly `samples` of silence (none when 0)."""
    if samples <= 0:
        return []
    parts.append(f"anullsrc=r={rate}:cl={layout},atrim=end_sample={samples},aformat=sample_fmts=flt[{label}]")
    return [label]


def _mute(spans: list[tuple[float, float]]) -> str:
    if not spans:
        return ""
    expr = "+".join(f"between(t,{a:.3f},{b:.3f})" for a, b in spans)
    return f",asetnsamples=n={ASR_FRAME},volume=0:enable='{expr}'"


def pass1(pieces: tuple[Piece, ...], timeline: Timeline, layout: str, outputs: Pass1Outputs,
          mute: list[tuple[float, float]]) -> Graph:
    """The cut: one ffmpeg command decoding each recording once."""
    rate, order = timeline.rate, _inputs(pieces)
    sides = outputs.left is not None
    uses = {path: [i for i, p in enumerate(pieces) if p.path == path] for path in order}
    parts: list[str] = []
    for path, index in order.items():
        channels = 1 if pieces[uses[path][0]].channels == 1 else 2
        fmt = "mono" if channels == 1 else "stereo"
        labels = "".join(f"[p{i}]" for i in uses[path])
        parts.append(f"[{index}:a:0]aresample={rate}:first_pts=0,aformat=sample_fmts=flt:channel_layouts={fmt},"
                     f"asplit={len(uses[path]) + 1}{labels}[lv{index}]")
        parts.append(f"[lv{index}]volumedetect,anullsink")  # a side branch: volumedetect takes s16 only
    for n, clip in enumerate(timeline.clips):
        piece = pieces[clip.piece]
        trim = f"[p{clip.piece}]atrim=start_sample={clip.start}:end_sample={clip.end},asetpts=PTS-STARTPTS"
        if not sides:
            parts.append(f"{trim},{_mix(piece, layout)}[m{n}]")
            continue
        parts.append(f"{trim},asplit=3[t{n}][tl{n}][tr{n}]")
        parts.append(f"[t{n}]{_mix(piece, layout)}[m{n}]")
        for side, channel in (("l", "c0"), ("r", "c1")):
            expr = channel if piece.split else "0*c0"
            parts.append(f"[t{side}{n}]pan=mono|c0={expr}[{side}{n}]")
    xfades, lengths = [c.xfade for c in timeline.clips], [c.length for c in timeline.clips]
    count = len(timeline.clips)
    parts += _chain([f"m{n}" for n in range(count)], lengths, xfades, "mix", layout, rate)
    parts.append(f"[mix]{MEASURE_FILTER},asplit=2[master][asrin]")
    mono = _pan("mono", HALF) + "," if layout == "stereo" else ""
    parts.append(f"[asrin]{mono}aresample={ASR_RATE},aformat=sample_fmts=s16{_mute(mute)}[asr]")
    maps = ["-map", "[master]", "-c:a", "pcm_f32le", "-rf64", "auto", str(outputs.master),
            "-map", "[asr]", "-c:a", "pcm_s16le", str(outputs.asr)]
    if sides:
        for side, path in (("l", outputs.left), ("r", outputs.right)):
            parts += _chain([f"{side}{n}" for n in range(count)], lengths, xfades, f"{side}cut", "mono", rate)
            parts.append(f"[{side}cut]aresample={ASR_RATE},aformat=sample_fmts=s16[{side}asr]")
            maps += ["-map", f"[{side}asr]", "-c:a", "pcm_s16le", str(path)]
    cmd = [*_head(), *_input_args(pieces, order, []), "-filter_complex", ";".join(parts), *maps]
    names = [pieces[uses[path][0]].name for path in order]
    channels = [1 if pieces[uses[path][0]].channels == 1 else 2 for path in order]
    return Graph(cmd, channels, names)


def _head() -> list[str]:
    return ["ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", "-y"]


def _cut(source: str, spans: list[tuple[int, int]], xfades: list[int], out: str, layout: str,
         rate: int) -> list[str]:
    """Keep `spans` (samples) of a stream, span k overlapping span k-1 by xfades[k] samples."""
    if len(spans) == 1:
        return [f"[{source}]anull[{out}]"]
    labels = "".join(f"[{out}_s{i}]" for i in range(len(spans)))
    parts = [f"[{source}]asplit={len(spans)}{labels}"]
    for i, (a, b) in enumerate(spans):
        parts.append(f"[{out}_s{i}]atrim=start_sample={a}:end_sample={b},asetpts=PTS-STARTPTS[{out}_k{i}]")
    return parts + _chain([f"{out}_k{i}" for i in range(len(spans))], [b - a for a, b in spans], xfades,
                          out, layout, rate)


@dataclass(frozen=True)
class Pass2Inputs:
    master: Path  # the float master of pass 1
    asr: Path | None  # pass 1's ASR audio when pauses are shortened (re-cut here), else None
    left: Path | None
    right: Path | None


def _lame_compensation(settings: Mastering, channels: int) -> str:
    """LAME scales CBR encodes under 320 kbps by 0.95 (-0.45 dB, against clipping); undo it before encoding."""
    kbps = settings.mp3_bitrate_mono_kbps if channels == 1 else settings.mp3_bitrate_stereo_kbps
    return f"volume={-20 * math.log10(LAME_CBR_SCALE):.4f}dB" if kbps < LAME_UNSCALED_KBPS else "anull"


def _encode_args(ext: str, settings: Mastering, channels: int, path: Path) -> list[str]:
    mono = channels == 1
    rate, count = str(settings.sample_rate_hz), str(channels)
    if ext == "mp3":
        kbps = settings.mp3_bitrate_mono_kbps if mono else settings.mp3_bitrate_stereo_kbps
        return ["-map", "[mp3]", "-c:a", "libmp3lame", "-b:a", f"{kbps}k", "-ar", rate, "-ac", count,
                "-id3v2_version", "0", "-write_xing", "1", str(path)]
    kbps = settings.aac_bitrate_mono_kbps if mono else settings.aac_bitrate_stereo_kbps
    return ["-map", "[m4a]", "-c:a", "aac", "-b:a", f"{kbps}k", "-ar", rate, "-ac", count,
            "-movflags", "+faststart", str(path)]


def _gain_branches(plans: dict[str, GainPlan], rate: int, settings: Mastering, channels: int) -> list[str]:
    """[cut] -> one labelled stream per format; one shared gain and limiter when the plans agree."""
    exts = list(plans)
    shared = len(set(plans.values())) == 1
    head = f"[cut]{plans[exts[0]].filters(rate)}," if shared else "[cut]"
    parts = [head + f"asplit={len(exts)}" + "".join(f"[{e}in]" for e in exts)]
    for ext in exts:
        steps = [] if shared else [plans[ext].filters(rate)]
        if ext == "mp3":
            steps.append(_lame_compensation(settings, channels))
        parts.append(f"[{ext}in]{','.join(steps) or 'anull'}[{ext}]")
    return parts


def pass2(inputs: Pass2Inputs, before: Timeline, after: Timeline, plans: dict[str, GainPlan],
          settings: Mastering, channels: int, encodes: dict[str, Path], asr_out: Pass1Outputs | None) -> list[str]:
    """Normalise and encode (the formats in `plans`) from the master; when pauses are shortened, also
    re-cut the ASR audio."""
    spans, xfades = master_spans(before, after), [0, *after.cut_xfades()]
    layout = "mono" if channels == 1 else "stereo"
    parts = _cut("0:a:0", spans, xfades, "cut", layout, before.rate)
    parts += _gain_branches(plans, before.rate, settings, channels)
    cmd = [*_head(), "-i", str(inputs.master)]
    maps = [arg for ext in plans for arg in _encode_args(ext, settings, channels, encodes[ext])]
    scale = ASR_RATE / before.rate
    small = [(round(a * scale), round(b * scale)) for a, b in spans]
    small_xfades = [round(x * scale) for x in xfades]
    extra = [(inputs.asr, asr_out and asr_out.asr, "asr"), (inputs.left, asr_out and asr_out.left, "lft"),
             (inputs.right, asr_out and asr_out.right, "rgt")]
    for src, dst, name in extra:
        if src is None or dst is None:
            continue
        index = cmd.count("-i")
        cmd += ["-i", str(src)]
        parts += _cut(f"{index}:a:0", small, small_xfades, f"{name}c", "mono", ASR_RATE)
        parts.append(f"[{name}c]aformat=sample_fmts=s16[{name}]")
        maps += ["-map", f"[{name}]", "-c:a", "pcm_s16le", str(dst)]
    return [*cmd, "-filter_complex", ";".join(parts), *maps]
