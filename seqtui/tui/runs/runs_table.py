"""The runs view's table: one row per run, a swatch in its curve colour when it is overlaid."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from seqtui.report import runs
from seqtui.safe_text import escape_controls

PALETTE = ("#1e90ff", "#ff8c00", "#2ecc71", "#e74c3c", "#b36bff", "#f1c40f", "#1abc9c", "#ff69b4")
"""Curve colours, one per run in table order (hex: Textual markup does not know rich colour names)."""
STATE_STYLE = {"running": "bold green", "finished": "cyan", "early-stopped": "cyan", "stopped": "yellow",
               "damaged": "bold red"}
RIGHT = {"size", "pairs", "epochs", "best", "chrF", "BLEU", "time"}
NARROW = 100  # a table narrower than this leaves out SPARE, so the scores and the time stay in sight
SPARE = ("arch", "size", "data", "pairs")  # what `c` (compare) shows of two runs, and `seqtui runs` of all


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


class RunsTable(DataTable):
    """`show(runs, selected)` redraws the rows, keeping the cursor on the same run."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.paths: list[str] = []
        self.shown: tuple[str, ...] = ()  # the columns on screen
        self.last: tuple[list[runs.RunSummary], set[str]] | None = None

    def on_mount(self) -> None:
        self._lay_columns()

    def on_resize(self) -> None:
        self._lay_columns()

    def _lay_columns(self) -> None:
        """Every column where they fit, else all but SPARE (redrawing the rows when that changes)."""
        wanted = tuple(c for c in runs.COLUMNS if self.size.width >= NARROW or c not in SPARE)
        if wanted == self.shown:
            return
        self.shown = wanted
        self.clear(columns=True)
        self.add_column(" ", key="overlay", width=2)
        for name in wanted:
            self.add_column(Text(name, justify="right" if name in RIGHT else "left"), key=name)
        if self.last is not None:
            self.show(*self.last)

    def show(self, found: list[runs.RunSummary], selected: set[str]) -> None:
        self.last = (found, selected)
        current = self.current_path()
        self.clear()
        self.paths = [str(r.path) for r in found]
        for i, r in enumerate(found):
            cells = [Text(escape_controls(c), justify="right" if name in RIGHT else "left")
                     for name, c in zip(runs.COLUMNS, runs.cells(r), strict=True) if name in self.shown]
            cells[self.shown.index("state")].stylize(STATE_STYLE[r.state])
            swatch = Text("━━", style=colour(i)) if str(r.path) in selected else Text("··", style="dim")
            self.add_row(swatch, *cells, key=str(r.path))
        if current in self.paths:
            self.move_cursor(row=self.paths.index(current))

    def current_path(self) -> str | None:
        """The run under the cursor."""
        if not self.paths or not 0 <= self.cursor_row < len(self.paths):
            return None
        return self.paths[self.cursor_row]
