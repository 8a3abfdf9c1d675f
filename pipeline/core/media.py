"""Running ffmpeg/ffprobe: exact commands logged, failures kept with stderr, probes typed."""
from __future__ import annotations

import functools
import json
import logging
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from .errors import MediaError

log = logging.getLogger("coursecast.media")
NO_SPACE = "No space left on device"  # how ffmpeg (strerror(ENOSPC)) says the disk is full
READ_CHUNK = 1 << 20  # bytes read from a command's output at a time


@dataclass(frozen=True)
class StreamInfo:
    kind: str  # "audio", "video", "subtitle", ...
    codec: str  # ffprobe codec_name
    channels: int  # audio channels (0 for video)
    sample_rate: int  # Hz (0 for video)
    width: int  # pixels (0 for audio)
    height: int  # pixels (0 for audio)
    frame_rate: float  # frames per second (0.0 for audio)
    language: str  # tags.language or ""


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    duration: float  # seconds, from the container (or longest stream)
    format_name: str  # ffprobe format_name
    size: int  # bytes
    streams: tuple[StreamInfo, ...]

    @property
    def audio(self) -> StreamInfo | None:
        return next((s for s in self.streams if s.kind == "audio"), None)

    @property
    def video(self) -> StreamInfo | None:
        return next((s for s in self.streams if s.kind == "video"), None)


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise MediaError(
            f"{name} was not found on PATH; install it with 'make setup' "
            f"(or 'apt-get install ffmpeg' on Debian/Ubuntu)"
        )
    return path


def run(cmd: list[str], *, what: str) -> subprocess.CompletedProcess:
    """Run an external command; on failure raise MediaError naming `what` with ffmpeg's last words."""
    require_tool(cmd[0])
    log.debug("%s", shlex.join(cmd))
    proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    if proc.returncode != 0:
        error = MediaError(f"{what}: the disk is full ({NO_SPACE}, writing {cmd[-1]}); free some space and build "
                           "again" if NO_SPACE in proc.stderr else f"{what}: {cmd[0]} failed: {_last_lines(proc.stderr)}")
        error.stderr = proc.stderr  # the whole of it, for callers that look for a cause (ENOSPC, ...)
        raise error
    return proc


def pipe(cmd: list[str], data: bytes | memoryview | None, *, what: str) -> bytearray:
    """Run an external command that reads `data` on stdin and writes bytes (raw samples) on stdout; on failure
    raise MediaError as `run` does. The output grows in one buffer: a 45-minute master is 477 MB of float
    samples, held once (subprocess.run keeps the pieces it read and their join, twice that)."""
    require_tool(cmd[0])
    log.debug("%s", shlex.join(cmd))
    with tempfile.TemporaryFile() as errors:
        with subprocess.Popen(cmd, stdin=subprocess.DEVNULL if data is None else subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=errors) as proc:
            writer = threading.Thread(target=_feed, args=(proc.stdin, data), daemon=True) if data is not None else None
            if writer:
                writer.start()
            out = bytearray()
            while chunk := proc.stdout.read(READ_CHUNK):
                out += chunk
            if writer:
                writer.join()
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    if proc.returncode != 0:
        error = MediaError(f"{what}: the disk is full ({NO_SPACE}); free some space and build again"
                           if NO_SPACE in stderr else f"{what}: {cmd[0]} failed: {_last_lines(stderr)}")
        error.stderr = stderr
        raise error
    return out


def _feed(stdin, data: bytes | memoryview) -> None:
    """Write `data` to a command's stdin and close it (a command that stops reading early is not an error here:
    its exit status says what happened)."""
    try:
        stdin.write(data)
    except BrokenPipeError:
        pass
    finally:
        try:
            stdin.close()
        except BrokenPipeError:
            pass


def _last_lines(stderr: str, count: int = 3) -> str:
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:]) or "no error output"


def _rate(text: str) -> float:
    num, _, den = (text or "0/1").partition("/")
    try:
        return float(num) / float(den or 1) if float(den or 1) else 0.0
    except ValueError:
        return 0.0


def _stream(raw: dict) -> StreamInfo:
    return StreamInfo(
        kind=raw.get("codec_type", ""),
        codec=raw.get("codec_name", ""),
        channels=int(raw.get("channels", 0) or 0),
        sample_rate=int(raw.get("sample_rate", 0) or 0),
        width=int(raw.get("width", 0) or 0),
        height=int(raw.get("height", 0) or 0),
        frame_rate=_rate(raw.get("avg_frame_rate", "0/1")) if raw.get("codec_type") == "video" else 0.0,
        language=(raw.get("tags") or {}).get("language", ""),
    )


def probe(path: Path) -> MediaInfo:
    """ffprobe a file into MediaInfo; MediaError (naming the file) if it is not readable media."""
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path}: file not found")
    cmd = [
        "ffprobe", "-v", "error", "-print_format", "json",
        "-show_format", "-show_streams", str(path),
    ]
    try:
        raw = json.loads(run(cmd, what=f"{path}: not a readable recording").stdout or "{}")
    except json.JSONDecodeError as e:
        raise MediaError(f"{path}: ffprobe gave unreadable output") from e
    fmt = raw.get("format") or {}
    streams = tuple(_stream(s) for s in raw.get("streams", []))
    if not streams:
        raise MediaError(f"{path}: no audio or video streams; is it a recording?")
    duration = float(fmt.get("duration") or 0.0)
    if duration <= 0:
        durations = [float(s.get("duration") or 0) for s in raw.get("streams", [])]
        duration = max(durations, default=0.0)
    return MediaInfo(path, duration, fmt.get("format_name", ""), int(fmt.get("size") or 0), streams)


@functools.lru_cache(maxsize=None)
def published_length(path: Path, rebuild: str) -> float:
    """Seconds of a published MP3/M4A/MP4 as podcast apps read them (mutagen, from the headers);
    MediaError naming the file and `rebuild`, the command that makes it again."""
    import mutagen

    try:
        info = getattr(mutagen.File(path), "info", None)
    except mutagen.MutagenError as e:
        raise MediaError(f"{path}: not readable media ({e}); rebuild it with '{rebuild}'") from e
    if info is None or not getattr(info, "length", 0):
        raise MediaError(f"{path}: no duration could be read; rebuild it with '{rebuild}'")
    return float(info.length)


def ffmpeg_version() -> str:
    """'5.1.9-0+deb12u1': part of every media stage's staleness key."""
    out = run(["ffmpeg", "-hide_banner", "-version"], what="ffmpeg -version").stdout
    match = re.search(r"ffmpeg version (\S+)", out)
    return match.group(1) if match else out.splitlines()[0]
