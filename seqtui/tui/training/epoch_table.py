"""One row per finished epoch, appended live; the best epoch (by the run's monitor) is starred."""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from seqtui.records import EpochRecord

COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds", "characters per second")
# Fixed widths: the layout does not shift as numbers grow, and never waits for the table to re-measure.
WIDTHS = (5, 7, 8, 8, 12, 7, 21)
BEST = "★"


def _number(value: Any, digits: int) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:,.{digits}f}"


class EpochTable(DataTable):
    """The history table. Cells are right-aligned; the best epoch's number carries a star."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.best_epoch: int | None = None

    def on_mount(self) -> None:
        for name, width in zip(COLUMNS, WIDTHS, strict=True):
            label = Text(name, justify="left" if name == "epoch" else "right")  # over right-aligned numbers
            self.add_column(label, key=name, width=width)

    def add_record(self, record: EpochRecord, best: bool) -> None:
        """Append one epoch; `best` moves the star to it."""
        epoch = record.epoch
        key = str(epoch)
        if key in self.rows:  # a resumed run repeats nothing, but a followed file may be re-read
            return
        cells = [_number(record.loss, 4), _number(record.accuracy, 4), _number(record.val_loss, 4),
                 _number(record.val_accuracy, 4), _number(record.seconds, 1), _number(record.chars_per_second, 0)]
        self.add_row(self._epoch_cell(epoch, False), *(Text(c, justify="right") for c in cells), key=key)
        if best:
            self.mark_best(epoch)
        self.move_cursor(row=self.row_count - 1)

    def mark_best(self, epoch: int) -> None:
        if self.best_epoch is not None and str(self.best_epoch) in self.rows:
            self.update_cell(str(self.best_epoch), "epoch", self._epoch_cell(self.best_epoch, False))
        self.best_epoch = epoch
        self.update_cell(str(epoch), "epoch", self._epoch_cell(epoch, True))

    def reset(self) -> None:
        self.clear()
        self.best_epoch = None

    @staticmethod
    def _epoch_cell(epoch: int, best: bool) -> Text:
        return Text(f"{epoch} {BEST}", style="bold green") if best else Text(f"{epoch}  ")
