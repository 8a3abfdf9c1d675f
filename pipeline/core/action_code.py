"""What a task's action runs: the project source it reaches and the versions of the libraries it calls.

`dependency.StateStore` puts both into every task's key, so fixing a bug in an action or upgrading a
library rebuilds what they made, with no version number to remember to bump.

The code is found by reading the source (`ast`), never by importing it: from the action's function,
every name it uses is followed to the top-level statement of its module that binds it (a function, a
class, a constant, an import), and from there on, so `from ..episodes import read_chapters` reaches
`read_chapters` and what it uses, not the whole episodes stage. An import of a module
(`from . import engines`, `import pipeline.core.layout`) reaches all of it; a package imported as such
means its `__init__.py`. Imports inside functions count like any other. A module's digest covers the
statements reached in it (their source lines: a change elsewhere in the file changes nothing), and is
recorded under its file name, so `status` can say "code changed: pipeline/captions/split.py".

Library versions come from the installed distributions' metadata (`importlib.metadata`, which imports
nothing) and, for "ffmpeg", from `ffmpeg -version`. Everything is computed once per process, and each
action's digests are remembered between runs (~/.cache/coursecast/code-keys.json) with the size, mtime
and inode of the files they were read from, so a no-op `status` parses no source.
"""
from __future__ import annotations

import ast
import functools
import hashlib
import importlib.metadata
import inspect
import json
import logging
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from .errors import MediaError
from .fsutil import write_json
from .model_choice import cache_dir

ROOT = Path(__file__).resolve().parents[2]  # the folder holding the `pipeline` package
PROJECT = __name__.split(".")[0]  # "pipeline": only its modules are followed
EVERYTHING = "*"  # reach every statement of a module (`import x`, `from pkg import module`)
FFMPEG = "ffmpeg"  # the library name that means the ffmpeg build on PATH
NOT_INSTALLED = "not installed"  # the version recorded for a library that is missing
DIGEST_CHARS = 16  # hex characters kept of a sha256 (collisions are not a concern at this scale)
# The build machinery: it decides staleness and calls actions, and never shapes what an action writes
# (a change to it that matters changes the keys themselves). Every stage imports `Task` from it.
MACHINERY = frozenset({f"{PROJECT}.core.dependency", f"{PROJECT}.core.runner", f"{PROJECT}.core.progress",
                       f"{PROJECT}.core.stages", __name__})


@dataclass(frozen=True)
class Unit:
    """One top-level statement of a module (an import: one of its names), as the reach follows it."""

    binds: frozenset[str]  # the module-level names it defines (none: it runs whenever the module is imported)
    uses: frozenset[str]  # every name it reads (a name it only assigns uses no module-level binding)
    edges: tuple[tuple[str, str], ...]  # (module, name or EVERYTHING) of the project imports in it
    outside: frozenset[str]  # top-level names of the other imports in it, the standard library's left out
    digest: str  # sha256 of its syntax tree (no comments, no line numbers)


@dataclass(frozen=True)
class Module:
    path: Path  # its source file
    units: tuple[Unit, ...]  # its top-level statements, in order

    def binders(self, name: str) -> list[int]:
        return [i for i, unit in enumerate(self.units) if name in unit.binds]


# -- reading one module -----------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def project_file(name: str) -> Path | None:
    """The source file of project module `name` (a package: its __init__.py); None when it is not one."""
    if name != PROJECT and not name.startswith(PROJECT + "."):
        return None
    base = ROOT.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _file(name: str) -> Path | None:
    found = project_file(name)
    if found is None and getattr(sys.modules.get(name), "__file__", None):  # an action outside the project (tests)
        found = Path(sys.modules[name].__file__)
    return found


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".")
    anchor = parts[: len(parts) - node.level + 1]
    return ".".join(anchor + ([node.module] if node.module else []))


def _edges(imports: list[ast.AST], package: str) -> list[tuple[str, str]]:
    """(module, name or EVERYTHING) for each project import among `imports`."""
    edges = []
    for inner in imports:
        if isinstance(inner, ast.Import):
            edges += [(a.name, EVERYTHING) for a in inner.names if project_file(a.name)]
        else:
            base = _absolute(inner, package)
            for alias in inner.names:
                if project_file(f"{base}.{alias.name}"):  # `from pipeline import video`: the subpackage
                    edges.append((f"{base}.{alias.name}", EVERYTHING))
                elif project_file(base):
                    edges.append((base, EVERYTHING if alias.name == "*" else alias.name))
    return edges


def _bound(node: ast.stmt) -> set[str]:
    """Names a top-level statement binds (compound statements: those of the statements inside)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    targets = {ast.Assign: lambda n: n.targets, ast.AnnAssign: lambda n: [n.target],
               ast.AugAssign: lambda n: [n.target]}.get(type(node))
    if targets:
        return {n.id for t in targets(node) for n in ast.walk(t) if isinstance(n, ast.Name)}
    inner = [s for child in ast.iter_child_nodes(node)  # if, try, with: what the statements inside bind
             for s in (child.body if isinstance(child, ast.ExceptHandler) else [child]) if isinstance(s, ast.stmt)]
    return {name for statement in inner for name in _bound(statement)}


def _unit(node: ast.stmt, package: str, lines: list[bytes]) -> Unit:
    names, imports = set(), []
    for inner in ast.walk(node):  # one walk: the names it reads, the imports in it
        if isinstance(inner, ast.Name) and not isinstance(inner.ctx, ast.Store):  # `engine: X` in a class binds
            names.add(inner.id)
        elif isinstance(inner, (ast.Import, ast.ImportFrom)):
            imports.append(inner)
    if isinstance(node, (ast.Import, ast.ImportFrom)):  # one name of an import: its own small tree
        text = ast.dump(node).encode()
    else:  # the statement's lines, its decorators included
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
        text = b"".join(lines[first - 1:node.end_lineno])
    return Unit(frozenset(_bound(node)), frozenset(names), tuple(_edges(imports, package)), _outside(imports),
                hashlib.sha256(text).hexdigest())


def _outside(imports: list[ast.AST]) -> frozenset[str]:
    names = [a.name for i in imports if isinstance(i, ast.Import) for a in i.names]
    names += [i.module for i in imports if isinstance(i, ast.ImportFrom) and not i.level and i.module]
    tops = {name.split(".")[0] for name in names}
    return frozenset(t for t in tops if t != PROJECT and t not in sys.stdlib_module_names)


def _split(node: ast.stmt) -> list[ast.stmt]:
    """An import of several names becomes one statement per name, so each is followed only when used."""
    if isinstance(node, (ast.Import, ast.ImportFrom)) and len(node.names) > 1:
        copy = (lambda a: ast.Import([a])) if isinstance(node, ast.Import) else \
            (lambda a: ast.ImportFrom(node.module, [a], node.level))
        return [copy(alias) for alias in node.names]
    return [node]


@functools.lru_cache(maxsize=None)
def parse(name: str) -> Module | None:
    """The module's statements, read from its source; None when it has no source file."""
    path = _file(name)
    if path is None:
        return None
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    source = path.read_bytes()
    tree, lines = ast.parse(source, filename=str(path)), source.splitlines(keepends=True)
    return Module(path, tuple(_unit(piece, package, lines) for node in tree.body for piece in _split(node)))


# -- following an action ----------------------------------------------------------------------
def reach(module: str, names: Iterable[str]) -> dict[str, set[int]]:
    """Module -> the indices of its statements that `names` of `module` reach, transitively."""
    reached: dict[str, set[int]] = {}
    todo = [(module, name) for name in names]
    seen: set[tuple[str, str]] = set()
    while todo:
        current, name = todo.pop()
        if (current, name) in seen or current in MACHINERY:
            continue
        seen.add((current, name))
        source = parse(current)
        if source is None:
            continue
        if current not in reached:  # importing a module runs its statements that bind nothing
            reached[current] = set()
            for i, unit in enumerate(source.units):
                if not unit.binds:
                    _take(source, i, current, reached, todo)
        wanted = range(len(source.units)) if name == EVERYTHING else source.binders(name)
        for i in wanted:
            if i not in reached[current]:
                _take(source, i, current, reached, todo)
    return reached


def _take(source: Module, index: int, module: str, reached: dict[str, set[int]], todo: list) -> None:
    unit = source.units[index]
    reached[module].add(index)
    todo += [(module, used) for used in unit.uses]
    todo += list(unit.edges)


def rel(path: Path) -> str:
    """A source file as status names it: 'pipeline/captions/split.py'."""
    path = Path(path).resolve()
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.as_posix()


def _read_action_code(module: str, name: str) -> tuple[dict[str, str], list[Path]]:
    """(file name -> digest of the statements reached in it, the source files read)."""
    digests, files = {}, []
    for current, indices in reach(module, [name]).items():
        source = parse(current)
        digest = hashlib.sha256("".join(source.units[i].digest for i in sorted(indices)).encode())
        digests[rel(source.path)] = digest.hexdigest()[:DIGEST_CHARS]
        files.append(source.path)
    return digests, files


@functools.lru_cache(maxsize=None)
def _action_code(module: str, name: str) -> tuple[tuple[str, str], ...]:
    digests = REMEMBERED.get(f"{ROOT}|{module}:{name}", lambda: _read_action_code(module, name))
    return tuple(sorted(digests.items()))


def _stamp(path: Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


class Remembered:
    """Each action's digests, kept between runs with the (size, mtime, inode) of every file they were read from,
    this module's included: a no-op `status` reads no source. Only a cache: a damaged or unwritable one is
    ignored, and the source is read again."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._entries: dict[str, Any] | None = None

    def get(self, key: str, read: Callable[[], tuple[dict[str, str], list[Path]]]) -> dict[str, str]:
        with self._lock:
            entry = self._load().get(key)
        if isinstance(entry, dict) and entry.get("stamps") and \
                all(_stamp(Path(p)) == stamp for p, stamp in entry["stamps"].items()):
            return dict(entry["digests"])
        digests, files = read()
        with self._lock:
            self._load()[key] = {"stamps": {str(p): _stamp(p) for p in {*files, Path(__file__)}}, "digests": digests}
            try:
                write_json(self.path, self._entries)
            except OSError as e:
                logging.getLogger("coursecast.state").debug("%s: not saved (%s)", self.path, e)
        return digests

    def _load(self) -> dict[str, Any]:
        if self._entries is None:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}
            self._entries = data if isinstance(data, dict) else {}
        return self._entries


REMEMBERED = Remembered(cache_dir().parent / "code-keys.json")  # ~/.cache/coursecast/code-keys.json


@functools.lru_cache(maxsize=None)
def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:DIGEST_CHARS]
    except OSError:
        return "missing"


def code_digests(action: Callable[[Any], Any], files: Iterable[Path] = ()) -> dict[str, str]:
    """'pipeline/captions/split.py' -> digest, for every source file the action reaches and every data file
    of the package it reads (`files`: templates, hashed whole)."""
    plain = inspect.unwrap(action)
    found = dict(_action_code(plain.__module__, plain.__qualname__.split(".")[0]))
    found.update({rel(path): _file_digest(Path(path)) for path in files})
    return found


def imported_outside(action: Callable[[Any], Any]) -> set[str]:
    """Top-level names of the libraries the code an action reaches imports ('reportlab', 'PIL'), for the
    test that every one is declared in the task's `libraries` or known not to shape its outputs."""
    plain = inspect.unwrap(action)
    reached = reach(plain.__module__, [plain.__qualname__.split(".")[0]])
    return {name for module, indices in reached.items() for i in indices for name in parse(module).units[i].outside}


# -- library versions -------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def version(name: str) -> str:
    """The installed version of distribution `name` ('4.2.0'), or of the ffmpeg build for "ffmpeg"."""
    if name == FFMPEG:
        from .media import ffmpeg_version  # the only subprocess here, run once per process

        try:
            return ffmpeg_version()
        except MediaError:
            return NOT_INSTALLED
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return NOT_INSTALLED


def library_versions(names: Iterable[str]) -> dict[str, str]:
    """'reportlab' -> '4.2.0' for each library a task declares."""
    return {name: version(name) for name in dict.fromkeys(names)}
