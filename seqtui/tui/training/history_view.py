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

    def _table(self) -> EpochTable:
        return self.screen.query_one(EpochTable)

    def add(self, record: EpochRecord, best: bool) -> None:
        """One more epoch; `best` moves the star to it."""
        self.records.append(record)
        self._table().add_record(record, best)
        self.draw_curves()
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
        if self._table().set_monitor(monitor):
            best = Monitor.of(monitor).saved_best(self.records)
            for record in self.records:
                self._table().add_record(record, record is best)

    def draw_curves(self) -> None:
        epochs = [r.epoch for r in self.records]
        for plot in self.screen.query(CurvePlot):
            plot.set_data(epochs, {name: [getattr(r, name) for r in self.records] for name, _ in plot.series})
