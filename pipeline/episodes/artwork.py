"""Artwork: the square cover of the course, of each module and of an episode that has its own.

Artwork named in the course file is checked against what podcast apps accept
(JPEG or PNG, RGB, square, 1400-3000 px) and published as JPEG. Where the
course file names none, clean artwork is generated: course title, module
number and module title on a calm colour, 3000 x 3000 px.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from ..core import layout
from ..core.course import Course, Episode, Module
from ..core.dependency import Task
from ..core.errors import StageError
from ..core.fonts import FontError, first_font
from ..core.fsutil import atomic_path, write_bytes

LIBRARIES = ("pillow",)  # what draws and re-encodes the artwork (the code is keyed by itself)
SIZE_PX = 3000  # generated artwork, square
MIN_PX = 1400  # smallest square podcast apps accept
MAX_PX = 3000  # largest square podcast apps accept
JPEG_QUALITY = 90  # generated and converted artwork
MARGIN_PX = 200  # around the text
LINE_SPACING = 1.18  # line height / font size
FONT_FAMILIES = ("DejaVu Sans", "Noto Sans", "Liberation Sans")  # bold sans, first installed wins
PALETTE = (  # background per module, white text reads on all (contrast > 7:1)
    (23, 54, 93), (20, 83, 75), (94, 38, 76), (120, 50, 30),
    (40, 60, 110), (64, 72, 28), (90, 40, 40), (36, 36, 64),
)
ACCENT = (255, 196, 61)  # the rule under the course title
WHITE = (255, 255, 255)


@dataclass(frozen=True)
class Design:
    course_title: str  # top line(s): the course title (the author on the course's own artwork)
    heading: str  # "MODULE" (or the course subtitle), small caps line
    big: str  # the module number ("" for the course artwork)
    title: str  # module title (or course title), bottom block
    colour: int  # index into PALETTE


def check_image(path: Path, name: str) -> list[str]:
    """Problems with given artwork, each naming the file and the fix; [] when podcast apps accept it."""
    if not path.is_file():
        return [f"{name} does not exist; add the file or remove the 'artwork' key to get generated artwork"]
    try:
        with Image.open(path) as image:
            fmt, (width, height), mode, info = image.format, image.size, image.mode, dict(image.info)
    except (UnidentifiedImageError, OSError):
        return [f"{name} is not a readable image; export it as JPEG or PNG"]
    problems = []
    if fmt not in ("JPEG", "PNG"):
        problems.append(f"{name} is {fmt}; podcast apps need JPEG or PNG")
    if width != height or not MIN_PX <= width <= MAX_PX:
        problems.append(f"{name} is {width}x{height} px; artwork must be square, {MIN_PX}-{MAX_PX} px "
                        f"({MAX_PX}x{MAX_PX} recommended)")
    if not (mode == "RGB" or (mode == "P" and "transparency" not in info)):
        problems.append(f"{name} is in {mode} colour mode; save it as RGB (no transparency, no CMYK, no greyscale)")
    return problems


def publish(source: Path, target: Path, *, name: str) -> Path:
    """Check given artwork and publish it as RGB JPEG (a JPEG is copied byte for byte)."""
    problems = check_image(source, name)
    if problems:
        raise StageError("; ".join(problems))
    with Image.open(source) as image:
        if image.format == "JPEG":
            write_bytes(target, source.read_bytes())
            return target
        converted = image.convert("RGB")
    with atomic_path(target) as tmp:
        converted.save(tmp, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return target


def _font(font: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font), size)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(candidate) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def _fit(font_file: Path, text: str, size: int, width: int, max_lines: int) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest font up to `size` at which `text` wraps into `max_lines` lines of `width`."""
    while True:
        font = _font(font_file, size)
        lines = _wrap(text, font, width)
        if size <= 40 or (len(lines) <= max_lines and all(font.getlength(x) <= width for x in lines)):
            return font, lines
        size = int(size * 0.9)


def _block(draw: ImageDraw.ImageDraw, lines: list[str], font, top: int, fill=WHITE) -> int:
    """Draw left-aligned lines from `top`; returns the y below them."""
    step = int(font.size * LINE_SPACING)
    for index, line in enumerate(lines):
        draw.text((MARGIN_PX, top + index * step), line, font=font, fill=fill)
    return top + step * len(lines)


def render(design: Design, font_file: Path) -> Image.Image:
    image = Image.new("RGB", (SIZE_PX, SIZE_PX), PALETTE[design.colour % len(PALETTE)])
    draw = ImageDraw.Draw(image)
    width = SIZE_PX - 2 * MARGIN_PX
    font, lines = _fit(font_file, design.course_title, 150, width, 3)
    y = _block(draw, lines, font, MARGIN_PX)
    draw.rectangle((MARGIN_PX, y + 60, MARGIN_PX + 600, y + 90), fill=ACCENT)
    font, lines = _fit(font_file, design.heading.upper(), 170, width, 2)
    y = _block(draw, lines, font, y + 260)
    if design.big:
        big = _font(font_file, 1000)
        draw.text((MARGIN_PX - 40, y - 80), design.big, font=big, fill=WHITE)
    font, lines = _fit(font_file, design.title, 230 if design.big else 300, width, 4 if design.big else 6)
    bottom = SIZE_PX - MARGIN_PX - int(font.size * LINE_SPACING) * len(lines)
    _block(draw, lines, font, max(bottom, y + 40))
    return image


def generate(target: Path, design: Design, font_file: Path) -> Path:
    """Write generated 3000 x 3000 artwork as JPEG."""
    with atomic_path(target) as tmp:
        render(design, font_file).save(tmp, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return target


def module_source(course: Course, module: Module) -> str:
    """The course-file artwork a module uses: its own, else the course's, else '' (generated)."""
    return module.artwork or course.info.artwork


def cover_path(course: Course, episode: Episode) -> Path:
    """The published artwork an episode's tags embed."""
    if episode.artwork:
        return layout.episode_artwork(course, episode)
    return layout.artwork(course, course.module(episode.module))


def _designs(course: Course) -> list[tuple[str, Path, str, str, Design]]:
    """(task name, target, given artwork, where it is named, design) for the course and each module."""
    info, name = course.info, course.path.name
    items = [("artwork:course", layout.artwork(course), info.artwork, f"{name} [course].artwork",
              Design(info.author, info.subtitle or "Podcast", "", info.title, 0))]
    for module in course.modules:
        where = f"{name} [[modules]] '{module.slug}'.artwork" if module.artwork else f"{name} [course].artwork"
        items.append((f"artwork:module-{module.number}", layout.artwork(course, module),
                      module_source(course, module), where,
                      Design(info.title, "Module", str(module.number), module.title, module.number - 1)))
    for episode in course.episodes:
        if episode.artwork:
            items.append((f"artwork:{episode.slug}", layout.episode_artwork(course, episode), episode.artwork,
                          f"{name} [[episodes]] '{episode.slug}'.artwork", Design("", "", "", "", 0)))
    return items


@dataclass(frozen=True)
class ArtworkJob:
    """What an artwork task reads: the given artwork to publish, or the design to draw."""

    target: Path  # the published JPEG
    given: Path | None  # artwork the course file names; None: generated
    where: str  # where the course file names it, for messages
    design: Design | None  # what generated artwork shows
    font: Path | None  # the font generated artwork is drawn with


def make_artwork(job: ArtworkJob) -> Path:
    if job.given is not None:
        return publish(job.given, job.target, name=f"{job.where}: {job.given.name}")
    if job.font is None:
        first_font(FONT_FAMILIES, "bold")  # raises FontError: what to install
    return generate(job.target, job.design, job.font)


def _font_file() -> Path | None:
    try:
        return first_font(FONT_FAMILIES, "bold")
    except FontError:
        return None  # the action says what to install


def tasks(course: Course) -> list[Task]:
    result = []
    font = _font_file()
    for task_name, target, given, where, design in _designs(course):
        job = ArtworkJob(target, course.root / given, where, None, None) if given else \
            ArtworkJob(target, None, where, design, font)
        inputs = tuple(p for p in (job.given, job.font) if p is not None)
        result.append(Task(stage="episodes", name=task_name, action=make_artwork, job=job, inputs=inputs,
                           targets=(target,), libraries=LIBRARIES, weight=1.0))
    return result


def check(course: Course) -> list[str]:
    """Problems with the artwork the course file names."""
    problems, seen = [], set()
    for _, _, given, where, _ in _designs(course):
        if given and (given, where) not in seen:
            seen.add((given, where))
            problems += check_image(course.root / given, f"{where}: {given}")
    return problems
