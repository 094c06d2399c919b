"""Training: a tiny deterministic fit whose loss falls, the bundle it writes, bucketing and masking."""

import json
import shutil

import numpy as np
import pytest

from seqtui import config
from seqtui.data.batching import Encoded, make_batch, plan_batches
from seqtui.data.vocab import Vocab
from seqtui.errors import SeqtuiError
from seqtui.events import BatchEnded, EpochEnded, TrainingEnded, TrainingStarted
from seqtui.report.evaluation import evaluate
from seqtui.store import bundle
from seqtui.train import training
from tests.conftest import TINY_FLAGS, TINY_PAIRS, assert_translates_as_trained, write_corpus


def test_bundle_files_and_history(trained_bundle):
    names = {p.name for p in trained_bundle.iterdir()}
    assert {"model.keras", "vocab.json", "config.json", "history.jsonl", "checkpoint"} <= names
    history = bundle.read_history(trained_bundle)
    assert [r.epoch for r in history] == [1, 2, 3]
    raw = [json.loads(line) for line in (trained_bundle / "history.jsonl").read_text().splitlines()]
    for line in raw:  # the file format other tools read
        assert {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds", "chars_per_second"} <= set(line)
    assert all(r.val_loss > 0 and 0 <= r.accuracy <= 1 and r.seconds > 0 for r in history)
    assert history[-1].loss < history[0].loss
    meta = json.loads((trained_bundle / "config.json").read_text())
    assert meta["split"]["train_pairs"] == 32 and meta["split"]["val_pairs"] == 8
    assert meta["config"]["latent_dim"] == 32


@pytest.fixture(scope="module")
def four_epochs(tmp_path_factory):
    """(model folder, every event) of a 4-epoch run, trained once for the tests that read its events."""
    root = tmp_path_factory.mktemp("four")
    cfg = config.load(None, {"train_dir": write_corpus(root / "tiny.txt"), "model_dir": root / "m", **TINY_FLAGS,
                             "epochs": 4})
    events = []
    training.train(cfg, events.append)
    return root / "m", events


def test_events_and_loss_falls(four_epochs):
    _, events = four_epochs
    ended = events[-1]
    kinds = [type(e) for e in events]
    assert kinds[0] is TrainingStarted and kinds[-1] is TrainingEnded
    assert kinds.count(EpochEnded) == 4 and kinds.count(BatchEnded) == 4 * 4
    losses = [e.record.loss for e in events if isinstance(e, EpochEnded)]
    assert losses[-1] < losses[0]
    assert ended.reason == "finished" and ended.epochs_done == 4
    samples = next(e for e in events if isinstance(e, EpochEnded)).samples
    assert samples and all(src in dict(TINY_PAIRS) for src, _, _ in samples)


def test_training_is_deterministic(trained_bundle, tmp_path):
    """The same settings train the same run again, here or in another process (the session's run may come
    from another test worker)."""
    cfg = config.load(None, {"train_dir": trained_bundle.parent / "tiny.txt", "model_dir": tmp_path / "again",
                             **TINY_FLAGS})  # trained_bundle's settings
    training.train(cfg)
    again, first = (bundle.read_history(d) for d in (tmp_path / "again", trained_bundle))
    assert [r.loss for r in again] == pytest.approx([r.loss for r in first], rel=1e-4)
    assert [r.val_loss for r in again] == pytest.approx([r.val_loss for r in first], rel=1e-4)


def test_occupied_model_dir_needs_resume_or_fresh(trained_bundle, tmp_path):
    shutil.copytree(trained_bundle, tmp_path / "m")
    cfg = config.load(None, {"train_dir": trained_bundle.parent / "tiny.txt", "model_dir": tmp_path / "m",
                             **TINY_FLAGS, "epochs": 1})
    with pytest.raises(SeqtuiError, match="already holds model.keras and a checkpoint; pass --resume"):
        training.train(cfg)
    assert training.train(cfg, fresh=True).epochs_done == 1


def test_resume_continues_numbering(trained_bundle, tmp_path):
    shutil.copytree(trained_bundle, tmp_path / "m")
    base = {"train_dir": trained_bundle.parent / "tiny.txt", "model_dir": tmp_path / "m", **TINY_FLAGS}
    assert training.train(config.load(None, {**base, "epochs": 3}), resume=True).reason == "complete"
    ended = training.train(config.load(None, {**base, "epochs": 4}), resume=True)
    assert ended.epochs_done == 4
    assert [r.epoch for r in bundle.read_history(tmp_path / "m")] == [1, 2, 3, 4]


def _encoded(n=50, longest=17):
    pairs = [("a" * (1 + (i * 3) % longest), "b" * (1 + (i * 7) % longest)) for i in range(n)]
    src, tgt = Vocab.build(s for s, _ in pairs), Vocab.build(t for _, t in pairs)
    return Encoded.from_pairs(pairs, src, tgt)


@pytest.mark.parametrize("epoch,round_to", [(0, 8), (1, 8), (5, 8), (0, 1), (3, 1)])
def test_bucketing_sees_every_pair_once_per_epoch(epoch, round_to):
    data = _encoded(50)
    plan = plan_batches(data, 8, seed=3, epoch=epoch, round_to=round_to)
    seen = np.concatenate(plan)
    assert sorted(seen.tolist()) == list(range(50))
    for idx in plan:  # grouped by length: a batch's target lengths span a narrow range
        lengths = [len(data.targets[i]) for i in idx]
        assert max(lengths) - min(lengths) <= 6


def test_bucketed_batches_carry_little_padding():
    data = _encoded(400, longest=70)  # lengths like the Tatoeba corpus's
    plan = plan_batches(data, 16, seed=0, epoch=0)
    real = sum(len(t) - 1 for t in data.targets)
    padded = sum(make_batch(data, idx)[0][1].size for idx in plan)
    naive = len(data) * max(len(t) - 1 for t in data.targets)
    assert padded < 0.6 * naive and real / padded > 0.8


def test_unrounded_batches_are_as_long_as_their_longest_pair():
    data = _encoded(50)
    for idx in plan_batches(data, 8, seed=0, epoch=0, round_to=1):
        (enc, dec), out = make_batch(data, idx, round_to=1)
        assert enc.shape[1] == max(len(data.sources[i]) for i in idx)
        assert dec.shape[1] == out.shape[1] == max(len(data.targets[i]) for i in idx) - 1
        (enc8, dec8), _ = make_batch(data, idx)
        assert enc8.shape[1] % 8 == 0 and dec8.shape[1] % 8 == 0


def test_the_batch_loop_reports_running_means_that_end_as_the_epochs_record(four_epochs):
    """train_epochs stands in for fit on one device: its epoch loss is the mean of the batch losses, its
    accuracy the share of all real target characters right, as fit's logs are."""
    model_dir, events = four_epochs
    for record in bundle.read_history(model_dir):
        seen = [e for e in events if isinstance(e, BatchEnded) and e.epoch == record.epoch]
        assert [e.batch for e in seen] == list(range(1, seen[0].batches + 1))
        assert seen[-1].loss == pytest.approx(record.loss, rel=1e-5)
        assert seen[-1].accuracy == pytest.approx(record.accuracy, rel=1e-5)
        assert all(0 < e.loss < 10 and 0 <= e.accuracy <= 1 for e in seen)


def test_padding_changes_nothing_in_loss_or_accuracy(trained_bundle):
    from seqtui.model.backend import import_keras

    keras = import_keras()
    model = keras.saving.load_model(trained_bundle / "model.keras")
    b = bundle.load(trained_bundle)
    data = Encoded.from_pairs(TINY_PAIRS[:8], b.source, b.target)
    (enc, dec), out = make_batch(data, np.arange(8))
    (enc2, dec2), out2 = make_batch(data, np.arange(8), batch_size=12, min_shape=(40, 48))
    a = model.evaluate([enc, dec], out, verbose=0, return_dict=True)
    p = model.evaluate([enc2, dec2], out2, verbose=0, return_dict=True)
    assert p["loss"] == pytest.approx(a["loss"], rel=1e-5)
    assert p["sparse_categorical_accuracy"] == pytest.approx(a["sparse_categorical_accuracy"], rel=1e-6)


def test_bfloat16_training_keeps_float32_weights_and_a_working_bundle(tmp_path, tiny_corpus):
    cfg = config.load(None, {"train_dir": tiny_corpus, "model_dir": tmp_path / "m", **TINY_FLAGS, "epochs": 2,
                             "precision": "mixed_bfloat16"})
    events = []
    training.train(cfg, events.append)
    history = bundle.read_history(tmp_path / "m")
    assert history[-1].loss < history[0].loss  # it learns
    best = [e for e in events if isinstance(e, EpochEnded) and e.best][-1]
    assert_translates_as_trained(tmp_path / "m", best)
    resumed = training.train(config.load(None, {**cfg.to_dict(), "epochs": 3}), resume=True)
    assert resumed.epochs_done == 3
    saved = json.loads((tmp_path / "m" / "config.json").read_text())["config"]
    assert saved["precision"] == "mixed_bfloat16"
    model = bundle.load_keras_model(tmp_path / "m" / "model.keras")
    assert {str(v.dtype) for v in model.weights} == {"float32"}


def test_monitor_val_chrf_keeps_the_epoch_of_the_best_chrf(chrf_bundle):
    history = bundle.read_history(chrf_bundle)
    assert all(0 <= r.val_chrf <= 100 for r in history)
    best = max(history, key=lambda r: r.val_chrf)  # the first of equals: a tie is no improvement
    assert [r.epoch for r in history if r.best][-1] == best.epoch
    # The run's chrF falls after its best epoch, so a model.keras of any later epoch scores otherwise.
    assert history[-1].val_chrf < best.val_chrf
    assert evaluate(chrf_bundle).chrf == pytest.approx(best.val_chrf, abs=1e-3)


def test_a_stop_while_an_epoch_is_scored_ends_at_once_and_a_resume_runs_that_epoch_again(tmp_path, tiny_corpus):
    """Quitting no longer waits for chrF: the epoch being scored is kept as a mid-epoch checkpoint (all its
    batches, no record), which --resume trains again and scores."""
    import threading

    from seqtui.events import Validating

    base = {"train_dir": tiny_corpus, "model_dir": tmp_path / "m", **TINY_FLAGS, "monitor": "val_chrf"}
    stop = threading.Event()
    events = []

    def listen(event):
        events.append(event)
        if isinstance(event, Validating) and (event.epoch, event.what) == (2, "val_chrf"):
            stop.set()

    ended = training.train(config.load(None, {**base, "epochs": 3}), listen, stop=stop)
    assert (ended.reason, ended.epochs_done) == ("stopped", 1)
    assert [e.record.epoch for e in events if isinstance(e, EpochEnded)] == [1]
    checkpoint = bundle.read_checkpoint(tmp_path / "m")
    assert (checkpoint.epoch, checkpoint.batch) == (1, 4)  # epoch 2's four batches, kept
    assert [r.epoch for r in bundle.read_history(tmp_path / "m")] == [1]
    resumed = training.train(config.load(None, {**base, "epochs": 2}), resume=True)
    assert (resumed.reason, resumed.epochs_done) == ("finished", 2)
    assert [r.val_chrf is not None for r in bundle.read_history(tmp_path / "m")] == [True, True]
