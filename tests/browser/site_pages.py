"""Driving the course website in headless Chromium the way a reader does: real mouse and key events,
what the console and the network saw, and axe-core's WCAG audit injected into the page."""
from __future__ import annotations

import json
import time

from paths import JS

from .chromium import BrowserError, Chromium

AXE = JS / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")  # axe-core tags of WCAG 2.0/2.1 level A and AA
POLL_S = 0.05  # seconds between checks while waiting in the page
KEYS = {  # CDP key events: key, code, Windows virtual key code, text typed
    "Enter": ("Enter", "Enter", 13, "\r"), "Space": (" ", "Space", 32, " "), "Tab": ("Tab", "Tab", 9, "")}


def open_offline(chrome: Chromium, url: str) -> None:
    """Load `url` with the network switched off and the console, log and network events recorded."""
    for domain in ("Runtime", "Log", "Network"):
        chrome.call(f"{domain}.enable", page=True)
    chrome.call("Network.emulateNetworkConditions", {"offline": True, "latency": 0, "downloadThroughput": -1,
                                                    "uploadThroughput": -1}, page=True)
    chrome.events.clear()
    chrome.goto(url)


def trouble(chrome: Chromium) -> list[str]:
    """Console errors and warnings, uncaught exceptions, failed loads and requests that left the disk."""
    found = []
    for event in chrome.events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
            found.append(f"console.{params['type']}: {[a.get('value') for a in params.get('args', [])]}")
        elif method == "Runtime.exceptionThrown":
            found.append(f"exception: {params['exceptionDetails'].get('text')}")
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            found.append(f"log {params['entry']['level']}: {params['entry']['text']}")
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            found.append(f"failed to load ({params.get('type')}): {params.get('errorText')} "
                         f"{params.get('blockedReason', '')}")
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith(("file:", "data:")):
                found.append(f"requested from the network: {url}")
    return found


def wait_for(chrome: Chromium, condition: str, timeout_s: float = 10.0):
    """Poll a JavaScript expression until it is truthy; returns its value."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = chrome.evaluate(condition)
        except BrowserError as e:  # the page is navigating: ask the next one
            if "navigated" not in str(e) and "context" not in str(e):
                raise
            value = None
        if value or time.monotonic() > deadline:
            return value
        time.sleep(POLL_S)


def click(chrome: Chromium, selector: str) -> None:
    """A real left click (mouse pressed and released) in the middle of the element."""
    box = chrome.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                          "e.scrollIntoView({block: 'center'}); const r = e.getClientRects()[0];"
                          "return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()")
    for kind in ("mousePressed", "mouseReleased"):
        chrome.call("Input.dispatchMouseEvent", {"type": kind, "x": box["x"], "y": box["y"], "button": "left",
                                                 "clickCount": 1}, page=True)


def press(chrome: Chromium, name: str, selector: str | None = None) -> None:
    """A real key press (key down with its text, key up), on the focused element or `selector` focused first."""
    if selector:
        chrome.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
    key, code, vk, text = KEYS[name]
    down = {"type": "keyDown", "key": key, "code": code, "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk}
    if text:
        down["text"] = text
    chrome.call("Input.dispatchKeyEvent", down, page=True)
    chrome.call("Input.dispatchKeyEvent", {**down, "type": "keyUp", "text": ""}, page=True)


def axe_violations(chrome: Chromium) -> list[dict]:
    """axe-core's WCAG 2.1 A and AA violations on the loaded page: rule, impact, the elements."""
    if not chrome.evaluate("typeof axe !== 'undefined'"):
        chrome.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    result = chrome.evaluate("axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']})"
                             ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
                             " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))"
                             % json.dumps(list(WCAG_21_AA)))
    return result


def emulate(chrome: Chromium, **features: str) -> None:
    """Media features, e.g. emulate(chrome, prefers_color_scheme='dark'); none: back to the defaults."""
    chrome.call("Emulation.setEmulatedMedia",
                {"features": [{"name": k.replace("_", "-"), "value": v} for k, v in features.items()]}, page=True)
