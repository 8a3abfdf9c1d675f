"""The site stage's tasks: one per page, each keyed by its job (what the page shows) and the files it reads.

Pages: the course page (`site:index`), a page per module (`site:module:<slug>`)
and a page per episode (`site:episode:<slug>`). The stylesheet and script are
copied by `site:assets`. The code a page's action runs and the templates are part of
every page's key (`code_files`): rendering is cheap, so any change to how pages are
made re-renders them all, with no version to remember to bump.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import render, search
from ._deps import Course, Task, layout, write_text
from .jobs import CourseJob, EpisodeJob, ModuleJob, plan_course, plan_episode, plan_module

STAGE = "site"
ASSETS = render.ASSETS
ASSET_NAMES = ("site.css", "site.js", search.SCRIPT_NAME)
PAGE_WEIGHT = 0.02  # relative cost of rendering a page (no media is decoded)
LIBRARIES = ("jinja2", "markupsafe", "nh3", "mutagen", "langcodes")  # what shapes a page besides its code and templates


@dataclass(frozen=True)
class PageReport:
    target: Path
    bytes: int  # size of the file written


@dataclass(frozen=True)
class AssetsJob:
    """What `site:assets` reads and writes: the package's stylesheet and script, copied into site/assets/."""

    sources: tuple[Path, ...]
    targets: tuple[Path, ...]


def _write(job, html: str) -> PageReport:
    write_text(job.target, html)
    return PageReport(job.target, len(html.encode("utf-8")))


def write_course_page(job: CourseJob) -> PageReport:
    return _write(job, render.course_page(job))


def write_module_page(job: ModuleJob) -> PageReport:
    return _write(job, render.module_page(job))


def write_episode_page(job: EpisodeJob) -> PageReport:
    return _write(job, render.episode_page(job))


def copy_assets(job: AssetsJob) -> list[PageReport]:
    """The stylesheet and script, copied from the package."""
    reports = []
    for source, target in zip(job.sources, job.targets):
        text = source.read_text(encoding="utf-8")
        write_text(target, text)
        reports.append(PageReport(target, len(text.encode("utf-8"))))
    return reports


def _page_task(name: str, action, job, episode: str | None = None) -> Task:
    inputs = (*job.inputs, *getattr(job, "optional_inputs", ()))  # translations: shown while published
    return Task(stage=STAGE, name=name, action=action, job=job, inputs=inputs, targets=(job.target,),
                libraries=LIBRARIES, code_files=tuple(sorted(render.TEMPLATES.glob("*.html"))), episode=episode,
                weight=PAGE_WEIGHT)


def _assets_task(course: Course) -> Task:
    job = AssetsJob(tuple(ASSETS / name for name in ASSET_NAMES),
                    tuple(layout.site_asset(course, name) for name in ASSET_NAMES))
    return Task(stage=STAGE, name="site:assets", action=copy_assets, job=job, inputs=job.sources,
                targets=job.targets, weight=PAGE_WEIGHT)


def _search_task(course: Course) -> Task:
    job = search.plan(course)
    return Task(stage=STAGE, name="site:search", action=search.write_index, job=job, inputs=job.inputs,
                targets=(job.target,), libraries=("mutagen",), weight=PAGE_WEIGHT * max(1, len(job.episodes)))


def tasks(course: Course) -> list[Task]:
    """site:assets, site:search, site:index, site:module:<slug> per module, site:episode:<slug> per episode."""
    result = [_assets_task(course), _search_task(course),
              _page_task("site:index", write_course_page, plan_course(course))]
    for module in sorted(course.modules, key=lambda m: m.number):
        if course.module_episodes(module.number):
            result.append(_page_task(f"site:module:{module.slug}", write_module_page, plan_module(course, module)))
    for episode in sorted(course.episodes, key=lambda e: (e.module, e.number)):
        result.append(_page_task(f"site:episode:{episode.slug}", write_episode_page, plan_episode(course, episode),
                                 episode.slug))
    return result
