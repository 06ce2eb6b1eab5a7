"""The README's promises hold: its two commands, the CLI commands it lists, CI's command."""

from __future__ import annotations

import re

import pytest

from chainscout.cli import main

from .conftest import ROOT  # type: ignore[import-not-found]

README = (ROOT / "README.md").read_text(encoding="utf-8")
README_ZH = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")


def first_commands(text: str) -> list[str]:
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block, "the README opens with a bash block"
    return [ln for ln in block.group(1).splitlines() if ln and not ln.startswith("#")]


def test_the_first_screen_gives_the_two_commands() -> None:
    demo, tests = first_commands(README)
    assert demo.endswith("chainscout demo") and "pip install -e ." in demo
    assert tests == "./scripts/test"
    assert README.index("```bash") < 1500  # on the first screen
    assert first_commands(README_ZH) == [demo, tests]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    _, tests = first_commands(README)
    assert re.search(rf"^{re.escape(tests)}\s*$", ci, re.M)


@pytest.mark.parametrize(
    "command", sorted(set(re.findall(r"^\| `chainscout ([\w-]+)", README, re.M)))
)
def test_every_listed_command_exists(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert "Usage" in capsys.readouterr().out
