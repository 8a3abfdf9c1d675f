"""The print stage: reading and proofreading PDFs per episode, module and course booklets."""
from .stage import check, preflight, tasks

__all__ = ["check", "preflight", "tasks"]
