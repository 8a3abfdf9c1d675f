"""Every CLI command and make target is documented, and every command's help ends with an example."""
from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def make_targets() -> list[str]:
    text = (ROOT / "Makefile").read_text()
    return re.findall(r"^([a-z]+):.*## ", text, flags=re.M)


def test_every_make_target_is_in_the_readme():
    targets = make_targets()
    assert {"setup", "demo", "test", "bench", "clean", "all"} <= set(targets)
    missing = [t for t in targets if f"`make {t}`" not in README]
    assert not missing, f"make targets missing from README.md: {missing}"


def test_every_cli_command_is_in_the_readme_with_help_and_example():
    runner = CliRunner()
    assert cli.commands, "no commands registered"
    for name, command in cli.commands.items():
        assert f"`coursecast {name}" in README, f"coursecast {name} is not documented in README.md"
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, result.output
        assert "Example:" in result.output, f"coursecast {name} --help has no example"


def test_readme_opens_with_the_two_commands():
    head = README[:1500]
    assert "make demo" in head and "make test" in head
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_setting_is_in_the_readme():
    import dataclasses

    from pipeline.core.settings import STAGE_SETTINGS

    for table, cls in STAGE_SETTINGS.items():
        assert f"`[{table}]`" in README, f"[{table}] is not documented in README.md"
        missing = [f.name for f in dataclasses.fields(cls) if f"| `{f.name}` |" not in README]
        assert not missing, f"[{table}] keys missing from README.md: {missing}"
