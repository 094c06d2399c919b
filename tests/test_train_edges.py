"""Headless training's edges at 80 columns: the epoch row with its best mark, the bar when Ctrl-C is
pressed, and the line a stop before any complete epoch ends with."""

from __future__ import annotations

import io
import re

from rich.console import Console

from seqtui.cli.progress import TrainPrinter, format_row, header
from seqtui.events import BatchEnded, CheckpointSaved, TrainingEnded
from seqtui.records import EpochRecord
from seqtui.store.resume import closing_line


def _terminal() -> tuple[Console, io.StringIO]:
    screen = io.StringIO()
    return Console(file=screen, force_terminal=True, width=80, color_system=None, highlight=False), screen


def test_a_best_epoch_row_with_chrf_fits_80_columns():
    record = EpochRecord(12, loss=0.1234, accuracy=0.9876, val_loss=1.2345, val_accuracy=0.8765, val_chrf=54.32,
                         seconds=1234.5, chars_per_second=123456.0, best=True)
    row = format_row(record, "val_chrf")
    assert row.endswith("*best") and len(row) <= 80
    assert len(header("val_chrf")) == len(row) - len(" *best")  # the values stand under their names


def test_the_bar_leaves_room_for_the_terminal_to_echo_ctrl_c():
    console, screen = _terminal()
    printer = TrainPrinter(console)
    printer(BatchEnded(epoch=10, batch=1234, batches=12345, loss=3.1415, accuracy=0.5, seconds=1.0,
                       chars_per_second=123456.0))
    try:
        console.file = io.StringIO()  # the next refresh alone
        printer.progress.refresh()
        drawn = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", console.file.getvalue()).splitlines()
    finally:
        printer._close_bar()
    assert drawn and all(len(line) <= 76 for line in drawn if "epoch 10" in line)


def test_a_stop_notice_waits_for_the_bar_and_is_printed_once_above_it():
    console, screen = _terminal()
    err, said = _terminal()
    printer = TrainPrinter(console)
    printer(BatchEnded(epoch=1, batch=3, batches=40, loss=3.0, accuracy=0.1, seconds=1.0, chars_per_second=100.0))
    printer.say("Stopping after this batch", err)
    assert said.getvalue() == ""  # a signal handler does not write past the live bar
    printer(CheckpointSaved(path="x", epoch=0, batch=4))
    printer(TrainingEnded(reason="stopped", epochs_done=0, best_epoch=None, monitor="val_loss", best_score=None,
                          model_dir="models/x"))
    assert screen.getvalue().count("Stopping after this batch") == 1
    idle = TrainPrinter(console)
    idle.say("Stopping after this batch", err)  # no bar: at once
    assert "Stopping after this batch" in said.getvalue()


def test_a_stop_before_any_complete_epoch_says_so_plainly():
    ended = TrainingEnded(reason="stopped", epochs_done=0, best_epoch=None, monitor="val_chrf", best_score=None,
                          model_dir="models/my-run")
    line = closing_line(ended, " --epochs 3")
    assert line.startswith("Stopped in epoch 1, before any epoch was complete; checkpoint saved in models/my-run.")
    assert "no epoch done" not in line and "(s)" not in line and line.endswith("seqtui train --resume --epochs 3")
    one = TrainingEnded(reason="stopped", epochs_done=1, best_epoch=1, monitor="val_chrf", best_score=12.5,
                        model_dir="models/my-run")
    assert closing_line(one).startswith("Stopped after 1 complete epoch; best epoch 1 (val_chrf 12.50);")
