"""How the runs view draws the overlaid runs: the view's settings (metric, smoothing, log-y, window,
cursor) and the drawing of their curves and of the readout under them. No screen: the runs view owns
the widgets and hands them here."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from seqtui.report import curves, runs
from seqtui.safe_text import escape_controls, for_markup
from seqtui.tui.curve_plot import CurvePlot, Line
from seqtui.tui.runs.runs_table import colour

SMOOTHING = (0.0, 0.6, 0.9)
WINDOWS = (0, 10, 25, 50)


@dataclass
class View:
    """How the curves are drawn: which metric, smoothing, log-y, a window of epochs, the cursor."""

    metric: str = "val_loss"
    smooth: float = 0.0
    log_y: bool = False
    window: int = 0
    cursor: int | None = None  # None: the newest epoch

    def next_metric(self, offered: list[str], step: int) -> bool:
        """m (and M): the next (previous) metric of `offered`; whether there was one."""
        if not offered:
            return False
        at = offered.index(self.metric) if self.metric in offered else -step
        self.metric = offered[(at + step) % len(offered)]
        return True

    def next_smoothing(self) -> None:
        self.smooth = SMOOTHING[(SMOOTHING.index(self.smooth) + 1) % len(SMOOTHING)]

    def next_window(self) -> None:
        self.window = WINDOWS[(WINDOWS.index(self.window) + 1) % len(WINDOWS)]
        self.cursor = None

    def move_cursor(self, span: tuple[int, int] | None, step: int) -> bool:
        """The cursor `step` epochs on, kept inside `span`; whether there was a span to move in."""
        if span is None:
            return False
        at = span[1] if self.cursor is None else self.cursor
        self.cursor = min(span[1], max(span[0], at + step))
        return True


def draw(plot: CurvePlot, readout: Static, v: View, overlaid: list[runs.RunSummary],
         found: list[runs.RunSummary]) -> None:
    """The overlaid runs' curves in `plot` (each in its colour by its place in `found`), and `readout`."""
    chosen = {r.path for r in overlaid}
    lines: list[Line] = []
    legend = []
    for i, r in enumerate(found):
        if r.path not in chosen:
            continue
        epochs, values = curves.window(*r.series(v.metric), v.window)
        if not epochs:
            legend.append(f"[dim]{for_markup(r.name)}: no {v.metric}[/]")
            continue
        marks = [e for e in r.resumes if epochs and epochs[0] <= e <= epochs[-1]]
        if v.smooth:
            lines.append(Line(r.name, colour(i), epochs, list(values), faint=True))
            lines.append(Line(r.name, colour(i), epochs, list(curves.ema(values, v.smooth)), marks=marks))
        else:
            lines.append(Line(r.name, colour(i), epochs, list(values), marks=marks))
        legend.append(f"[{colour(i)}]━[/] {for_markup(r.name)}")
    plot.border_title = f"{curves.label(v.metric)} · " + ("  ".join(legend) or "no run overlaid")
    plot.set_lines(lines, log_y=v.log_y, cursor=v.cursor)
    readout.update(_readout(lines, v, plot.epoch_span))


def _readout(lines: list[Line], v: View, span: tuple[int, int] | None) -> Text:
    """The values at the cursor's epoch, then what each key of the view is set to."""
    text = Text()
    if span is not None:
        at = span[1] if v.cursor is None else v.cursor
        text.append(f"epoch {at}: ", style="bold")
        raw = {li.label: dict(zip(li.epochs, li.values, strict=False)) for li in lines if li.faint}
        for line in (li for li in lines if not li.faint):
            value = dict(zip(line.epochs, line.values, strict=False)).get(at)
            text.append("━ ", style=line.colour).append(escape_controls(line.label) + " ")
            text.append("-" if value is None else f"{value:.4g}", style="bold")
            unsmoothed = raw.get(line.label, {}).get(at)
            text.append(f" (raw {unsmoothed:.4g})" if unsmoothed is not None else "", style="dim")
            text.append("   ")
        text.append("\n")
    settings = [("m", "metric", curves.label(v.metric)), ("e", "smoothing", f"EMA {v.smooth:g}" if v.smooth
                                                                             else "off"),
                ("l", "log y", "on" if v.log_y else "off"), ("w", "window", f"last {v.window}" if v.window
                                                               else "all epochs"),
                ("←→", "cursor", ""), ("f", "full plot", ""), ("x", "export", "")]
    for key, name, shown in settings:
        text.append(f"{key} ", style="bold").append(name + (f" {shown}" if shown else ""), style="dim")
        text.append("  ")
    return text
