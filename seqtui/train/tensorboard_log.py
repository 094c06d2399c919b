"""`tensorboard = true`: every epoch's history metrics as TensorBoard scalars, in the run's own folder.

The event files sit beside history.jsonl (`events.out.tfevents.*`, names `seqtui.rundir` counts as
the bundle's own), so `tensorboard --logdir models` lists each run folder as one TensorBoard run.
The scalars are written from the epoch's finished record, the one history.jsonl stores, so both
always agree; `seqtui.model.backend` writes them (the one module that touches TensorFlow). Imported
only once Keras is, like `seqtui.callbacks`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import keras

from seqtui.model.backend import ScalarWriter
from seqtui.records import EpochRecord
from seqtui.train.callbacks import EpochClock, RunLog

# The record's fields that are curves; epoch is the step and best a mark, not a metric.
SCALARS = tuple(f.name for f in dataclasses.fields(EpochRecord) if f.name not in ("epoch", "best"))


class TensorBoardLog(keras.callbacks.Callback):
    """Writes the epoch's record as scalars (step = epoch number) once `BestSaver` has made it."""

    def __init__(self, clock: EpochClock, log: RunLog, model_dir: Path) -> None:
        super().__init__()
        self.clock, self.log, self.model_dir = clock, log, Path(model_dir)
        self.writer: ScalarWriter | None = None

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if not self.clock.complete or not self.log.records:
            return
        if self.writer is None:  # made at the first epoch's end, so a run that trains nothing leaves no file
            self.writer = ScalarWriter(str(self.model_dir))
        record = self.log.records[-1]
        self.writer.write({name: float(value) for name in SCALARS if (value := getattr(record, name)) is not None},
                          record.epoch)

    def on_train_end(self, logs: Any = None) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
