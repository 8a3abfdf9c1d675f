"""The house shows the pipeline: stages import only core and the public interface of stages upstream of them.

Imports are read from the source (ast), top-level and inside functions alike, so a
late import cannot hide a wrong dependency or a cycle.
"""
from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

from paths import REPO

from conftest import MINIMAL_COURSE, make_tone

PIPELINE = REPO / "pipeline"
ORDER = ("core", "episodes", "transcribe", "speakers", "proofread", "captions", "translate", "video", "printing", "feeds", "site")
SEPARATE = ("demo",)  # builds inputs for the pipeline; may use core only
ENTRY_POINTS = {"__init__.py", "__main__.py", "cli.py", "cli_build.py"}
MAX_LINES = 400  # a module past this is split (STYLE.md, habit 10)


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every pipeline module or package `path` imports, resolved to absolute names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("pipeline")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if not base.startswith("pipeline"):
                continue
            for alias in node.names:  # `from pipeline import video` imports the package pipeline.video
                candidate = f"{base}.{alias.name}"
                found.add(candidate if _exists(candidate) else base)
    return found


def _exists(name: str) -> bool:
    path = REPO.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def sources() -> list[Path]:
    return sorted(PIPELINE.rglob("*.py"))


def stage_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] not in ("cli", "cli_build", "__main__") else None


def test_pipeline_holds_only_entry_points_beside_the_subpackages():
    loose = sorted(p.name for p in PIPELINE.glob("*.py") if p.name not in ENTRY_POINTS)
    assert loose == [], f"modules beside the subpackages: {loose}; move them into core or a stage"
    packages = {p.name for p in PIPELINE.iterdir() if (p / "__init__.py").is_file()}
    assert packages == set(ORDER + SEPARATE), "a subpackage that is neither core, a stage nor the demo"


def test_stages_import_core_and_the_public_interface_of_upstream_stages_only():
    wrong = []
    for path in sources():
        here = stage_of(module_name(path))
        if here is None:
            continue
        for target in imports(path):
            there = stage_of(target)
            if there in (None, here) or there == "core":
                continue
            if here == "core" or here in SEPARATE:
                wrong.append(f"{module_name(path)} imports {target}: {here} may use core only")
            elif target != f"pipeline.{there}":
                wrong.append(f"{module_name(path)} imports {target}: use the public interface pipeline.{there}")
            elif ORDER.index(there) > ORDER.index(here):
                wrong.append(f"{module_name(path)} imports {target}: {there} is downstream of {here}")
    assert wrong == [], "\n".join(wrong)


def test_there_is_no_import_cycle():
    graph = {module_name(p): {t for t in imports(p) if t != module_name(p)} for p in sources()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path + [node, nxt]
            if nxt not in state and (cycle := visit(nxt, path + [node])):
                return cycle
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [])):
            loop = cycle[cycle.index(cycle[-1]):]
            raise AssertionError("import cycle: " + " -> ".join(loop))


def test_no_module_is_the_one_everyone_is_afraid_to_touch():
    long = [f"{p.relative_to(REPO)}: {n} lines" for p in sources()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert long == [], "split these modules:\n" + "\n".join(long)


def test_every_stage_declares_its_public_interface():
    for name in ORDER[1:] + SEPARATE:
        init = PIPELINE / name / "__init__.py"
        if not init.exists():
            continue
        tree = ast.parse(init.read_text(encoding="utf-8"))
        exported = [n for n in tree.body if isinstance(n, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets)]
        assert exported, f"pipeline/{name}/__init__.py has no __all__"
        if name not in SEPARATE:
            names = ast.literal_eval(exported[0].value)
            assert "tasks" in names, f"pipeline.{name} does not export tasks"


def test_a_no_op_status_imports_neither_torch_nor_whisper(tmp_path):
    make_tone(tmp_path / "raw_interviews" / "ep1.wav")
    (tmp_path / "course.toml").write_text(MINIMAL_COURSE, encoding="utf-8")
    script = textwrap.dedent(f"""
        import sys
        from pipeline.cli import cli
        try:
            cli.main(["--course", {str(tmp_path / "course.toml")!r}, "status"], standalone_mode=False)
        finally:
            heavy = sorted(m for m in ("torch", "whisper", "faster_whisper", "ctranslate2", "onnxruntime", "openvino")
                           if m in sys.modules)
            print("HEAVY:" + ",".join(heavy))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert "tasks to build" in result.stdout, result.stdout + result.stderr
    assert "HEAVY:\n" in result.stdout, result.stdout
