"""The learning-rate schedule as a formula of the run's position, so a resumed run continues it exactly.

The rate of optimizer step `s` (0-based, counted by the optimizer, whose counter every checkpoint
saves) in an epoch that follows the finished epochs `history` is

    base * warm(s) * epoch_factor(history)

- `warm(s) = min(1, (s + 1) / warmup_steps)`, or 1 without warm-up;
- `constant`: factor 1; `decay`: `decay_rate ** epochs_done`;
- `plateau`: `plateau_factor ** cuts`, where the cuts are replayed from the history the way Keras'
  `ReduceLROnPlateau` counts them: an epoch that does not beat the best monitor score so far adds
  one to a wait, and a wait of `plateau_patience` epochs is one cut and starts the wait again.

Nothing here is state: the history and the step counter are already in every checkpoint.
"""

from __future__ import annotations

from seqtui.config import Config
from seqtui.records import EpochRecord, Monitor


def warm(cfg: Config, step: int) -> float:
    """The warm-up's share of the rate at optimizer step `step` (0-based)."""
    return min(1.0, (step + 1) / cfg.warmup_steps) if cfg.warmup_steps else 1.0


def plateau_cuts(history: list[EpochRecord], monitor: Monitor, patience: int) -> int:
    """How many times a plateau of `patience` epochs without a better monitor score has cut the rate."""
    best: EpochRecord | None = None
    wait = cuts = 0
    for record in history:
        if monitor.better(record, best):
            best, wait = record, 0
            continue
        wait += 1
        if wait >= patience:
            cuts, wait = cuts + 1, 0
    return cuts


def epoch_factor(cfg: Config, history: list[EpochRecord]) -> float:
    """What the schedule multiplies the base rate by in the epoch after `history`."""
    if cfg.lr_schedule == "decay":
        return cfg.decay_rate ** (history[-1].epoch if history else 0)
    if cfg.lr_schedule == "plateau":
        return cfg.plateau_factor ** plateau_cuts(history, Monitor.of(cfg.monitor), cfg.plateau_patience)
    return 1.0


def scheduled(cfg: Config) -> bool:
    """Whether the rate ever changes (otherwise the optimizer's rate is left alone)."""
    return cfg.lr_schedule != "constant" or cfg.warmup_steps > 0


def rate(cfg: Config, base: float, step: int, history: list[EpochRecord]) -> float:
    """The learning rate of optimizer step `step` in the epoch after `history`."""
    return base * warm(cfg, step) * epoch_factor(cfg, history)
