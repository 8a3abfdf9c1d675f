"""ffmpeg commands built with ffmpeg-python: filters as data, sources inside a graph, the compile.

Every ffmpeg command of the episodes and video stages is a graph of ffmpeg-python nodes
(`ffmpeg.input(...)`, `.filter(...)`, `ffmpeg.output(...)`, `ffmpeg.merge_outputs`)
turned into an argv by `command`; `media.run` logs that argv (shlex.join) and runs it.
ffmpeg-python does the labelling and the escaping of filter options, so no
filtergraph is written as a string anywhere.

What ffmpeg-python 0.2 cannot say is said here, once:
- a source filter inside the graph (anullsrc, color): its FilterNode needs an
  input, and it takes two nodes with equal options and inputs for one node (two
  silences of one length would become one filter feeding two places);
- an option given more than once to one output (three `-metadata:s:s:0`): it
  writes each option once (`with_output_options`).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Iterable, Sequence

import ffmpeg
from ffmpeg.nodes import FilterableStream, FilterNode, Node, OutputStream


@dataclass(frozen=True)
class Filter:
    """One ffmpeg filter as ffmpeg-python's `.filter()` takes it (unescaped: ffmpeg-python escapes)."""

    name: str  # e.g. "volume"
    args: tuple = ()  # positional values, e.g. ("3.000dB",)
    options: tuple[tuple[str, object], ...] = ()  # named options, e.g. (("enable", "between(t,1,2)"),)

    def __str__(self) -> str:
        """ffmpeg's own notation (for messages and tests; commands are compiled by ffmpeg-python)."""
        values = [str(a) for a in self.args] + [f"{k}={v}" for k, v in self.options]
        return self.name + ("=" + ":".join(values) if values else "")


UNSAFE_POSITIONAL = "\\'=:"  # ffmpeg-python 0.2 escapes positional values twice: these must be named options


def filt(name: str, *args: object, **options: object) -> Filter:
    """A Filter; a positional value holding one of UNSAFE_POSITIONAL must be given by name (pan's `args=`)."""
    for arg in args:
        if any(char in str(arg) for char in UNSAFE_POSITIONAL):
            raise ValueError(f"{name}: give {arg!r} as a named option; ffmpeg-python would escape it twice")
    return Filter(name, tuple(args), tuple(options.items()))


def apply(stream: FilterableStream, filters: Iterable[Filter]) -> FilterableStream:
    """`stream` through `filters`, in order."""
    for step in filters:
        stream = stream.filter(step.name, *step.args, **dict(step.options))
    return stream


class _SourceNode(FilterNode):
    """A source filter (no input) inside the graph, distinct from every other source node."""

    _serials = itertools.count()

    def __init__(self, name: str, options: dict[str, object]):
        Node.__init__(self, stream_spec=None, name=name, incoming_stream_types={FilterableStream},
                      outgoing_stream_type=FilterableStream, min_inputs=0, max_inputs=0, kwargs=options)
        self._serial = next(self._serials)  # never shown to ffmpeg

    def __hash__(self) -> int:
        return hash((super().__hash__(), self._serial))


def source(name: str, **options: object) -> FilterableStream:
    """A source filter's output, e.g. source("anullsrc", r=48000, cl="mono"): a new filter on every call."""
    return _SourceNode(name, options).stream()


def head(loglevel: str | None = None) -> list[str]:
    """`ffmpeg` and the global options every command starts with (`-y`: the outputs are temp files)."""
    return ["ffmpeg", "-hide_banner", "-nostdin", "-nostats", *(["-loglevel", loglevel] if loglevel else []), "-y"]


def command(start: Sequence[str], outputs: Sequence[OutputStream],
            inputs: Sequence[FilterableStream] = ()) -> list[str]:
    """The argv: `start`, the inputs (those named first, in that order), the filtergraph, the outputs in order."""
    merged = ffmpeg.merge_outputs(*outputs) if len(outputs) > 1 else outputs[0]
    return ffmpeg.compile([*inputs, merged], cmd=list(start))


def with_output_options(cmd: list[str], options: Sequence[str]) -> list[str]:
    """`cmd` (one output, named last) with `options` put before the output's name: options given more
    than once, which ffmpeg-python 0.2 writes only once."""
    return [*cmd[:-1], *options, cmd[-1]]
