"""The translate stage: machine drafts (Apertium, Whisper into English), the translator's file, and the
published translations `transcripts/<slug>.<lang>.json/.vtt/.srt/.txt` the later stages read."""
from .checks import check, notes, preflight
from .engines import APERTIUM_PAIRS, EngineChoice, engine_for, whisper_translate
from .stage import Plan, TranslateJob, plan, tasks, translate, translate_job

__all__ = ["APERTIUM_PAIRS", "EngineChoice", "Plan", "TranslateJob", "check", "engine_for", "notes", "plan",
           "preflight", "tasks", "translate", "translate_job", "whisper_translate"]
