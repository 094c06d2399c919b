"""Output at 80 columns: tables that fit the terminal, `seqtui config` aligned, and nothing wrapped that
goes into a file or a pipe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seqtui.cli import app
from seqtui.report import runs
from tests.on_terminal import run_on_terminal
from tests.runs_fixtures import make_three_runs

runner = CliRunner()
NARROW = {"COLUMNS": "80"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _screen(text: str) -> list[str]:
    return [ANSI.sub("", line) for line in text.splitlines()]


@pytest.fixture
def three_runs(tmp_path: Path) -> Path:
    return make_three_runs(tmp_path / "runs")


def test_runs_fits_an_80_column_terminal_without_breaking_a_cell(three_runs):
    session = run_on_terminal(["runs", str(three_runs)], timeout=60)
    assert session.code == 0, session.output
    lines = _screen(session.output)
    assert all(len(line) <= 80 for line in lines), lines
    header = next(line for line in lines if line.split()[:1] == ["run"])
    for name in ("attn-chrf", "base", "group/resumed"):  # a row a line, the name whole
        row = next(line for line in lines if line.split()[:1] == [name])
        assert len(row.split()) >= len(header.split()) - 1  # only a blank cell may be missing
    assert {"run", "epochs", "state", "best"} <= set(header.split()) < set(runs.COLUMNS)


def test_wide_shows_every_column_on_one_line(three_runs):
    session = run_on_terminal(["runs", "--wide", str(three_runs)], timeout=60)
    assert session.code == 0, session.output
    header = next(line for line in _screen(session.output) if line.split()[:1] == ["run"])
    assert header.split() == list(runs.COLUMNS)


def test_runs_into_a_pipe_has_every_column_unbroken(three_runs):
    result = runner.invoke(app, ["runs", str(three_runs)], env=NARROW)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert next(line for line in lines if line.split()[:1] == ["run"]).split() == list(runs.COLUMNS)
    assert next(line for line in lines if line.split()[:1] == ["attn-chrf"]).split()[1] == "attention"


def test_config_aligns_its_values_and_explains_on_request(tmp_path):
    (tmp_path / "sequencer.toml").write_text("[training]\nepochs = 7\n", encoding="utf-8")
    session = run_on_terminal(["config"], cwd=tmp_path, timeout=60)
    assert session.code == 0, session.output
    keys = [line for line in _screen(session.output) if " = " in line]
    assert len(keys) > 40 and len({line.index(" = ") for line in keys}) == 1
    assert all(len(line) <= 80 for line in keys if str(tmp_path) not in line)
    assert any(line.split() == ["epochs", "=", "7", "#", "set", "in", "sequencer.toml"] for line in keys)
    explained = run_on_terminal(["config", "--explain"], cwd=tmp_path, timeout=60)
    lines = _screen(explained.output)
    assert all(len(line) <= 80 for line in lines if str(tmp_path) not in line)
    epochs = next(i for i, line in enumerate(lines) if line.startswith("epochs "))
    assert lines[epochs + 1].startswith("#   ") and "(default 100)" in " ".join(lines[epochs + 1:epochs + 4])


def test_evaluate_on_a_fresh_clone_scores_the_shipped_model_on_the_sample_unwrapped(tmp_path, tiny_corpus):
    (tmp_path / "sequencer.toml").write_text(f'[paths]\ntrain_dir = "{tiny_corpus}"\nmodel_dir = "models/my-run"\n',
                                             encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "--config", str(tmp_path / "sequencer.toml"), "--limit", "12"],
                           env=NARROW)
    assert result.exit_code == 0, result.output
    assert f"note: the shipped en-fr model's own validation pairs are not here; scoring it on {tiny_corpus}" \
        in result.stderr
    headline = result.stdout.splitlines()[0]
    assert headline.startswith("pairs 12  chrF ") and "accuracy" in headline and headline.endswith("s)")
