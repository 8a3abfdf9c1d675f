"""The sound benchmark: voices levelled, noise and hum reduced, measured side by side.

    python -m benchmarks.bench_sound [--out bench/stages/sound] [--quick]

On the evaluation set of benchmarks/sound_data.py (real speech from ../shared/speech),
four versions of every item (raw, today's one linear gain, the new pipeline, ffmpeg
`afftdn` + `speechnorm`), then each noise reducer alone on the noise cases (the
measurement that chose the default), with: the spread of the voices' loudness, the
short-term loudness range over speech (p10-p90), the floor in pauses against the
speech, PESQ and STOI against the clean reference, the WER of standalone
faster-whisper tiny.en, and the seconds of processing per hour of audio. A/B
excerpts (raw, new) of every item go to <out>/listen/ as WAV.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy.io import wavfile

from pipeline.core.asr_audio import SAMPLE_RATE
from pipeline.episodes import denoise, reducers

from . import sound_data as data
from . import sound_measure as measure

EXCERPT_S = 12.0  # seconds of each item written for listening
OUT = Path(__file__).resolve().parents[1] / "bench" / "stages" / "sound"


def _excerpt(folder: Path, name: str, version: str, audio: np.ndarray) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    clip = audio[:int(EXCERPT_S * SAMPLE_RATE)]
    clip = clip * min(1.0, 0.99 / max(float(np.abs(clip).max()), 1e-9))
    slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    wavfile.write(folder / f"{slug}.{version}.wav", SAMPLE_RATE, (clip * 32767).astype(np.int16))


def _measured(item: data.Item, audio: np.ndarray, seconds: float, asr) -> dict:
    found = measure.levels(audio, item.turns, list(item.speech))
    row = {"voices_lufs": [round(v, 2) for v in found.voices_lufs], "spread_lu": round(found.spread_lu, 2),
           "range_lu": round(found.range_lu, 2), "floor_db": round(found.floor_db, 1),
           "pause_short_db": round(found.pause_short_db, 1),
           "s_per_hour": round(seconds / (len(audio) / SAMPLE_RATE) * 3600, 1)}
    if item.text:
        pesq, stoi = measure.quality(audio, item.clean)
        row.update(pesq=round(pesq, 2), stoi=round(stoi, 3))
        if asr is not None:
            row["wer"] = asr.wer(audio, item.text)
    return row


def versions(items: list[data.Item], asr, listen: Path) -> dict:
    results = {}
    for item in items:
        print(f"sound: {item.name}", file=sys.stderr, flush=True)
        results[item.name] = {}
        for name in measure.VERSIONS:
            audio, seconds = measure.version(name, item.audio, item.turns)
            results[item.name][name] = _measured(item, audio, seconds, asr)
            if name in ("raw", "new", "baseline"):
                _excerpt(listen, item.name, name, audio)
    return results


def reducer_choice(items: list[data.Item], asr) -> dict:
    """Each reducer alone (after the same high-pass and hum notches) on the noise cases."""
    results = {}
    for item in items:
        results[item.name] = {}
        for name in reducers.NAMES:
            started = time.perf_counter()
            audio = denoise.clean(item.audio, SAMPLE_RATE, "on", reducer=name)[0]
            results[item.name][name] = _measured(item, audio, time.perf_counter() - started, asr)
    return results


def _cell(row: dict, key: str, fmt: str) -> str:
    return format(row[key], fmt) if key in row else "-"


def _table(results: dict, columns: tuple[str, ...]) -> list[list[str]]:
    rows = [["item", "version", "spread LU", "range LU", "pause floor dB", "PESQ", "STOI", "WER %", "s per hour"],
            ["---"] * 9]
    for item, by_version in results.items():
        for version in columns:
            r = by_version[version]
            rows.append([item, version, f"{r['spread_lu']:.1f}", f"{r['range_lu']:.1f}", f"{r['floor_db']:.1f}",
                         _cell(r, "pesq", ".2f"), _cell(r, "stoi", ".3f"), _cell(r, "wer", ".1f"),
                         f"{r['s_per_hour']:.0f}"])
    return rows


def run(out: Path, *, quick: bool = False, transcribe: bool = True) -> dict:
    """The versions table, the reducers table, excerpts under out/listen."""
    if not data.available():
        return {"skipped": f"{data.SPEECH} is missing", "table": [["skipped", f"{data.SPEECH} is missing"]]}
    asr = measure.Transcriber() if transcribe else None
    noise = [data.noisy("pink", 10.0), data.noisy("hum", 20.0)] if quick else data.noise_set()
    items = [data.two_voices(), data.drift(), data.clean(), *noise]
    found = versions(items, asr, out / "listen")
    chosen = reducer_choice([i for i in noise if "SNR 10" in i.name or "SNR 5" in i.name], asr)
    table = _table(found, measure.VERSIONS) + [["", "", "", "", "", "", "", "", ""]] + \
        _table(chosen, reducers.NAMES)[2:]
    result = {"versions": found, "reducers": chosen, "table": table}
    (out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_sound", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--quick", action="store_true", help="two noise cases instead of eleven")
    parser.add_argument("--no-wer", action="store_true", help="skip the transcriptions")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    result = run(args.out, quick=args.quick, transcribe=not args.no_wer)
    print("\n".join("| " + " | ".join(row) + " |" for row in result["table"]))


if __name__ == "__main__":
    main()
