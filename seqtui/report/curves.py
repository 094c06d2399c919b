"""What turns a run's history into curves worth reading: smoothing, a window of epochs, a log scale.

Shared by the dashboard's braille plots and `seqtui plot`'s images, so both draw the same line.
"""

from __future__ import annotations

import math

LABELS = {"loss": "training loss", "accuracy": "training accuracy", "val_loss": "validation loss",
          "val_accuracy": "validation accuracy", "val_chrf": "validation chrF", "learning_rate": "learning rate",
          "seconds": "epoch time (s)", "chars_per_second": "characters per second"}


def label(metric: str) -> str:
    """A metric's name as a person reads it on an axis."""
    return LABELS.get(metric, metric)


def ema(values: list[float], weight: float) -> list[float]:
    """An exponential moving average, debiased as TensorBoard's smoothing is, so the first points are
    not pulled towards zero. `weight` 0 leaves the values as they are; near 1 smooths hard."""
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing weight must be in [0, 1), not {weight}")
    out, last = [], 0.0
    for steps, v in enumerate(values, start=1):
        last = last * weight + (1 - weight) * v
        out.append(last / (1 - weight**steps))
    return out


def window(epochs: list[int], values: list[float], last: int) -> tuple[list[int], list[float]]:
    """The points of the `last` epochs up to the newest one (0: all of them)."""
    if last <= 0 or not epochs:
        return epochs, values
    first = epochs[-1] - last + 1
    kept = [(e, v) for e, v in zip(epochs, values, strict=True) if e >= first]
    return [e for e, _ in kept], [v for _, v in kept]


def positive(epochs: list[int], values: list[float]) -> tuple[list[int], list[float]]:
    """The points a log scale can show (values above zero)."""
    kept = [(e, v) for e, v in zip(epochs, values, strict=True) if v > 0 and math.isfinite(v)]
    return [e for e, _ in kept], [v for _, v in kept]
