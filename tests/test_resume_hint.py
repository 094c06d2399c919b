"""The line a stopped `seqtui train` ends with says how to continue that very run: it repeats the
command's own --config and flags, and never reads ./sequencer.toml again (under --config it is not
the run's file; by then it may be broken)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from seqtui.store.resume import resume_flags
from tests.conftest import write_corpus

ROOT = Path(__file__).resolve().parents[1]


def test_the_hint_is_the_arguments_as_given() -> None:
    flags = resume_flags(Path("runs/x.toml"), {"model_dir": Path("my run"), "epochs": 50, "reverse": False,
                                               "metrics": [], "beam": None})
    assert flags == " --config runs/x.toml --model-dir 'my run' --epochs 50 --no-reverse"


def test_a_stopped_run_under_config_names_that_config(tmp_path: Path) -> None:
    (tmp_path / "sequencer.toml").write_text("[model]\nlatent_dim = 'broken'\n")  # the folder's own, broken
    corpus = write_corpus(tmp_path / "tiny.txt")
    run_config = tmp_path / "run.toml"
    run_config.write_text(f'[paths]\ntrain_dir = "{corpus}"\nmodel_dir = "{tmp_path / "m"}"\n[model]\nlatent_dim = 16\n'
                          'embedding_dim = 8\n[training]\nbatch_size = 4\nnum_samples = 0\nepochs = 500\n'
                          'patience = 0\njit_compile = "false"\n')
    proc = subprocess.Popen([sys.executable, "-m", "seqtui", "train", "--config", str(run_config), "--no-samples"],
                            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    end = time.time() + 120
    while not (tmp_path / "m" / "history.jsonl").exists():
        assert proc.poll() is None and time.time() < end, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    hint = " ".join(err.split())
    assert f"Continue with: seqtui train --resume --config {run_config}" in hint and "error" not in hint
