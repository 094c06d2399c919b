"""The runs view (`v` on the dashboard): three saved runs of different states, live, overlaid, smoothed,
on a log axis, compared, exported, a run's REPL, and a new run from a run's settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import DataTable
from tui_fakes import FakeEngine, scripted_trainer, tiny_config
from tui_pilot import until

from seqtui.config import FIELDS
from seqtui.records import EpochRecord
from seqtui.report import curves
from seqtui.store import bundle, lock
from seqtui.store.rundir import MANIFEST
from seqtui.tui.app import make_app
from seqtui.tui.curve_plot import CurvePlot
from seqtui.tui.repl.repl_screen import ReplScreen
from seqtui.tui.runs.compare_runs import CompareRuns
from seqtui.tui.runs.runs_screen import RunsScreen
from seqtui.tui.runs.runs_table import RunsTable
from seqtui.tui.training.dashboard import Dashboard
from tests.runs_fixtures import make_three_runs, write_run

SIZE = (120, 40)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_three_runs(tmp_path / "models")


def app_on(root: Path, run: str = "base", **kw):
    loaded: list[Path] = []

    def load(path: Path) -> FakeEngine:
        loaded.append(path)
        return FakeEngine(f"from {path.name}")

    app = make_app(tiny_config(model_dir=root / run), load_engine=load, **kw)
    app.loaded = loaded  # type: ignore[attr-defined]
    return app


async def open_runs(pilot, rows: int = 3) -> RunsScreen:
    await until(pilot, lambda: isinstance(pilot.app.screen, Dashboard), timeout=5, what="the dashboard")
    await pilot.press("v")
    screen = pilot.app.screen
    assert isinstance(screen, RunsScreen)
    table = screen.query_one(RunsTable)
    await until(pilot, lambda: table.row_count == rows, timeout=10, what=f"{rows} runs")
    return screen


def states(screen: RunsScreen) -> dict[str, str]:
    table = screen.query_one(RunsTable)
    return {str(table.get_row_at(i)[1]): str(table.get_row_at(i)[7]) for i in range(table.row_count)}


async def test_runs_view_lists_runs_and_follows_them_live(root):
    """A run that trains on (a new epoch, its lock taken) changes its row without a key press."""
    app = app_on(root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        assert states(screen) == {"attn-chrf": "early-stopped", "base": "finished", "group/resumed": "stopped"}
        assert screen.selected == {str(root / "base")}  # the dashboard's own run is overlaid first
        resumed = root / "group" / "resumed"
        history = bundle.read_history(resumed)
        with lock.hold(resumed):
            bundle.write_history(resumed, [*history, EpochRecord(6, loss=2.0, val_loss=2.1, val_chrf=15.0)])
            await until(pilot, lambda: states(screen)["group/resumed"] == "running", timeout=5, what="running")
        table = screen.query_one(RunsTable)
        row = table.get_row_at(table.paths.index(str(resumed)))
        assert str(row[6]) == "6/10"
        await until(pilot, lambda: states(screen)["group/resumed"] == "stopped", timeout=5, what="stopped again")
        await pilot.press("escape")
        assert isinstance(app.screen, Dashboard)


async def test_overlay_smoothing_log_y_window_and_cursor(root):
    app = app_on(root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        table, plot = screen.query_one(RunsTable), screen.query_one(CurvePlot)
        table.move_cursor(row=table.paths.index(str(root / "group" / "resumed")))
        await pilot.press("space")
        assert {line.label for line in plot.lines} == {"base", "group/resumed"}
        assert plot.epoch_span == (1, 5)  # shared axes: the longer run sets the x range
        while screen.view.metric != "val_chrf":
            await pilot.press("m")
        assert [line.label for line in plot.lines] == ["group/resumed"]  # base has no chrF
        assert plot.lines[0].marks == [2]  # its resume point
        await pilot.press("e")  # EMA 0.6: the raw line stays, faint, under the smoothed one
        raw, smooth = plot.lines
        assert raw.faint and not smooth.faint and raw.values == [2.0, 6.0, 9.0, 13.0, 14.0]
        assert smooth.values == pytest.approx(curves.ema(raw.values, 0.6))
        await pilot.press("l")
        assert plot.log_y and "log y" in str(plot.render())
        labels = [line.split("┤")[0].strip() for line in str(plot.render()).splitlines() if "┤" in line]
        assert labels[0] == "14" and labels[-1] == "2"  # the raw range, labelled by value, not by its log10
        await pilot.press("left", "left")
        assert screen.view.cursor == 3
        readout = str(screen.query_one("#runs-readout").render())
        assert f"epoch 3: ━ group/resumed {smooth.values[2]:.4g} (raw 9)" in readout
        await pilot.press("w")  # the last 10 epochs: all five here, the cursor back on the newest
        assert screen.view.window == 10 and screen.view.cursor is None
        await pilot.press("f")
        assert not table.display and plot.size.height > 30  # the plot takes the screen


async def test_compare_two_runs_shows_only_what_differs(root):
    app = app_on(root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        table = screen.query_one(RunsTable)
        table.move_cursor(row=table.paths.index(str(root / "attn-chrf")))
        await pilot.press("c")  # base is overlaid, attn-chrf under the cursor
        modal = app.screen
        assert isinstance(modal, CompareRuns)
        rows = modal.query_one("#compare-table", DataTable)
        keys = [str(rows.get_row_at(i)[0]) for i in range(rows.row_count)]
        assert keys == ["architecture", "epochs", "monitor"]  # latent_dim is the same: not listed
        assert [str(c) for c in rows.get_row_at(0)] == ["architecture", "seq2seq", "attention"]


async def test_enter_opens_the_repl_on_that_run(root):
    app = app_on(root)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        table = screen.query_one(RunsTable)
        table.move_cursor(row=table.paths.index(str(root / "attn-chrf")))
        await pilot.press("enter")
        assert isinstance(app.screen, ReplScreen)
        await until(pilot, lambda: root / "attn-chrf" in app.loaded, timeout=5, what="that run's model")
        await pilot.pause()
        assert "attn-chrf" in str(app.screen.query_one("#repl").border_title)
        await pilot.press("escape")
        assert app.screen is screen  # back in the runs view, not out of the app


async def test_new_run_starts_from_a_runs_settings_in_a_new_folder(root):
    asked = []
    trainer = scripted_trainer(epochs=2)

    def recording(cfg, *args, **kwargs):
        asked.append(cfg)
        return trainer(cfg, *args, **kwargs)

    app = app_on(root, trainer=recording)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        table = screen.query_one(RunsTable)
        table.move_cursor(row=table.paths.index(str(root / "attn-chrf")))
        await pilot.press("n")
        dashboard = app.screen
        assert isinstance(dashboard, Dashboard)
        await until(pilot, lambda: dashboard.ended, timeout=10, what="the new run")
    assert asked[0].model_dir == root / "attn-chrf-2"
    assert (asked[0].architecture, asked[0].monitor, asked[0].epochs) == ("attention", "val_chrf", 10)


async def test_x_exports_the_overlaid_curves_to_a_png(root, tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.chdir(tmp_path)
    app = app_on(root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_runs(pilot)
        await pilot.press("x")
        await until(pilot, lambda: any(n.title == "Exported" for n in app._notifications), timeout=20,
                    what="the export")
    (png,) = tmp_path.glob("seqtui-val_loss-*.png")
    with Image.open(png) as image:
        assert image.size == (1200, 800)


def test_compare_shows_the_epoch_target_a_resume_set(tmp_path):
    """A run resumed with `--epochs 12` trains to 12; the compare view showed the 5 its first session asked."""
    from seqtui.report.runs import summarize
    from seqtui.tui.runs.compare_runs import differences, settings_of

    first = write_run(tmp_path / "first", [3.0, 2.0], epochs=5)
    resumed = write_run(tmp_path / "resumed", [3.0, 2.0], epochs=5, resumes=[2])
    manifest = json.loads((resumed / MANIFEST).read_text())
    (resumed / MANIFEST).write_text(json.dumps({**manifest, "epochs": 12}))
    differ, same = differences(settings_of(summarize(first)), settings_of(summarize(resumed)))
    assert differ == [("epochs", "5", "12")] and same == len(FIELDS) - 1  # every other setting is read back


async def test_the_runs_view_without_runs_says_how_to_get_one(tmp_path: Path) -> None:
    """A first look at `v` showed an empty table and "space on a run overlays its curves here", with no run
    to put the cursor on."""
    app = app_on(tmp_path / "models", run="my-run")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(pilot.app.screen, Dashboard), timeout=5, what="the dashboard")
        await pilot.press("v")
        plot = pilot.app.screen.query_one(CurvePlot)
        await until(pilot, lambda: "No run" in str(plot.render()), timeout=5, what="the note")
        assert "t trains one" in str(plot.render()) and "space on a run" not in str(plot.render())
