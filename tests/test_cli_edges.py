"""The edges of the command line agree: one exit-code rule, one-line errors, hints that name the
command's own flags, help without type names, `--version`."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

import seqtui
from seqtui.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


def one_line_error(result) -> str:
    """The error a command printed: one line on stderr, no box, no traceback."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and "╭" not in result.stderr and "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize("args", [
    ["train", "--epochs", "abc"],  # the wrong type
    ["train", "--epochs", "-3"],  # out of range: the parser's job too, not a config error found later
    ["train", "--val-split", "1.5"],
    ["train", "--architecture", "transformer"],
    ["train", "--encoder", "bilstm", "--latent-dim", "255"],  # flags that contradict each other
    ["train", "--resume", "--fresh"],
    ["train", "--epoch", "3"],  # an unknown flag
    ["translate", "--beam", "0", "Go."],
    ["translate", "--nbest", "3", "--temperature", "0.5", "Go."],
    ["translate", "--model", "en-fr", "--model-dir", "x", "Go."],
    ["runs", "--sort", "speed"],
    ["plot", "x", "--out", "x.png", "--size", "big"],
    ["no-such-command"],
])
def test_a_wrong_command_line_is_one_line_and_exit_2(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    line = one_line_error(result)
    assert "--help lists the options" in line


def test_an_out_of_range_value_names_its_flag_and_the_range():
    line = one_line_error(runner.invoke(app, ["train", "--epochs", "-3"]))
    assert "'--epochs'" in line and "at least 1" in line and "-3" in line


def test_the_same_value_in_a_config_file_is_exit_1(tmp_path):
    """A file's mistake is not a command-line one: exit 1, naming the file and the key."""
    cfg = tmp_path / "c.toml"
    cfg.write_text("[training]\nepochs = -3\n")
    result = runner.invoke(app, ["train", "--config", str(cfg)])
    assert result.exit_code == 1
    line = one_line_error(result)
    assert str(cfg) in line and "epochs: must be at least 1" in line


def test_version_is_the_package_version():
    result = runner.invoke(app, ["--version"])
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert result.exit_code == 0
    assert result.stdout == f"seqtui {seqtui.__version__}\n" and seqtui.__version__ == project["version"]


def _commands(group, path=()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield [*path, name]


def _all_commands():
    import typer.main

    return list(_commands(typer.main.get_command(app)))


@pytest.mark.parametrize("args", [[], *_all_commands()], ids=lambda a: " ".join(a) or "seqtui")
def test_help_shows_placeholders_not_python_types(args):
    result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--help" in result.stdout
    types = re.findall(r"<(?:bool|str|int|float|path|file|list\[[^\]]*\]|[a-z]+ range)>", result.stdout)
    assert not types, types
    assert "{" not in result.stdout.splitlines()[1]  # typer's braces around a required argument


def test_flags_help_shows_no_value_and_options_a_placeholder():
    out = runner.invoke(app, ["train", "--help"], env={"COLUMNS": "200"}).stdout
    assert re.search(r"--resume\s+Continue", out)  # a flag: nothing between it and its help
    assert re.search(r"--epochs\s+N\s+Epochs", out)
    assert re.search(r"--architecture\s+seq2seq\|attention\s", out)


def _flags_of(args: list[str]) -> set[str]:
    import typer.main

    command = typer.main.get_command(app)
    for name in args:
        if not hasattr(command, "commands") or name not in command.commands:
            break
        command = command.commands[name]
    return {o for p in command.params for o in [*p.opts, *p.secondary_opts] if o.startswith("--")}


def assert_hints_name_own_flags(args: list[str]) -> str:
    """Run a failing command; every flag its error names is one of that command's flags."""
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    line = one_line_error(result)
    named = set(re.findall(r"--[a-z][a-z-]*", line))
    assert named <= _flags_of(args), f"{line!r} names {named - _flags_of(args)}"
    return line


def test_data_stats_on_a_missing_path_names_no_training_flag(tmp_path):
    line = assert_hints_name_own_flags(["data", "stats", str(tmp_path / "nope.tsv")])
    assert line == f"error: {tmp_path / 'nope.tsv'}: no such file or folder"


def test_data_stats_on_a_missing_train_dir_names_the_setting_and_the_argument(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[paths]\ntrain_dir = "gone"\n')
    line = assert_hints_name_own_flags(["data", "stats", "--config", str(cfg)])
    assert "train_dir in sequencer.toml, or pass PATH" in line


def test_evaluate_on_a_missing_data_file(tmp_path, trained_bundle):
    line = assert_hints_name_own_flags(["evaluate", "--model-dir", str(trained_bundle), "--data",
                                        str(tmp_path / "nope.tsv")])
    assert "no such file or folder" in line


def test_evaluate_when_the_runs_corpus_is_gone(tmp_path, trained_bundle):
    """The run records where its corpus was: the advice is --data, not training's --train-dir."""
    import json
    import shutil

    run = tmp_path / "run"
    shutil.copytree(trained_bundle, run)
    meta = json.loads((run / "config.json").read_text(encoding="utf-8"))
    meta["config"]["train_dir"] = str(tmp_path / "gone.txt")
    (run / "config.json").write_text(json.dumps(meta), encoding="utf-8")
    line = assert_hints_name_own_flags(["evaluate", "--model-dir", str(run)])
    assert f"{tmp_path / 'gone.txt'}: no such file or folder" in line and "--data FILE" in line


def test_translate_with_an_empty_model_dir_does_not_ask_for_model_dir_again(tmp_path):
    line = assert_hints_name_own_flags(["translate", "--model-dir", str(tmp_path / "mystuff"), "Go."])
    assert f"seqtui train --model-dir {tmp_path / 'mystuff'}" in line and "--model)" in line


@pytest.mark.parametrize("flag", ["--train-dir", "--val-data"])
def test_train_on_a_missing_corpus_names_the_flag_that_sets_it(tmp_path, flag):
    line = assert_hints_name_own_flags(["train", flag, str(tmp_path / "nope.tsv"), "--model-dir", str(tmp_path / "m")])
    assert flag in line
