"""Drive Debian's headless Chromium over the Chrome DevTools Protocol on a pipe.

`--remote-debugging-pipe` makes Chromium read CDP messages from fd 3 and write
its answers to fd 4, each message JSON ended by a NUL byte: no websocket
library, no port. `Chromium` starts a fresh profile, opens one page and lets a
test navigate, evaluate JavaScript (awaiting promises) and take screenshots.
"""
from __future__ import annotations

import base64
import http.server
import io
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import threading
from functools import partial
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
FLAGS = (  # headless, quiet, nothing fetched from outside
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required", "--hide-scrollbars", "--mute-audio",
)
REPLY_TIMEOUT_S = 60.0  # seconds to wait for one CDP answer
READ_BYTES = 1 << 16  # pipe read size


class BrowserError(RuntimeError):
    pass


class Chromium:
    """One headless Chromium with one page; use as a context manager."""

    def __init__(self, width: int = 1280, height: int = 720):
        self.width, self.height = width, height  # CSS pixels of the page's viewport
        self._next_id, self._buffer = 0, b""
        self.events: list[dict] = []  # CDP events received (of the domains a test enabled), oldest first

    def __enter__(self) -> "Chromium":
        self._profile = tempfile.mkdtemp(prefix="coursecast-chromium-")
        to_browser, self._to_browser = os.pipe()
        self._from_browser, from_browser = os.pipe()
        self._log = open(Path(self._profile) / "chromium.log", "w+")
        self._proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self._profile}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log, close_fds=False,
            preexec_fn=partial(_pipe_fds, to_browser, from_browser))
        os.close(to_browser)
        os.close(from_browser)
        self._open_page()
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.call("Browser.close")
        except (BrowserError, OSError):
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._log.close()
        shutil.rmtree(self._profile, ignore_errors=True)

    def _open_page(self) -> None:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False}, page=True)

    def call(self, method: str, params: dict | None = None, *, page: bool = False) -> dict:
        """Send one CDP command (to the browser, or to the page with page=True) and return its result."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if page:
            message["sessionId"] = self._session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        reply = self._reply(self._next_id)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error'].get('message')}")
        return reply.get("result", {})

    def _reply(self, wanted: int) -> dict:
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if message.get("id") == wanted:
                    return message
                if "method" in message:
                    self.events.append(message)
            ready, _, _ = select.select([self._from_browser], [], [], REPLY_TIMEOUT_S)
            chunk = os.read(self._from_browser, READ_BYTES) if ready else b""
            if not chunk:
                raise BrowserError(f"no answer from Chromium (id {wanted}); its log:\n{self.log_tail()}")
            self._buffer += chunk

    def log_tail(self, lines: int = 15) -> str:
        self._log.flush()
        self._log.seek(0)
        return "".join(self._log.readlines()[-lines:])

    def goto(self, url: str) -> None:
        """Open `url` and wait until the page and its scripts have loaded."""
        self.call("Page.navigate", {"url": url}, page=True)
        self.evaluate("new Promise(ok => document.readyState === 'complete' ? ok(true)"
                      " : addEventListener('load', () => ok(true)))")

    def evaluate(self, expression: str) -> Any:
        """Evaluate JavaScript in the page, await a returned promise, return the value (JSON)."""
        result = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                 "returnByValue": True}, page=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"JavaScript failed: {text}")
        return result["result"].get("value")

    def screenshot(self) -> bytes:
        """PNG of the viewport."""
        return base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"}, page=True)["data"])


def _pipe_fds(to_browser: int, from_browser: int) -> None:
    """In the child: the DevTools pipe on fds 3 (commands in) and 4 (answers out)."""
    read_end, write_end = os.dup(to_browser), os.dup(from_browser)  # above 4, so dup2 never no-ops
    os.dup2(read_end, 3)
    os.dup2(write_end, 4)


class StaticServer:
    """Serve a folder on 127.0.0.1 (a random free port) from a thread; use as a context manager."""

    def __init__(self, folder: Path):
        handler = partial(_QuietHandler, directory=str(folder))
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"

    def __enter__(self) -> "StaticServer":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with byte ranges (a player can only seek in media served with Range support)."""

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        pass

    def send_head(self):
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        path = Path(self.translate_path(self.path))
        if not match or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        first = int(match[1]) if match[1] else max(0, size - int(match[2] or 0))
        last = min(int(match[2]), size - 1) if match[1] and match[2] else size - 1
        if first > last:
            self.send_error(416, "range not satisfiable")
            return None
        with open(path, "rb") as handle:
            handle.seek(first)
            body = handle.read(last - first + 1)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.send_header("Content-Length", str(last - first + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        return io.BytesIO(body)
