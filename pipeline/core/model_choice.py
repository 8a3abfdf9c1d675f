"""The [transcription] model setting: a Whisper model name, an openai-whisper checkpoint or a CTranslate2 folder;
and the cache folder of the models the stages fetch or convert.

Classified here once, for the course loader (which refuses a setting that is none
of the three) and for the transcribe stage (which loads it).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import StageError

CT2_FILES = ("model.bin", "config.json", "vocabulary.txt")  # a CTranslate2 Whisper folder


def cache_dir() -> Path:
    """~/.cache/coursecast/models (XDG_CACHE_HOME respected): converted Whisper checkpoints and the speaker
    models, outside every repository."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "coursecast" / "models"


def require_ct2_folder(folder: Path) -> None:
    missing = [name for name in CT2_FILES if not (folder / name).is_file()]
    if missing and not (missing == ["vocabulary.txt"] and (folder / "vocabulary.json").is_file()):
        raise StageError(f"{folder}: not a CTranslate2 Whisper folder (missing {', '.join(missing)}); "
                         "point 'model' at a folder with model.bin, config.json and vocabulary.txt")


@dataclass(frozen=True)
class ModelChoice:
    setting: str  # as written in the course file
    kind: str  # "name" (a Whisper model name), "checkpoint" (.pt file) or "ct2" (CTranslate2 folder)
    path: Path | None = None  # the checkpoint file or CTranslate2 folder; None for a name

    @property
    def files(self) -> tuple[Path, ...]:
        """The files whose content is the model (for staleness); none for a name."""
        if self.kind == "ct2":
            return tuple(self.path / n for n in CT2_FILES if (self.path / n).exists())
        return (self.path,) if self.path else ()


def choose(setting: str, root: Path) -> ModelChoice:
    """Classify the `model` setting; relative paths are relative to the course folder."""
    looks_like_path = "/" in setting or setting.endswith(".pt") or setting.startswith(("~", "."))
    path = Path(setting).expanduser()
    path = path if path.is_absolute() else Path(root) / path
    if not looks_like_path and not path.exists():
        return ModelChoice(setting, "name")
    if path.is_dir():
        try:
            require_ct2_folder(path)
        except StageError as e:
            raise StageError(f"[transcription].model = {setting!r}: {e}") from e
        return ModelChoice(setting, "ct2", path)
    if path.is_file() and path.suffix == ".pt":
        return ModelChoice(setting, "checkpoint", path)
    raise StageError(f"[transcription].model = {setting!r}: {path} is neither a .pt checkpoint nor a "
                     "CTranslate2 folder; give a model name such as 'tiny.en' or an existing path")
