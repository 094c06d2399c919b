"""Scaling out: batches split fairly between replicas and processes, mirrored training on two logical CPUs,
the JAX backend end to end, keras.distribution.DataParallel on two devices, and two processes on 127.0.0.1.

Runs that need their devices set up before TensorFlow or JAX starts go through tests/scale_runs.py or the CLI
in a subprocess. The JAX tests skip when jax is not installed (`pip install jax`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from seqtui.data.batching import Encoded, make_batch, rows_of
from seqtui.data.vocab import Vocab
from seqtui.store import bundle
from tests.conftest import TINY_FLAGS, TINY_PAIRS, cli_flags, write_corpus

ROOT = Path(__file__).resolve().parents[1]
# jax.jit compiles a tiny model in a second or two and then runs it ~3x faster than eagerly.
JAX_FLAGS = {**TINY_FLAGS, "jit_compile": "true"}
needs_jax = pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
# The cases that train in fresh TensorFlow or JAX processes are soak tests, run after the fast suite.


def env(**extra: str) -> dict[str, str]:
    # A wide console, so rich never wraps the header that names the devices.
    return {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": "200", **extra}


def jax_env(**extra: str) -> dict[str, str]:
    return env(KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", **extra)


def scale_run(case: str, folder: Path, environ: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "scale_runs.py"), case, str(folder)],
                          env=environ, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def column(run: dict[str, Any], key: str) -> list[float]:
    return [r[key] for r in run["history"]]


# -- how a global batch is laid out ----------------------------------------------------------------


def test_pairs_are_dealt_evenly_to_replicas():
    assert rows_of(5, 8).tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    assert rows_of(5, 8, replicas=2).tolist() == [0, 2, 4, 5, 1, 3, 6, 7]
    assert rows_of(3, 8, replicas=4).tolist() == [0, 3, 1, 4, 2, 5, 6, 7]
    with pytest.raises(ValueError):
        rows_of(3, 7, replicas=2)


def test_every_replica_slice_holds_real_pairs():
    """A slice of filler rows alone would scale its replica's mean loss to zero under tf.distribute."""
    pairs = TINY_PAIRS[:5]
    data = Encoded.from_pairs(pairs, Vocab.build(s for s, _ in pairs), Vocab.build(t for _, t in pairs))
    (enc, dec), out = make_batch(data, np.arange(5), batch_size=8, replicas=2)
    real = (out != 0).any(axis=1)
    assert real.tolist() == [True, True, True, False, True, True, False, False]
    assert (enc != 0).any(axis=1).all()  # filler rows repeat a real source, so no encoder row is empty
    assert not dec[~real].any()


def test_processes_feed_disjoint_shares_of_the_same_batches():
    from seqtui.train.feeding import BucketedBatches

    data = Encoded.from_pairs(TINY_PAIRS, Vocab.build(s for s, _ in TINY_PAIRS),
                              Vocab.build(t for _, t in TINY_PAIRS))
    whole = BucketedBatches(data, 16, seed=3, replicas=2)
    shares = [BucketedBatches(data, 16, seed=3, replicas=2, shard=(p, 2)) for p in range(2)]
    assert len(whole) == len(shares[0]) == len(shares[1]) == 3
    for i in range(len(whole)):
        (enc, dec), out = whole[i]
        parts = [share[i] for share in shares]
        assert all(p[1].shape == (8, out.shape[1]) for p in parts)
        assert np.array_equal(np.concatenate([p[1] for p in parts]), out)
        assert np.array_equal(np.concatenate([p[0][0] for p in parts]), enc)


def test_only_a_feed_for_fit_pads_batch_1_apart_from_batch_0():
    """Keras' TF adapter fixes every dimension in which batches 0 and 1 agree; train_on_batch needs no such padding."""
    from seqtui.data.batching import shape_of
    from seqtui.train.feeding import BucketedBatches

    data = Encoded.from_pairs(TINY_PAIRS, Vocab.build(s for s, _ in TINY_PAIRS),
                              Vocab.build(t for _, t in TINY_PAIRS))
    for round_to in (1, 8):
        plain = BucketedBatches(data, 8, seed=3, round_to=round_to)
        fed = BucketedBatches(data, 8, seed=3, round_to=round_to, for_fit=True)
        first, second = shape_of(fed[0]), shape_of(fed[1])
        assert first[0] != second[0] and first[1] != second[1]
        assert shape_of(plain[0]) == first
        assert all(p <= f for p, f in zip(shape_of(plain[1]), second, strict=True))


# -- TensorFlow: tf.distribute.MirroredStrategy --------------------------------------------------------


@pytest.fixture(scope="module")
def tf_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return scale_run("tf-mirrored", tmp_path_factory.mktemp("tf"), env())


@pytest.mark.soak
def test_mirrored_run_uses_both_devices_with_per_replica_batches(tf_runs):
    single, mirrored = tf_runs["single"], tf_runs["parallel"]
    assert single["info"] == {"backend": "tensorflow", "devices": ["CPU:0"], "replicas": 1,
                              "global_batch_size": 16, "distribution": "one device"}
    assert mirrored["info"] == {"backend": "tensorflow", "devices": ["CPU:0", "CPU:1"], "replicas": 2,
                                "global_batch_size": 16, "distribution": "tf.distribute.MirroredStrategy"}
    assert mirrored["batches"] == single["batches"] == 2  # 32 training pairs, 8 per replica


@pytest.mark.soak
def test_mirrored_losses_match_one_device(tf_runs):
    """Both runs see the same global batches from the same initial weights. They differ only in how the loss
    of a batch is averaged: tf.distribute averages each replica's mean over its own tokens, one device
    averages over all of them; with the pairs dealt evenly and bucketed by length the two halves hold
    nearly as many tokens, so the losses agree to ~5e-5 relative (measured). 1e-3 leaves a 20x margin and
    still catches the faults it guards against: a replica of filler rows halves val_loss, and a global batch
    of 8 instead of 16 doubles the steps, which moves the second epoch's loss by ~2.5e-3."""
    single, mirrored = tf_runs["single"], tf_runs["parallel"]
    for key in ("loss", "val_loss"):
        assert column(mirrored, key) == pytest.approx(column(single, key), rel=1e-3)
    assert column(mirrored, "loss")[-1] < column(mirrored, "loss")[0]


@pytest.mark.soak
def test_mirrored_bundle_translates(tf_runs):
    assert tf_runs["parallel"]["translation"].strip()


def test_several_processes_on_tensorflow_point_to_jax(tmp_path, tiny_corpus):
    """MultiWorkerMirroredStrategy fails inside Keras 3 fit, so several processes need the JAX backend."""
    from typer.testing import CliRunner

    from seqtui.cli import app
    from seqtui.model.backend import name

    if name() != "tensorflow":
        pytest.skip("checks the TensorFlow backend's refusal")
    result = CliRunner().invoke(app, ["train", f"--train-dir={tiny_corpus}", f"--model-dir={tmp_path / 'm'}",
                                      "--coordinator=127.0.0.1:9", "--num-processes=2", "--process-id=0"])
    assert result.exit_code == 1
    assert "KERAS_BACKEND=jax" in result.output and "keras-team/keras#20585" in result.output
    assert not (tmp_path / "m").exists()


# -- JAX: the whole path, DataParallel, several processes -------------------------------------------


@pytest.mark.soak
@needs_jax
def test_jax_backend_trains_evaluates_and_translates(tmp_path):
    corpus = write_corpus(tmp_path / "tiny.txt")
    flags = cli_flags(JAX_FLAGS)
    seqtui = [sys.executable, "-m", "seqtui"]
    model = f"--model-dir={tmp_path / 'm'}"
    for args in (["train", f"--train-dir={corpus}", model, *flags, "--no-samples"],
                 ["evaluate", "--json", model], ["translate", model, "Go."]):
        done = subprocess.run(seqtui + args, env=jax_env(), cwd=tmp_path, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, (args[0], done.stderr[-3000:])
        if args[0] == "train":
            assert "jax on cpu:0" in done.stdout
        if args[0] == "evaluate":
            report = json.loads(done.stdout)
            assert report["pairs"] == 8 and 0 < report["loss"] < 10
    assert done.stdout.strip()


@pytest.fixture(scope="module")
def jax_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    two_devices = jax_env(XLA_FLAGS="--xla_force_host_platform_device_count=2")
    return scale_run("jax-parallel", tmp_path_factory.mktemp("jax"), two_devices)


@pytest.mark.soak
@needs_jax
def test_data_parallel_on_two_devices_matches_one(jax_runs):
    """JAX computes a DataParallel step's loss over the whole global batch, so only the summation order
    differs from one device: the losses agree to rounding (~1e-6 in the first epoch, ~1e-5 by the third
    as the weights drift apart, measured)."""
    single, parallel = jax_runs["single"], jax_runs["parallel"]
    assert parallel["info"] == {"backend": "jax", "devices": ["cpu:0", "cpu:1"], "replicas": 2,
                                "global_batch_size": 16, "distribution": "keras.distribution.DataParallel"}
    assert single["info"]["devices"] == ["cpu:0"] and parallel["batches"] == single["batches"] == 2
    assert column(parallel, "val_loss") == pytest.approx(column(single, "val_loss"), rel=1e-4)
    # `fit`, which spreads each batch over the devices, averages the training loss per batch; the
    # one-device loop per target character. On these near-uniform first epochs that is ~1e-4 apart.
    assert column(parallel, "loss") == pytest.approx(column(single, "loss"), rel=1e-3)
    assert parallel["translation"].strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.soak
@needs_jax
def test_two_processes_train_as_one_data_parallel_run(tmp_path, jax_runs):
    """Two processes on 127.0.0.1, one CPU device each, joined by JAX's distributed runtime: each feeds half
    of every batch, both keep the same weights, and together they train exactly as DataParallel on two
    devices of one process does."""
    corpus = write_corpus(tmp_path / "tiny.txt")
    flags = cli_flags({**JAX_FLAGS, "batch_size": 8, "epochs": 2})
    common = [sys.executable, "-m", "seqtui", "train", f"--train-dir={corpus}", *flags, "--no-samples",
              f"--coordinator=127.0.0.1:{free_port()}", "--num-processes=2"]
    procs = [subprocess.Popen(common + [f"--process-id={i}", f"--model-dir={tmp_path / f'm{i}'}"],
                              env=jax_env(), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for i in range(2)]
    try:
        outputs = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            p.kill()
    for i, (p, (out, errors)) in enumerate(zip(procs, outputs, strict=True)):
        assert p.returncode == 0, errors[-3000:]
        assert "jax on cpu:0/process 0, cpu:" in out and f"process {i} of 2" in out
    histories = [bundle.read_history(tmp_path / f"m{i}") for i in range(2)]
    assert len(histories[0]) == 2
    for key in ("loss", "val_loss", "accuracy"):
        assert [getattr(r, key) for r in histories[0]] == [getattr(r, key) for r in histories[1]]
    for key in ("loss", "val_loss"):  # the training itself; each process's accuracy counts its own rows
        # Each process scores its half of a batch and the halves' means are averaged, where two devices of one
        # process score the whole batch: the same training, its figures 2e-5 to 2e-4 apart (measured).
        assert [getattr(r, key) for r in histories[0]] == pytest.approx(column(jax_runs["parallel"], key)[:2], rel=1e-3)
    translations = {bundle.load(tmp_path / f"m{i}").engine().translate("Go.").text for i in range(2)}
    assert len(translations) == 1 and translations.pop().strip()
