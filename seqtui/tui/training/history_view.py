"""The run's finished epochs on the dashboard: the records, the epoch table with the saved best starred
by the run's monitor, and the curves, kept in step whichever way the epochs arrive (a training
session's events, a saved run's history, a followed run's files)."""

from __future__ import annotations

from collections.abc import Sequence

from textual.dom import DOMNode

from seqtui.records import EpochRecord, Monitor
from seqtui.tui.curve_plot import CurvePlot
from seqtui.tui.training.epoch_table import EpochTable


class RunHistory:
    """The epochs shown under `screen`; `records` is what the table and the curves draw."""

    def __init__(self, screen: DOMNode) -> None:
        self.screen = screen
        self.records: list[EpochRecord] = []
        self.monitor = "val_loss"
        self.patience: int | None = None  # the run's early-stopping patience, shown while it trains

    def set_patience(self, patience: int | None) -> None:
        """Show how many epochs without a better score are left before early stopping (None: say nothing)."""
        self.patience = patience
        self._show_patience()

    def _show_patience(self) -> None:
        table = self._table()
        if self.patience is None:
            table.border_subtitle = ""
        elif not self.patience:
            table.border_subtitle = "no early stopping (patience 0)"
        else:
            best = Monitor.of(self.monitor).saved_best(self.records)
            waited = self.records[-1].epoch - best.epoch if best is not None and self.records else 0
            left = max(0, self.patience - waited)
            table.border_subtitle = f"patience: {left} of {self.patience} epochs left without a better {self.monitor}"

    def _table(self) -> EpochTable:
        return self.screen.query_one(EpochTable)

    def add(self, record: EpochRecord, best: bool) -> None:
        """One more epoch; `best` moves the star to it."""
        self.records.append(record)
        self._table().add_record(record, best)
        self.draw_curves()
        self._show_patience()
        self.screen.refresh_bindings()  # c and x are offered once there is an epoch

    def show(self, records: Sequence[EpochRecord], monitor: str) -> None:
        """The epochs of `records` not yet shown, the saved best by `monitor` starred."""
        known = {r.epoch for r in self.records}
        best = Monitor.of(monitor).saved_best(records)
        for record in records:
            if record.epoch not in known:
                self.add(record, record is best)

    def clear(self) -> None:
        """No epochs (a new run, or a followed run started again with --fresh); the curves keep theirs until
        `draw_curves`."""
        self.records.clear()
        self._table().reset()
        self.screen.refresh_bindings()

    def set_monitor(self, monitor: str) -> None:
        """Star and show the epochs by `monitor` (a followed or resumed run may be judged by another)."""
        self.monitor = monitor
        if self._table().set_monitor(monitor):
            best = Monitor.of(monitor).saved_best(self.records)
            for record in self.records:
                self._table().add_record(record, record is best)

    def draw_curves(self) -> None:
        epochs = [r.epoch for r in self.records]
        for plot in self.screen.query(CurvePlot):
            plot.set_data(epochs, {name: [getattr(r, name) for r in self.records] for name, _ in plot.series})
