"""`coursecast serve`: the course folder over HTTP on localhost, with byte ranges so players can seek.

Browsers seek in audio and video only when the server answers `Range` requests
with 206 Partial Content; Python's http.server does not, so this handler adds
single ranges (`bytes=a-b`, `bytes=a-`, `bytes=-n`). Several ranges in one
request, or an `If-Range`, get the whole file (200), which RFC 9110 allows.
"""
from __future__ import annotations

import http.server
import re
import shutil
import threading
import urllib.parse
from functools import partial
from pathlib import Path

CHUNK_BYTES = 1 << 16  # copy size when sending a range
DEFAULT_PORT = 8000
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
MIME_TYPES = {  # what browsers and podcast apps expect for the course's files
    ".vtt": "text/vtt", ".srt": "application/x-subrip", ".m4a": "audio/mp4", ".mp3": "audio/mpeg",
    ".mp4": "video/mp4", ".xml": "application/rss+xml", ".json": "application/json", ".js": "text/javascript",
    ".css": "text/css", ".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8"}


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single `Range: bytes=...` header, or None to send the whole file.

    Raises ValueError when the range lies outside the file (416).
    """
    match = _RANGE.match(header.strip())
    if not match or not (match[1] or match[2]):
        return None
    if not match[1]:  # the last n bytes
        count = int(match[2])
        if count == 0 or size == 0:
            raise ValueError("empty suffix range")
        return max(0, size - count), size - 1
    first = int(match[1])
    last = min(int(match[2]), size - 1) if match[2] else size - 1
    if first >= size or first > last:
        raise ValueError("range outside the file")
    return first, last


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with single byte ranges, only from the published folders; quiet unless asked."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}
    log_requests = False
    published: tuple[str, ...] = ()  # top-level folders served; () serves everything

    def _published(self) -> bool:
        top = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path).lstrip("/").split("/", 1)[0]
        return not self.published or top in self.published

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        if self.log_requests:
            super().log_message(format, *args)

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def send_head(self):
        self._remaining = None  # bytes left to send of a range (a connection may carry several requests)
        if not self._published():  # recordings, editors' files and build state stay private
            self.send_error(404, "Not published")
            return None
        path = Path(self.translate_path(self.path))
        header = self.headers.get("Range")
        if not header or self.headers.get("If-Range") or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        try:
            span = byte_range(header, size)
        except ValueError:
            self.send_response(416, "Range Not Satisfiable")
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if span is None:
            return super().send_head()
        return self._partial(path, size, *span)

    def _partial(self, path: Path, size: int, first: int, last: int):
        handle = open(path, "rb")
        handle.seek(first)
        self.send_response(206, "Partial Content")
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.send_header("Content-Length", str(last - first + 1))
        self.end_headers()
        self._remaining = last - first + 1
        return handle

    def copyfile(self, source, outputfile) -> None:
        remaining = self._remaining
        if remaining is None:
            return shutil.copyfileobj(source, outputfile)
        self._remaining = None
        while remaining > 0:
            chunk = source.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            remaining -= len(chunk)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True  # a player's open connection never blocks shutting down


def make_server(folder: Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT, *, log: bool = False,
                published: tuple[str, ...] = ()) -> Server:
    """A server for `folder` (port 0: any free port), only its `published` top-level folders when given;
    call serve_forever(), or use `serve_in_background`."""
    handler = type("Handler", (RangeHandler,), {"log_requests": log, "published": tuple(published)})
    return Server((host, port), partial(handler, directory=str(folder)))


def serve(folder: Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT, *, log: bool = True,
          published: tuple[str, ...] = ()) -> None:
    """Serve `folder` until interrupted."""
    with make_server(folder, host, port, log=log, published=published) as server:
        server.serve_forever()


def serve_in_background(folder: Path, host: str = "127.0.0.1", port: int = 0,
                        published: tuple[str, ...] = ()) -> tuple[Server, str]:
    """(server, base URL) serving from a daemon thread; call server.shutdown() to stop."""
    server = make_server(folder, host, port, published=published)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{host}:{server.server_address[1]}/"
