"""Snapshot tests of both views at 120x40 and 80x24, with a scripted trainer and engine so every run draws
the same.

Review a changed SVG by eye (pytest writes snapshot_report.html) before `--snapshot-update`.
"""

from __future__ import annotations

import dataclasses
import shutil
import threading
import time
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input
from tui_fakes import INFO, SAMPLES, FakeEngine, demo_config, scripted_trainer
from tui_pilot import type_line, until

from seqtui import events
from seqtui.config import Config
from seqtui.records import EpochRecord
from seqtui.store.catalog import Request
from seqtui.system import Sample
from seqtui.tui.app import SeqtuiApp, make_app
from seqtui.tui.repl.transcript import Transcript
from seqtui.tui.runs.runs_table import RunsTable
from seqtui.tui.training.dashboard import Dashboard
from seqtui.tui.training.epoch_table import EpochTable
from seqtui.tui.training.jobs import Trainer
from tests.runs_fixtures import make_three_runs

SIZE = (120, 40)
SMALL = (80, 24)  # a default terminal: the panels take turns


# The demo model folder, never the shipped fallback: the label on screen stays the same whatever is installed.
DEMO_MODEL = Request(explicit_dir=True)


def fixed_system(pid: int | None) -> Sample:
    """The training process as the screenshots show it (the real one's CPU and memory vary)."""
    return Sample(4242, cpu=97.0, rss=512 * 2**20, threads=9)


def dashboard(hold: bool = False, trainer: Trainer | None = None) -> SeqtuiApp:
    return make_app(demo_config(), trainer=trainer or scripted_trainer(hold=hold), load_engine=lambda _: FakeEngine(),
                    model=DEMO_MODEL, system=fixed_system)


def validating_trainer(cfg: Config, listener: events.Listener, stop: threading.Event, pause: threading.Event,
                       **start: object) -> events.TrainingEnded:
    """A chrF-monitored run held a quarter of the way through its second epoch's chrF, until stopped."""
    info = dataclasses.replace(INFO, monitor="val_chrf")
    listener(events.TrainingStarted(info, 1, 6, 4))
    listener(events.EpochEnded(EpochRecord(1, 3.91, 0.1, 3.7, 0.09, 12.5, seconds=1.0, chars_per_second=2400.0,
                                           best=True), True, SAMPLES))
    for batch in range(1, 5):
        listener(events.BatchEnded(2, batch, 4, 3.02, 0.2, 0.25 * batch, 2400.0))
    listener(events.Validating(2, "val_loss", 1, 1))
    listener(events.Validating(2, "val_chrf", 256, 1000))
    while not stop.is_set():
        time.sleep(0.02)
    ended = events.TrainingEnded("stopped", 1, 1, "val_chrf", 12.5, str(cfg.model_dir))
    listener(ended)
    return ended


async def validating(pilot: Pilot) -> None:
    screen = pilot.app.screen
    await pilot.press("t")
    await until(pilot, lambda: "256/1,000" in str(screen.query_one("#progress").render()), timeout=10,
                what="the chrF validation")
    await until(pilot, lambda: "CPU 97%" in str(screen.query_one("#progress").border_subtitle), timeout=5,
                what="the system line")


def repl() -> SeqtuiApp:
    return make_app(demo_config(), mode="repl", load_engine=lambda _: FakeEngine(), model=DEMO_MODEL)


async def translate(pilot: Pilot, text: str, entry: int = 1) -> None:
    """Submit `text` in the REPL and wait until its translation has streamed in full."""
    pilot.app.screen.query_one(Input).value = text
    await pilot.press("enter")
    transcript = pilot.app.screen.query_one(Transcript)
    await until(pilot, lambda: "greedy" in str(transcript.query("Static").last().render())
                and transcript.output(entry) == "Je vais bien.", timeout=10, what="the translation")


async def repl_ready(pilot: Pilot) -> None:
    """Stop the cursor blinking and wait for the model-loaded note, so every screenshot is the same."""
    pilot.app.screen.query_one(Input).cursor_blink = False
    transcript = pilot.app.screen.query_one(Transcript)
    await until(pilot, lambda: len(transcript.children) > 0, timeout=10, what="the model note")


async def trained(pilot: Pilot) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, Dashboard)
    await pilot.press("t")
    await until(pilot, lambda: screen.ended and not screen.running, timeout=10, what="the scripted run")
    # the table follows its newest row by a scroll that a loaded machine may not have drawn yet
    table = screen.query_one(EpochTable)
    await pilot.wait_for_scheduled_animations()
    await until(pilot, lambda: table.scroll_y >= table.max_scroll_y, timeout=10, what="the table at its last row")


class TestDashboard:
    def test_first_screen(self, snap_compare) -> None:
        """Before training: the config's settings, empty table and curves, and a hint to press t."""
        assert snap_compare(dashboard(), terminal_size=SIZE)

    def test_after_a_run_and_a_translation(self, snap_compare) -> None:
        """Six epochs: rows with the best starred, both curves, the samples, and one streamed translation."""

        async def run_before(pilot: Pilot) -> None:
            await trained(pilot)
            await pilot.press("r")
            await translate(pilot, "I'm OK.")
            await pilot.press("escape")
            pilot.app.clear_notifications()  # the end-of-run toast would hide the REPL

        assert snap_compare(dashboard(), terminal_size=SIZE, run_before=run_before)

    def test_a_samples_attention_heatmap(self, snap_compare) -> None:
        """After a run, `a`: the first sample's attention with the last epoch's weights, argmax marked."""

        async def run_before(pilot: Pilot) -> None:
            await trained(pilot)
            await pilot.press("a")
            pilot.app.clear_notifications()

        assert snap_compare(dashboard(), terminal_size=SIZE, run_before=run_before)

    def test_quit_asks_while_training(self, snap_compare) -> None:
        """q while training runs asks whether to save and quit."""

        async def run_before(pilot: Pilot) -> None:
            screen = pilot.app.screen
            await pilot.press("t")
            await until(pilot, lambda: len(screen.records) == 6, timeout=10, what="the scripted epochs")
            await until(pilot, lambda: "CPU 97%" in str(screen.query_one("#progress").border_subtitle), timeout=5,
                        what="the system line")
            await pilot.press("q")

        assert snap_compare(dashboard(hold=True), terminal_size=SIZE, run_before=run_before)


    def test_validating_chrf(self, snap_compare) -> None:
        """Between epochs, the bar counts the chrF sentences translated, and the header says the run trains."""
        assert snap_compare(dashboard(trainer=validating_trainer), terminal_size=SIZE, run_before=validating)


class TestDashboardAt80x24:
    def test_first_screen(self, snap_compare) -> None:
        """The state line, the settings cut to one line each, the table and both curves, the footer with q."""
        assert snap_compare(dashboard(), terminal_size=SMALL)

    def test_after_a_run(self, snap_compare) -> None:
        """Six epochs: the monitored val_loss beside the star, both curves side by side, the finished state."""

        async def run_before(pilot: Pilot) -> None:
            await trained(pilot)
            pilot.app.clear_notifications()

        assert snap_compare(dashboard(), terminal_size=SMALL, run_before=run_before)

    def test_r_gives_the_repl_the_screen(self, snap_compare) -> None:
        """r: the REPL below the progress line, the answer in view, esc and ^q in the footer."""

        async def run_before(pilot: Pilot) -> None:
            await trained(pilot)
            await pilot.press("r")
            await translate(pilot, "I'm OK.")
            pilot.app.clear_notifications()

        assert snap_compare(dashboard(), terminal_size=SMALL, run_before=run_before)

    def test_z_shows_the_samples(self, snap_compare) -> None:
        """z: the four samples, one line each."""

        async def run_before(pilot: Pilot) -> None:
            await trained(pilot)
            await pilot.press("z")
            pilot.app.clear_notifications()

        assert snap_compare(dashboard(), terminal_size=SMALL, run_before=run_before)

    def test_validating_chrf(self, snap_compare) -> None:
        """The validation line fits 80 columns."""
        assert snap_compare(dashboard(trainer=validating_trainer), terminal_size=SMALL, run_before=validating)


class TestRepl:
    def test_translation_with_an_unknown_character(self, snap_compare) -> None:
        """`seqtui repl`: a finished translation, an unknown character flagged, and a :beam change."""

        async def run_before(pilot: Pilot) -> None:
            await repl_ready(pilot)
            await translate(pilot, "I'm OK €")
            await type_line(pilot, ":beam 4")

        assert snap_compare(repl(), terminal_size=SIZE, run_before=run_before)

    def test_shaded_stream_nbest_and_heatmap(self, snap_compare) -> None:
        """Characters coloured by probability (legend below), `:nbest 3` under the answer, then `:align`."""

        async def run_before(pilot: Pilot) -> None:
            await repl_ready(pilot)
            await type_line(pilot, ":nbest 3")
            pilot.app.screen.query_one(Input).value = "I'm OK."
            await pilot.press("enter")
            transcript = pilot.app.screen.query_one(Transcript)
            await until(pilot, lambda: "log-prob" in str(transcript.rendered(1)), timeout=10, what="the answer")
            await type_line(pilot, ":align")

        assert snap_compare(repl(), terminal_size=SIZE, run_before=run_before)

    def test_history_scrolled_back_at_80x24(self, snap_compare) -> None:
        """At 80x24 two :help do not fit the history: PageUp goes a page back; ^q Quit in the footer."""

        async def run_before(pilot: Pilot) -> None:
            await repl_ready(pilot)
            for line in (":help", ":beam 4", ":help"):
                await type_line(pilot, line)
            await pilot.press("pageup")

        assert snap_compare(repl(), terminal_size=SMALL, run_before=run_before)

    def test_without_a_model(self, snap_compare) -> None:
        """`seqtui repl` on a folder with no model says what to do."""

        app = make_app(demo_config(), mode="repl")
        assert snap_compare(app, terminal_size=SIZE, run_before=repl_ready)


# The runs view reads real folders: a fixed path keeps the title, and so the screenshot, the same.
RUNS = Path("/tmp/seqtui-snapshot-runs")


def runs_view() -> SeqtuiApp:
    shutil.rmtree(RUNS, ignore_errors=True)
    make_three_runs(RUNS)
    return make_app(demo_config(model_dir=RUNS / "base"), trainer=scripted_trainer(),
                    load_engine=lambda _: FakeEngine(), model=DEMO_MODEL, system=fixed_system)


async def runs_open(pilot: Pilot) -> None:
    await pilot.press("v")
    table = pilot.app.screen.query_one(RunsTable)
    await until(pilot, lambda: table.row_count == 3, timeout=10, what="three runs")


async def chrf_overlay(pilot: Pilot) -> None:
    """attn-chrf and group/resumed overlaid on chrF, smoothed, on a log axis."""
    await runs_open(pilot)
    screen = pilot.app.screen
    table = screen.query_one(RunsTable)
    await pilot.press("space")  # base off
    for name in ("attn-chrf", "group/resumed"):
        table.move_cursor(row=table.paths.index(str(RUNS / name)))
        await pilot.press("space")
    while screen.view.metric != "val_chrf":
        await pilot.press("m")
    await pilot.press("e", "l")


class TestRuns:
    def test_runs_view(self, snap_compare) -> None:
        """v: three saved runs (early-stopped, finished, stopped), the dashboard's own overlaid."""
        assert snap_compare(runs_view(), terminal_size=SIZE, run_before=runs_open)

    def test_overlay_smoothed_log_chrf(self, snap_compare) -> None:
        """Two runs' chrF on shared axes, EMA 0.6 with the raw lines faint, log y, a resume point."""
        assert snap_compare(runs_view(), terminal_size=SIZE, run_before=chrf_overlay)

    def test_overlay_at_200x60(self, snap_compare) -> None:
        """The same overlay on a big terminal: the plot takes the room."""
        assert snap_compare(runs_view(), terminal_size=(200, 60), run_before=chrf_overlay)
