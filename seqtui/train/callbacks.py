"""The trainer's jobs, one small Keras callback each, in the order `training` lists them.

Batch end: `EpochClock` counts, `NanGuard` stops on a non-finite loss, `BatchReporter` reports,
`EveryNBatches` checkpoints every N batches, `PauseStop` waits or stops. Epoch end (a complete epoch only):
`Validation` adds val_loss and val_accuracy to the logs, `ChrfScore` val_chrf, `BestSaver` judges the
epoch by the monitor and saves model.keras if it is the best, `Checkpointer` writes the history and
a checkpoint, `SampleProbes` reports the epoch with sample translations, `EarlyStopping` ends the run
once the monitor has not improved for `patience` epochs. They share one `EpochClock` (what the epoch
has done) and one `RunLog` (the records and the best of them), as Keras' callbacks share `logs`.

No file is written from non-finite weights: `require_finite` runs before every save, so the last good
model and checkpoint stay on disk. Imported only once Keras is (see `seqtui.model.backend.import_keras`).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from seqtui.decode.decoding import Engine
from seqtui.events import BatchEnded, CheckpointSaved, EpochEnded, Listener, Validating, ignore
from seqtui.model.backend import any_process
from seqtui.records import EpochRecord, Monitor, Reason
from seqtui.store import bundle
from seqtui.store.saved import TrainingState
from seqtui.train.compare import CHRF_PAIRS, chrf, chrf_pairs
from seqtui.train.feeding import BucketedBatches, masked_scores

Snapshot = Callable[[], Engine]  # a decoding engine on the model's current weights


class EpochClock(keras.callbacks.Callback):
    """What the current epoch has done: batches, characters, time, and whether it went wrong."""

    def __init__(self, feed: BucketedBatches) -> None:
        super().__init__()
        self.feed = feed
        self.epoch, self.batches_done, self.chars_done, self.t0 = 0, 0, 0, 0.0
        self.bad_loss: float | None = None
        self.scoring_stopped = False  # a stop came while the epoch was validated: it is redone on resume

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.epoch, self.batches_done, self.chars_done = epoch, 0, 0
        self.scoring_stopped = False
        self.t0 = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        loss = float((logs or {}).get("loss", math.nan))
        if not math.isfinite(loss):
            self.bad_loss = loss
            return
        self.batches_done = batch + 1
        self.chars_done += self.feed.chars[batch] if batch < len(self.feed.chars) else 0

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.t0

    @property
    def failed(self) -> bool:
        return self.bad_loss is not None

    @property
    def complete(self) -> bool:
        """Every batch of the epoch ran with a finite loss and its scoring was not stopped (a stopped epoch is
        neither scored nor kept as done: its weights go into a mid-epoch checkpoint)."""
        return self.batches_done >= len(self.feed) and not self.failed and not self.scoring_stopped


class NanGuard(keras.callbacks.Callback):
    """Stops training at the first non-finite loss, as Keras' TerminateOnNaN does."""

    def __init__(self, clock: EpochClock) -> None:
        super().__init__()
        self.clock = clock

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        if self.clock.failed:
            self.model.stop_training = True


class BatchReporter(keras.callbacks.Callback):
    """A BatchEnded event per batch, with the epoch's running loss and accuracy and its throughput."""

    def __init__(self, clock: EpochClock, listener: Listener) -> None:
        super().__init__()
        self.clock, self.listener = clock, listener

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        if self.clock.failed:
            return
        logs, elapsed = logs or {}, self.clock.seconds
        self.listener(BatchEnded(self.clock.epoch + 1, batch + 1, len(self.clock.feed), float(logs["loss"]),
                                 float(logs.get("sparse_categorical_accuracy", math.nan)), elapsed,
                                 self.clock.chars_done / elapsed if elapsed > 0 else 0.0))


class PauseStop(keras.callbacks.Callback):
    """Waits while `pause` is set; after a batch (or an epoch) where `stop` is set, or before the next epoch
    begins, ends training.

    With several processes, a stop asked in any of them stops all of them after the same batch.
    """

    def __init__(self, clock: EpochClock, stop: threading.Event, pause: threading.Event) -> None:
        super().__init__()
        self.clock, self.stop, self.pause = clock, stop, pause
        self.stopped = False

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        while self.pause.is_set() and not self.stop.is_set():
            time.sleep(0.05)
            self.clock.t0 += 0.05  # paused time is not training time
        self._check()

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._check()  # asked after the last epoch was scored and kept: no batch of this one runs

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if self.clock.complete:
            self._check()

    def _check(self) -> None:
        if any_process(self.stop.is_set()):
            self.model.stop_training = self.stopped = True


class _ScoringStopped(Exception):
    """The stop event was set while an epoch was being scored."""


def _scoring_steps(listener: Listener, epoch: int, what: str,
                   stop: threading.Event | None) -> Callable[[int, int], None]:
    """A `progress(done, total)` hook: a Validating event for `epoch` (counted from 1), and _ScoringStopped
    when a stop is asked with steps still to go (in any process, so all of them stop at the same step)."""
    def step(done: int, total: int) -> None:
        listener(Validating(epoch, what, done, total))
        if done < total and stop is not None and any_process(stop.is_set()):
            raise _ScoringStopped

    return step


class _Scoring(keras.callbacks.Callback):
    """A validation job that a stop cuts short: chrF took 10-15 s on a CPU, and quitting waited for it.

    The epoch is then not complete: nothing judges or records it, training stops, and the trainer saves
    its weights as a mid-epoch checkpoint, from which a resume runs the epoch again.
    """

    def __init__(self, clock: EpochClock, listener: Listener, stop: threading.Event | None) -> None:
        super().__init__()
        self.clock, self.listener, self.stop = clock, listener, stop

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if not self.clock.complete or logs is None:
            return
        try:
            self.score(logs, lambda what: _scoring_steps(self.listener, epoch + 1, what, self.stop))
        except _ScoringStopped:
            self.clock.scoring_stopped = True
            self.model.stop_training = True

    def score(self, logs: dict[str, Any], steps: Callable[[str], Callable[[int, int], None]]) -> None:
        raise NotImplementedError


class Validation(_Scoring):
    """The masked validation loss and accuracy, added to the epoch's logs; a Validating event per batch."""

    def __init__(self, clock: EpochClock, feed: BucketedBatches, listener: Listener = ignore,
                 stop: threading.Event | None = None) -> None:
        super().__init__(clock, listener, stop)
        self.feed = feed

    def score(self, logs: dict[str, Any], steps: Callable[[str], Callable[[int, int], None]]) -> None:
        step = steps("val_loss")
        step(0, len(self.feed))
        logs["val_loss"], accuracy = masked_scores(self.model, self.feed, step)
        if accuracy is not None:  # none with `metrics = []`
            logs["val_sparse_categorical_accuracy"] = accuracy


class ChrfScore(_Scoring):
    """chrF of greedy translations of (up to `most`, evenly spread) validation pairs, as `val_chrf`.

    The slowest part of an epoch's end (seconds on a CPU), so it reports a Validating event per batch of
    sentences translated.
    """

    def __init__(self, clock: EpochClock, pairs: list[tuple[str, str]], snapshot: Snapshot,
                 most: int = CHRF_PAIRS, listener: Listener = ignore, stop: threading.Event | None = None) -> None:
        super().__init__(clock, listener, stop)
        self.snapshot = snapshot
        self.pairs = chrf_pairs(pairs, most)

    def score(self, logs: dict[str, Any], steps: Callable[[str], Callable[[int, int], None]]) -> None:
        step = steps("val_chrf")
        step(0, len(self.pairs))
        logs["val_chrf"] = chrf(self.snapshot(), self.pairs, progress=step)


@dataclass
class RunLog:
    """The run's records so far and the best of them by the monitor; what the epoch-end callbacks share."""

    monitor: Monitor
    records: list[EpochRecord] = field(default_factory=list)
    best: EpochRecord | None = None
    reason: Reason = "finished"

    def __post_init__(self) -> None:
        self.best = self.best or self.monitor.best_of(self.records)

    @property
    def epochs_done(self) -> int:
        return self.records[-1].epoch if self.records else 0


class NonFiniteWeights(Exception):
    """Raised instead of saving weights that hold inf or NaN; the trainer turns it into TrainingFailed."""


def finite(model: Any) -> bool:
    """Whether every weight of `model` is finite."""
    return all(bool(np.isfinite(w).all()) for w in model.get_weights())


def require_finite(model: Any, what: str) -> None:
    """Refuse to save weights that are not all finite (an overflow can leave the loss finite)."""
    if not finite(model):
        raise NonFiniteWeights(what)


def _record(epoch: int, logs: dict[str, Any], seconds: float, chars: int, learning_rate: float | None) -> EpochRecord:
    def num(key: str) -> float | None:
        value = logs.get(key)
        return None if value is None else round(float(value), 6)

    return EpochRecord(epoch + 1, num("loss"), num("sparse_categorical_accuracy"), num("val_loss"),
                       num("val_sparse_categorical_accuracy"),
                       round(float(logs["val_chrf"]), 3) if "val_chrf" in logs else None, learning_rate,
                       round(seconds, 3), round(chars / seconds, 1) if seconds > 0 else 0.0)


def learning_rate(model: Any) -> float | None:
    """The optimizer's learning rate now (a schedule's current value), for the history and its curves."""
    try:
        return float(f"{float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)):.6g}")
    except (AttributeError, TypeError, ValueError):
        return None


class BestSaver(keras.callbacks.Callback):
    """Records the epoch, judged by the monitor; the best so far is saved as model.keras."""

    def __init__(self, clock: EpochClock, log: RunLog, model_dir: Any) -> None:
        super().__init__()
        self.clock, self.log, self.model_dir = clock, log, model_dir

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if not self.clock.complete:
            return
        record = _record(epoch, logs or {}, self.clock.seconds, self.clock.chars_done, learning_rate(self.model))
        improved = self.log.monitor.better(record, self.log.best)
        record = record.marked(improved)
        if improved:
            require_finite(self.model, bundle.MODEL)
            bundle.save_model(self.model_dir / bundle.MODEL, self.model)
            self.log.best = record
        self.log.records.append(record)


class Checkpointer(keras.callbacks.Callback):
    """Writes the history and a checkpoint at each epoch end; `save` also serves mid-epoch checkpoints.

    `keep(epochs_done)` names older checkpoints to keep beside the new one (what last-k averaging reads).
    """

    def __init__(self, clock: EpochClock, log: RunLog, model_dir: Any, listener: Listener,
                 keep: Callable[[int], frozenset[str]] = lambda _: frozenset()) -> None:
        super().__init__()
        self.clock, self.log, self.model_dir, self.listener, self.keep = clock, log, model_dir, listener, keep

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if self.clock.complete:
            bundle.write_history(self.model_dir, self.log.records)
            self.save(epoch + 1, 0)

    def save(self, epoch: int, batch: int) -> None:
        """A checkpoint of `epoch` epochs and `batch` batches of the next; model.keras too if there is none."""
        require_finite(self.model, "a checkpoint")
        state = TrainingState(epoch, batch, tuple(self.log.records), self.log.best.epoch if self.log.best else None)
        path = bundle.write_checkpoint(self.model_dir, self.model, state, self.keep(epoch))
        if not bundle.exists(self.model_dir):  # before the first epoch ends: let translate work already
            bundle.save_model(self.model_dir / bundle.MODEL, self.model)
        self.listener(CheckpointSaved(str(path), epoch, batch))


class EveryNBatches(keras.callbacks.Callback):
    """A checkpoint every `every` batches (`checkpoint_every`), so a kill loses at most that many."""

    def __init__(self, clock: EpochClock, checkpointer: Checkpointer, every: int) -> None:
        super().__init__()
        self.clock, self.checkpointer, self.every = clock, checkpointer, every

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        if self.every and not self.clock.failed and (batch + 1) % self.every == 0:
            self.checkpointer.save(self.clock.epoch, batch + 1)


class SampleProbes(keras.callbacks.Callback):
    """An EpochEnded event with a few validation sentences translated by this epoch's weights."""

    def __init__(self, clock: EpochClock, log: RunLog, probes: list[tuple[str, str]], snapshot: Snapshot,
                 listener: Listener) -> None:
        super().__init__()
        self.clock, self.log, self.probes, self.snapshot, self.listener = clock, log, probes, snapshot, listener

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if not self.clock.complete:
            return
        engine = self.snapshot()
        # One at a time rather than batched: a handful of sentences, and each keeps its attention for
        # the dashboard's heatmap (the greedy text is the same either way; the engine's tests say so).
        decoded = [engine.decode(source).best for source, _ in self.probes]
        samples = [(s, t, h.text) for (s, t), h in zip(self.probes, decoded, strict=True)]
        record = self.log.records[-1]
        self.listener(EpochEnded(record, record.best, samples, engine, decoded))


class EarlyStopping(keras.callbacks.Callback):
    """Ends the run once `patience` epochs have passed without a better monitor score (0: never)."""

    def __init__(self, clock: EpochClock, log: RunLog, patience: int) -> None:
        super().__init__()
        self.clock, self.log, self.patience = clock, log, patience

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        best = self.log.best
        if self.clock.complete and self.patience and best and epoch + 1 - best.epoch >= self.patience:
            self.log.reason = "early_stopped"
            self.model.stop_training = True


class Snapshots(keras.callbacks.Callback):
    """One decoding engine per epoch on the model's weights, made on first use and shared by its users.

    A callback only to be handed the model; it has no hooks of its own.
    """

    def __init__(self, clock: EpochClock, make: Callable[[Any], Any]) -> None:
        super().__init__()
        self.clock, self.make = clock, make
        self._epoch: int | None = None
        self._engine: Any = None

    def __call__(self) -> Any:
        if self._epoch != self.clock.epoch:
            self._epoch, self._engine = self.clock.epoch, self.make(self.model)
        return self._engine
