"""Headless training display for `seqtui train`: a rich progress bar per epoch and a row per epoch."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from seqtui.events import BatchEnded, CheckpointSaved, EpochEnded, Event, TrainingEnded, TrainingStarted
from seqtui.records import EpochRecord, RunInfo
from seqtui.safe_text import for_markup

COLUMNS = [("epoch", 5), ("loss", 8), ("accuracy", 8), ("val_loss", 8), ("val_accuracy", 12),
           ("seconds", 8), ("chars/s", 9)]
CHRF_COLUMN = ("val_chrf", 8)


def clip(text: str, width: int = 60) -> str:
    """`text` on one short line: runs of whitespace squeezed, long text cut with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def columns(monitor: str) -> list[tuple[str, int]]:
    """The epoch table's columns: val_chrf joins them when it is what the run is judged by."""
    return COLUMNS[:5] + [CHRF_COLUMN] + COLUMNS[5:] if monitor == "val_chrf" else COLUMNS


def format_row(record: EpochRecord, monitor: str = "val_loss") -> str:
    """One epoch as a fixed-width line under the header."""
    def num(value: float | None, digits: int = 4) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    values = [str(record.epoch), num(record.loss), num(record.accuracy), num(record.val_loss),
              num(record.val_accuracy)]
    if monitor == "val_chrf":
        values.append(num(record.val_chrf, 2))
    values += [f"{record.seconds:.1f}", f"{record.chars_per_second:,.0f}"]
    line = "  ".join(v.rjust(w) for v, (_, w) in zip(values, columns(monitor), strict=True))
    return line + ("  *best" if record.best else "")


def _spread(info: RunInfo) -> str:
    """How the work is shared, when it is: replicas, the global batch, and which process this is."""
    if info.replicas == 1:
        return ""
    text = f" ({info.replicas} replicas × batch {info.batch_size} = {info.global_batch_size}"
    if info.processes > 1:
        text += f"; process {info.process} of {info.processes}"
    return text + ")"


class TrainPrinter:
    """A listener that prints training events to a rich console."""

    def __init__(self, console: Console, samples: bool = True) -> None:
        self.console = console
        self.samples = samples
        self.progress: Progress | None = None
        self.monitor = "val_loss"
        self.task: Any = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, TrainingStarted):
            self._started(event)
        elif isinstance(event, BatchEnded):
            self._batch(event)
        elif isinstance(event, EpochEnded):
            self._close_bar()
            self.console.print(format_row(event.record, self.monitor), highlight=False)
            # Corpus text and model output: escaped for the terminal and for markup.
            for src, ref, hyp in event.samples if self.samples else []:
                self.console.print(f"   [dim]{for_markup(src)}[/] → {for_markup(clip(hyp))}  "
                                   f"[dim](ref: {for_markup(ref)})[/]", highlight=False)
        elif isinstance(event, TrainingEnded):
            self._close_bar()
        elif isinstance(event, CheckpointSaved) and event.batch:
            self.console.print(f"[dim]checkpoint at epoch {event.epoch + 1}, batch {event.batch}[/]")

    def _started(self, e: TrainingStarted) -> None:
        i = e.info
        self.monitor = i.monitor
        self.console.print(
            f"[bold]seqtui train[/]  {for_markup(i.data)}: {i.train_pairs:,} training + {i.val_pairs:,} validation "
            f"pairs · vocab {i.source_vocab}→{i.target_vocab} · {i.architecture} latent {i.latent_dim}"
            f" · {i.parameters:,} parameters · {i.backend} on {', '.join(i.devices)}{_spread(i)}",
            highlight=False)
        if i.skipped:
            self.console.print(f"[yellow]{for_markup(i.skipped)}[/]", highlight=False)
        if e.note:
            self.console.print(for_markup(e.note), highlight=False)
        if e.resumed:
            self.console.print(f"Resuming at epoch {e.first_epoch} of {e.epochs}.")
        self.console.print("  ".join(n.rjust(w) for n, w in columns(self.monitor)), style="bold", highlight=False)

    def _batch(self, e: BatchEnded) -> None:
        if not self.console.is_terminal:  # a log file gets the epoch rows only
            return
        if self.progress is None:
            self.progress = Progress(TextColumn(f"epoch {e.epoch}"), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("loss {task.fields[loss]:.4f}"),
                                     TextColumn("{task.fields[cps]:,.0f} chars/s"), TimeRemainingColumn(),
                                     console=self.console, transient=True)
            self.progress.start()
            self.task = self.progress.add_task("train", total=e.batches, loss=e.loss, cps=0.0)
        self.progress.update(self.task, completed=e.batch, loss=e.loss, cps=e.chars_per_second)

    def _close_bar(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
