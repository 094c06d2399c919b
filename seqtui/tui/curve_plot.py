"""Line curves over epochs drawn with braille dots (2x4 dots a cell), several series in one plot.

Textual's Sparkline draws one series as bars and has no axis; here loss and val_loss share one
scale so the gap between them (overfitting) is visible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

# Bit of each dot in a braille cell, indexed [row][column] (Unicode's dot numbering).
_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
_AXIS = 7  # columns for the y labels


def _fmt(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


class CurvePlot(Widget):
    """Plots named series against epoch numbers; call `set_data` with new points to redraw."""

    DEFAULT_CSS = "CurvePlot { height: 1fr; }"

    def __init__(self, series: Sequence[tuple[str, str]], *, id: str | None = None) -> None:
        """`series`: (name, colour) pairs, drawn in that order (later ones on top)."""
        super().__init__(id=id)
        self.series = list(series)
        self.epochs: list[int] = []
        self.values: dict[str, list[float | None]] = {name: [] for name, _ in series}

    def on_mount(self) -> None:
        self.border_title = " ".join(f"[{colour}]━[/] {name}" for name, colour in self.series)

    def set_data(self, epochs: list[int], values: dict[str, list[float | None]]) -> None:
        self.epochs = list(epochs)
        self.values = {name: list(values.get(name, [])) for name, _ in self.series}
        self.refresh()

    def render(self) -> Text:
        width, height = self.content_size.width - _AXIS, self.content_size.height - 1
        finite = [v for vs in self.values.values() for v in vs if v is not None and math.isfinite(v)]
        if width < 2 or height < 1 or not finite:
            return Text("curves appear after the first epoch", style="dim")
        low, high = min(finite), max(finite)
        if high - low < 1e-9:
            low, high = low - 0.5, high + 0.5
        cells: dict[tuple[int, int], tuple[int, str]] = {}
        for name, colour in self.series:
            points = self._dots(self.values[name], low, high, width * 2, height * 4)
            for x, y in points:
                key = (y // 4, x // 2)
                bits, _ = cells.get(key, (0, colour))
                cells[key] = (bits | _DOTS[y % 4][x % 2], colour)
        return self._text(cells, width, height, low, high)

    def _dots(self, values: list[float | None], low: float, high: float, w: int,
              h: int) -> list[tuple[int, int]]:
        """Dot coordinates (x right, y down) of the polyline through the series' points."""
        first, last = (self.epochs[0], self.epochs[-1]) if self.epochs else (0, 0)
        span = max(1, last - first)
        pts = [(round((e - first) / span * (w - 1)), round((high - v) / (high - low) * (h - 1)))
               for e, v in zip(self.epochs, values, strict=False) if v is not None and math.isfinite(v)]
        dots = list(pts[:1])
        for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
            steps = max(abs(x1 - x0), abs(y1 - y0), 1)
            dots += [(x0 + round((x1 - x0) * k / steps), y0 + round((y1 - y0) * k / steps))
                     for k in range(1, steps + 1)]
        return dots

    def _text(self, cells: dict[tuple[int, int], tuple[int, str]], width: int, height: int,
                 low: float, high: float) -> Text:
        labels = {0: _fmt(high), height - 1: _fmt(low)}
        out = Text()
        for row in range(height):
            out.append(labels.get(row, "").rjust(_AXIS - 1) + "┤", style="dim")
            for col in range(width):
                bits, colour = cells.get((row, col), (0, ""))
                out.append(chr(0x2800 + bits) if bits else " ", style=colour)
            out.append("\n")
        first, last = (str(self.epochs[0]), str(self.epochs[-1])) if self.epochs else ("", "")
        axis = f"{first} epoch".ljust(width - len(last)) + last if len(self.epochs) > 1 else f"{first} epoch"
        out.append(" " * _AXIS + axis, style="dim")
        return out
