"""Every CLI command and its error paths, through typer's CliRunner."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seqtui.cli import app
from seqtui.store import bundle
from tests.conftest import TINY_FLAGS, cli_flags

runner = CliRunner()


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    listed = re.findall(r"^│ (\w+) ", result.output, re.M)  # each row of the Commands panel starts with its name
    # by name, not as text anywhere in the help: "train" is also in `runs`' "training time"
    assert {"train", "translate", "predict", "repl", "evaluate", "dashboard"} <= set(listed), listed


def test_train_then_translate(tmp_path, tiny_corpus):
    model_dir = tmp_path / "m"
    result = runner.invoke(app, ["train", "--train-dir", str(tiny_corpus), "--model-dir", str(model_dir),
                                 *cli_flags(TINY_FLAGS), "--epochs", "2"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^\s+2\s+\d\.\d{4}", result.output, re.M)  # the epoch-2 row
    assert "model saved in" in result.output
    result = runner.invoke(app, ["translate", "--model-dir", str(model_dir), "Go.", "Help!"])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 2


def test_train_refuses_occupied_model_dir(tmp_path, tiny_corpus, trained_bundle):
    result = runner.invoke(app, ["train", "--train-dir", str(tiny_corpus), "--model-dir", str(trained_bundle),
                                 *cli_flags(TINY_FLAGS)])
    assert result.exit_code == 1
    assert "already holds model.keras and a checkpoint; pass --resume" in result.stderr


def test_train_bad_config_value(tmp_path, tiny_corpus):
    result = runner.invoke(app, ["train", "--train-dir", str(tiny_corpus), "--val-split", "1.5"])
    assert result.exit_code == 2
    assert "'--val-split': must be less than 1.0" in result.stderr
    assert "Traceback" not in result.output


def test_train_missing_corpus(tmp_path):
    result = runner.invoke(app, ["train", "--train-dir", str(tmp_path / "nope"), "--model-dir", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "no such file or folder" in result.stderr


def test_unknown_flag_is_a_usage_error():
    assert runner.invoke(app, ["train", "--epoch", "3"]).exit_code == 2


def test_translate_reports_unknown_characters_and_exits_zero(trained_bundle):
    result = runner.invoke(app, ["translate", "--model-dir", str(trained_bundle), "Go €!", ""])
    assert result.exit_code == 0
    assert "unknown character: '€' at 3" in result.stderr
    assert result.stdout.splitlines()[1] == ""


def test_translate_without_model_names_the_folder(tmp_path):
    result = runner.invoke(app, ["translate", "--model-dir", str(tmp_path), "Go."])
    assert result.exit_code == 1
    assert f"no trained model in {tmp_path}" in result.stderr and "seqtui train" in result.stderr


def test_repl_plain_streams_each_line(trained_bundle):
    result = runner.invoke(app, ["repl", "--plain", "--beam", "1", "--model-dir", str(trained_bundle)],
                           input="Go.\nHelp!\n")
    assert result.exit_code == 0
    engine = bundle.load(trained_bundle).engine()
    assert result.stdout == engine.translate("Go.").text + "\n" + engine.translate("Help!").text + "\n"


def test_predict_writes_a_new_tsv_each_time(tmp_path, trained_bundle):
    inp = tmp_path / "in.txt"
    inp.write_text("Go.\nI see.\tJe comprends.\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["predict", "--model-dir", str(trained_bundle), "--input", str(inp), "--output", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    assert runner.invoke(app, args).exit_code == 0
    files = sorted(out.glob("in_*.tsv"))
    assert len(files) == 2
    lines = files[0].read_text(encoding="utf-8").splitlines()
    assert lines[0] == "source\ttranslation\treference\tmodel"
    assert lines[2].startswith("I see.\t") and f"\tJe comprends.\tyour model in {trained_bundle} (3 of 3" in lines[2]


def test_predict_unwritable_output(tmp_path, trained_bundle):
    inp = tmp_path / "in.txt"
    inp.write_text("Go.\n", encoding="utf-8")
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = runner.invoke(app, ["predict", "--model-dir", str(trained_bundle), "--input", str(inp),
                                 "--output", str(blocker / "sub")])
    assert result.exit_code == 1
    assert "cannot write predictions" in result.stderr


def test_evaluate_json(trained_bundle):
    import json

    result = runner.invoke(app, ["evaluate", "--model-dir", str(trained_bundle), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"chrf", "bleu", "exact", "loss", "accuracy", "pairs"} <= set(report)
    assert report["pairs"] == 8 and report["loss"] > 0


def test_model_dir_that_is_a_file(tmp_path, tiny_corpus):
    f = tmp_path / "models"
    f.write_text("")
    result = runner.invoke(app, ["train", "--train-dir", str(tiny_corpus), "--model-dir", str(f)])
    assert result.exit_code == 1
    assert "model_dir is a file" in result.stderr


def test_config_command_prints_settings(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[training]\nepochs = 7\n")
    result = runner.invoke(app, ["config", "--config", str(cfg)])
    assert result.exit_code == 0 and "[training]" in result.stdout
    assert any(line.split() == ["epochs", "=", "7", "#", "set", "in", "c.toml"] for line in result.stdout.splitlines())


def test_readme_commands_exist():
    """The commands of the README's and docs/'s examples."""
    root = Path(__file__).resolve().parents[1]
    docs = "".join(p.read_text(encoding="utf-8") for p in [root / "README.md", *sorted(root.glob("docs/*.md"))])
    code = "\n".join(re.findall(r"```sh\n(.*?)```", docs, re.S))
    commands = set(re.findall(r"(?:^|&&|\|)\s*seqtui (\w+)", code, re.M))  # seqtui at a command's start
    assert {"dashboard", "train", "translate", "repl", "predict", "evaluate", "data"} <= commands
    for cmd in commands:
        assert runner.invoke(app, [cmd, "--help"]).exit_code == 0, cmd


@pytest.mark.parametrize("args", [["translate", "--help"], ["predict", "--help"], ["repl", "--help"]])
def test_subcommand_help(args):
    assert runner.invoke(app, args).exit_code == 0


def test_predict_on_a_missing_input_names_its_own_setting(tmp_path):
    """Catches the training hint (train_dir) on predict's error, which sent users to the wrong setting."""
    result = runner.invoke(app, ["predict", "--model", "en-fr", "-i", str(tmp_path / "none.txt")])
    assert result.exit_code == 1 and "--input, or predict_in" in result.stderr and "train_dir" not in result.stderr
