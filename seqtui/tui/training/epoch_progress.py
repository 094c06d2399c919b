"""The current epoch's batch progress, with throughput and the time left for the epoch and the run."""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import Static

from seqtui.events import BatchEnded

BAR = 36
REDRAW_HZ = 10  # a bar redrawn faster is not read faster, and the UI thread shares the GIL with training


def clock(seconds: float) -> str:
    """0:07, 12:30, 1:02:03."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def bar(done: int, total: int, width: int = BAR) -> Text:
    filled = round(width * done / total) if total else 0
    return Text("━" * filled, style="green").append("━" * (width - filled), style="#4d4d4d")


class EpochProgress(Static):
    """Two lines: what training is doing, and the bar with loss, throughput and ETAs."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.last_batch: BatchEnded | None = None
        self.epochs = 0
        self.headline = Text("")
        self.paused = False
        self._drawn_at = 0.0

    def say(self, headline: str, style: str = "") -> None:
        """Show a state line (idle, preparing, stopping, finished) above the last bar."""
        self.headline = Text(headline, style=style)
        self._draw()

    def show_batch(self, event: BatchEnded, epochs: int) -> None:
        """Show a batch; at most REDRAW_HZ times a second, but always an epoch's last batch."""
        self.last_batch, self.epochs = event, epochs
        now = time.monotonic()
        if now - self._drawn_at >= 1 / REDRAW_HZ or event.batch == event.batches:
            self._draw()

    def show_download(self, done: int, total: int | None) -> None:
        """The corpus download's bar (a count alone while the size is unknown)."""
        line = Text("download  ")
        if total:
            line.append(bar(done, total)).append(f"  {done / 2**20:,.1f} of {total / 2**20:,.1f} MB")
        else:
            line.append(f"{done / 2**20:,.1f} MB")
        self.update(Text("\n").join([self.headline, line]))

    def forget_batch(self) -> None:
        self.last_batch = None
        self._draw()

    def _draw(self) -> None:
        self._drawn_at = time.monotonic()
        lines = [self.headline]
        e = self.last_batch
        if e is not None:
            per_batch = e.seconds / e.batch if e.batch else 0.0
            epoch_left = per_batch * (e.batches - e.batch)
            run_left = epoch_left + per_batch * e.batches * max(0, self.epochs - e.epoch)
            line = Text(f"epoch {e.epoch}/{self.epochs}  ").append(bar(e.batch, e.batches))
            line.append(f"  {e.batch}/{e.batches}  loss {e.loss:.4f}  {e.chars_per_second:,.0f} chars/s"
                        f"  epoch ETA {clock(epoch_left)}  run ETA {clock(run_left)}")
            if self.paused:
                line.append("  PAUSED", style="bold yellow")
            lines.append(line)
        self.update(Text("\n").join(lines))
