"""The coursecast command line: thin over the library; the only place errors become exit codes."""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from .core import clean as cleaning
from .core import course_file, course_init, course_list, forecast, layout, paths, runner, stages
from .core.course_media import probe_sources
from .core.dependency import StateStore
from .core.errors import REPORT_BUGS, CoursecastError
from .cli_build import EXIT_BAD_INPUT, EXIT_FAILED, _fail, build_stages, where_options

DEFAULT_COURSE = "course.toml"
MAX_LISTED = 40  # lines of "left alone" that clean prints


class Context:
    def __init__(self, course_path: Path, jobs: int, wait: bool, quiet: bool):
        self.course_path, self.jobs, self.wait, self.quiet = course_path, jobs, wait, quiet

    def load(self, probe: bool = True):
        course = course_file.load(self.course_path)
        if probe:  # wrong-kind paths first: ffprobe, hashing or reading a FIFO would never return
            paths.require(course)
            probe_sources(course, course.folder(layout.STATE) / "probe.json")
        return course


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--course", "course_path", type=click.Path(path_type=Path),
              default=lambda: os.environ.get("COURSECAST_COURSE", DEFAULT_COURSE), show_default="course.toml",
              help="The course file, or its folder (meaning FOLDER/course.toml; also $COURSECAST_COURSE).")
@click.option("-v", "--verbose", is_flag=True, help="Log every external command exactly as run.")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems and the summary.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=lambda: os.cpu_count() or 1,
              show_default="number of cores", help="Episodes processed in parallel.")
@click.option("--no-wait", is_flag=True, help="Stop instead of waiting when another build holds the course.")
@click.pass_context
def cli(ctx: click.Context, course_path: Path, verbose: bool, quiet: bool, jobs: int, no_wait: bool) -> None:
    """coursecast: raw interviews -> podcast episodes, transcripts, captioned video, PDFs and feeds.

    Example: coursecast --course demo/course.toml build
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(name)s: %(message)s", stream=sys.stderr)
    ctx.obj = Context(course_init.course_path(course_path), jobs, not no_wait, quiet)


def _stage_command(stage: stages.Stage) -> click.Command:
    @click.pass_obj
    @click.option("--episode", "episodes", multiple=True, metavar="SLUG", help="Only this episode (repeatable).")
    @where_options
    def command(ctx: Context, episodes: tuple[str, ...], executor: str | None, scheduler: str | None) -> None:
        build_stages(ctx, [stage.name], episodes, None, executor, scheduler)

    command.__doc__ = f"{stage.help}\n\nRuns what it needs first.\n\nExample: coursecast {stage.name}"
    return click.command(stage.name)(command)


for _stage in stages.available():
    cli.add_command(_stage_command(_stage))


@cli.command()
@click.option("--episode", "episodes", multiple=True, metavar="SLUG", help="Only this episode (repeatable).")
@click.option("--timings", type=click.Path(dir_okay=False, path_type=Path),
              help="Write each task's wall seconds to this JSON file.")
@where_options
@click.pass_obj
def build(ctx: Context, episodes: tuple[str, ...], timings: Path | None, executor: str | None,
          scheduler: str | None) -> None:
    """Build every stage, in order, redoing only what changed.

    Example: coursecast --course demo/course.toml -j 2 build --executor dask
    """
    build_stages(ctx, None, episodes, timings, executor, scheduler)


@cli.command()
@click.pass_obj
def status(ctx: Context) -> None:
    """Show what is stale and why, per episode and stage.

    Example: coursecast status
    """
    try:
        course = ctx.load()
        tasks = stages.all_tasks(course)
        store = StateStore(course.folder(layout.STATE))
    except CoursecastError as e:
        _fail(e, EXIT_BAD_INPUT)
    found = forecast.plan(tasks, store)  # the stale tasks, and those their outputs feed: all will build
    store.hashes.save()
    for line in forecast.status_lines(found, tasks, forecast.Rates(course.folder(layout.STATE)), ctx.jobs):
        click.echo(line)


@cli.command()
@click.pass_obj
def check(ctx: Context) -> None:
    """Validate the course file, the recordings and every built output.

    Example: coursecast --course demo/course.toml check
    """
    try:
        course = ctx.load()
        problems, notes = stages.checks(course), stages.notes(course)
        tasks = stages.all_tasks(course)
        store = StateStore(course.folder(layout.STATE))
        unbuilt = runner.outstanding(tasks, store)
        store.hashes.save()
    except CoursecastError as e:
        _fail(e, EXIT_BAD_INPUT)
    if course.episodes:
        from .episodes import loudness_summary

        click.echo("Loudness (measured on the encoded files):")
        for line in loudness_summary(course):
            click.echo(f"  {line}")
    click.echo("Outputs:" if unbuilt else f"Outputs: all {len(tasks)} tasks' outputs are built and up to date.")
    for line in unbuilt:
        click.echo(f"  {line}")
    if notes:
        click.echo("Notes (worth a look; not failures):")
    for line in notes:
        click.echo(f"  {line}")
    for problem in problems:
        click.echo(problem)
    if problems or unbuilt:
        click.echo(f"{len(problems) + len(unbuilt)} problem(s) found.", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(f"{course.path.name}: course file, recordings and outputs are fine.")


@cli.command()
@click.argument("episode")
@click.pass_obj
def diff(ctx: Context, episode: str) -> None:
    """Show what editors changed against the machine transcript, and the word error rate between them.

    Example: coursecast --course demo/course.toml diff what-is-a-smart-city
    """
    from .proofread import diff_report, edit_sources, episode_title, read_machine

    try:
        course = ctx.load(probe=False)
        paths.require(course)  # an editing file that is a FIFO, a folder or a link out: named, never read
        course_list.require_episodes(course, [episode])
        chosen = course.episode(episode)
        sources = edit_sources(course, chosen)
        machine = read_machine(sources, layout.machine_transcript(course, chosen))
        click.echo(diff_report(sources, machine, episode_title(chosen)).render())
    except CoursecastError as e:
        _fail(e, EXIT_BAD_INPUT)


@cli.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def clean(ctx: Context, yes: bool) -> None:
    """Delete what the build made, and only that; list what was left alone.

    Reads the course file first. Deletes the files the course's tasks write and the
    files the build recorded writing (outputs of removed episodes too); never edits/,
    raw_interviews/, files the course file points at, people's own files, or anything
    through a symbolic link.

    Example: coursecast --course demo/course.toml clean --yes
    """
    try:
        course = ctx.load(probe=False)
        tasks = stages.all_tasks(course)
        if not yes:
            count = len(cleaning.plan(course, tasks).delete)
            if not click.confirm(f"Delete {count} file(s) the build made under {course.root}?"):
                return
        with runner.build_lock(course.folder(layout.STATE), wait_for_it=ctx.wait,
                               notify=lambda m: click.echo(m, err=True)):
            report = cleaning.run(cleaning.plan(course, tasks))
    except CoursecastError as e:
        _fail(e, EXIT_BAD_INPUT)
    plan = cleaning.CleanPlan(course.root, report.deleted, report.kept)
    click.echo(f"Deleted {len(report.deleted)} file(s) the build made under {course.root}; "
               f"{layout.EDITS}/ and {layout.RAW}/ untouched.")
    if report.kept:
        click.echo(f"Left alone ({len(report.kept)}):")
        for kept in report.kept[:MAX_LISTED]:
            click.echo(f"  {plan.rel(kept.path)}: {kept.why}")
        if len(report.kept) > MAX_LISTED:
            click.echo(f"  ... and {len(report.kept) - MAX_LISTED} more")


@cli.command()
@click.pass_obj
def demo(ctx: Context) -> None:
    """Generate the demo course's recordings (deterministic) and build every stage.

    The demo course lives in demo/ (course.toml is committed; the recordings are
    generated). At the end it lists what was built and where.

    Example: coursecast --course demo/course.toml demo
    """
    from .demo import generate

    root = Path(ctx.course_path).resolve().parent
    try:
        report = generate(root)
    except CoursecastError as e:
        _fail(e, EXIT_BAD_INPUT)
    click.echo(f"Demo recordings ready in {root / layout.RAW} ({report}).", err=True)
    build_stages(ctx, None)
    _summary(root)
    click.echo(f"\nCourse website: {layout.site_index(ctx.load(probe=False))}\n"
               f"  (open it, or preview it with: coursecast --course {ctx.course_path} serve)")


def _summary(root: Path) -> None:
    """What a build produced, by kind, with paths a person can open."""
    kinds = [("Podcast audio", layout.EPISODES, ("*.mp3", "*.m4a")),
             ("Video", layout.EPISODES, ("*.mp4",)),
             ("Transcripts and captions", layout.TRANSCRIPTS, ("*.json", "*.vtt", "*.srt", "*.txt")),
             ("PDFs", layout.TRANSCRIPTS, ("*.pdf",)),
             ("Feeds", layout.FEEDS, ("*.xml",))]
    click.echo("\nBuilt:")
    for label, folder, patterns in kinds:
        files = sorted(f for p in patterns for f in (root / folder).glob(p) if not f.name.startswith("."))
        if files:
            click.echo(f"  {label} ({len(files)}) in {root / folder}/:")
            click.echo("    " + ", ".join(f.name for f in files))


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--bind", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.pass_obj
def serve(ctx: Context, port: int, bind: str) -> None:
    """Preview the course website over HTTP, with byte ranges so players can seek.

    Serves the course folder's published folders (site/ and the episodes,
    transcripts and feeds it links; never raw_interviews/ or edits/) until
    Ctrl-C. Build the site first with `coursecast site`.

    Example: coursecast --course demo/course.toml serve --port 8000
    """
    from .site.serve import make_server

    try:
        course = ctx.load(probe=False)
        index = layout.site_index(course)
        if not index.is_file():
            raise CoursecastError(f"{index}: the site is not built; run 'coursecast site' first")
        published = (layout.EPISODES, layout.TRANSCRIPTS, layout.FEEDS, layout.SITE)  # never the recordings
        server = make_server(course.root, bind, port, log=not ctx.quiet, published=published)
    except CoursecastError as e:
        _fail(e, EXIT_BAD_INPUT)
    except OSError as e:
        _fail(CoursecastError(f"cannot listen on {bind}:{port} ({e.strerror}); choose another --port"), EXIT_FAILED)
    host, bound = server.server_address[:2]
    click.echo(f"Serving {course.root} at http://{host}:{bound}/{index.relative_to(course.root).as_posix()} "
               "(Ctrl-C to stop)")
    with server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            click.echo("\nStopped.")


# -- a producer's first hour: init, list ---------------------------------------------------
@cli.command()
@click.argument("folder", required=False, default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default="", help="The course's title (default: from the folder's name).")
def init(folder: Path, title: str) -> None:
    """Start a course: a commented course.toml showing every key, and its folders.

    Writes FOLDER/course.toml (never over an existing one) with two example
    episodes, and raw_interviews/ (with module1/ and voices/) and edits/.

    Example: coursecast init my-course --title "Smart cities"
    """
    try:
        made = course_init.create(folder, title)
    except CoursecastError as e:
        _fail(e, EXIT_BAD_INPUT)
    click.echo(f"Created {made[0]}" + "".join(f"\n  {p}/" for p in made[1:]))
    click.echo(f"Next: edit {made[0]} (title, speakers, episodes), copy your recordings into {folder / layout.RAW}/, "
               f"then run: coursecast --course {folder} list, check and build")


@cli.command("list")
@click.pass_obj
def list_episodes(ctx: Context) -> None:
    """List the course's modules and episodes: slug, title, kind, length kept, built or not.

    Example: coursecast --course demo list
    """
    try:
        course = ctx.load(probe=False)
        store = StateStore(course.folder(layout.STATE))
        found = course_list.rows(course, stages.all_tasks(course), store)
        store.hashes.save()
    except CoursecastError as e:
        _fail(e, EXIT_BAD_INPUT)
    for line in course_list.render(course, found):
        click.echo(line)


@cli.command("update-edits")
@click.argument("episodes", nargs=-1, metavar="[EPISODE]...")
@click.pass_obj
def update_edits(ctx: Context, episodes: tuple[str, ...]) -> None:
    """Bring editing files made before a recut up to date, keeping the editors' corrections.

    Only the files `check` finds out of date (all, or EPISODE...); the old file is kept beside it.

    Example: coursecast --course demo update-edits what-is-a-smart-city
    """
    from .proofread import update_course

    try:
        course = ctx.load(probe=False)
        course_list.require_episodes(course, episodes)
        with runner.build_lock(course.folder(layout.STATE), wait_for_it=ctx.wait,
                               notify=lambda m: click.echo(m, err=True)):
            click.echo("\n".join(update_course(course, episodes)))
    except CoursecastError as e:
        _fail(e, EXIT_BAD_INPUT)


EXIT_INTERNAL = 3  # a bug in coursecast, not in the user's input


def main() -> None:
    try:
        cli(prog_name="coursecast", standalone_mode=True)
    except Exception as e:  # a bug: one line for people, the traceback only with -v
        logging.getLogger("coursecast").debug("internal error", exc_info=True)
        click.echo(f"Error: internal error in coursecast (a bug, not a mistake of yours): {type(e).__name__}: {e}. "
                   f"Please {REPORT_BUGS}.", err=True)
        sys.exit(EXIT_INTERNAL)
