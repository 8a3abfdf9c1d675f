"""The transcribe stage: the episode's ASR audio -> what Whisper heard, with word times.

Heavy imports (torch, Whisper, CTranslate2) stay inside the functions that need them,
so importing this package (e.g. for `coursecast status`) is instant.
"""
from .engines import set_parallelism
from .models import choose, load_whisper
from .stage import check, tasks, transcribe

__all__ = ["check", "choose", "load_whisper", "set_parallelism", "tasks", "transcribe"]
