"""Headless training display for `seqtui train`: a rich progress bar per epoch and a row per epoch."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from seqtui.events import BatchEnded, CheckpointSaved, EpochEnded, Event, TrainingEnded, TrainingStarted
from seqtui.safe_text import for_markup

COLUMNS = [("epoch", 5), ("loss", 8), ("accuracy", 8), ("val_loss", 8), ("val_accuracy", 12),
           ("seconds", 8), ("chars/s", 9)]


def clip(text: str, width: int = 60) -> str:
    """`text` on one short line: runs of whitespace squeezed, long text cut with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def format_row(record: dict[str, Any]) -> str:
    """One epoch as a fixed-width line under the header."""
    values = [str(record["epoch"])] + [
        "-" if record.get(k) is None else f"{record[k]:.4f}" for k in ("loss", "accuracy", "val_loss", "val_accuracy")
    ] + [f"{record['seconds']:.1f}", f"{record['chars_per_second']:,.0f}"]
    line = "  ".join(v.rjust(w) for v, (_, w) in zip(values, COLUMNS, strict=True))
    return line + ("  *best" if record.get("best") else "")


def _spread(info: dict[str, Any]) -> str:
    """How the work is shared, when it is: replicas, the global batch, and which process this is."""
    if info.get("replicas", 1) == 1:
        return ""
    text = f" ({info['replicas']} replicas × batch {info['batch_size']} = {info['global_batch_size']}"
    if info.get("processes", 1) > 1:
        text += f"; process {info['process']} of {info['processes']}"
    return text + ")"


class TrainPrinter:
    """A listener that prints training events to a rich console."""

    def __init__(self, console: Console, samples: bool = True) -> None:
        self.console = console
        self.samples = samples
        self.progress: Progress | None = None
        self.task: Any = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, TrainingStarted):
            self._started(event)
        elif isinstance(event, BatchEnded):
            self._batch(event)
        elif isinstance(event, EpochEnded):
            self._close_bar()
            self.console.print(format_row(event.record), highlight=False)
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
        self.console.print(
            f"[bold]seqtui train[/]  {for_markup(i['data'])}: {i['train_pairs']:,} training + "
            f"{i['val_pairs']:,} validation pairs · vocab {i['source_vocab']}→{i['target_vocab']} · "
            f"{i['architecture']} latent {i['latent_dim']} · {i['parameters']:,} parameters · {i['backend']} on "
            f"{', '.join(i['devices'])}{_spread(i)}", highlight=False)
        if i.get("skipped"):
            self.console.print(f"[yellow]{for_markup(i['skipped'])}[/]", highlight=False)
        if e.resumed:
            self.console.print(f"Resuming at epoch {e.first_epoch} of {e.epochs}.")
        self.console.print("  ".join(n.rjust(w) for n, w in COLUMNS), style="bold", highlight=False)

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
