"""Translating never imports TensorFlow (nor Keras): the API, `translate`, `repl --plain`, `predict` and
`--help` start in a second or two instead of the several seconds TensorFlow takes to import.

Each case runs in a fresh interpreter, since this test process has long imported TensorFlow itself.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from seqtui.store import bundle, catalog

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("tensorflow", "keras", "jax")

API = """
import json, sys
import seqtui
tr = seqtui.load(sys.argv[1])
tr.translate("Go."), tr.translate_many(["Go.", "Help!"]), list(tr.stream("Hi."))
print(json.dumps(sorted(m for m in {heavy!r} + ("textual",) if m in sys.modules)))
"""

# The same with the network closed: every socket connection fails, so a model that needed a download fails.
OFFLINE = """
import socket
def refuse(*args, **kwargs):
    raise OSError("offline")
socket.socket.connect = socket.socket.connect_ex = socket.create_connection = refuse
""" + API

# Runs the CLI as `python -m seqtui` does, and says at exit (after typer's SystemExit) what got imported.
CLI = """
import atexit, json, runpy, sys
atexit.register(lambda: print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr))
sys.argv = ["seqtui", *sys.argv[1:]]
runpy.run_module("seqtui", run_name="__main__")
"""


def run(script: str, args: list[str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script.format(heavy=HEAVY), *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_the_api_translates_without_tensorflow_keras_or_the_ui(trained_bundle):
    done = run(API, [str(trained_bundle)])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []


@pytest.mark.parametrize("args, stdin", [
    (["translate", "Go.", "Help!"], ""),
    (["repl", "--plain"], "Go.\nHelp!\n"),
    (["predict"], ""),
    (["--help"], ""),
])
def test_the_cli_translates_without_tensorflow_or_keras(trained_bundle, tmp_path, args, stdin):
    if args == ["predict"]:
        (tmp_path / "in.txt").write_text("Go.\nHelp!\n", encoding="utf-8")
        args = [*args, "--input", str(tmp_path / "in.txt"), "--output", str(tmp_path / "out")]
    if args != ["--help"]:
        args = [*args, "--model-dir", str(trained_bundle)]
    done = run(CLI, args, stdin)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr.splitlines()[-1]) == []


@pytest.mark.parametrize("name", sorted(catalog.shipped()))
def test_each_shipped_model_translates_offline_without_tensorflow(name):
    done = run(OFFLINE, [name])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []


@pytest.mark.parametrize("wins", [False, True], ids=["passed-over", "answers"])
def test_translate_weighs_the_configs_run_against_the_shipped_model_without_tensorflow(trained_bundle, tmp_path,
                                                                                      wins):
    """No --model-dir: the run in the config's model_dir is weighed against the shipped model (its recorded
    comparison read), then whichever answers decodes: still no TensorFlow, whether it is passed over or not."""
    from seqtui.records import last_marked
    from seqtui.store.rundir import RunDir
    from seqtui.store.saved import Comparison

    mine = tmp_path / "models" / "my-run"
    shutil.copytree(trained_bundle, mine)
    best = last_marked(bundle.read_history(mine))
    RunDir(mine).record_comparison(Comparison("en-fr", best.epoch, 8, 50.0 + (1 if wins else -1), 50.0))
    (tmp_path / "sequencer.toml").write_text(f'[paths]\nmodel_dir = "{mine}"\n', encoding="utf-8")
    # -v: the reasoning is read and said too, still without TensorFlow
    done = run(CLI, ["translate", "-v", "--config", str(tmp_path / "sequencer.toml"), "Go."])
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stderr.split())
    if wins:
        assert f"model: your model in {mine}" in said
    else:
        assert "model: the shipped en-fr model" in said and f"your run in {mine} is passed over" in said
    assert json.loads(done.stderr.splitlines()[-1]) == []
