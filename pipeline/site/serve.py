"""`coursecast serve`: the course's published folders over HTTP on localhost, with byte ranges so players can seek.

Only the published folders' real files are served (site/, episodes/, transcripts/, feeds/). Every request
is decided on the path it really reaches: the URL is decoded once, a '..', '.', hidden or backslashed
segment is refused as it stands (never normalised away first), links are resolved, and the file must lie
inside one of the published folders as they really are on disk, and be a regular file (a FIFO would block
the server). Everything else is 404: the recordings, editors' files, the build's state, the course file,
a link in site/ to a file elsewhere. Folders are never listed; `/` sends the browser to the site.

Browsers seek in audio and video only when the server answers `Range` requests
with 206 Partial Content; Python's http.server does not, so this handler adds
single ranges (`bytes=a-b`, `bytes=a-`, `bytes=-n`). Several ranges in one
request, or an `If-Range`, get the whole file (200), which RFC 9110 allows.
"""
from __future__ import annotations

import http.server
import os
import re
import stat
import shutil
import threading
import urllib.parse
from functools import partial
from pathlib import Path

from ._deps import layout

CHUNK_BYTES = 1 << 16  # copy size when sending a range
DEFAULT_PORT = 8000
SERVED = (layout.SITE, layout.EPISODES, layout.TRANSCRIPTS, layout.FEEDS)  # the published folders
HOME = f"/{layout.SITE}/index.html"  # where `/` sends the browser
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


def published_file(root: Path, url_path: str, published: tuple[str, ...] = SERVED) -> Path | None:
    """The real file a request path reaches, or None when it is not a published folder's own file.

    `root` is the course folder; a folder's request ending in '/' reaches its index.html.
    """
    try:
        decoded = urllib.parse.unquote(url_path, errors="strict")
    except UnicodeDecodeError:
        return None
    parts = decoded.split("/")[1:] if decoded.startswith("/") else None
    if not parts or any(p.startswith(".") or "\\" in p or "\0" in p for p in parts) or parts[0] not in published:
        return None
    if parts[-1] == "":
        parts[-1] = "index.html"
    real = os.path.realpath(root.joinpath(*parts))
    folders = [_real_folder(root, top, published) for top in published]
    if not any(folder and _within(real, folder) for folder in folders):
        return None
    try:
        return Path(real) if stat.S_ISREG(os.stat(real).st_mode) else None
    except OSError:
        return None


def _real_folder(root: Path, top: str, published: tuple[str, ...]) -> str | None:
    """Where a published folder really is; None when it is a link to the course folder itself, a folder
    above it, or one of its private folders (then nothing of it is served)."""
    real_root, folder = os.path.realpath(root), os.path.realpath(root / top)
    if _within(real_root, folder):
        return None
    if _within(folder, real_root) and os.path.relpath(folder, real_root).split(os.sep)[0] not in published:
        return None
    return folder


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with single byte ranges, only the published folders' real files; quiet unless asked."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}
    log_requests = False
    published: tuple[str, ...] = SERVED  # top-level folders served
    home = HOME  # where `/` redirects

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        if self.log_requests:
            super().log_message(format, *args)

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def translate_path(self, path: str) -> str:
        """Only what `published_file` allows; anything else a name that is never there."""
        found = published_file(Path(self.directory), urllib.parse.urlsplit(path).path, self.published)
        return str(found) if found else os.devnull + "/not-published"

    def list_directory(self, path):  # folders are never listed
        self.send_error(404, "Not published")
        return None

    def send_head(self):
        self._remaining = None  # bytes left to send of a range (a connection may carry several requests)
        url_path = urllib.parse.urlsplit(self.path).path
        if url_path in ("", "/") and self.home:
            return self._moved(self.home, 302)
        found = published_file(Path(self.directory), url_path, self.published)
        if found is None and not url_path.endswith("/") and published_file(
                Path(self.directory), url_path + "/", self.published):
            return self._moved(urllib.parse.urlsplit(self.path)._replace(path=url_path + "/").geturl())
        if found is None:  # recordings, editors' files, build state, links out: as if they were not there
            self.send_error(404, "Not published")
            return None
        header = self.headers.get("Range")
        if not header or self.headers.get("If-Range"):
            return super().send_head()
        size = found.stat().st_size
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
        return self._partial(found, size, *span)

    def _moved(self, location: str, code: int = 301):
        self.send_response(code)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()
        return None

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
                published: tuple[str, ...] = SERVED) -> Server:
    """A server for the course folder `folder` (port 0: any free port), only its `published` top-level
    folders; call serve_forever(), or use `serve_in_background`."""
    handler = type("Handler", (RangeHandler,), {"log_requests": log, "published": tuple(published)})
    return Server((host, port), partial(handler, directory=str(folder)))


def serve(folder: Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT, *, log: bool = True,
          published: tuple[str, ...] = SERVED) -> None:
    """Serve `folder` until interrupted."""
    with make_server(folder, host, port, log=log, published=published) as server:
        server.serve_forever()


def serve_in_background(folder: Path, host: str = "127.0.0.1", port: int = 0,
                        published: tuple[str, ...] = SERVED) -> tuple[Server, str]:
    """(server, base URL) serving from a daemon thread; call server.shutdown() to stop."""
    server = make_server(folder, host, port, published=published)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{host}:{server.server_address[1]}/"
