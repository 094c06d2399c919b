"""`seqtui dashboard` on a folder a headless `seqtui train` holds: it shows that run live without
--follow, and once that trainer ends it says so and c continues the run here."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from conftest import TINY_FLAGS, cli_flags
from tui_fakes import tiny_config
from tui_pilot import until

from seqtui.events import TrainingEnded
from seqtui.store import lock
from seqtui.tui.app import make_app
from seqtui.tui.training.dashboard import Dashboard
from seqtui.tui.training.epoch_table import EpochTable
from seqtui.tui.training.run_settings import RunSettings

ROOT = Path(__file__).resolve().parents[1]
SIZE = (120, 40)
EPOCHS = 4


def headless_train(corpus: Path, model_dir: Path) -> subprocess.Popen[str]:
    """`seqtui train` in a process of its own, as a user would start it in another terminal."""
    flags = cli_flags({**TINY_FLAGS, "epochs": EPOCHS})
    return subprocess.Popen([sys.executable, "-m", "seqtui", "train", "--train-dir", str(corpus), "--model-dir",
                             str(model_dir), *flags], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def wait_for_lock(proc: subprocess.Popen[str], model_dir: Path) -> None:
    deadline = time.monotonic() + 300  # TensorFlow's import on a loaded machine
    while lock.owner(model_dir) is None:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "the headless trainer never took the lock"
        time.sleep(0.05)


async def test_a_held_folder_is_shown_live_and_handed_back_when_its_trainer_ends(tiny_corpus: Path,
                                                                                tmp_path: Path) -> None:
    """Catches the dashboard showing a held folder as a saved run (or offering t on it), missing the
    trainer's end, or keeping c refused once the run is free."""
    model_dir = tmp_path / "run"
    continued: list[dict[str, Any]] = []

    def trainer(cfg: Any, listener: Any, **start: Any) -> TrainingEnded:  # what c starts, recorded
        continued.append({"model_dir": cfg.model_dir, **start})
        return TrainingEnded("complete", EPOCHS, EPOCHS, "val_loss", 1.0, str(cfg.model_dir), note="complete")

    proc = headless_train(tiny_corpus, model_dir)
    try:
        wait_for_lock(proc, model_dir)
        app = make_app(tiny_config(train_dir=tiny_corpus, model_dir=model_dir), trainer=trainer)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            dashboard = app.screen
            assert isinstance(dashboard, Dashboard)
            header = dashboard.query_one(RunSettings)
            assert dashboard.follow_dir == model_dir, "a held folder is followed"
            await pilot.press("c")  # refused while the other process trains
            assert not continued and any("headless" in n.message for n in app._notifications)
            table = dashboard.query_one(EpochTable)
            await until(pilot, lambda: table.row_count >= 1, timeout=300, what="the first epoch, live")
            await until(pilot, lambda: "trainer ended" in header.state.plain, timeout=300,
                        what="the trainer's end")
            assert table.row_count == EPOCHS and "c continues" in header.state.plain
            assert dashboard.follow_dir is None
            await pilot.press("c")
            await until(pilot, lambda: bool(continued) and not dashboard.running, timeout=60, what="c's run")
            assert continued[0]["model_dir"] == model_dir and continued[0]["resume"] is True
    finally:
        proc.kill()
        proc.wait()
