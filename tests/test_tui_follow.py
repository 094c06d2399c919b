"""`seqtui dashboard --follow`: watching the files a headless run writes."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from tui_fakes import tiny_config
from tui_pilot import until

from seqtui.records import EpochRecord
from seqtui.store import bundle
from seqtui.train import training
from seqtui.tui.app import make_app
from seqtui.tui.training.dashboard import Dashboard
from seqtui.tui.training.epoch_progress import EpochProgress
from seqtui.tui.training.epoch_table import EpochTable
from seqtui.tui.training.samples_panel import SamplesPanel

SIZE = (120, 40)


def record(epoch: int, val_loss: float, best: bool = True) -> EpochRecord:
    return EpochRecord(epoch=epoch, loss=3.0 / epoch, accuracy=0.1 * epoch, val_loss=val_loss,
                       val_accuracy=0.1 * epoch, seconds=1.5, chars_per_second=900.0, best=best)


async def test_follow_shows_new_epochs_as_the_files_change(tmp_path: Path) -> None:
    """Rows appear as history.jsonl grows; the epoch the trainer marked best is starred; t is refused."""
    run = tmp_path / "run"
    run.mkdir()
    (run / bundle.META).write_text(json.dumps({"config": {"epochs": 5}}))
    bundle.write_history(run, [record(1, 2.5), record(2, 2.0)])
    app = make_app(tiny_config(model_dir=tmp_path / "unused"), follow=run)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        dashboard = app.screen
        assert isinstance(dashboard, Dashboard)
        table = dashboard.query_one(EpochTable)
        await until(pilot, lambda: table.row_count == 2, timeout=5, what="two rows")
        bundle.write_history(run, [record(1, 2.5), record(2, 2.0), record(3, 2.2, best=False)])
        await until(pilot, lambda: table.row_count == 3, timeout=5, what="the third row")
        assert table.best_epoch == 2
        headline = dashboard.query_one(EpochProgress).headline.plain
        assert "3 of 5 epochs done" in headline and "trainer not running" in headline
        await pilot.press("t")
        assert not dashboard.running
        assert any("follows a headless run" in n.message for n in app._notifications)


async def test_follow_shows_each_epochs_samples(tmp_path: Path) -> None:
    """samples.json, which the headless trainer rewrites each epoch, appears in the samples panel."""
    run = tmp_path / "run"
    run.mkdir()
    bundle.write_history(run, [record(1, 2.5)])
    bundle.write_samples(run, 1, [("Go.", "Va !", "Va-t'en")])
    app = make_app(tiny_config(model_dir=tmp_path / "unused"), follow=run)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.screen.query_one(SamplesPanel)
        await until(pilot, lambda: panel.border_title == "Samples · epoch 1", timeout=5, what="epoch 1's samples")
        assert "Va-t'en" in str(panel.render())
        bundle.write_samples(run, 2, [("Go.", "Va !", "Va !\x1b[2J")])
        await until(pilot, lambda: panel.border_title == "Samples · epoch 2", timeout=5, what="epoch 2's samples")
        shown = str(panel.render())
        assert "Va-t'en" not in shown and "\\x1b[2J" in shown and "\x1b" not in shown


async def test_follow_a_real_run_training_in_the_background(tiny_corpus: Path, tmp_path: Path) -> None:
    """The core trainer writing in another thread is followed to its end, live state included."""
    cfg = tiny_config(train_dir=tiny_corpus, model_dir=tmp_path / "models", epochs=3)
    stop = threading.Event()
    trainer = threading.Thread(target=training.train, args=(cfg,), kwargs={"stop": stop, "fresh": True})
    app = make_app(tiny_config(model_dir=tmp_path / "unused"), follow=cfg.model_dir)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(EpochTable)
        progress = app.screen.query_one(EpochProgress)
        trainer.start()
        try:
            await until(pilot, lambda: "trainer running" in progress.headline.plain, timeout=30,
                        what="the trainer's lock")
            await until(pilot, lambda: table.row_count == 3, timeout=300, what="three epochs")
        finally:
            stop.set()
            trainer.join()
        await until(pilot, lambda: "trainer not running" in progress.headline.plain, timeout=5,
                    what="the trainer's lock to go")
        assert "3 of 3 epochs done" in progress.headline.plain
        assert app.screen.query_one(SamplesPanel).border_title == "Samples · epoch 3"  # the trainer's own samples
