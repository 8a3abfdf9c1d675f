"""The video stage: closed captions (mov_text per language) and optional burned-in captions."""
from .stage import check, tasks

__all__ = ["check", "tasks"]
