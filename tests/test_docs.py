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


def _field_comments(cls) -> dict[str, str]:
    """The comment on each field's line in the settings source: the field's meaning."""
    import inspect
    import io
    import tokenize

    comments, name = {}, None
    for token in tokenize.generate_tokens(io.StringIO(inspect.getsource(cls)).readline):
        if token.type == tokenize.NAME and token.start[1] == 4 and name is None:
            name = token.string
        elif token.type == tokenize.COMMENT and name:
            comments[name] = token.string.lstrip("#").strip()
        elif token.type == tokenize.NEWLINE:
            name = None
    return comments


def _toml(value, name: str = "") -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple) and value == () and name == "models":
        return "{}"  # a table of strings: language -> model
    if isinstance(value, tuple):
        return json.dumps(list(value))
    return json.dumps(value, ensure_ascii=False)


def test_every_setting_has_its_default_and_meaning_in_the_readme():
    import dataclasses

    from pipeline.core.settings import STAGE_SETTINGS

    wrong = []
    for table, cls in STAGE_SETTINGS.items():
        meanings = _field_comments(cls)
        for field in dataclasses.fields(cls):
            row = re.search(rf"^\| `{field.name}` \| (.*?) \| (.*?) \|$", _table_text(table), flags=re.M)
            expected = (f"`{_toml(field.default, field.name)}`", meanings.get(field.name, ""))
            if row is None or (row.group(1), row.group(2).strip()) != expected:
                wrong.append(f"[{table}].{field.name}: README has {row.groups() if row else None}, "
                             f"the code says {expected}")
    assert not wrong, "\n".join(wrong)


def _table_text(table: str) -> str:
    """The README's settings table of one [table]."""
    start = README.index(f"\n`[{table}]`:")
    end = README.find("\n`[", start + 1)
    return README[start:end if end > 0 else None]
