"""The demo course: deterministic espeak-ng interviews generated into demo/raw_interviews/."""
from .generate import generate

__all__ = ["generate"]
