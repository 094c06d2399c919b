"""One row per finished epoch, appended live; the best epoch (by the run's monitor) is starred.

The monitored metric is the column right after the star, so the reason for the star is beside it:
val_chrf, which the other columns do not show, or val_loss, moved up from among them.
"""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from seqtui.records import EpochRecord

# (field of EpochRecord, header, digits, width). Fixed widths: the layout does not shift as numbers grow, and
# never waits for the table to re-measure. Short headers: the table fits an 80-column terminal.
FIELDS = (("loss", "loss", 4, 7), ("accuracy", "accuracy", 4, 8), ("val_loss", "val_loss", 4, 8),
          ("val_accuracy", "val_acc", 4, 7), ("val_chrf", "val_chrf", 2, 8), ("seconds", "seconds", 1, 7),
          ("chars_per_second", "chars/s", 0, 7))
EPOCH_WIDTH = 6
BEST = "★"


def _number(value: Any, digits: int) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:,.{digits}f}"


def fields_for(monitor: str) -> list[tuple[str, str, int, int]]:
    """The columns after the epoch: the monitor first, val_chrf only when it is the monitor (else never scored)."""
    shown = [f for f in FIELDS if f[0] != "val_chrf" or monitor == "val_chrf"]
    return sorted(shown, key=lambda f: f[0] != monitor)  # stable: the rest keep their order


def headers(monitor: str) -> list[str]:
    """The table's column labels for a run judged by `monitor`."""
    return ["epoch"] + [header for _, header, _, _ in fields_for(monitor)]


class EpochTable(DataTable):
    """The history table. Cells are right-aligned; the best epoch's number carries a star."""

    def __init__(self, *, id: str | None = None, monitor: str = "val_loss") -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.best_epoch: int | None = None
        self.monitor = monitor

    def on_mount(self) -> None:
        self._add_columns()

    def set_monitor(self, monitor: str) -> bool:
        """Judge by `monitor`: its column moves beside the star. True when that emptied the table (the
        caller adds the rows again)."""
        if monitor == self.monitor:
            return False
        self.monitor = monitor
        self.clear(columns=True)
        self.best_epoch = None
        self._add_columns()
        return True

    def add_record(self, record: EpochRecord, best: bool) -> None:
        """Append one epoch; `best` moves the star to it."""
        epoch = record.epoch
        key = str(epoch)
        if key in self.rows:  # a resumed run repeats nothing, but a followed file may be re-read
            return
        cells = [Text(_number(getattr(record, name), digits), justify="right")
                 for name, _, digits, _ in fields_for(self.monitor)]
        if cells:
            cells[0].stylize("bold")  # the monitored score
        self.add_row(self._epoch_cell(epoch, False), *cells, key=key)
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

    @property
    def content_width(self) -> int:
        """Columns the table needs to show every column (cell padding included, border and scrollbar not)."""
        widths = [EPOCH_WIDTH] + [width for *_, width in fields_for(self.monitor)]
        return sum(widths) + 2 * self.cell_padding * len(widths)

    def _add_columns(self) -> None:
        self.add_column(Text("epoch", justify="left"), key="epoch", width=EPOCH_WIDTH)
        for name, header, _, width in fields_for(self.monitor):
            style = "bold" if name == self.monitor else ""
            self.add_column(Text(header, justify="right", style=style), key=name, width=width)  # over numbers

    @staticmethod
    def _epoch_cell(epoch: int, best: bool) -> Text:
        return Text(f"{epoch} {BEST}", style="bold green") if best else Text(f"{epoch}  ")
