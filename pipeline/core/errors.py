"""The project's exception types. Only the CLI turns them into exit codes."""
from __future__ import annotations

REPORT_BUGS = ("run the same command again with -v to see the details, and report it with that output and the "
               "course file to the coursecast maintainers (the project's issue tracker)")  # said with every bug


class CoursecastError(Exception):
    """A problem a person can fix: the message names the file, what is wrong and the fix."""


class CourseFileError(CoursecastError):
    """One or more problems in the course file, all reported at once."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the course file:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


class PreflightError(CoursecastError):
    """What stops a build before any work: missing tools, fonts, models, unusable artwork; all listed."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} stop the build before it starts:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


class MediaError(CoursecastError):
    """A recording or encode that ffmpeg could not handle (stderr kept)."""


class StageError(CoursecastError):
    """A stage could not produce its outputs; names the episode and what to do."""


class BuildLockedError(CoursecastError):
    """Another build holds the course's lock."""


class StateError(CoursecastError):
    """The build's own record (.coursecast/) is damaged or unreadable; the message names the file and the fix."""


class PathError(CoursecastError):
    """Paths the course needs that are the wrong kind of thing; every one listed with its fix."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count} path{'s' if count != 1 else ''} in the course folder {'are' if count != 1 else 'is'} " \
               "not what coursecast needs there:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))
