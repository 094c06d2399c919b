"""Each of the trainer's callbacks alone, on a tiny real model and feed, as Keras tests its own."""

import math
import threading

import numpy as np
import pytest

from seqtui import config
from seqtui.data.batching import Encoded
from seqtui.data.vocab import Vocab
from seqtui.decode.decoding import Engine, Hypothesis, Result
from seqtui.model.backend import import_keras
from seqtui.records import EpochRecord, Monitor
from seqtui.store import bundle
from tests.conftest import TINY_FLAGS, TINY_PAIRS

keras = import_keras()
from seqtui.model import build as model_lib  # noqa: E402
from seqtui.model.weights import from_model  # noqa: E402
from seqtui.train import callbacks as cb  # noqa: E402  (needs Keras imported the quiet way first)
from seqtui.train.feeding import BucketedBatches, train_epochs  # noqa: E402

SOURCE, TARGET = Vocab.build(s for s, _ in TINY_PAIRS), Vocab.build(t for _, t in TINY_PAIRS)


@pytest.fixture(scope="module")
def built():
    """A tiny real model and its starting state (weights, optimizer slots), built once for the module: its
    train step is traced once, not once per test."""
    cfg = config.merge(config.Config(), TINY_FLAGS)
    model = model_lib.build(cfg, len(SOURCE), len(TARGET))
    model.jit_compile = False
    model.optimizer.build(model.trainable_variables)
    return model, [v.numpy() for v in [*model.weights, *model.optimizer.variables]]


@pytest.fixture
def setup(built):
    """The model as freshly built (each test starts from the same weights and optimizer state) and its feeds."""
    model, start = built
    for variable, value in zip([*model.weights, *model.optimizer.variables], start, strict=True):
        variable.assign(value)
    feed = BucketedBatches(Encoded.from_pairs(TINY_PAIRS[:32], SOURCE, TARGET), 8, 7, round_to=1)
    val = BucketedBatches(Encoded.from_pairs(TINY_PAIRS[32:], SOURCE, TARGET), 8, 7, shuffle=False, round_to=1)
    return model, feed, val


def run(model, feed, jobs, epochs=2):
    clock = next(j for j in jobs if isinstance(j, cb.EpochClock))
    train_epochs(model, feed, epochs, 0, jobs)
    return clock


class Poison(keras.callbacks.Callback):
    """Replaces the loss of batch `at` of epoch `epoch` with NaN, as an overflowing step would."""

    def __init__(self, epoch: int, at: int) -> None:
        super().__init__()
        self.epoch, self.at, self.now = epoch, at, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.now = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.now, batch) == (self.epoch, self.at):
            logs["loss"] = math.nan


def test_nan_guard_stops_at_the_first_non_finite_loss(setup):
    model, feed, _ = setup
    clock = cb.EpochClock(feed)
    run(model, feed, [Poison(1, 1), clock, cb.NanGuard(clock)], epochs=3)
    assert (clock.epoch, clock.batches_done) == (1, 1)  # stopped right there, in epoch 2
    assert math.isnan(clock.bad_loss) and not clock.complete


def test_pause_waits_and_stop_ends_after_the_current_batch(setup):
    model, feed, _ = setup
    clock = cb.EpochClock(feed)
    stop, pause = threading.Event(), threading.Event()
    seen = []

    class Watch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)
            if batch == 0:
                pause.set()
                threading.Timer(0.3, stop.set).start()  # released by stop, not by a resume

    job = cb.PauseStop(clock, stop, pause)
    run(model, feed, [clock, Watch(), job], epochs=2)
    assert job.stopped and seen == [0] and clock.batches_done == 1


def test_validation_adds_masked_scores_to_the_logs(setup):
    model, feed, val = setup
    clock = cb.EpochClock(feed)
    logs = {}

    class Keep(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, epoch_logs=None):
            logs.update(epoch_logs)

    events = []
    run(model, feed, [clock, cb.Validation(clock, val, events.append), Keep()], epochs=1)
    assert 0 < logs["val_loss"] < 10 and 0 <= logs["val_sparse_categorical_accuracy"] <= 1
    # One event as validation starts, then one per validation batch, so a display can say what it waits for.
    assert [(e.epoch, e.what, e.done, e.total) for e in events] == [(1, "val_loss", k, len(val))
                                                                    for k in range(len(val) + 1)]


def test_chrf_reports_each_batch_of_sentences_it_translates(setup):
    model, feed, _ = setup
    clock = cb.EpochClock(feed)
    src, tgt = Vocab.build(s for s, _ in TINY_PAIRS), Vocab.build(t for _, t in TINY_PAIRS)
    snapshots = cb.Snapshots(clock, lambda m: Engine(from_model(m), src, tgt, 12))
    pairs = TINY_PAIRS * 8  # 320 sentences: eight batches of 40 (an eighth each, at least 32)
    logs, events = {}, []

    class Keep(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, epoch_logs=None):
            logs.update(epoch_logs)

    run(model, feed, [clock, snapshots, cb.ChrfScore(clock, pairs, snapshots, listener=events.append), Keep()],
        epochs=1)
    assert 0 <= logs["val_chrf"] <= 100
    assert [(e.what, e.done, e.total) for e in events] == [("val_chrf", k, 320) for k in range(0, 321, 40)]


def test_a_stop_during_chrf_cuts_the_scoring_short_and_leaves_the_epoch_incomplete(setup):
    """Quitting waited for chrF (10-15 s); now the epoch's scoring stops at the next batch of sentences, nothing
    records the epoch (no val_chrf, not complete) and training ends, so the trainer keeps it as mid-epoch."""
    model, feed, _ = setup
    clock = cb.EpochClock(feed)
    src, tgt = Vocab.build(s for s, _ in TINY_PAIRS), Vocab.build(t for _, t in TINY_PAIRS)
    snapshots = cb.Snapshots(clock, lambda m: Engine(from_model(m), src, tgt, 12))
    stop, logs, events = threading.Event(), {}, []

    def listen(event):
        events.append(event)
        stop.set()  # asked as the scoring starts

    class Keep(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, epoch_logs=None):
            logs.update(epoch_logs, complete=clock.complete)

    job = cb.ChrfScore(clock, TINY_PAIRS * 8, snapshots, listener=listen, stop=stop)
    run(model, feed, [clock, snapshots, job, Keep()], epochs=3)
    assert [(e.epoch, e.done) for e in events] == [(1, 0)]  # not one batch of sentences more
    assert "val_chrf" not in logs and logs["complete"] is False and clock.scoring_stopped
    assert clock.epoch == 0 and clock.batches_done == len(feed)  # training ended in that epoch


def test_best_saver_saves_only_an_improving_epoch(setup, tmp_path):
    model, feed, _ = setup
    clock = cb.EpochClock(feed)
    log = cb.RunLog(Monitor.of("val_loss"))
    scores = iter([2.0, 3.0, 1.5])

    class Score(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = next(scores)

    saves = []
    real = bundle.save_model
    bundle.save_model = lambda path, m: saves.append(clock.epoch) or real(path, m)
    try:
        run(model, feed, [clock, Score(), cb.BestSaver(clock, log, tmp_path)], epochs=3)
    finally:
        bundle.save_model = real
    assert saves == [0, 2] and [r.best for r in log.records] == [True, False, True]
    assert log.best.epoch == 3 and log.best.val_loss == 1.5


def test_checkpointer_writes_history_then_a_checkpoint_each_epoch(setup, tmp_path):
    model, feed, _ = setup
    clock = cb.EpochClock(feed)
    log = cb.RunLog(Monitor.of("val_loss"))

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            log.records.append(EpochRecord(epoch + 1, loss=1.0))

    events = []
    run(model, feed, [clock, Record(), cb.Checkpointer(clock, log, tmp_path, events.append)], epochs=2)
    ckpt = bundle.read_checkpoint(tmp_path)
    assert (ckpt.epoch, ckpt.batch) == (2, 0) and ckpt.path.name == "ckpt-00002-000000.keras"
    assert [r.epoch for r in bundle.read_history(tmp_path)] == [1, 2]
    assert [(e.epoch, e.batch) for e in events] == [(1, 0), (2, 0)]


def test_every_n_batches_checkpoints_mid_epoch(setup, tmp_path):
    model, feed, _ = setup
    clock = cb.EpochClock(feed)
    events = []
    checkpointer = cb.Checkpointer(clock, cb.RunLog(Monitor.of("val_loss")), tmp_path, events.append)
    run(model, feed, [clock, cb.EveryNBatches(clock, checkpointer, 2), checkpointer], epochs=1)
    assert [(e.epoch, e.batch) for e in events][:2] == [(0, 2), (0, 4)]


def test_a_checkpoint_is_refused_for_non_finite_weights(setup, tmp_path):
    model, feed, _ = setup
    clock = cb.EpochClock(feed)
    checkpointer = cb.Checkpointer(clock, cb.RunLog(Monitor.of("val_loss")), tmp_path, lambda e: None)
    checkpointer.set_model(model)
    checkpointer.save(1, 0)
    bias = model.get_layer("output").bias
    bias.assign(np.full(bias.shape, np.inf, dtype="float32"))
    with pytest.raises(cb.NonFiniteWeights):
        checkpointer.save(2, 0)
    assert bundle.read_checkpoint(tmp_path).epoch == 1  # the good one stays


def test_early_stopping_ends_the_run_after_patience_epochs_without_progress(setup):
    model, feed, _ = setup
    clock = cb.EpochClock(feed)
    log = cb.RunLog(Monitor.of("val_chrf"))
    chrf = iter([10.0, 12.0, 11.0, 11.5, 13.0, 9.0])

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            record = EpochRecord(epoch + 1, val_chrf=next(chrf))
            best = log.monitor.better(record, log.best)
            log.records.append(record.marked(best))
            log.best = record if best else log.best

    run(model, feed, [clock, Record(), cb.EarlyStopping(clock, log, patience=2)], epochs=6)
    assert log.reason == "early_stopped" and log.epochs_done == 4  # best at 2 (higher chrF is better)


def test_sample_probes_report_the_epoch_with_its_translations(setup):
    model, feed, _ = setup
    clock = cb.EpochClock(feed)
    log = cb.RunLog(Monitor.of("val_loss"), [EpochRecord(1, best=True)])

    class Engine:
        def decode(self, text):
            return Result([Hypothesis(text.upper(), (0.5,) * (len(text) + 1), True)], [])

    events = []
    job = cb.SampleProbes(clock, log, [("Go.", "Va !")], lambda: Engine(), events.append)
    run(model, feed, [clock, job], epochs=1)
    assert events[0].samples == [("Go.", "Va !", "GO.")] and events[0].best and events[0].record.epoch == 1
    assert [h.text for h in events[0].decoded] == ["GO."]  # the hypothesis itself, for the sample heatmap


def test_monitor_directions():
    low, high = EpochRecord(1, val_loss=1.0, val_chrf=10.0), EpochRecord(2, val_loss=2.0, val_chrf=20.0)
    assert Monitor.of("val_loss").best_of([low, high]) is low
    assert Monitor.of("val_chrf").best_of([low, high]) is high
    assert not Monitor.of("val_loss").better(EpochRecord(3, val_loss=math.nan), None)


def test_every_monitor_a_config_accepts_has_a_direction_and_no_other_is_guessed():
    """Catches a monitor added to the config without its direction (it would have been judged lowest-best)."""
    assert {m: Monitor.of(m).mode for m in config.MONITORS} == {"val_loss": "min", "val_chrf": "max"}
    with pytest.raises(ValueError, match="unknown monitor 'bleu'"):
        Monitor.of("bleu")


def test_the_saved_best_is_the_last_marked_epoch_not_the_last_epoch():
    """On a run that overfits (val_loss falls, then rises), the epoch model.keras holds is the marked one;
    catches a rule that takes the last epoch, or ignores the marks a run was trained with."""
    run = [EpochRecord(1, val_loss=3.0, best=True), EpochRecord(2, val_loss=2.0, best=True),
           EpochRecord(3, val_loss=2.5)]
    assert Monitor.of("val_loss").saved_best(run) is run[1]
    unmarked = [EpochRecord(r.epoch, val_loss=r.val_loss) for r in run]  # a run from before the marks
    assert Monitor.of("val_loss").saved_best(unmarked) is unmarked[1]
    # judged by another monitor later (the runs table of a val_chrf run), the marks still say what was saved
    chrf_run = [EpochRecord(1, val_loss=1.0, val_chrf=30.0, best=True), EpochRecord(2, val_loss=0.5, val_chrf=20.0)]
    assert Monitor.of("val_loss").saved_best(chrf_run) is chrf_run[0]


@pytest.mark.parametrize("options", [
    {"monitor": "val_chrf", "weight_averaging": "ema", "tensorboard": True},
    {"monitor": "val_loss", "weight_averaging": "none", "tensorboard": False},
], ids=["every job", "the default jobs"])
def test_the_jobs_run_in_the_order_that_says_what_each_reads(setup, tmp_path, options):
    """Catches a job moved before one it reads from (BestSaver before Validation would judge an epoch
    without its val_loss; the checkpoint before AverageOut would resume from averaged weights), or a
    job added without its place and reason in ORDER."""
    from seqtui.train import jobs

    _, feed, val = setup
    cfg = config.merge(config.Config(), {**TINY_FLAGS, "model_dir": tmp_path, **options})
    built = jobs.session_jobs(cfg, tmp_path, cb.EpochClock(feed), cb.RunLog(Monitor.of(cfg.monitor)), val,
                              TINY_PAIRS[32:], TINY_PAIRS[32:34], lambda model: None, 0, lambda e: None,
                              threading.Event(), threading.Event())
    names = [type(j).__name__ for j in built]
    ordered = [name for name, _ in jobs.ORDER]
    assert names == [n for n in ordered if n in names]
    optional = {"ChrfScore", "AverageIn", "AverageOut", "TensorBoardLog"}
    assert set(names) == (set(ordered) if options["tensorboard"] else set(ordered) - optional)
