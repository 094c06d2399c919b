"""SIGKILL a real training run at random moments, twenty times: after each, the model and checkpoint
load and `--resume` continues; at the end the history is whole and numbered without gaps."""

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seqtui.model.weights import read_keras_file
from seqtui.store import bundle

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.soak  # a fresh TensorFlow process per kill

KILLS = int(os.environ.get("SEQTUI_KILLS", "20"))  # more for a longer soak


def start(corpus: Path, model_dir: Path, epochs: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "seqtui", "train", "--resume", "--train-dir", str(corpus), "--model-dir",
         str(model_dir), "--latent-dim", "32", "--embedding-dim", "16", "--batch-size", "4", "--num-samples", "0",
         "--patience", "0", "--jit-compile", "false", "--no-samples", "--checkpoint-every", "1",
         "--epochs", str(epochs)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def check_loadable(model_dir: Path) -> int:
    """Everything a user relies on after a crash; returns the number of finished epochs."""
    checkpoint = bundle.read_checkpoint(model_dir)
    if checkpoint is None:  # killed before the first checkpoint: nothing to lose yet
        return 0
    read_keras_file(checkpoint.path)
    history = bundle.read_history(model_dir)
    assert [r.epoch for r in history] == list(range(1, len(history) + 1))
    assert len(history) >= checkpoint.epoch  # the history file is written before the checkpoint names it
    if bundle.exists(model_dir):  # model.keras itself, not engine(), which would fall back to the checkpoint
        read_keras_file(model_dir / bundle.MODEL)
        bundle.load(model_dir).engine().translate("Go.")  # and it decodes
    return checkpoint.epoch


def test_sigkill_at_random_moments_loses_nothing(tmp_path, tiny_corpus):
    rng = random.Random(2026)
    model_dir = tmp_path / "m"
    pointer = model_dir / bundle.CKPT_DIR / bundle.CKPT_POINTER
    done, moments = 0, []
    for _ in range(KILLS):
        before = pointer.stat().st_mtime_ns if pointer.exists() else 0
        proc = start(tiny_corpus, model_dir, epochs=1000)
        deadline = time.time() + 300  # TensorFlow's import and first steps, on a loaded machine
        while (pointer.stat().st_mtime_ns if pointer.exists() else 0) == before:  # training is writing
            assert proc.poll() is None, proc.stderr.read()
            assert time.time() < deadline
            time.sleep(0.01)
        moment = rng.uniform(0, 1.5)
        moments.append(moment)
        time.sleep(moment)
        proc.kill()
        proc.wait()
        epochs = check_loadable(model_dir)
        assert epochs >= done
        done = epochs
    final = start(tiny_corpus, model_dir, epochs=done + 1)
    assert final.wait(timeout=120) == 0, final.stderr.read()
    assert check_loadable(model_dir) == done + 1
    assert not [p for p in model_dir.rglob(".*") if p.suffix in (".tmp", ".keras")]
