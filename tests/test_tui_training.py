"""Pilot tests of the training view driving the real trainer on the 40-pair corpus."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static
from tui_fakes import tiny_config
from tui_pilot import type_line, until

from seqtui.events import EpochEnded
from seqtui.store import bundle
from seqtui.tui.app import make_app
from seqtui.tui.curve_plot import CurvePlot
from seqtui.tui.messages import BatchDone, EpochDone, TrainingStopped, ValidationStep
from seqtui.tui.repl.transcript import Transcript
from seqtui.tui.training.confirm_quit import ConfirmQuit
from seqtui.tui.training.control import TrainingControl
from seqtui.tui.training.dashboard import Dashboard
from seqtui.tui.training.epoch_progress import EpochProgress
from seqtui.tui.training.epoch_table import EpochTable
from seqtui.tui.training.relay import StopSignal
from seqtui.tui.training.run_settings import RunSettings
from seqtui.tui.training.samples_panel import SamplesPanel
from tests.conftest import assert_translates_as_trained

SIZE = (120, 40)


def best_epoch(messages: list) -> EpochEnded:
    """The last epoch the dashboard was told was the best so far."""
    return [m.event for m in messages if isinstance(m, EpochDone) and m.event.best][-1]


def count(messages: list, kind: type) -> int:
    return sum(isinstance(m, kind) for m in messages)


class WatchedPause(threading.Event):
    """The real pause signal, counting the trainer's looks at it while it is set: each look is the trainer
    holding between batches (it looks again every 50 ms), so a test waits on the trainer, not on a clock."""

    def __init__(self) -> None:
        super().__init__()
        self.held = 0

    def is_set(self) -> bool:
        on = super().is_set()
        if on and threading.current_thread() is not threading.main_thread():  # the trainer's, not the UI's
            self.held += 1
        return on


def watched_pauses(monkeypatch: pytest.MonkeyPatch) -> list[WatchedPause]:
    """Give each training session the dashboard starts a WatchedPause; the list of them, newest last."""
    made: list[WatchedPause] = []
    new_session = TrainingControl.new_session

    def watched(control: TrainingControl) -> tuple[StopSignal, threading.Event]:
        stop, _ = new_session(control)
        control.pause_signal = WatchedPause()
        made.append(control.pause_signal)
        return stop, control.pause_signal

    monkeypatch.setattr(TrainingControl, "new_session", watched)
    return made


async def first_epoch_done(pilot: Pilot, messages: list) -> Dashboard:
    """Press t and let the real trainer finish one epoch (TensorFlow loaded, steps traced)."""
    dashboard = pilot.app.screen
    assert isinstance(dashboard, Dashboard)
    await pilot.press("t")
    await until(pilot, lambda: count(messages, EpochDone) >= 1, what="the first epoch")
    return dashboard


async def test_t_trains_and_the_table_curves_and_samples_update(tiny_corpus: Path, tmp_path: Path) -> None:
    """t runs the core trainer: one table row, curve point and samples update per epoch; the model loads.

    Judged by chrF: its column stands beside the star, and the epoch end reports its validation's steps."""
    cfg = tiny_config(train_dir=tiny_corpus, model_dir=tmp_path / "models", monitor="val_chrf")
    messages: list = []
    app = make_app(cfg)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        dashboard = app.screen
        assert isinstance(dashboard, Dashboard)
        table = dashboard.query_one(EpochTable)
        assert [str(c.label) for c in table.columns.values()][:3] == ["epoch", "val_chrf", "loss"]
        await pilot.press("t")
        # chrF translates the validation pairs each epoch: on a busy CPU the run can take minutes
        await until(pilot, lambda: dashboard.running is False and dashboard.ended, timeout=300,
                    what="training to end")
        assert [key.value for key in table.rows] == ["1", "2", "3"]
        assert table.best_epoch is not None and "★" in str(table.get_cell(str(table.best_epoch), "epoch"))
        best_chrf = max(r.val_chrf for r in dashboard.records)
        assert str(table.get_cell(str(table.best_epoch), "val_chrf")) == f"{best_chrf:,.2f}"
        steps = [m.event for m in messages if isinstance(m, ValidationStep)]
        last = {(s.epoch, s.what): s for s in steps}  # the newest of each phase is never dropped
        assert sorted(last) == [(e, w) for e in (1, 2, 3) for w in ("val_chrf", "val_loss")]
        assert all(s.done == s.total > 0 for s in last.values())
        state = dashboard.query_one(RunSettings).state.plain
        assert state.startswith("Finished: 3 epoch(s)") and f"best epoch {table.best_epoch} (val_chrf" in state
        plot = dashboard.query_one("#loss-plot", CurvePlot)
        assert plot.epochs == [1, 2, 3] and all(v is not None for v in plot.values["val_loss"])
        assert any(0x2800 < ord(ch) <= 0x28FF for ch in plot.render().plain)  # braille dots drawn
        samples = dashboard.query_one(SamplesPanel)
        assert samples.border_title == "Samples · epoch 3"
        assert count(messages, EpochDone) == 3
        assert 0 < count(messages, BatchDone) <= 3 * 4  # 32 training pairs in batches of 8, coalesced
        assert [m.event.reason for m in messages if isinstance(m, TrainingStopped)] == ["finished"]
    assert_translates_as_trained(cfg.model_dir, best_epoch(messages))


async def test_p_pauses_then_s_stops_and_saves_a_loadable_model(tiny_corpus: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """p holds training between batches; s stops after the batch and leaves a model `translate` can load."""
    cfg = tiny_config(train_dir=tiny_corpus, model_dir=tmp_path / "models", epochs=200)
    pauses = watched_pauses(monkeypatch)
    messages: list = []
    app = make_app(cfg)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        dashboard = await first_epoch_done(pilot, messages)
        await pilot.press("p")
        progress = dashboard.query_one(EpochProgress)
        assert progress.paused and "Paused" in progress.headline.plain
        # The step under way when p was pressed (maybe an epoch end: saves, validation) finishes first.
        pause = pauses[-1]
        await until(pilot, lambda: pause.held >= 1, what="the trainer to hold")
        await pilot.pause()  # the batches reported before it held are handled
        held, looks = count(messages, BatchDone), pause.held
        await until(pilot, lambda: pause.held >= looks + 20, what="the trainer to keep holding")
        await pilot.pause()
        assert count(messages, BatchDone) == held, "batches went on while paused"
        assert dashboard.running
        await pilot.press("p")
        await until(pilot, lambda: count(messages, BatchDone) > held, what="training to go on")
        await pilot.press("s")
        await until(pilot, lambda: not dashboard.running, what="training to stop")
        assert [m.event.reason for m in messages if isinstance(m, TrainingStopped)] == ["stopped"]
    assert bundle.read_checkpoint(cfg.model_dir) is not None
    assert_translates_as_trained(cfg.model_dir, best_epoch(messages))  # the best epoch shown, not the stopped weights


async def test_q_while_training_asks_and_y_saves_then_quits(tiny_corpus: Path, tmp_path: Path) -> None:
    """q or ctrl+q asks first while training runs; n keeps training; y stops after the batch, saves, exits."""
    cfg = tiny_config(train_dir=tiny_corpus, model_dir=tmp_path / "models", epochs=200)
    messages: list = []
    app = make_app(cfg)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        dashboard = await first_epoch_done(pilot, messages)
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmQuit)
        await pilot.press("ctrl+q")  # asked again over the question: still one question
        assert sum(isinstance(s, ConfirmQuit) for s in app.screen_stack) == 1
        await pilot.press("n")
        assert app.screen is dashboard and dashboard.running
        await pilot.press("ctrl+q", "y")
        for _ in range(6000):  # the app exits by itself once the checkpoint is written (a loaded machine: minutes)
            if not app.is_running:
                break
            await asyncio.sleep(0.05)
        assert not app.is_running
    assert [m.event.reason for m in messages if isinstance(m, TrainingStopped)] == ["stopped"]
    checkpoint = bundle.read_checkpoint(cfg.model_dir)
    assert checkpoint is not None and checkpoint.epoch >= 1


async def test_a_bad_corpus_becomes_a_notification_and_the_app_stays_usable(tmp_path: Path) -> None:
    """A missing corpus is reported as a notification; the REPL still answers and t can be pressed again."""
    cfg = tiny_config(train_dir=tmp_path / "missing.txt", model_dir=tmp_path / "models")
    app = make_app(cfg)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        dashboard = app.screen
        assert isinstance(dashboard, Dashboard)

        def errors() -> list[str]:
            return [f"{n.title}: {n.message}" for n in app._notifications if n.severity == "error"]

        await pilot.press("t")
        await until(pilot, lambda: len(errors()) == 1 and not dashboard.running, what="the error")
        assert errors()[0].startswith("Corpus error:") and "missing.txt" in errors()[0]
        assert "did not start" in dashboard.query_one(EpochProgress).headline.plain
        await pilot.press("r")
        await type_line(pilot, ":help")
        assert "Commands" in str(dashboard.query_one(Transcript).query(Static).last().render())
        await pilot.press("escape", "t")
        await until(pilot, lambda: len(errors()) == 2 and not dashboard.running, what="the second error")
        assert app.is_running
    assert not (tmp_path / "models" / bundle.MODEL).exists()
