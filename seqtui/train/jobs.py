"""The trainer's jobs for one session, in the one order they run, and why it is that order.

Keras calls the callbacks in list order at every hook, and the jobs share what they learn through
that order: one `EpochClock` and one `RunLog`, written by the earlier jobs and read by the later ones.
`ORDER` names each job with what it needs from the ones before it; `session_jobs` builds them in that
order (a job whose setting is off is left out) and a test pins the two together.

Imported only once Keras is (see `seqtui.model.backend.import_keras`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seqtui.config import Config
from seqtui.events import EpochEnded, Event, Listener
from seqtui.model import build as model_lib
from seqtui.store import bundle
from seqtui.train import callbacks as cb
from seqtui.train import craft
from seqtui.train.tensorboard_log import TensorBoardLog

ORDER: tuple[tuple[str, str], ...] = (
    ("EpochClock", "first: every other job reads what the epoch has done from it"),
    ("LearningRate", "sets the epoch's rate before its first batch"),
    ("NanGuard", "stops on a non-finite loss before anything reports or saves the batch"),
    ("BatchReporter", "reports the batch the clock counted"),
    ("EveryNBatches", "checkpoints mid-epoch, before a stop, so a stop keeps the batches done"),
    ("PauseStop", "waits or stops once the batch is reported and saved"),
    ("Snapshots", "forgets the last epoch's decoding engine, for the scorers below to take a new one"),
    ("AverageIn", "puts the averaged weights in the model for the jobs that score and save it"),
    ("Validation", "adds val_loss to the logs, which BestSaver reads"),
    ("ChrfScore", "adds val_chrf to the logs, which BestSaver reads"),
    ("BestSaver", "makes the epoch's record, judges it by the monitor, saves model.keras if best"),
    ("AverageOut", "puts the raw weights back before the checkpoint, which resumes training from them"),
    ("Checkpointer", "writes the history with the record BestSaver made, then the checkpoint"),
    ("TensorBoardLog", "writes the record BestSaver made"),
    ("SampleProbes", "reports the epoch with its record and sample translations"),
    ("EarlyStopping", "last: ends the run once the RunLog's best is `patience` epochs old"),
)


def session_jobs(cfg: Config, model_dir: Path, clock: cb.EpochClock, log: cb.RunLog, val_feed: Any,
                 val_pairs: list[tuple[str, str]], probes: list[tuple[str, str]], snapshot: Callable[[Any], Any],
                 epochs_done: int, listener: Listener, stop: threading.Event, pause: threading.Event) -> list[Any]:
    """The session's jobs in `ORDER`; `snapshot(model)` makes a decoding engine of the model's weights."""
    snapshots = cb.Snapshots(clock, snapshot)
    checkpointer = cb.Checkpointer(clock, log, model_dir, listener,
                                   keep=lambda done: craft.kept_for_average(cfg, done))
    chrf = [cb.ChrfScore(clock, val_pairs, snapshots, listener=listener, stop=stop)] \
        if cfg.monitor == "val_chrf" else []
    average_in = [craft.AverageIn(clock, cfg, model_dir, epochs_done, snapshots)] \
        if cfg.weight_averaging != "none" else []
    average_out = [craft.AverageOut(average_in[0])] if average_in else []
    rate = craft.LearningRate(cfg, model_lib.base_learning_rate(cfg), log.records)
    board = [TensorBoardLog(clock, log, model_dir)] if cfg.tensorboard else []
    return [clock, rate, cb.NanGuard(clock), cb.BatchReporter(clock, listener),
            cb.EveryNBatches(clock, checkpointer, cfg.checkpoint_every),
            cb.PauseStop(clock, stop, pause), snapshots, *average_in,
            cb.Validation(clock, val_feed, listener, stop),
            *chrf, cb.BestSaver(clock, log, model_dir), *average_out, checkpointer, *board,
            cb.SampleProbes(clock, log, probes, snapshots, recording_samples(model_dir, listener)),
            cb.EarlyStopping(clock, log, cfg.patience)]


def recording_samples(model_dir: Path, listener: Listener) -> Listener:
    """`listener`, with each epoch's samples also written to samples.json (what --follow shows)."""
    def listen(event: Event) -> None:
        if isinstance(event, EpochEnded):
            bundle.write_samples(model_dir, event.record.epoch, event.samples)
        listener(event)

    return listen
