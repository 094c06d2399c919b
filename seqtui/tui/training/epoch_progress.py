"""The current epoch's batch progress, with throughput and the time left for the epoch and the run.

After an epoch's last batch the model is validated (val_loss, then chrF on a chrF-monitored run), which
takes seconds with no batch to show: the bar then counts the validation's own steps instead, and the
time it took is added to the ETAs of the epochs left.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import Static

from seqtui.events import BatchEnded, Validating
from seqtui.safe_text import escape_controls

MIN_BAR = 8
REDRAW_HZ = 10  # a bar redrawn faster is not read faster, and the UI thread shares the GIL with training
PHASES = {"val_loss": ("val_loss", "batches"), "val_chrf": ("chrF", "sentences")}


def clock(seconds: float) -> str:
    """0:07, 12:30, 1:02:03."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def bar(done: int, total: int, width: int) -> Text:
    filled = round(width * done / total) if total else 0
    return Text("━" * filled, style="green").append("━" * (width - filled), style="#4d4d4d")


def bar_line(head: str, done: int, total: int, tails: list[str], room: int) -> Text:
    """`head`, a bar, then the first of `tails` (longest first) that leaves the bar MIN_BAR cells in `room`."""
    tail = next((t for t in tails if len(head) + len(t) + MIN_BAR <= room), tails[-1])
    return Text(head).append(bar(done, total, max(MIN_BAR, room - len(head) - len(tail)))).append(tail)


class EpochProgress(Static):
    """Two lines: what training is doing, and the bar with loss, throughput and ETAs."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.last_batch: BatchEnded | None = None
        self.validating: Validating | None = None
        self.epochs = 0
        self.headline = Text("")
        self.paused = False
        self.validation_seconds = 0.0  # how long the last epoch's validation took
        self._validation_began: float | None = None
        self._drawn_at = 0.0

    def say(self, headline: str, style: str = "") -> None:
        """Show a state line (idle, preparing, stopping, finished) above the last bar."""
        self.headline = Text(escape_controls(headline), style=style)  # it names folders, and a run's problem
        self._draw()

    def show_batch(self, event: BatchEnded, epochs: int) -> None:
        """Show a batch; at most REDRAW_HZ times a second, but always an epoch's last batch."""
        self.last_batch, self.epochs, self.validating = event, epochs, None
        now = time.monotonic()
        if now - self._drawn_at >= 1 / REDRAW_HZ or event.batch == event.batches:
            self._draw()

    def show_validation(self, event: Validating) -> None:
        """The epoch's batches are done and it is being validated: count that instead."""
        if self.validating is None:
            self._validation_began = time.monotonic()
        self.validating = event
        self._draw()

    def epoch_ended(self) -> None:
        """The epoch is scored: its validation time is what the next epochs' ETAs add."""
        if self._validation_began is not None:
            self.validation_seconds = time.monotonic() - self._validation_began
        self._validation_began, self.validating = None, None
        self._draw()

    def show_download(self, done: int, total: int | None) -> None:
        """The corpus download's bar (a count alone while the size is unknown)."""
        if total:
            line = bar_line("download  ", done, total, [f"  {done / 2**20:,.1f} of {total / 2**20:,.1f} MB"],
                            self._room())
        else:
            line = Text(f"download  {done / 2**20:,.1f} MB")
        self.update(Text("\n").join([self.headline, line]))

    def forget_batch(self) -> None:
        self.last_batch, self.validating, self._validation_began = None, None, None
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _room(self) -> int:
        return self.content_size.width or 80

    def _draw(self) -> None:
        self._drawn_at = time.monotonic()
        lines = [self.headline]
        if self.validating is not None:
            lines.append(self._validation_line(self.validating))
        elif self.last_batch is not None:
            lines.append(self._batch_line(self.last_batch))
        if self.paused and len(lines) > 1:
            lines[-1].append("  PAUSED", style="bold yellow")
        self.update(Text("\n").join(lines))

    def _batch_line(self, e: BatchEnded) -> Text:
        per_batch = e.seconds / e.batch if e.batch else 0.0
        epoch_left = per_batch * (e.batches - e.batch) + self.validation_seconds
        run_left = epoch_left + (per_batch * e.batches + self.validation_seconds) * max(0, self.epochs - e.epoch)
        stats = f"  {e.batch}/{e.batches}  loss {e.loss:.4f}  {e.chars_per_second:,.0f} chars/s"
        tails = [f"{stats}  epoch ETA {clock(epoch_left)}  run ETA {clock(run_left)}",
                 f"{stats}  ETA {clock(epoch_left)} · run {clock(run_left)}"]
        return bar_line(f"epoch {e.epoch}/{self.epochs}  ", e.batch, e.batches, tails, self._room())

    def _validation_line(self, v: Validating) -> Text:
        name, unit = PHASES.get(v.what, (v.what, "steps"))
        head = f"epoch {v.epoch}/{self.epochs}  validating {name}  "
        return bar_line(head, v.done, v.total, [f"  {v.done:,}/{v.total:,} {unit}", f"  {v.done:,}/{v.total:,}"],
                        self._room())
