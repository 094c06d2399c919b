"""Unit tests of the TUI's plain parts: REPL commands, the stop signal, engine choice, follow reads, plots."""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path

from tui_fakes import FakeEngine

from seqtui.decode.decoding import Settings
from seqtui.records import EpochRecord
from seqtui.store import bundle, lock
from seqtui.store.catalog import Request
from seqtui.tui.curve_plot import CurvePlot
from seqtui.tui.repl import repl_commands
from seqtui.tui.repl.engines import EngineSource
from seqtui.tui.repl.repl_commands import ReplState
from seqtui.tui.training import follow
from seqtui.tui.training.epoch_progress import clock
from seqtui.tui.training.relay import StopSignal


def test_repl_commands_change_settings_and_explain_mistakes() -> None:
    state = ReplState(Settings())
    state = repl_commands.run(":beam 4", state).state
    assert state.settings.beam == 4 and state.describe() == "beam 4"
    state = repl_commands.run(":greedy", repl_commands.run(":temp 0.5", state).state).state
    assert (state.settings.beam, state.settings.temperature) == (1, 0.0)
    assert repl_commands.run(":live", state).state.live is True
    assert repl_commands.run(":seed 9", state).state.settings.seed == 9
    assert repl_commands.run(":clear", state).clear
    bad = repl_commands.run(":beam 0", state)
    assert bad.error and bad.state == state and "at least 1" in bad.feedback
    assert "unknown command :bem" in repl_commands.run(":bem 2", state).feedback


def test_stop_signal_reads_its_own_flag_and_linked_events() -> None:
    cancelled = threading.Event()
    stop = StopSignal()
    stop.link(cancelled)
    assert not stop.is_set()
    cancelled.set()
    assert stop.is_set()
    own = StopSignal()
    own.set()
    assert own.is_set()


def test_engine_source_prefers_the_snapshot_and_rereads_a_changed_model(tmp_path: Path) -> None:
    loads: list[Path] = []

    def load(model_dir: Path) -> FakeEngine:
        loads.append(model_dir)
        return FakeEngine(f"load {len(loads)}")

    (tmp_path / bundle.MODEL).write_bytes(b"v1")
    engines = EngineSource(tmp_path, load, Request(explicit_dir=True))
    assert engines.get()[1] == f"your model in {tmp_path}" and engines.get()[0].reply == "load 1"
    engines.use_snapshot(FakeEngine("snap"), 3)
    assert engines.get()[1] == "the epoch 3 snapshot"
    engines.training_over()
    (tmp_path / bundle.MODEL).write_bytes(b"version 2")  # a new best epoch was saved
    assert engines.get()[0].reply == "load 2" and len(loads) == 2


def test_follow_reads_an_empty_folder_and_a_live_run(tmp_path: Path) -> None:
    assert follow.read(tmp_path / "absent") == follow.RunFiles((), None, None, False)
    (tmp_path / bundle.META).write_text(json.dumps({"format": 1, "config": {"epochs": 7}}))
    bundle.write_history(tmp_path, [EpochRecord(1, val_loss=2.0)])
    (tmp_path / bundle.CKPT_DIR).mkdir()
    (tmp_path / bundle.CKPT_DIR / "ckpt-00001-000005.keras").write_bytes(b"")
    (tmp_path / bundle.CKPT_DIR / bundle.CKPT_POINTER).write_text(
        json.dumps({"epoch": 1, "batch": 5, "history": [], "file": "ckpt-00001-000005.keras"}))
    assert not follow.read(tmp_path).running
    with lock.hold(tmp_path):  # a trainer holds the folder's lock while it runs
        files = follow.read(tmp_path)
    assert files.epochs == 7 and len(files.records) == 1 and files.running
    assert files.checkpoint is not None and (files.checkpoint.epoch, files.checkpoint.batch) == (1, 5)
    assert not follow.read(tmp_path).running  # and lets go of it however it ends


def test_clock_formats_remaining_time() -> None:
    assert [clock(7), clock(750), clock(3723)] == ["0:07", "12:30", "1:02:03"]


async def test_curve_plot_draws_both_series_with_axis_labels() -> None:
    from textual.app import App, ComposeResult

    class PlotApp(App[None]):
        def compose(self) -> ComposeResult:
            yield CurvePlot([("loss", "blue"), ("val_loss", "#ff8c00")])

    app = PlotApp()
    async with app.run_test(size=(40, 8)) as pilot:
        plot = app.query_one(CurvePlot)
        assert "curves appear" in plot.render().plain
        plot.set_data([1, 2, 3], {"loss": [3.0, 2.0, 1.0], "val_loss": [3.2, 2.5, None]})
        await pilot.pause()
        lines = plot.render().plain.splitlines()
        assert lines[0].lstrip().startswith("3.2") and lines[-2].lstrip().startswith("1┤")
        assert lines[-1].split() == ["1", "epoch", "3"]
        assert all(any(0x2800 < ord(c) <= 0x28FF for c in line) for line in lines[:-1])


async def test_a_flat_series_sits_mid_height_with_its_value_as_the_only_label() -> None:
    """A constant learning rate of 0.002 had a y axis from -0.498 to 0.502, its line on the axis' floor."""
    from textual.app import App, ComposeResult

    class PlotApp(App[None]):
        def compose(self) -> ComposeResult:
            yield CurvePlot([("learning_rate", "blue")])

    app = PlotApp()
    async with app.run_test(size=(40, 9)) as pilot:
        plot = app.query_one(CurvePlot)
        plot.set_data([1, 2, 3, 4], {"learning_rate": [0.002] * 4})
        await pilot.pause()
        rows = plot.render().plain.splitlines()[:-1]
        labels = [row.split("┤")[0].strip() for row in rows]
        assert [label for label in labels if label] == ["0.002"]
        drawn = [i for i, row in enumerate(rows) if any(0x2800 < ord(c) <= 0x28FF for c in row)]
        assert drawn == [labels.index("0.002")] and 0 < drawn[0] < len(rows) - 1
        plot.set_data([1, 2], {"learning_rate": [0.0, 0.0]})
        await pilot.pause()
        labels = [row.split("┤")[0].strip() for row in plot.render().plain.splitlines()[:-1]]
        assert [label for label in labels if label] == ["0"]  # zero: no magnitude to scale a margin by


async def test_progress_counts_the_validation_and_keeps_one_line_at_80_columns() -> None:
    """After the last batch the bar stood at "ETA 0:00" for the seconds chrF took; now it counts the
    validation, whose time the next epoch's ETA then includes. The bar line fits 80 columns."""
    from textual.app import App, ComposeResult

    from seqtui.events import BatchEnded, Validating
    from seqtui.tui.training.epoch_progress import EpochProgress

    class ProgressApp(App[None]):
        def compose(self) -> ComposeResult:
            yield EpochProgress()

    app = ProgressApp()
    async with app.run_test(size=(80, 6)) as pilot:
        progress = app.query_one(EpochProgress)
        progress.say("Training")
        progress.show_batch(BatchEnded(1, 12, 12, 1.5, 0.3, 24.0, 2400.0), epochs=3)
        await pilot.pause()
        lines = str(progress.render()).splitlines()
        assert len(lines) == 2 and "12/12" in lines[1] and "ETA 0:00" in lines[1] and "run 0:48" in lines[1]
        progress.show_validation(Validating(1, "val_chrf", 256, 1000))
        await pilot.pause()
        line = str(progress.render()).splitlines()[1]
        assert "validating chrF" in line and line.endswith("256/1,000 sentences") and "ETA" not in line
        progress.validation_seconds = 0.0
        progress._validation_began = progress._validation_began - 6.0  # as if chrF took six seconds
        progress.epoch_ended()
        progress._drawn_at -= 1.0  # as if drawn a second ago: the bar is redrawn at most ten times a second
        progress.show_batch(BatchEnded(2, 6, 12, 1.2, 0.4, 12.0, 2400.0), epochs=3)
        await pilot.pause()
        line = str(progress.render()).splitlines()[1]
        assert round(progress.validation_seconds) == 6 and "ETA 0:18 · run 0:48" in line
        assert len(line) <= progress.content_size.width


def test_private_terminal_leaves_a_non_terminal_stderr_alone() -> None:
    """Under pytest stderr is not a terminal: no driver is swapped and fd 2 is untouched."""
    from seqtui.tui.terminal import private_terminal

    before = os.fstat(2)
    with private_terminal() as driver:
        assert driver is None
    assert os.fstat(2).st_ino == before.st_ino


async def test_transcript_entry_grows_even_when_a_layout_pass_interleaves() -> None:
    """An entry that gains a line right after a layout pass still gets its new height.

    This reproduces a Textual caching behaviour (private calls stand for what other widgets'
    updates do in the live app) that left finished translations without their last line.
    """
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    from seqtui.tui.repl.transcript import Transcript

    class TranscriptApp(App[None]):
        def compose(self) -> ComposeResult:
            yield Transcript()

    app = TranscriptApp()
    async with app.run_test(size=(60, 20)) as pilot:
        transcript = app.query_one(Transcript)
        transcript.begin(1, "Go.")
        transcript.note("a note")
        await pilot.pause()
        entry, note = transcript.query(Static)
        transcript.add_char(1, "V")
        note.update("a note\nthat grew")
        note._check_refresh()  # the note settles before the entry does
        app.screen._refresh_layout()  # ... and a layout pass runs in between
        transcript.end(1, "epoch 3 snapshot · greedy")  # the entry gains its note line
        await pilot.pause()
        await pilot.pause()
        assert entry.size.height == len(str(entry.render()).splitlines())


def test_system_sample_of_this_process_and_of_a_gone_one():
    from seqtui.system import Sampler

    sampler = Sampler()
    sampler(os.getpid())
    now = sampler(os.getpid())
    assert now.pid == os.getpid() and now.rss is not None and now.rss > 10 * 2**20 and now.threads >= 1
    text = now.text(["CPU:0"])
    assert now.cpu is not None and re.search(rf"^pid {os.getpid()} · CPU \d+% · RSS \d+(\.\d)? (MiB|GiB) · ", text)
    assert text.endswith("threads · CPU:0")
    gone = Sampler()(2**22 + 12345)  # above Linux's pid_max default: no such process
    assert gone.rss is None and gone.cpu is None and gone.text() == f"pid {2**22 + 12345}"


def test_no_tui_module_imports_the_app():
    """Widgets and screens post messages or own their workers; none reaches the app through an import,
    so app, dashboard, REPL pane and runs view form no import cycle."""
    import ast

    folder = Path(__file__).resolve().parents[1] / "seqtui" / "tui"
    offenders = []
    for module in folder.rglob("*.py"):
        if module.name == "app.py":
            continue
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "seqtui.tui.app":
                offenders.append(module.name)
    assert offenders == []
