"""Nothing lost: damaged files, foreign layers, the lock, NaN losses, interrupts and resume."""

import json
import math
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from seqtui import config
from seqtui.cli import app
from seqtui.errors import BundleError, TrainingFailed
from seqtui.model.weights import read_keras_file
from seqtui.store import bundle
from seqtui.train import training
from tests.conftest import TINY_FLAGS

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


def copy_bundle(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_damaged_model_falls_back_to_checkpoint_with_a_warning(trained_bundle, tmp_path):
    m = copy_bundle(trained_bundle, tmp_path / "m")
    (m / "model.keras").write_bytes((m / "model.keras").read_bytes()[:1000])
    result = runner.invoke(app, ["translate", "--model-dir", str(m), "Go."])
    assert result.exit_code == 0
    assert "damaged" in result.stderr and "Using the last checkpoint" in result.stderr


def test_damaged_model_without_checkpoint_says_how_to_recover(trained_bundle, tmp_path):
    m = copy_bundle(trained_bundle, tmp_path / "m")
    shutil.rmtree(m / "checkpoint")
    (m / "model.keras").write_bytes(b"PK\x03\x04 not really a zip")
    result = runner.invoke(app, ["translate", "--model-dir", str(m), "Go."])
    assert result.exit_code == 1
    assert "the model file is damaged" in result.stderr and "Traceback" not in result.output


def _rewrite_config(path: Path, change) -> None:
    with zipfile.ZipFile(path) as zf:
        items = {n: zf.read(n) for n in zf.namelist()}
    cfg = json.loads(items["config.json"])
    change(cfg["config"]["layers"])
    items["config.json"] = json.dumps(cfg).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for n, b in items.items():
            zf.writestr(n, b)


@pytest.mark.parametrize("kind, module", [("Lambda", "keras.layers"), ("MyLayer", "evil.module")])
def test_foreign_layers_are_refused(trained_bundle, tmp_path, kind, module):
    m = copy_bundle(trained_bundle, tmp_path / "m")
    shutil.rmtree(m / "checkpoint")

    def add(layers):
        layers.append({"class_name": kind, "module": module, "config": {"name": "x", "function": "os.system"}})

    _rewrite_config(m / "model.keras", add)
    with pytest.raises(BundleError, match=f"holds a {kind} layer.*refuses to load"):
        bundle.load(m).engine()
    with pytest.raises(BundleError, match="refuses to load"):
        bundle.load_keras_model(m / "model.keras")


@pytest.mark.parametrize("fault, said", [
    ("loss", r"the loss became nan in epoch 4, batch 2; training stopped"),
    ("weights", r"the weights became non-finite \(inf or NaN\) in epoch 4; the next checkpoint was not saved"),
], ids=["loss", "weights"])
def test_a_non_finite_loss_or_weights_stop_and_keep_the_last_good_checkpoint(trained_bundle, tmp_path, monkeypatch,
                                                                            fault, said):
    """Each guard on its own fault, each naming it: a loss that overflows while the weights stay finite, and
    weights gone NaN (TensorFlow's sparse update then fails before any loss is reported)."""
    m = copy_bundle(trained_bundle, tmp_path / "m")
    good = bundle.read_checkpoint(m)
    load = bundle.load_keras_model

    def faulty(path, compile_with=None):
        model = load(path, compile_with)
        if fault == "weights":
            kernel = model.get_layer("output").kernel
            kernel.assign(np.full(kernel.shape, np.nan, dtype="float32"))
        else:
            train, calls = model.train_on_batch, []

            def second_batch_overflows(*args, **kwargs):
                calls.append(1)
                scores = train(*args, **kwargs)
                return {**scores, "loss": math.nan} if len(calls) == 2 else scores

            model.train_on_batch = second_batch_overflows
        return model

    monkeypatch.setattr(bundle, "load_keras_model", faulty)
    corpus = trained_bundle.parent / "tiny.txt"
    cfg = config.load(None, {"train_dir": corpus, "model_dir": m, **TINY_FLAGS, "epochs": 5})
    with pytest.raises(TrainingFailed, match=said + r".*The last good checkpoint \(epoch 3\) and model are kept"):
        training.train(cfg, resume=True)
    assert bundle.read_checkpoint(m) == good
    assert len(bundle.read_history(m)) == 3
    saved = read_keras_file(m / "model.keras")  # the model itself, not a fallback
    assert all(np.isfinite(a).all() for a in (saved.enc_embed, saved.decoder[0].kernel, saved.out_kernel))


def test_stop_event_mid_epoch_checkpoints_without_recording_the_epoch(tmp_path, tiny_corpus):
    import threading

    from seqtui.events import BatchEnded

    stop = threading.Event()
    cfg = config.load(None, {"train_dir": tiny_corpus, "model_dir": tmp_path / "m", **TINY_FLAGS, "epochs": 3})

    def listener(e):
        if isinstance(e, BatchEnded) and e.epoch == 2 and e.batch == 2:
            stop.set()

    ended = training.train(cfg, listener, stop=stop)
    assert ended.reason == "stopped" and ended.epochs_done == 1
    ckpt = bundle.read_checkpoint(tmp_path / "m")
    assert (ckpt.epoch, ckpt.batch) == (1, 2)
    assert [r.epoch for r in bundle.read_history(tmp_path / "m")] == [1]
    ended = training.train(cfg, resume=True)
    assert ended.reason == "finished"
    assert [r.epoch for r in bundle.read_history(tmp_path / "m")] == [1, 2, 3]


def _train_cmd(corpus: Path, model_dir: Path, *extra: str) -> list[str]:
    args = [sys.executable, "-m", "seqtui", "train", "--train-dir", str(corpus), "--model-dir", str(model_dir),
            "--latent-dim", "32", "--embedding-dim", "16", "--batch-size", "4", "--num-samples", "0",
            "--patience", "0", "--jit-compile", "false", "--no-samples", *extra]
    return args


def _wait_for(path: Path, timeout: float = 300) -> None:  # a fresh TensorFlow process beside other work
    end = time.time() + timeout
    while not path.exists():
        assert time.time() < end, f"{path} never appeared"
        time.sleep(0.05)


@pytest.mark.soak  # a fresh TensorFlow process trains and is signalled
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_saves_prints_how_to_resume_and_exits_130(tmp_path, tiny_corpus, sig):
    m = tmp_path / "m"
    proc = subprocess.Popen(_train_cmd(tiny_corpus, m, "--epochs", "500"), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _wait_for(m / "history.jsonl")
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Continue with: seqtui train --resume" in err
    ckpt = bundle.read_checkpoint(m)
    done = len(bundle.read_history(m))
    assert ckpt.epoch == done >= 1
    resumed = runner.invoke(app, _train_cmd(tiny_corpus, m, "--epochs", str(done + 1), "--resume")[3:])
    assert resumed.exit_code == 0, resumed.output
    assert [r.epoch for r in bundle.read_history(m)] == list(range(1, done + 2))


@pytest.mark.soak  # a fresh TensorFlow process holds the folder
def test_second_trainer_on_the_same_folder_fails_at_once(tmp_path, tiny_corpus):
    m = tmp_path / "m"
    first = subprocess.Popen(_train_cmd(tiny_corpus, m, "--epochs", "500"), cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(m / "history.jsonl")
        t0 = time.time()
        second = runner.invoke(app, ["train", "--train-dir", str(tiny_corpus), "--model-dir", str(m), "--resume"])
        assert second.exit_code == 1
        assert f"already being trained by process {first.pid}" in second.stderr
        assert time.time() - t0 < 30  # refused, not kept waiting for the lock (generous: a loaded machine)
    finally:
        first.kill()
        first.wait()
