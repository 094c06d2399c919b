"""What training reports while it runs. The CLI prints these; the TUI turns them into messages.

A listener is any callable taking one event. Events are plain frozen dataclasses, safe to hand to
another thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TrainingStarted:
    """The run's shape, known once data is prepared and the model is built."""

    info: dict[str, Any]
    first_epoch: int
    epochs: int
    batches: int
    resumed: bool = False


@dataclass(frozen=True)
class BatchEnded:
    """One batch done. `batch` counts from 1 within the epoch."""

    epoch: int
    batch: int
    batches: int
    loss: float
    accuracy: float
    seconds: float
    chars_per_second: float


@dataclass(frozen=True)
class EpochEnded:
    """One epoch done: its history record, whether it is the best so far, and sample translations."""

    record: dict[str, Any]
    best: bool
    samples: list[tuple[str, str, str]] = field(default_factory=list)
    snapshot: Any = None  # a decoding engine on this epoch's weights, for the REPL while training


@dataclass(frozen=True)
class CheckpointSaved:
    """A checkpoint was written (at an epoch end or every N batches)."""

    path: str
    epoch: int
    batch: int


@dataclass(frozen=True)
class TrainingEnded:
    """Training stopped: `reason` is finished, early_stopped, stopped, or interrupted."""

    reason: str
    epochs_done: int
    best_epoch: int | None
    best_val_loss: float | None
    model_dir: str


Event = TrainingStarted | BatchEnded | EpochEnded | CheckpointSaved | TrainingEnded
Listener = Callable[[Event], None]


def ignore(_: Event) -> None:
    """A listener that does nothing."""
