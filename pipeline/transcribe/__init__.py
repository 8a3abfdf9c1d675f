"""The transcribe stage: the episode's ASR audio -> what Whisper heard, with word times.

Heavy imports (torch, Whisper, CTranslate2) stay inside the functions that need them,
so importing this package (e.g. for `coursecast status`) is instant.
"""
from .engines import DecodeOptions, Listened, VadOptions, set_parallelism
from .glossary import respell
from .guards import tighten_word
from .models import choose, load_whisper, offline_folder, offline_version, shared_whisper
from .stage import (
    Heard,
    HeardResult,
    ListenJob,
    check,
    decode_options,
    episode_terms,
    glossary_terms,
    heard_parts,
    listen,
    notes,
    preflight,
    tasks,
    transcribe,
    vocabulary_prompt,
)

__all__ = ["DecodeOptions", "Heard", "HeardResult", "ListenJob", "Listened", "VadOptions", "check", "choose",
           "decode_options", "episode_terms", "glossary_terms", "heard_parts", "listen", "load_whisper", "notes",
           "offline_folder", "offline_version", "preflight",
           "respell", "set_parallelism", "shared_whisper", "tasks", "tighten_word", "transcribe", "vocabulary_prompt"]
