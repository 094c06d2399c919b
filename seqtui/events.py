"""What training reports while it runs. The CLI prints these; the TUI turns them into messages.

A listener is any callable taking one event. Events are plain frozen dataclasses, safe to hand to
another thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from seqtui.records import EpochRecord, Reason, RunInfo, Start


@dataclass(frozen=True)
class TrainingStarted:
    """The run's shape, known once data is prepared and the model is built, and how it started.

    `note` says how a resumed run started when that needs saying (e.g. from a model without a checkpoint).
    """

    info: RunInfo
    first_epoch: int
    epochs: int
    batches: int
    resumed: bool = False
    start: Start = "new"
    note: str = ""


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

    record: EpochRecord
    best: bool
    samples: list[tuple[str, str, str]] = field(default_factory=list)
    snapshot: Any = None  # a decoding engine on this epoch's weights, for the REPL while training
    # The samples' greedy hypotheses (probabilities, attention) from the pass that translated them.
    decoded: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Validating:
    """The epoch's validation under way: `done` of `total` steps scoring `what`.

    `what` is "val_loss" (steps are validation batches) or "val_chrf" (steps are sentences translated).
    Sent at 0 when a phase starts and after each step, so a display can say why the bar stands still.
    """

    epoch: int
    what: str
    done: int
    total: int


@dataclass(frozen=True)
class CheckpointSaved:
    """A checkpoint was written (at an epoch end or every N batches)."""

    path: str
    epoch: int
    batch: int


@dataclass(frozen=True)
class TrainingEnded:
    """Training returned (see `Reason`), with the best epoch by the run's monitor and its score.

    `note` explains a "complete" run (nothing was left to train, and how to train further); `answers`
    says which model answers translate, repl and predict now that the run has been compared with the
    shipped model ("" when no comparison was made).
    """

    reason: Reason
    epochs_done: int
    best_epoch: int | None
    monitor: str
    best_score: float | None
    model_dir: str
    note: str = ""
    answers: str = ""

    def best_text(self) -> str:
        """'best epoch 14 (val_chrf 44.12)', 'best epoch 3 (val_loss 0.4804)', or 'no epoch done'.

        chrF with the two decimals the epochs table gives it, a loss with four.
        """
        if self.best_epoch is None:
            return "no epoch done"
        digits = 2 if self.monitor.endswith("chrf") else 4
        score = "-" if self.best_score is None else f"{self.best_score:.{digits}f}"
        return f"best epoch {self.best_epoch} ({self.monitor} {score})"


Event = TrainingStarted | BatchEnded | Validating | EpochEnded | CheckpointSaved | TrainingEnded
Listener = Callable[[Event], None]


def ignore(_: Event) -> None:
    """A listener that does nothing."""
