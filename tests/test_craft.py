"""Training craft: label smoothing, the learning-rate schedule and weight averaging, each checked against
an independent computation (Keras' own loss, the schedule's formula, averages taken here in numpy),
and each surviving a stop and a resume exactly."""

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from seqtui import config
from seqtui.events import BatchEnded, CheckpointSaved, EpochEnded
from seqtui.model.weights import layer_arrays, read_keras_file
from seqtui.records import EpochRecord, Monitor
from seqtui.store import bundle
from seqtui.train import schedule, training
from tests.conftest import TINY_FLAGS, write_corpus

pytestmark = pytest.mark.filterwarnings("ignore")


def tiny(tiny_corpus, model_dir, **changes):
    return config.load(None, {"train_dir": tiny_corpus, "model_dir": model_dir, **TINY_FLAGS, **changes})


def one_batch(cfg):
    """A padded training batch of the tiny corpus and the model it feeds."""
    from seqtui.model import build as model_lib
    from seqtui.model.backend import import_keras

    import_keras()
    from seqtui.train.feeding import BucketedBatches

    prep = training.prepare(cfg)
    model = model_lib.build(cfg, len(prep.source), len(prep.target))
    x, y = BucketedBatches(prep.train, cfg.batch_size, cfg.seed)[0]
    assert (y == 0).any() and (y != 0).any()  # the batch has padding to mask, and characters
    return model, x, y


def keras_smoothed_loss(model, x, y, smoothing):
    """Keras' CategoricalCrossentropy(label_smoothing) on one-hot targets, averaged over real characters."""
    import keras

    probs = np.asarray(model(list(x), training=False))
    one_hot = np.eye(probs.shape[-1], dtype=np.float32)[y]
    each = keras.losses.CategoricalCrossentropy(label_smoothing=smoothing, reduction=None)(one_hot, probs)
    mask = (y != 0).astype(np.float64)
    return float((np.asarray(each, np.float64) * mask).sum() / mask.sum())


# -- label smoothing -------------------------------------------------------------------------------


def test_reported_loss_with_label_smoothing_is_keras_categorical_crossentropy(tmp_path, tiny_corpus):
    cfg = tiny(tiny_corpus, tmp_path / "m", label_smoothing=0.2, optimizer="adam", learning_rate=0.01)
    model, x, y = one_batch(cfg)
    for _ in range(30):  # away from the near-uniform start, where smoothing hardly changes the loss
        model.train_on_batch(list(x), y)
    want = keras_smoothed_loss(model, x, y, 0.2)
    assert abs(want - keras_smoothed_loss(model, x, y, 0.0)) > 0.05  # smoothing changes the value here
    assert model.test_on_batch(list(x), y, return_dict=True)["loss"] == pytest.approx(want, rel=1e-5)
    # train_on_batch reports the loss of the weights before its update
    assert model.train_on_batch(list(x), y, return_dict=True)["loss"] == pytest.approx(want, rel=1e-5)


def test_a_smoothed_model_saves_and_loads_with_its_loss(tmp_path, tiny_corpus):
    from seqtui.model.losses import SmoothedSparseCrossentropy
    from seqtui.model.weights import check_keras_file

    cfg = tiny(tiny_corpus, tmp_path / "m", label_smoothing=0.1, epochs=1)
    training.train(cfg)
    check_keras_file(tmp_path / "m" / bundle.MODEL)  # the allow-list lets seqtui's own loss through
    loaded = bundle.load_keras_model(tmp_path / "m" / bundle.MODEL)
    assert isinstance(loaded.loss, SmoothedSparseCrossentropy) and loaded.loss.label_smoothing == 0.1


# -- the learning-rate schedule --------------------------------------------------------------------


def records(*val_losses):
    return [EpochRecord(i + 1, val_loss=v) for i, v in enumerate(val_losses)]


def test_plateau_cuts_replay_reduce_on_plateau():
    # patience 2: epochs 3-4 do not beat 2.0 (cut 1), 6 is best, 7-8 do not beat it (cut 2)
    history = records(3.0, 2.0, 2.5, 2.6, 2.7, 1.0, 1.1, 1.2)
    assert [schedule.plateau_cuts(history[:n], Monitor.of("val_loss"), 2) for n in range(9)] == \
        [0, 0, 0, 0, 1, 1, 1, 1, 2]


def test_rate_is_the_formula():
    cfg = config.merge(config.Config(), {"warmup_steps": 10, "lr_schedule": "decay", "decay_rate": 0.5})
    assert schedule.rate(cfg, 0.01, 0, []) == pytest.approx(0.001)
    assert schedule.rate(cfg, 0.01, 4, []) == pytest.approx(0.005)
    assert schedule.rate(cfg, 0.01, 9, records(1.0)) == pytest.approx(0.005)
    assert schedule.rate(cfg, 0.01, 30, records(1.0, 1.0, 1.0)) == pytest.approx(0.00125)
    plateau = config.merge(cfg, {"lr_schedule": "plateau", "plateau_factor": 0.1, "plateau_patience": 1})
    assert schedule.rate(plateau, 0.01, 50, records(2.0, 3.0)) == pytest.approx(0.001)


def expected_lr(step, epochs_done):
    """warmup_steps 6, decay 0.5, base 0.01 (the settings of the runs below)."""
    return 0.01 * min(1.0, (step + 1) / 6) * 0.5 ** epochs_done


SCHEDULED = {"learning_rate": 0.01, "warmup_steps": 6, "lr_schedule": "decay", "decay_rate": 0.5, "epochs": 3}


@pytest.fixture(scope="module")
def scheduled(tmp_path_factory):
    """(config, model folder) of a run with SCHEDULED's warm-up and decay, trained once for the module."""
    root = tmp_path_factory.mktemp("scheduled")
    cfg = tiny(write_corpus(root / "tiny.txt"), root / "straight", **SCHEDULED)
    training.train(cfg)
    return cfg, root / "straight"


def test_the_rate_in_history_and_in_a_checkpoint_is_the_formula(scheduled, tmp_path):
    cfg, straight = scheduled
    history = bundle.read_history(straight)
    batches = 4  # 32 training pairs, batch 8
    assert [r.learning_rate for r in history] == pytest.approx([expected_lr(batches * e - 1, e - 1) for e in (1, 2, 3)],
                                                    rel=1e-5)
    # mid-epoch: stopped after the second batch of the first epoch, the optimizer holds step 1's rate
    stop = threading.Event()
    training.train(config.merge(cfg, {"model_dir": tmp_path / "s"}),
                   lambda e: stop.set() if isinstance(e, BatchEnded) and e.batch == 2 else None, stop=stop)
    ckpt = bundle.read_checkpoint(tmp_path / "s")
    assert (ckpt.epoch, ckpt.batch) == (0, 2)
    optimizer = bundle.load_keras_model(ckpt.path).optimizer
    assert int(optimizer.iterations.numpy()) == 2
    assert float(optimizer.learning_rate.numpy()) == pytest.approx(expected_lr(1, 0), rel=1e-6)


def stopped_and_resumed(cfg, model_dir, stops):
    """Train `cfg` into `model_dir`, stopping at each (epoch, batch) of `stops` and resuming after it; a batch
    of None stops once that epoch is scored and kept, before the next one begins."""
    for epoch, batch in stops:
        stop = threading.Event()

        def listener(e, epoch=epoch, batch=batch, stop=stop):
            if batch is None and isinstance(e, EpochEnded) and e.record.epoch == epoch:
                stop.set()
            if isinstance(e, BatchEnded) and (e.epoch, e.batch) == (epoch, batch):
                stop.set()

        training.train(config.merge(cfg, {"model_dir": model_dir}), listener, stop=stop, resume=True)
    return training.train(config.merge(cfg, {"model_dir": model_dir}), resume=True)


def assert_same_files(a, b, name):
    # layers that hold weights (the mask's operation nodes are named by a per-process counter)
    left, right = ({k: v for k, v in layer_arrays(d / name).items() if v} for d in (a, b))
    assert left.keys() == right.keys()
    for layer in left:
        for u, v in zip(left[layer], right[layer], strict=True):
            np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6, err_msg=f"{name}: {layer}")


def assert_resumes_exactly(tmp_path, cfg, stops, straight_dir=None):
    """A run stopped at `stops` and resumed each time ends as the run `straight_dir` (trained here if None)."""
    if straight_dir is None:
        straight_dir = tmp_path / "straight"
        training.train(config.merge(cfg, {"model_dir": straight_dir}))
    stopped_and_resumed(cfg, tmp_path / "resumed", stops)
    straight, resumed = bundle.read_history(straight_dir), bundle.read_history(tmp_path / "resumed")
    assert [r.learning_rate for r in resumed] == pytest.approx([r.learning_rate for r in straight], rel=1e-6)
    assert [r.loss for r in resumed] == pytest.approx([r.loss for r in straight], rel=1e-5)
    assert [r.val_loss for r in resumed] == pytest.approx([r.val_loss for r in straight], rel=1e-5)
    assert_same_files(straight_dir, tmp_path / "resumed", bundle.MODEL)


def test_the_schedule_survives_a_stop_and_a_resume(scheduled, tmp_path):
    """Stopped once epoch 1 (inside the warm-up) and epoch 2 are kept: the same run as one without stops. A
    stop that let a batch of the next epoch run, or a resume that lost the optimizer's steps, fails it."""
    cfg, straight = scheduled
    assert_resumes_exactly(tmp_path, cfg, [(1, None), (2, None)], straight)


def test_after_a_mid_epoch_stop_the_rate_follows_the_optimizer_steps(tmp_path, tiny_corpus):
    """A run stopped mid-epoch repeats that epoch from the checkpoint (docs/nothing-lost.md); the optimizer's
    step count, saved with it, goes on, and so does the warm-up."""
    cfg = tiny(tiny_corpus, tmp_path / "unused", **SCHEDULED)
    stopped_and_resumed(cfg, tmp_path / "m", [(1, 3)])
    # epoch 1 ran steps 0-2, stopped, then ran again as steps 3-6; epochs 2 and 3 are steps 7-10 and 11-14
    assert [r.learning_rate for r in bundle.read_history(tmp_path / "m")] == pytest.approx(
        [expected_lr(6, 0), expected_lr(10, 1), expected_lr(14, 2)], rel=1e-5)


# -- weight averaging ------------------------------------------------------------------------------


def raw_weights_by_step(cfg):
    """Train with a checkpoint after every batch, keeping each: the raw weights after every step."""
    kept = {}

    def listener(e):
        if isinstance(e, CheckpointSaved):  # (epochs done, batches of the next): (0, 4) and (1, 0) are one step
            kept[(e.epoch, e.batch)] = layer_arrays(Path(e.path))

    training.train(config.merge(cfg, {"checkpoint_every": 1}), listener)
    return kept


def mean_of(weights):
    return {name: [np.mean([w[name][i] for w in weights], axis=0) for i in range(len(arrays))]
            for name, arrays in weights[0].items()}


def assert_weights_equal(saved, expected, what):
    for name, arrays in expected.items():
        for got, want in zip(saved[name], arrays, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=f"{what}: {name}")


def test_ema_model_holds_the_moving_average_of_every_step(tmp_path, tiny_corpus):
    cfg = tiny(tiny_corpus, tmp_path / "m", weight_averaging="ema", ema_decay=0.6, epochs=2)
    kept = raw_weights_by_step(cfg)
    steps = [kept[(0, b)] for b in range(1, 5)] + [kept[(1, b)] for b in range(1, 5)]
    best = next(r for r in reversed(bundle.read_history(tmp_path / "m")) if r.best).epoch
    average = steps[0]  # Keras' EMA starts from the first step's weights
    for w in steps[1:4 * best]:
        average = {name: [0.6 * a + 0.4 * b for a, b in zip(average[name], w[name], strict=True)] for name in w}
    saved = layer_arrays(tmp_path / "m" / bundle.MODEL)
    assert_weights_equal(saved, average, "model.keras")
    assert not np.allclose(saved["output"][0], steps[4 * best - 1]["output"][0])  # not the raw weights
    # the checkpoint keeps the raw weights of the last step
    assert_weights_equal(layer_arrays(bundle.read_checkpoint(tmp_path / "m").path), steps[-1], "checkpoint")


def test_last_k_model_holds_the_mean_of_the_last_epoch_ends(tmp_path, tiny_corpus):
    cfg = tiny(tiny_corpus, tmp_path / "m", weight_averaging="last-k", average_last=2, epochs=3,
               optimizer="adam", learning_rate=0.01)
    kept = raw_weights_by_step(cfg)
    ends = {e: kept[(e, 0)] for e in (1, 2, 3)}
    history = bundle.read_history(tmp_path / "m")
    best = next(r for r in reversed(history) if r.best).epoch
    saved = layer_arrays(tmp_path / "m" / bundle.MODEL)
    assert_weights_equal(saved, mean_of([ends[e] for e in range(max(1, best - 1), best + 1)]), "model.keras")
    assert not np.allclose(saved["output"][0], ends[best]["output"][0])
    # what the average needs to go on is kept: the last two epoch-end checkpoints
    names = sorted(p.name for p in (tmp_path / "m" / bundle.CKPT_DIR).glob("ckpt-*.keras"))
    assert names == [bundle.checkpoint_name(2, 0), bundle.checkpoint_name(3, 0)]


def test_val_chrf_scores_the_averaged_weights(tmp_path, tiny_corpus):
    import sacrebleu

    cfg = tiny(tiny_corpus, tmp_path / "m", weight_averaging="ema", ema_decay=0.6, epochs=1, monitor="val_chrf")
    training.train(cfg)
    saved = bundle.load(tmp_path / "m")
    pairs = training.prepare(cfg).val_pairs
    hyps = saved.engine().translate_batch([s for s, _ in pairs])
    chrf = sacrebleu.corpus_chrf(hyps, [[t for _, t in pairs]]).score
    assert bundle.read_history(tmp_path / "m")[0].val_chrf == pytest.approx(chrf, abs=1e-3)
    raw = saved.engine(read_keras_file(bundle.read_checkpoint(tmp_path / "m").path)).translate_batch(
        [s for s, _ in pairs])
    assert hyps != raw  # the raw weights translate differently, so the score is the average's


@pytest.mark.parametrize("averaging", [{"weight_averaging": "ema", "ema_decay": 0.6},
                                       {"weight_averaging": "last-k", "average_last": 2}])
def test_averaging_survives_stops_and_resumes(tmp_path, tiny_corpus, averaging):
    cfg = tiny(tiny_corpus, tmp_path / "unused", epochs=3, **averaging)
    assert_resumes_exactly(tmp_path, cfg, [(1, None), (2, None)])


def test_a_resumed_last_k_run_reads_its_window_back(tmp_path, tiny_corpus):
    """Epoch by epoch, each a new process's worth of state: the window comes from the kept checkpoints."""
    cfg = tiny(tiny_corpus, tmp_path / "m", weight_averaging="last-k", average_last=3, epochs=3)
    training.train(config.merge(cfg, {"model_dir": tmp_path / "straight"}))
    for epochs in (1, 2, 3):
        training.train(config.merge(cfg, {"epochs": epochs}), resume=True)
    assert_same_files(tmp_path / "straight", tmp_path / "m", bundle.MODEL)
    shutil.rmtree(tmp_path / "straight")
