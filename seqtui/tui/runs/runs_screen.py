"""The runs view: every run beside model_dir, live, with chosen runs' curves overlaid on shared axes.

It owns its two workers (reading the runs folder, exporting a plot) and turns what they post into
the table, the plot and the readout under it. It never starts training itself: `n` dismisses it with
the settings of a new run, and the dashboard, which owns the training worker, starts it.
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker

from seqtui.decode.decoding import Settings
from seqtui.report import runs
from seqtui.safe_text import escape_controls, for_markup
from seqtui.store.catalog import Request
from seqtui.tui.curve_plot import CurvePlot
from seqtui.tui.messages import PlotExported, RunsFound
from seqtui.tui.repl.engines import EngineLoader, EngineSource, load_saved
from seqtui.tui.runs import export, folder, overlay
from seqtui.tui.runs.compare_runs import CompareRuns
from seqtui.tui.runs.folder import NewRun
from seqtui.tui.runs.overlay import View
from seqtui.tui.runs.run_repl import RunRepl
from seqtui.tui.runs.runs_table import RunsTable
from seqtui.tui.worker_errors import notify_failure


class RunsScreen(Screen[NewRun | None]):
    """space overlays a run; m, e, l, w change the curves; enter opens a run's REPL."""

    # The readout under the plot says m, e, l, w, f and x with what each is set to, so the footer leaves
    # them out and fits 80 columns; F1 lists every key.
    BINDINGS = [
        Binding("escape,v", "close", "Back"),
        Binding("q", "app.quit", "Quit"),  # as on the dashboard: asks first while training runs
        Binding("space", "overlay", "Overlay"),
        Binding("m", "metric(1)", "Metric", show=False),
        Binding("M", "metric(-1)", "Metric back", show=False),
        Binding("e", "smooth", "Smooth", show=False),
        Binding("l", "log_y", "Log y", show=False),
        Binding("w", "window", "Window", show=False),
        Binding("left", "cursor(-1)", "Cursor", show=False, priority=True),
        Binding("right", "cursor(1)", "Cursor", show=False, priority=True),
        Binding("f", "full", "Full plot", show=False),
        Binding("x", "export", "Export PNG", show=False),
        Binding("c", "compare", "Compare"),
        Binding("n", "new_run", "New run"),
        Binding("question_mark,h", "app.help", "Help", show=False),
    ]

    def __init__(self, root: Path, settings: Settings, current: Path | None = None, export_dir: Path | None = None,
                 load_engine: EngineLoader = load_saved, poll: float = folder.POLL) -> None:
        super().__init__()
        self.root, self.settings = Path(root).absolute(), settings
        self.current = Path(current).absolute() if current is not None else None
        self.export_dir = export_dir or Path.cwd()
        self.load_engine, self.poll = load_engine, poll
        self.found: list[runs.RunSummary] = []
        self.selected: set[str] = set()
        self.view = View()

    def compose(self) -> ComposeResult:
        yield RunsTable(id="runs-table")
        yield CurvePlot(id="runs-plot")
        yield Static(id="runs-readout")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(RunsTable).border_title = f"Runs in {for_markup(str(self.root))}"
        self.query_one(CurvePlot).empty_note = "space on a run overlays its curves here"
        self.query_one(RunsTable).focus()
        self._watch()

    # -- the folder, read by a worker ------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="runs")
    def _watch(self) -> None:
        folder.watch(self, self.root, self.poll)

    @on(RunsFound)
    def runs_found(self, message: RunsFound) -> None:
        first = not self.found
        self.found = list(message.runs)
        paths = {str(r.path) for r in self.found}
        self.selected &= paths
        if first:
            start = str(self.current) if self.current is not None and str(self.current) in paths else None
            self.selected = {start or str(self.found[0].path)} if self.found else set()
            chrf = any(m == "val_chrf" for r in self._overlaid() for m in r.metrics())
            self.view.metric = "val_chrf" if chrf else "val_loss"
        self.query_one(CurvePlot).empty_note = (
            "space on a run overlays its curves here" if self.found else
            f"No run in {self.root} yet: escape goes back to the dashboard, where t trains one.")
        table = self.query_one(RunsTable)
        table.show(self.found, self.selected)
        if first and self.selected:
            table.move_cursor(row=table.paths.index(next(iter(self.selected))))
        self._draw()

    @on(Worker.StateChanged)
    def worker_failed(self, event: Worker.StateChanged) -> None:
        notify_failure(self, event)

    # -- keys ------------------------------------------------------------------------------------

    def action_overlay(self) -> None:
        """Add the highlighted run to the plot's overlay, or take it off (not DOMNode's `toggle`)."""
        path = self.query_one(RunsTable).current_path()
        if path is None:
            return
        self.selected ^= {path}
        self.query_one(RunsTable).show(self.found, self.selected)
        self._draw()

    def action_metric(self, step: int) -> None:
        if self.view.next_metric(self._metrics(), step):
            self._draw()

    def action_smooth(self) -> None:
        self.view.next_smoothing()
        self._draw()

    def action_log_y(self) -> None:
        self.view.log_y = not self.view.log_y
        self._draw()

    def action_window(self) -> None:
        self.view.next_window()
        self._draw()

    def action_cursor(self, step: int) -> None:
        if self.view.move_cursor(self.query_one(CurvePlot).epoch_span, step):
            self._draw()

    def action_full(self) -> None:
        table = self.query_one(RunsTable)
        table.display = not table.display

    def action_close(self) -> None:
        self.dismiss(None)

    @on(DataTable.RowSelected)
    def open_repl(self, event: DataTable.RowSelected) -> None:
        """enter: translate with that run's saved model."""
        run = self._run(str(event.row_key.value))
        if run is None:
            return
        engines = EngineSource(run.path, self.load_engine, Request(explicit_dir=True))
        self.app.push_screen(RunRepl(engines, self.settings, run.name))

    def action_compare(self) -> None:
        """c: the two overlaid runs' settings, side by side (or the overlaid one and the one under the cursor)."""
        chosen = self._overlaid()
        under = self._run(self.query_one(RunsTable).current_path() or "")
        if len(chosen) == 1 and under is not None and under not in chosen:
            chosen.append(under)
        if len(chosen) != 2:
            self.notify("Overlay two runs (space) to compare their settings.", severity="warning")
            return
        self.app.push_screen(CompareRuns(*chosen))

    def action_new_run(self) -> None:
        """n: train a new run with the settings of the run under the cursor, in a new folder beside it."""
        run = self._run(self.query_one(RunsTable).current_path() or "")
        if run is None:
            return
        if run.config is None:
            why = run.problem or f"{run.path} records no settings yet"
            self.notify(escape_controls(why), title="Cannot start from this run", severity="error", markup=False)
            return
        self.dismiss(NewRun(run.config.replace(model_dir=folder.free_beside(run.path)), run.name))

    def action_export(self) -> None:
        """x: the overlaid curves, as drawn here, to a new PNG in the export folder."""
        chosen = self._overlaid()
        if not chosen:
            self.notify("Overlay a run (space) first.", severity="warning")
            return
        v = self.view
        export.start(self, chosen, export.png_name(self.export_dir, v.metric), [v.metric], smooth=v.smooth,
                     log_y=v.log_y, last=v.window)

    @on(PlotExported)
    def exported(self, message: PlotExported) -> None:
        export.notify_result(self, message)

    # -- drawing ---------------------------------------------------------------------------------

    def _run(self, path: str) -> runs.RunSummary | None:
        return next((r for r in self.found if str(r.path) == path), None)

    def _overlaid(self) -> list[runs.RunSummary]:
        return [r for r in self.found if str(r.path) in self.selected]

    def _metrics(self) -> list[str]:
        have = {m for r in self.found for m in r.metrics()}
        return [m for m in runs.METRICS if m in have]

    def _draw(self) -> None:
        overlay.draw(self.query_one(CurvePlot), self.query_one("#runs-readout", Static), self.view,
                     self._overlaid(), self.found)
