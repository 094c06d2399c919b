"""Which model answers is said in one short line; the reasoning with -v; nothing with -q."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seqtui.cli import app
from seqtui.store import catalog

runner = CliRunner()


@pytest.fixture
def passed_over(tmp_path: Path) -> list[str]:
    """A config whose model_dir holds a run never compared with en-fr: en-fr answers in its place."""
    mine = tmp_path / "models" / "my-run"
    shutil.copytree(catalog.shipped()["en-fr"], mine)
    (tmp_path / "sequencer.toml").write_text(f'[paths]\nmodel_dir = "{mine}"\n', encoding="utf-8")
    return ["--config", str(tmp_path / "sequencer.toml"), "--beam", "1"]


@pytest.mark.parametrize("command", [["translate", "Go."], ["repl", "--plain"], ["predict", "-i", "-", "-o", "-"]])
def test_a_passed_over_run_costs_one_short_line(passed_over, command):
    result = runner.invoke(app, [*command, *passed_over], input="Go.\n")
    assert result.exit_code == 0, result.output
    said = result.stderr.splitlines()
    assert said[0].startswith("model: the shipped en-fr model") and said[0].endswith("not your run (-v says why)")
    assert "passed over" not in result.stderr and all(len(line) <= 100 for line in said)


def test_verbose_says_why_and_how_to_choose_it(passed_over):
    result = runner.invoke(app, ["translate", *passed_over, "-v", "Go."])
    assert result.exit_code == 0, result.output
    assert "is passed over: it has not been compared with en-fr" in result.stderr and "chooses it" in result.stderr
    assert "-v says why" not in result.stderr


def test_quiet_says_nothing_about_the_model(passed_over):
    result = runner.invoke(app, ["translate", *passed_over, "-q", "Go."])
    assert result.exit_code == 0, result.output
    assert result.stderr == "" and result.stdout.strip()
