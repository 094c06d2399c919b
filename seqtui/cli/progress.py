"""Headless training display for `seqtui train`: a rich progress bar per epoch and a row per epoch."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from seqtui.events import BatchEnded, CheckpointSaved, EpochEnded, Event, TrainingEnded, TrainingStarted
from seqtui.records import EpochRecord, RunInfo
from seqtui.safe_text import for_markup

# Widths that keep a row with val_chrf and its "*best" mark within 80 columns (77 characters).
COLUMNS = [("epoch", 5), ("loss", 7), ("accuracy", 8), ("val_loss", 8), ("val_accuracy", 12),
           ("seconds", 7), ("chars/s", 8)]
CHRF_COLUMN = ("val_chrf", 8)
GAP = " "
BAR_WIDTH = 16
BEST = " *best"


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
    line = GAP.join(v.rjust(w) for v, (_, w) in zip(values, columns(monitor), strict=True))
    return line + (BEST if record.best else "")


def header(monitor: str) -> str:
    """The epoch table's header line, over `format_row`'s columns."""
    return GAP.join(n.rjust(w) for n, w in columns(monitor))


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
        self.notice = ""  # a line to print at the next event (set from a signal handler)

    def say(self, text: str, err: Console) -> None:
        """Print `text` now on `err` when no bar is drawn, else at the next event, above the bar: a signal
        handler that wrote past the live bar would leave a copy of it on the screen."""
        if self.progress is None:
            err.print(text, soft_wrap=True)
        else:
            self.notice = text

    def __call__(self, event: Event) -> None:
        if self.notice:
            text, self.notice = self.notice, ""
            (self.progress.console if self.progress is not None else self.console).print(text, soft_wrap=True)
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
        self.console.print(header(self.monitor), style="bold", highlight=False)

    def _batch(self, e: BatchEnded) -> None:
        if not self.console.is_terminal:  # a log file gets the epoch rows only
            return
        if self.progress is None:
            # under 80 columns with room to spare: a line that fills the terminal's last column wraps when
            # the terminal echoes ^C there, and the bar's erase then leaves a copy of it behind
            self.progress = Progress(TextColumn(f"epoch {e.epoch}"), BarColumn(bar_width=BAR_WIDTH),
                                     MofNCompleteColumn(),
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
