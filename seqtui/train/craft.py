"""Training craft as callbacks: the learning-rate schedule, and the averaged weights the epoch's end scores.

`LearningRate` sets the optimizer's rate before every batch from `seqtui.schedule`'s formula (the
history records each epoch's rate as `learning_rate`). `AverageIn` runs before the epoch-end jobs that judge
and save the model (validation, chrF, `BestSaver`) and puts the averaged weights in the model;
`AverageOut` runs after them and puts the raw weights back, so checkpoints hold the raw weights and,
beside them, what the average needs to go on: Keras' own moving average among the optimizer's
variables (`ema`), or the last epochs' checkpoints, kept for it (`last-k`).

Imported only once Keras is (see `seqtui.model.backend.import_keras`).
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

import keras
import numpy as np

from seqtui.config import Config
from seqtui.model.backend import sync_state
from seqtui.model.weights import layer_arrays
from seqtui.records import EpochRecord
from seqtui.store import bundle
from seqtui.train import schedule

LayerWeights = dict[str, list[np.ndarray]]  # each layer's get_weights(), by layer name


class LearningRate(keras.callbacks.Callback):
    """The scheduled rate before every batch, when there is a schedule (`BestSaver` records the rate in the history)."""

    def __init__(self, cfg: Config, base: float, records: list[EpochRecord]) -> None:
        super().__init__()
        self.cfg, self.base, self.records = cfg, base, records  # records: the run's history, growing
        self.step, self.factor = 0, 1.0
        self.current: float | None = None

    def on_train_begin(self, logs: Any = None) -> None:
        # The optimizer counts its steps and every checkpoint saves the count, so a resumed run goes on
        # where it stopped; a new optimizer (a new run, or a model without a checkpoint) starts at 0.
        self.step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.factor = schedule.epoch_factor(self.cfg, self.records)

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        if not schedule.scheduled(self.cfg):
            return
        rate = self.base * schedule.warm(self.cfg, self.step) * self.factor
        if rate != self.current:
            sync_state(self.model)
            self.model.optimizer.learning_rate = rate
            self.current = rate

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.step += 1


def _get(model: Any) -> LayerWeights:
    return {layer.name: layer.get_weights() for layer in model.layers}


def _set(model: Any, weights: LayerWeights) -> None:
    for layer in model.layers:
        if layer.weights:
            layer.set_weights(weights[layer.name])


def kept_for_average(cfg: Config, epochs_done: int) -> frozenset[str]:
    """The epoch-end checkpoints `last-k` averaging needs kept after `epochs_done` epochs."""
    if cfg.weight_averaging != "last-k":
        return frozenset()
    first = max(1, epochs_done - cfg.average_last + 1)
    return frozenset(bundle.checkpoint_name(e, 0) for e in range(first, epochs_done + 1))


class AverageIn(keras.callbacks.Callback):
    """At a complete epoch's end, the averaged weights go into the model for the jobs that score and save it.

    ema: Keras' moving average, updated by the optimizer after every step. last-k: the mean of the raw
    weights at the ends of the last `average_last` epochs, this one included; a resumed run reads the
    earlier ones back from the checkpoints kept for it (`kept_for_average`). `snapshot` takes the epoch's
    decoding engine (`callbacks.Snapshots`) while the average is in the model.
    """

    def __init__(self, clock: Any, cfg: Config, model_dir: Path, epochs_done: int, snapshot: Any) -> None:
        super().__init__()
        self.clock, self.cfg, self.model_dir, self.epochs_done = clock, cfg, Path(model_dir), epochs_done
        self.snapshot = snapshot
        self.window: deque[LayerWeights] = deque(maxlen=cfg.average_last)
        self.raw: LayerWeights | None = None  # while the average is in the model
        self.last_raw: LayerWeights | None = None

    def on_train_begin(self, logs: Any = None) -> None:
        if self.cfg.weight_averaging != "last-k":
            return
        folder = self.model_dir / bundle.CKPT_DIR
        for name in sorted(kept_for_average(self.cfg, self.epochs_done)):
            if (folder / name).is_file():
                self.window.append(layer_arrays(folder / name))

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        raw = self.last_raw = _get(self.model)
        if not self.clock.complete:
            return
        self.raw = raw
        if self.cfg.weight_averaging == "ema":
            self.model.optimizer.finalize_variable_values(self.model.trainable_variables)
        else:
            self.window.append(raw)
            _set(self.model, {name: [np.mean([w[name][i] for w in self.window], axis=0)
                                     for i in range(len(arrays))] for name, arrays in raw.items()})
        self.snapshot()  # the epoch's decoding engine (samples, the REPL's weights) is the average's too

    def on_train_end(self, logs: Any = None) -> None:
        # Keras' fit ends by putting the moving average in the model (finalize_variable_values); the run
        # keeps raw and averaged apart itself, so the raw weights go back for whatever is saved next.
        if self.last_raw is not None:
            _set(self.model, self.last_raw)


class AverageOut(keras.callbacks.Callback):
    """Puts the raw weights back once the epoch's averaged weights have been scored and saved."""

    def __init__(self, average: AverageIn) -> None:
        super().__init__()
        self.average = average

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if self.average.raw is not None:
            _set(self.model, self.average.raw)
            self.average.raw = None
