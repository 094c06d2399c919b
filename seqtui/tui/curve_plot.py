"""Line curves over epochs drawn with braille dots (2x4 dots a cell), several lines in one plot.

Textual's Sparkline draws one series as bars and has no axis; here loss and val_loss share one
scale so the gap between them (overfitting) is visible, and the runs view overlays several runs'
lines, each with its own epochs, on shared axes. A faint line (the raw curve under a smoothed one)
is drawn dim and beneath the others; resume points are dotted columns; a cursor column marks the
epoch whose values the screen shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.text import Text
from textual.widget import Widget

# Bit of each dot in a braille cell, indexed [row][column] (Unicode's dot numbering).
_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
_AXIS = 7  # columns for the y labels


def _fmt(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


@dataclass(frozen=True)
class Line:
    """One curve: its epochs and values (None where an epoch has no value), drawn in `colour`."""

    label: str
    colour: str
    epochs: list[int]
    values: list[float | None]
    faint: bool = False
    marks: list[int] = field(default_factory=list)  # epochs after which a resumed session took over


class CurvePlot(Widget):
    """Plots lines against epoch numbers: `set_data` for named series sharing epochs, `set_lines` for
    lines of their own (overlaid runs)."""

    DEFAULT_CSS = "CurvePlot { height: 1fr; }"

    def __init__(self, series: Sequence[tuple[str, str]] = (), *, id: str | None = None) -> None:
        """`series`: (name, colour) pairs for `set_data`, drawn in that order (later ones on top)."""
        super().__init__(id=id)
        self.series = list(series)
        self.lines: list[Line] = []
        self.log_y = False
        self.cursor: int | None = None
        self.empty_note = "curves appear after the first epoch"

    def on_mount(self) -> None:
        if self.series:
            self.border_title = " ".join(f"[{colour}]━[/] {name}" for name, colour in self.series)

    def set_data(self, epochs: list[int], values: dict[str, list[float | None]]) -> None:
        self.set_lines([Line(name, colour, list(epochs), list(values.get(name, []))) for name, colour in self.series])

    def set_lines(self, lines: list[Line], log_y: bool = False, cursor: int | None = None) -> None:
        self.lines, self.log_y, self.cursor = list(lines), log_y, cursor
        self.refresh()

    @property
    def epochs(self) -> list[int]:
        """The epochs of the first line (those `set_data` gave every series)."""
        return list(self.lines[0].epochs) if self.lines else []

    @property
    def values(self) -> dict[str, list[float | None]]:
        """Each line's values by its label (the series' names after `set_data`)."""
        return {line.label: list(line.values) for line in self.lines if not line.faint}

    @property
    def epoch_span(self) -> tuple[int, int] | None:
        """The first and last epoch on the x axis (None before any line has a point)."""
        epochs = [e for line in self.lines for e, v in zip(line.epochs, line.values, strict=False)
                  if self._shown(v) is not None]
        return (min(epochs), max(epochs)) if epochs else None

    def _shown(self, value: float | None) -> float | None:
        """The value as plotted: log10 on a log axis (where only positive values can be shown)."""
        if value is None or not math.isfinite(value):
            return None
        if self.log_y:
            return math.log10(value) if value > 0 else None
        return value

    def render(self) -> Text:
        width, height = self.content_size.width - _AXIS, self.content_size.height - 1
        finite = [s for line in self.lines for v in line.values if (s := self._shown(v)) is not None]
        span = self.epoch_span
        if width < 2 or height < 1 or not finite or span is None:
            return Text(self.empty_note, style="dim")
        low, high = min(finite), max(finite)
        flat = high - low <= 1e-9 * max(1.0, abs(high))
        if flat:  # a constant (a fixed learning rate): its line mid-height, its one value the one label
            pad = abs(high) * 0.1 or 1.0
            low, high = low - pad, high + pad
        cells: dict[tuple[int, int], tuple[int, str]] = {}
        for line in sorted(self.lines, key=lambda li: not li.faint):  # faint lines beneath
            colour = f"dim {line.colour}" if line.faint else line.colour
            for x, y in self._dots(line, span, low, high, width * 2, height * 4):
                key = (y // 4, x // 2)
                bits, _ = cells.get(key, (0, colour))
                cells[key] = (bits | _DOTS[y % 4][x % 2], colour)
        columns = {self._column(e, span, width): "┆" for line in self.lines for e in line.marks
                   if span[0] <= e <= span[1]}
        if self.cursor is not None and span[0] <= self.cursor <= span[1]:
            columns[self._column(self.cursor, span, width)] = "│"
        labels = self._labels(height, low, high)
        if flat:
            labels = {round((height * 4 - 1) / 2) // 4: self._label((low + high) / 2)}
        return self._text(cells, columns, width, height, labels, span)

    @staticmethod
    def _column(epoch: int, span: tuple[int, int], width: int) -> int:
        return round((epoch - span[0]) / max(1, span[1] - span[0]) * (width * 2 - 1)) // 2

    def _dots(self, line: Line, span: tuple[int, int], low: float, high: float, w: int,
              h: int) -> list[tuple[int, int]]:
        """Dot coordinates (x right, y down) of the polyline through the line's points."""
        first, last = span
        width = max(1, last - first)
        pts = [(round((e - first) / width * (w - 1)), round((high - s) / (high - low) * (h - 1)))
               for e, v in zip(line.epochs, line.values, strict=False) if (s := self._shown(v)) is not None]
        dots = list(pts[:1])
        for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
            steps = max(abs(x1 - x0), abs(y1 - y0), 1)
            dots += [(x0 + round((x1 - x0) * k / steps), y0 + round((y1 - y0) * k / steps))
                     for k in range(1, steps + 1)]
        return dots

    def _label(self, value: float) -> str:
        return _fmt(10**value if self.log_y else value)

    def _labels(self, height: int, low: float, high: float) -> dict[int, str]:
        """The y labels by row: top and bottom, and on a tall plot every ~6 rows, so a log axis reads as one."""
        labels = {0: self._label(high), height - 1: self._label(low)}
        if height >= 12:
            for row in range(6, height - 3, 6):
                labels[row] = self._label(high - (high - low) * row / (height - 1))
        return labels

    def _text(self, cells: dict[tuple[int, int], tuple[int, str]], columns: dict[int, str], width: int,
              height: int, labels: dict[int, str], span: tuple[int, int]) -> Text:
        out = Text()
        for row in range(height):
            out.append(labels.get(row, "").rjust(_AXIS - 1) + "┤", style="dim")
            for col in range(width):
                bits, colour = cells.get((row, col), (0, ""))
                if bits:
                    out.append(chr(0x2800 + bits), style=colour)
                elif col in columns:
                    out.append(columns[col], style="bold" if columns[col] == "│" else "dim")
                else:
                    out.append(" ")
            out.append("\n")
        first, last = str(span[0]), str(span[1])
        axis = f"{first} epoch".ljust(width - len(last)) + last if span[1] > span[0] else f"{first} epoch"
        out.append(" " * _AXIS + axis + (" · log y" if self.log_y else ""), style="dim")
        return out
