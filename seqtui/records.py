"""Typed records that cross module boundaries: an epoch's history line, a run's shape, the monitor.

The history file stays one JSON object per line; these classes are how the code reads and writes it,
so the trainer, the CLI printer, the dashboard and the benchmarks agree on every field.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from seqtui.config import MONITOR_MODES

Reason = Literal["finished", "early_stopped", "stopped", "complete"]
"""Why training returned: ran its epochs, stopped early on the monitor, was asked to stop, or had
nothing to do (the run was already complete)."""

Start = Literal["new", "checkpoint", "model", "init"]
"""How a run began: from scratch, exactly from a checkpoint, from its saved model's weights, or from
another bundle's weights and vocabulary (`--init-from`, fine-tuning)."""


@dataclass(frozen=True)
class Monitor:
    """What picks the best epoch and drives early stopping: a history field and its direction."""

    name: str
    mode: Literal["min", "max"]

    @classmethod
    def of(cls, name: str) -> Monitor:
        """The monitor for a config's `monitor` value, its direction from `config.MONITOR_MODES`."""
        if name not in MONITOR_MODES:
            raise ValueError(f"unknown monitor {name!r}: one of {', '.join(MONITOR_MODES)}")
        return cls(name, MONITOR_MODES[name])

    def score(self, record: EpochRecord) -> float | None:
        value = getattr(record, self.name, None)
        return float(value) if value is not None and math.isfinite(value) else None

    def better(self, record: EpochRecord, best: EpochRecord | None) -> bool:
        """Whether `record` beats `best` (a record without a finite score never does)."""
        value = self.score(record)
        if value is None:
            return False
        held = self.score(best) if best is not None else None
        if held is None:
            return True
        return value < held if self.mode == "min" else value > held

    def best_of(self, history: Sequence[EpochRecord]) -> EpochRecord | None:
        """The first record with the best score by this monitor (None when none has a finite score)."""
        best = None
        for record in history:
            if self.better(record, best):
                best = record
        return best

    def saved_best(self, history: Sequence[EpochRecord]) -> EpochRecord | None:
        """The epoch whose weights are the run's model.keras: the last the trainer marked best, or for
        records without marks (a run from before them) the best by this monitor."""
        return last_marked(history) or self.best_of(history)


def last_marked(history: Sequence[EpochRecord]) -> EpochRecord | None:
    """The last record the trainer marked best (None when none is marked)."""
    return next((r for r in reversed(history) if r.best), None)


MAX_EPOCH = 10**6  # far above any run (the config allows 100,000 epochs); a bigger one is not a record


@dataclass(frozen=True)
class EpochRecord:
    """One finished epoch, as history.jsonl stores it."""

    epoch: int
    loss: float | None = None
    accuracy: float | None = None
    val_loss: float | None = None
    val_accuracy: float | None = None
    val_chrf: float | None = None
    learning_rate: float | None = None
    seconds: float = 0.0
    chars_per_second: float = 0.0
    best: bool = False

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> EpochRecord:
        """A record from a history line; unknown keys (from a newer version) are ignored.

        Raises:
            TypeError, ValueError: the line is not a record.
        """
        if not isinstance(raw, dict):
            raise TypeError(f"expected an object, got {type(raw).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in raw.items() if k in names}
        record = cls(**values)
        if isinstance(record.epoch, bool) or not isinstance(record.epoch, int) or not 1 <= record.epoch <= MAX_EPOCH:
            raise ValueError(f"epoch: {record.epoch!r} is not an epoch number")
        for name in _NUMBERS:  # drawn, compared and formatted as numbers: a string here would fail far away
            value = getattr(record, name)
            if (value is not None or name in ("seconds", "chars_per_second")) and (
                    isinstance(value, bool) or not isinstance(value, int | float)):
                raise ValueError(f"{name}: expected a number, got {value!r}")
        if not isinstance(record.best, bool):
            raise ValueError(f"best: expected true or false, got {record.best!r}")
        return record

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        for optional in ("val_chrf", "learning_rate"):  # only chrF-monitored runs score val_chrf
            if out[optional] is None:
                del out[optional]
        return out

    def marked(self, best: bool) -> EpochRecord:
        return dataclasses.replace(self, best=best)


_NUMBERS = ("loss", "accuracy", "val_loss", "val_accuracy", "val_chrf", "learning_rate", "seconds",
            "chars_per_second")


@dataclass(frozen=True)
class RunInfo:
    """The run's shape, known once data is prepared and the model is built."""

    data: str
    train_pairs: int
    val_pairs: int
    source_vocab: int
    target_vocab: int
    architecture: str
    latent_dim: int
    batch_size: int
    global_batch_size: int
    parameters: int
    optimizer: str
    backend: str
    devices: list[str] = field(default_factory=list)
    replicas: int = 1
    distribution: str = ""
    process: int = 0
    processes: int = 1
    skipped: str = ""
    prepare_seconds: float = 0.0
    model_dir: str = ""
    monitor: str = "val_loss"
