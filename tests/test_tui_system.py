"""The dashboard's system line: the training process's CPU and memory and its devices, under the progress bar."""

from __future__ import annotations

import os
from pathlib import Path

from tui_fakes import scripted_trainer, tiny_config
from tui_pilot import until

from seqtui.store import lock
from seqtui.system import Sample
from seqtui.tui.app import make_app
from seqtui.tui.training.epoch_progress import EpochProgress


def recording(asked: list) -> object:
    def sample(pid: int | None) -> Sample:
        asked.append(pid)
        return Sample(pid, cpu=150.0, rss=3 * 2**30, threads=7)

    return sample


async def test_system_line_measures_this_process_while_it_trains(tmp_path: Path) -> None:
    asked: list = []
    app = make_app(tiny_config(model_dir=tmp_path / "m"), trainer=scripted_trainer(hold=True),
                   system=recording(asked))
    async with app.run_test(size=(120, 40)) as pilot:
        progress = app.screen.query_one(EpochProgress)
        await pilot.pause(2.5)
        assert not progress.border_subtitle and not asked  # nothing trains: nothing to measure
        await pilot.press("t")
        await until(pilot, lambda: "CPU 150%" in str(progress.border_subtitle), timeout=10, what="the system line")
        line = str(progress.border_subtitle)
        assert asked[-1] == os.getpid()  # training is a thread of the dashboard's own process
        assert "RSS 3.0 GiB" in line and "7 threads" in line and line.endswith("/device:CPU:0")  # RunInfo's devices
        await pilot.press("s")
        await until(pilot, lambda: not app.screen.running, timeout=10, what="the stop")


async def test_system_line_of_a_followed_run_is_the_trainers_process(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    asked: list = []
    app = make_app(tiny_config(model_dir=tmp_path / "unused"), follow=run, system=recording(asked))
    with lock.hold(run):  # as a headless trainer holds it: the lock file names its pid
        async with app.run_test(size=(120, 40)) as pilot:
            progress = app.screen.query_one(EpochProgress)
            await until(pilot, lambda: "CPU 150%" in str(progress.border_subtitle), timeout=10, what="the line")
            assert asked[-1] == os.getpid()
