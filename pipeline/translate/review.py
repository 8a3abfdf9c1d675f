"""What the translator should look at (`transcripts/<slug>.<lang>.review.txt`) and what `check` says."""
from __future__ import annotations

from ..core.timecode import format_timecode

# `job` is a stage.TranslateJob and `plan` a stage.Plan (not imported: the stage module imports this one).


def summary(job, plan) -> str:
    """One line: published or not, and why."""
    total, missing = len(plan.cues), len(plan.missing)
    if missing:
        return (f"{job.language}: {missing} of {total} cues untranslated, so not published; translate them in "
                f"edits/{job.sheet.name}")
    mine = total - plan.machine
    return f"{job.language}: published: {mine} of {total} cues by a translator, {plan.machine} machine drafts"


def review_text(job, plan) -> str:
    lines = [f"Translation of '{job.episode}' into {summary(job, plan)}.",
             f"Drafts: {job.engine.label if job.engine.kind != 'none' else 'no engine for this pair'}"
             + (f" (not installed: {job.engine.missing})" if job.engine.missing else "") + ".", ""]
    if plan.changed:
        lines.append(f"Source changed ({len(plan.changed)} cue(s)): the words spoken are no longer those in "
                     f"{job.sheet.name}. Write the new source line and its translation on that cue's lines:")
        lines += [f"  {format_timecode(plan.cues[i].start)}  now: {plan.cues[i].text}"
                  + (f"\n      draft: {plan.drafts[i]}" if plan.drafts[i] else "") for i in plan.changed]
        lines.append("")
    if plan.missing:
        lines.append(f"Untranslated ({len(plan.missing)} cue(s)):")
        lines += [f"  cue at {format_timecode(plan.cues[i].start)}: {plan.cues[i].text}" for i in plan.missing]
        lines.append("")
    return "\n".join(lines) + "\n"
