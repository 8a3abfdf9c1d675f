"""The site stage: the built outputs -> a static course website in `site/` of the course folder.

Pages are plain HTML and CSS with one small script, linked relatively, so the
site works opened from the disk (file://) and uploaded under the course's
base_url; `site.serve` previews it over HTTP with range requests. Public interface:
`tasks` and `check` (the stage contract), the page renderers, `link_problems`.
"""
from __future__ import annotations

from ._deps import Course, layout
from .links import problems as link_problems
from .render import course_page, episode_page, module_page
from .stage import tasks

__all__ = ["check", "course_page", "episode_page", "link_problems", "module_page", "tasks"]


def check(course: Course) -> list[str]:
    """Broken links in the built site: a missing file, a missing anchor, a resource from elsewhere."""
    site = course.folder(layout.SITE)
    pages = sorted(site.rglob("*.html")) if site.is_dir() else []
    return [problem for page in pages for problem in link_problems(page, course.root)]
