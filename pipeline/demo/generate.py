"""The demo course: deterministic synthetic interviews in demo/raw_interviews/ and demo/course.toml.

`generate(dest)` speaks the script in `demo_script` with espeak-ng voices, lays
the lines out with natural gaps over a little room noise, adds what a producer
cuts (false starts, chatter, a long silence, a 1 kHz line-up tone), writes the
recordings with bit-exact ffmpeg settings, and writes a course.toml whose keep
ranges, chapters and turn hints come from where every line landed. The same
inputs give the same bytes, so the committed demo/course.toml stays valid and a
re-run that finds every recording intact (per the manifest) renders nothing.

    python -m pipeline.demo generate --dest demo
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import shutil
import tempfile
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core import course_file, course_media, layout
from ..core.action_code import code_digests, library_versions
from ..core.errors import CoursecastError, MediaError
from ..core.fsutil import sha256_file, write_if_changed
from ..core.media import ffmpeg_version, run
from .course import Block, Take, render_course_toml
from .script import EPISODES, PEOPLE, Person, Recording, Say, Silence, Tone

log = logging.getLogger("coursecast.demo")

SPEECH_RATE_HZ = 22050  # espeak-ng's output sample rate; takes are laid out at this rate
RECORDER_RATE_HZ = 48000  # sample rate of the written recordings
LEAD_IN_S = 1.2  # seconds of room tone before the first item of a take
TAIL_S = 1.5  # seconds of room tone after the last item
GAPS_S = (0.65, 0.9, 0.7, 1.05, 0.8, 0.6)  # seconds between items, cycled: people pause unevenly
ROOM_NOISE_DBFS = -60.0  # RMS of the room noise under everything but a Silence
ROOM_NOISE_SMOOTH = 24  # samples of the moving average that darkens white noise into room tone
TONE_HZ = 1000.0  # line-up tone frequency
TONE_DBFS = -18.0  # line-up tone level (EBU R68 alignment level)
FADE_S = 0.01  # seconds of fade at the ends of a tone
VIDEO_SIZE = "1280x720"  # pixels
VIDEO_FPS = 25  # frames per second
VIDEO_THREADS = 2  # x264 threads; fixed, because x264's output depends on it
AAC_KBPS = 128  # the video's audio bitrate
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # fonts-dejavu-core: covers å, ä, ö, ø
BITEXACT = ["-fflags", "+bitexact", "-flags:a", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1"]
RENDER = {  # every number that shapes the bytes: part of each recording's recipe (with the code that renders it)
    "speech_hz": SPEECH_RATE_HZ, "recorder_hz": RECORDER_RATE_HZ,
    "lead_in": LEAD_IN_S, "tail": TAIL_S, "gaps": GAPS_S, "noise": ROOM_NOISE_DBFS,
    "smooth": ROOM_NOISE_SMOOTH, "tone": [TONE_HZ, TONE_DBFS, FADE_S],
    "video": [VIDEO_SIZE, VIDEO_FPS, VIDEO_THREADS, AAC_KBPS],
}
_PEOPLE = {p.id: p for p in PEOPLE}


@dataclass(frozen=True)
class DemoReport:
    course_file: Path  # the generated course.toml
    recordings: tuple[Path, ...]  # every raw recording, in course order
    written: tuple[Path, ...]  # files this run created or changed (course.toml included)
    episode_seconds: tuple[tuple[str, float], ...]  # (slug, seconds kept after cutting)

    def __str__(self) -> str:
        minutes = sum(s for _, s in self.episode_seconds) / 60
        return (f"{len(self.recordings)} recordings, {len(self.written)} file(s) written, "
                f"{len(self.episode_seconds)} episodes, {minutes:.1f} min after cutting")


def generate(dest: Path) -> DemoReport:
    """Write dest/raw_interviews/* and dest/course.toml; skip recordings already intact."""
    dest = Path(dest).resolve()
    _require_espeak()
    manifest_path = layout.demo_manifest(dest)
    previous, manifest = _read_manifest(manifest_path), {}
    takes, written = {}, []
    for recording in (r for e in EPISODES for r in e.recordings):
        take, changed = _ensure_take(recording, dest, previous.get(recording.file))
        takes[recording.file] = take
        written += [dest / layout.RAW / recording.file] if changed else []
        manifest[recording.file] = _manifest_entry(recording, take)
    text, seconds = render_course_toml(takes)
    course_path = dest / "course.toml"
    written += [course_path] if write_if_changed(course_path, text.encode("utf-8")) else []
    write_if_changed(manifest_path, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode())
    _validate(course_path)
    recordings = tuple(dest / layout.RAW / f for f in takes)
    return DemoReport(course_path, recordings, tuple(written), tuple(seconds.items()))


def _validate(course_path: Path) -> None:
    """The demo must pass the same checks a producer's course does."""
    course_media.probe_sources(course_file.load(course_path))


# -- skipping what is already there ---------------------------------------------------
def _recipe(recording: Recording) -> str:
    speakers = sorted({i.speaker for i in recording.items if isinstance(i, Say)})
    recipe = {
        "render": RENDER, "recording": dataclasses.asdict(recording),
        "voices": {s: dataclasses.asdict(_PEOPLE[s].voice) for s in speakers},
        "tools": [_espeak_version(), ffmpeg_version(), *library_versions(("numpy",)).values()],
        "code": {**code_digests(_assemble), **code_digests(_encode)},  # a code change that alters the bytes
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True, default=str).encode()).hexdigest()


def _read_manifest(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _manifest_entry(recording: Recording, take: Take) -> dict:
    return {"recipe": _recipe(recording), "sha256": take.sha256, "duration": take.duration,
            "blocks": [dataclasses.asdict(b) for b in take.blocks]}


def _from_manifest(recording: Recording, target: Path, entry: dict | None) -> Take | None:
    """The recorded take, when its recipe is unchanged and the file is still what was written."""
    if not entry or entry.get("recipe") != _recipe(recording) or not target.is_file():
        return None
    if sha256_file(target) != entry.get("sha256"):
        log.info("%s changed since it was generated; regenerating", target)
        return None
    try:
        blocks = tuple(Block(**b) for b in entry["blocks"])
        return Take(recording.file, float(entry["duration"]), blocks, entry["sha256"])
    except (KeyError, TypeError, ValueError):
        return None


def _ensure_take(recording: Recording, dest: Path, entry: dict | None) -> tuple[Take, bool]:
    """(take, whether the file was written): render unless the manifest vouches for the file."""
    target = dest / layout.RAW / recording.file
    take = _from_manifest(recording, target, entry)
    if take is not None:
        log.debug("%s is up to date", target)
        return take, False
    log.info("generating %s", target)
    with tempfile.TemporaryDirectory(prefix="coursecast-demo-") as tmp:
        samples, blocks = _assemble(recording, Path(tmp))
        rendered = _encode(recording, samples, blocks, Path(tmp))
        data = rendered.read_bytes()
    changed = write_if_changed(target, data)
    duration = len(samples) / SPEECH_RATE_HZ
    return Take(recording.file, duration, blocks, hashlib.sha256(data).hexdigest()), changed


# -- speech ---------------------------------------------------------------------------
def _require_espeak() -> None:
    if not shutil.which("espeak-ng"):
        raise MediaError("espeak-ng was not found on PATH; the demo's voices need it: "
                         "apt-get install espeak-ng (or 'make setup')")


@functools.lru_cache(maxsize=None)
def _espeak_version() -> str:
    return run(["espeak-ng", "--version"], what="espeak-ng --version").stdout.strip()


def _speak(person: Person, text: str, path: Path) -> np.ndarray:
    """One line in the person's voice, as float samples at SPEECH_RATE_HZ."""
    voice = person.voice
    run(["espeak-ng", "-v", voice.espeak, "-s", str(voice.speed), "-p", str(voice.pitch),
         "-w", str(path), text], what=f"demo: speaking a line of {person.name}")
    with wave.open(str(path), "rb") as handle:
        if handle.getframerate() != SPEECH_RATE_HZ or handle.getsampwidth() != 2:
            raise MediaError(f"{path}: espeak-ng wrote {handle.getframerate()} Hz / "
                             f"{8 * handle.getsampwidth()}-bit; the demo expects {SPEECH_RATE_HZ} Hz 16-bit")
        pcm = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")
    return pcm.astype(np.float64) / 32768 * 10 ** (voice.level_db / 20)


def _speak_all(recording: Recording, tmp: Path) -> dict[int, np.ndarray]:
    """Every line of the take, by item index (espeak-ng runs two at a time)."""
    lines = [(i, item) for i, item in enumerate(recording.items) if isinstance(item, Say)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        clips = pool.map(lambda job: _speak(_PEOPLE[job[1].speaker], job[1].text, tmp / f"{job[0]}.wav"), lines)
        return {index: clip for (index, _), clip in zip(lines, clips)}


# -- assembling a take ----------------------------------------------------------------
def _layout(recording: Recording, clips: dict[int, np.ndarray]) -> tuple[int, list[tuple[int, int, Block]]]:
    """(total samples, [(start sample, length, block)]) with uneven natural gaps."""
    rate, pos, placed = SPEECH_RATE_HZ, round(LEAD_IN_S * SPEECH_RATE_HZ), []
    for index, item in enumerate(recording.items):
        length = len(clips[index]) if index in clips else round(item.seconds * rate)
        if isinstance(item, Say):
            block = Block(pos / rate, (pos + length) / rate, "say", item.speaker, item.cut, item.chapter)
        else:
            block = Block(pos / rate, (pos + length) / rate, "tone" if isinstance(item, Tone) else "silence",
                          cut=True)
        placed.append((pos, length, block))
        pos += length + round(GAPS_S[index % len(GAPS_S)] * rate)
    last_start, last_length, _ = placed[-1]
    return last_start + last_length + round(TAIL_S * rate), placed


def _assemble(recording: Recording, tmp: Path) -> tuple[np.ndarray, tuple[Block, ...]]:
    """(samples × channels float array, blocks): speech over room noise, tone and silences."""
    clips = _speak_all(recording, tmp)
    total, placed = _layout(recording, clips)
    channels = 2 if recording.channels else 1
    mix = _room_noise(total, channels, recording.seed)
    for (start, length, block), (index, item) in zip(placed, enumerate(recording.items)):
        if isinstance(item, Silence):
            mix[start:start + length] = 0.0
        elif isinstance(item, Tone):
            mix[start:start + length] += _tone(length)[:, None]
        else:
            side = recording.channels.index(item.speaker) if recording.channels else 0
            mix[start:start + length, side] += clips[index]
    mix *= 10 ** (recording.gain_db / 20)
    return mix, tuple(block for _, _, block in placed)


def _room_noise(samples: int, channels: int, seed: int) -> np.ndarray:
    """Dark, steady room tone; RandomState's stream is frozen across numpy versions."""
    white = np.random.RandomState(seed).standard_normal((channels, samples))
    kernel = np.ones(ROOM_NOISE_SMOOTH) / ROOM_NOISE_SMOOTH
    dark = np.stack([np.convolve(channel, kernel, mode="same") for channel in white], axis=1)
    rms = float(np.sqrt(np.mean(dark ** 2)))
    return dark * (10 ** (ROOM_NOISE_DBFS / 20) / rms)


def _tone(samples: int) -> np.ndarray:
    t = np.arange(samples) / SPEECH_RATE_HZ
    envelope = np.clip(np.minimum(t, t[-1] - t) / FADE_S, 0.0, 1.0)
    return np.sin(2 * np.pi * TONE_HZ * t) * envelope * 10 ** (TONE_DBFS / 20)


def _write_pcm(samples: np.ndarray, path: Path) -> Path:
    pcm = np.round(np.clip(samples, -1.0, 32767 / 32768) * 32768).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(samples.shape[1])
        handle.setsampwidth(2)
        handle.setframerate(SPEECH_RATE_HZ)
        handle.writeframes(pcm.tobytes())
    return path


# -- encoding the recorder's file -----------------------------------------------------
def _encode(recording: Recording, samples: np.ndarray, blocks: tuple[Block, ...], tmp: Path) -> Path:
    """The take as the recorder would have written it (format from the file's extension)."""
    pcm = _write_pcm(samples, tmp / "take.wav")
    out = tmp / f"out{Path(recording.file).suffix}"
    if out.suffix == ".mp4":
        cmd = _video_command(recording, pcm, blocks, len(samples) / SPEECH_RATE_HZ, tmp)
    elif out.suffix in (".wav", ".flac"):
        codec = "pcm_s16le" if out.suffix == ".wav" else "flac"
        cmd = ["ffmpeg", "-nostdin", "-y", "-i", str(pcm), "-af", f"aresample={RECORDER_RATE_HZ}", "-c:a", codec]
    else:
        raise CoursecastError(f"demo_script: {recording.file}: no recorder format for "
                              f"'{out.suffix}'; use .wav, .flac or .mp4")
    run([*cmd, *BITEXACT, str(out)], what=f"demo: writing {recording.file}")
    return out


def _video_command(recording: Recording, pcm: Path, blocks, duration: float, tmp: Path) -> list[str]:
    """Colour bars while the line-up tone plays, then a title card with a moving dot and a clock."""
    bars = blocks[0].end if blocks and blocks[0].kind == "tone" else 0.0  # seconds
    (tmp / "title.txt").write_text(recording.title, encoding="utf-8")
    (tmp / "clock.txt").write_text("%{pts:hms}", encoding="utf-8")
    white, red = f"fontfile={FONT}:fontcolor=white", f"fontfile={FONT}:fontcolor=0xe63946"
    picture = (f"[1:v]drawtext={white}:textfile={tmp / 'title.txt'}:fontsize=56:x=(w-tw)/2:y=220,"
               f"drawtext={red}:text=●:fontsize=40:x='mod(t*160,w-tw)':y=540[pic]")
    clock = f"drawtext={white}:textfile={tmp / 'clock.txt'}:fontsize=28:x=w-tw-40:y=h-th-30,format=yuv420p[v]"
    source = f"size={VIDEO_SIZE}:rate={VIDEO_FPS}"
    return [
        "ffmpeg", "-nostdin", "-y",
        "-f", "lavfi", "-i", f"smptehdbars={source}:duration={max(bars, 1 / VIDEO_FPS):.3f}",
        "-f", "lavfi", "-i", f"color=c=0x1d3557:{source}:duration={duration - bars:.3f}",
        "-i", str(pcm),
        "-filter_complex", f"{picture};[0:v][pic]concat=n=2:v=1:a=0,{clock}",
        "-map", "[v]", "-map", "2:a", "-c:v", "libx264", "-preset", "ultrafast", "-threads",
        str(VIDEO_THREADS), "-g", str(2 * VIDEO_FPS), "-c:a", "aac", "-b:a", f"{AAC_KBPS}k",
        "-af", f"aresample={RECORDER_RATE_HZ}", "-movflags", "+faststart", "-shortest",
    ]


def main(argv: list[str] | None = None) -> int:
    """python -m pipeline.demo generate [--dest demo]"""
    import click

    @click.group()
    def cli() -> None:
        """The coursecast demo course."""

    @cli.command("generate")
    @click.option("--dest", type=click.Path(file_okay=False, path_type=Path), default=Path("demo"),
                  show_default=True, help="The demo course folder (course.toml and raw_interviews/).")
    def generate_command(dest: Path) -> None:
        """Generate the demo's recordings and course.toml (deterministic; a re-run is a no-op).

        Example: python -m pipeline.demo generate --dest demo
        """
        try:
            click.echo(f"{dest}: {generate(dest)}")
        except CoursecastError as e:
            raise click.ClickException(str(e)) from e

    return cli.main(args=argv, prog_name="python -m pipeline.demo", standalone_mode=True)

