"""The edges of the command line agree: one exit-code rule, one-line errors, hints that name the
command's own flags, help without type names, `--version`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

import seqtui
from seqtui.cli import app
from seqtui.store import catalog
from tests.conftest import TINY_FLAGS, TINY_PAIRS, cli_flags

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


# -- reading input: strictly UTF-8, wherever it comes from ---------------------------------------------


def test_translate_refuses_an_argument_that_is_not_utf8():
    """The OS hands over bytes; Python spells the undecodable ones as lone surrogates, which the model
    would translate as garbage. Caught: translating '\\udce9' instead of stopping."""
    result = runner.invoke(app, ["translate", "--model", "en-fr", "Go.", "caf\udce9"])
    assert result.exit_code == 1
    assert result.stdout == ""  # checked before anything is decoded
    assert "argument 2: bytes that are not UTF-8 (byte 3); re-encode it as UTF-8" in result.stderr


def test_repl_plain_reads_stdin_as_strict_utf8():
    result = runner.invoke(app, ["repl", "--plain", "--model", "en-fr"], input="Go.\ncaf\xe9!\n".encode("latin-1"))
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 1  # the good line was answered first
    assert "<stdin>:2: bytes that are not UTF-8 (byte 7)" in result.stderr and "\udce9" not in result.output


def test_predict_reads_stdin_for_dash_with_the_same_error(tmp_path):
    bad = runner.invoke(app, ["predict", "--model", "en-fr", "-i", "-", "-o", str(tmp_path)],
                        input="caf\xe9\n".encode("latin-1"))
    assert bad.exit_code == 1 and "<stdin>:1: bytes that are not UTF-8 (byte 3); re-encode it as UTF-8" in bad.stderr
    file = tmp_path / "in.txt"
    file.write_bytes("Go.\ncaf\xe9\n".encode("latin-1"))
    from_file = runner.invoke(app, ["predict", "--model", "en-fr", "-i", str(file), "-o", str(tmp_path)])
    assert from_file.exit_code == 1 and f"{file}:2: bytes that are not UTF-8" in from_file.stderr


def test_predict_dash_translates_stdin_and_counts_in_the_singular(tmp_path):
    result = runner.invoke(app, ["predict", "--model", "en-fr", "--beam", "1", "-i", "-", "-o", str(tmp_path)],
                           input="I'm hungry.\tJ'ai faim.\n")
    assert result.exit_code == 0, result.output
    written = list(tmp_path.glob("stdin_*.tsv"))
    assert len(written) == 1
    assert result.stdout == f"<stdin> → {written[0]} (1 sentence)\n"
    head, row = written[0].read_text(encoding="utf-8").splitlines()
    assert head == "source\ttranslation\treference\tmodel" and row.startswith("I'm hungry.\t")
    assert row.split("\t")[2:] == ["J'ai faim.", catalog.choose(tmp_path, "en-fr").describe()]


# -- what an answer shows ----------------------------------------------------------------------------


def test_nbest_entries_that_differ_only_in_spacing_show_the_difference():
    from seqtui.decode.decoding import Hypothesis
    from seqtui.decode.heatmap import nbest_lines

    nbest = [Hypothesis("À ?", (0.5, 0.5, 0.5, 0.5), True), Hypothesis("Où ?", (0.4,) * 5, True),
             Hypothesis("À\u202f?", (0.3,) * 4, True)]
    lines = nbest_lines(nbest).plain.splitlines()
    assert lines[0].startswith("1. À ?  (") and lines[2].startswith("3. À\\u202f?  (")
    assert lines[1].startswith("2. Où ?  (")  # no twin: shown as it is


def test_a_far_too_long_input_gets_a_warning(trained_bundle):
    from seqtui.store import bundle

    longest = bundle.load(trained_bundle).meta.max_source_len
    assert longest == max(len(s) for s, _ in TINY_PAIRS)
    fits = runner.invoke(app, ["translate", "--model-dir", str(trained_bundle), "x" * (2 * longest)])
    assert fits.exit_code == 0 and "warning" not in fits.stderr
    long = runner.invoke(app, ["translate", "--model-dir", str(trained_bundle), "x" * (2 * longest + 1)])
    assert long.exit_code == 0
    assert f"warning: the input is {2 * longest + 1} characters, over 2× the longest sentence this model was " \
           f"trained on ({longest})" in " ".join(long.stderr.split())


def test_predict_counts_the_far_too_long_inputs(tmp_path):
    result = runner.invoke(app, ["predict", "--model", "en-fr", "--beam", "1", "-i", "-", "-o", str(tmp_path)],
                           input="Go.\n" + "I am here, " * 16 + "\n")  # one sentence of 175: over 2x the longest, 78
    assert result.exit_code == 0
    assert "warning: <stdin>: 1 sentence far longer than any this model was trained on" in result.stderr
    assert "(2 sentences)" in result.stdout


# -- seqtui config -----------------------------------------------------------------------------------


def test_config_names_the_file_it_read_and_the_keys_it_set(tmp_path, monkeypatch):
    cfg = tmp_path / "mine.toml"
    cfg.write_text("[training]\nepochs = 7\n")
    out = runner.invoke(app, ["config", "--config", str(cfg)]).stdout.splitlines()
    assert out[0] == f"# read from {cfg.resolve()}; a key it does not set has its default"
    assert next(ln for ln in out if ln.split() == ["epochs", "=", "7", "#", "set", "in", "mine.toml"])
    assert next(ln for ln in out if ln.split() == ["batch_size", "=", "64", "#", "default"])
    monkeypatch.chdir(tmp_path)  # no sequencer.toml here
    bare = runner.invoke(app, ["config"]).stdout.splitlines()
    assert bare[0].startswith("# no sequencer.toml in") and "every key has its default" in bare[0]


# -- TensorFlow's own logs -----------------------------------------------------------------------------

TF_CHATTER = ("absl::InitializeLog", "cudart_stub", "cuInit", "cpu_feature_guard", "oneDNN", "This TensorFlow binary")


def _run_quiet(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """The CLI in a fresh interpreter, as from a user's shell: no TF_CPP_MIN_LOG_LEVEL set beforehand."""
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "ABSL_MIN_LOG_LEVEL")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "seqtui", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.parametrize("command", ["evaluate", "train"])
def test_no_command_prints_tensorflows_logs(tmp_path, tiny_corpus, command):
    """The C++ start-up lines go to fd 2 before Python's logging exists; caught: `evaluate` imported
    Keras plainly (for the masked loss) before the quiet import, and printed them all."""
    if command == "evaluate":
        args = ["evaluate", "--model", "en-fr", "--data", str(tiny_corpus), "--limit", "3"]
    else:
        args = ["train", "--train-dir", str(tiny_corpus), "--model-dir", str(tmp_path / "m"),
                *cli_flags({**TINY_FLAGS, "epochs": 1, "steps_per_epoch": 1}), "--no-samples"]
    done = _run_quiet(args, tmp_path)
    assert done.returncode == 0, done.stderr
    assert not [c for c in TF_CHATTER if c in done.stderr], done.stderr


# -- the commands of the README and docs/ -------------------------------------------------------------


def _readme_command_lines() -> list[list[str]]:
    import shlex

    docs = "".join(p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *sorted(ROOT.glob("docs/*.md"))])
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", docs, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            for part in re.split(r"&&|\|", line.split("  #")[0]):
                words = shlex.split(part.strip())
                if words[:1] == ["seqtui"]:
                    lines.append(words[1:])
    return lines


def test_every_flag_the_readme_names_exists_on_its_command():
    """Caught: flags in the README's or docs/'s examples drifting from the code (a renamed or removed flag left
    in an example)."""
    lines = _readme_command_lines()
    assert len(lines) > 10
    for words in lines:
        path = [w for w in words[:2] if not w.startswith("-")][: 2 if words[:1] == ["data"] else 1]
        flags = {w.split("=")[0] for w in words if w.startswith("--")}
        assert flags <= _flags_of(path), f"seqtui {' '.join(words)}: {flags - _flags_of(path)}"


def test_the_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    install = re.search(r"## Install\n.*?```sh\n(.*?)```", readme, re.S).group(1).splitlines()
    assert len(install) == 2 and "python3 -m venv" in install[0] and "pip install -e '.[dev]'" in install[0]
    assert install[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_each_commands_summary_is_one_paragraph_that_help_wraps_itself() -> None:
    """`seqtui --help` keeps a docstring's line breaks: predict's and dashboard's summaries broke mid-sentence
    ("the file's `model`" alone on a line) wherever the source line ended."""
    import typer

    def commands(group):
        for name, cmd in group.commands.items():
            yield name, cmd
            yield from commands(cmd) if hasattr(cmd, "commands") else ()

    broken = [name for name, cmd in commands(typer.main.get_command(app))
              if "\n" in (cmd.help or "").strip().split("\n\n")[0]]
    assert broken == []


def test_a_corpus_too_small_to_validate_names_the_file_and_its_skipped_lines(tmp_path):
    """One good pair and one line without a tab: the error says which file, counts the pair in the singular
    and names the skipped line, so the user sees why so little was read."""
    corpus = tmp_path / "bad.txt"
    corpus.write_text("Go.\tVa !\nbroken line without tab\n", encoding="utf-8")
    result = runner.invoke(app, ["train", "--train-dir", str(corpus), "--model-dir", str(tmp_path / "m"),
                                 "--epochs", "1"])
    assert result.exit_code == 1
    line = " ".join(result.stderr.split())
    assert f"{corpus}: only 1 pair, none left for validation" in line and "bad.txt:2 no tab" in line
