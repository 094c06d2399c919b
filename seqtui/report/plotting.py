"""`seqtui plot`: runs' curves as a PNG or SVG a person can put in a report (matplotlib, no display).

One panel per metric, one colour per run on shared axes; with smoothing, the raw line is drawn faint
beneath the smoothed one (as TensorBoard does), resume points are dotted vertical lines and the best
epoch by the run's monitor is a star. The file is written atomically and never replaces a file that
is there unless asked to (`replace`), and never lands inside a run's folder, where it would be a file
seqtui does not own.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from seqtui import atomic
from seqtui.errors import SeqtuiError
from seqtui.report import curves
from seqtui.report.runs import RunSummary
from seqtui.store import rundir

FORMATS = {".png": "png", ".svg": "svg"}
DEFAULT_METRICS = ("loss", "val_loss", "val_accuracy", "val_chrf")
DPI = 100
DASHES = ("-", "--", "-.", ":")


def new_name(folder: Path, metric: str = "curves") -> Path:
    """The name a plot gets when none is given (`seqtui plot` without --out, the dashboards' `x`):
    seqtui-<metric>-<YYYYmmdd-HHMMSS>.png in `folder`, a new name each second."""
    from datetime import datetime

    return Path(folder) / f"seqtui-{metric}-{datetime.now().strftime('%Y%m%d-%H%M%S')}.png"


def default_metrics(runs: list[RunSummary]) -> list[str]:
    """The panels drawn when none are asked for: the losses, accuracy and chrF that the runs have."""
    have = {m for r in runs for m in r.metrics()}
    return [m for m in DEFAULT_METRICS if m in have]


def plot(runs: list[RunSummary], out: Path, metrics: list[str] | None = None, *, smooth: float = 0.0,
         log_y: bool = False, last: int = 0, size: tuple[int, int] = (1200, 800), replace: bool = False) -> Path:
    """Draw `runs`' curves into `out` (.png or .svg), `size` pixels wide and high.

    Raises:
        SeqtuiError: no runs or no metric to draw, an unknown format, `out` exists (without `replace`)
            or lies in a run's folder, or it cannot be written.
    """
    out = Path(out)
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise SeqtuiError(f"{out}: write a .png or an .svg file (the name says which)")
    if not runs:
        raise SeqtuiError("no runs to plot")
    metrics = metrics or default_metrics(runs)
    if not metrics:
        raise SeqtuiError("the runs have no finished epoch to plot yet")
    rundir.refuse_foreign_write(out, "--out", "plot")  # even a new subfolder there would make the run foreign
    figure = _figure(runs, metrics, smooth, log_y, last, size)
    save = atomic.write_with if replace else atomic.write_new_with
    try:
        save(out, lambda tmp: _save(figure, tmp, fmt), out.suffix)
    except FileExistsError:
        raise SeqtuiError(f"{out} exists; pass --force to replace it, or another --out") from None
    except OSError as e:
        raise SeqtuiError(f"{out}: cannot write the plot ({e.strerror or e})") from None
    return out


def _save(figure: Any, path: Path, fmt: str) -> None:
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none"}):  # SVG text stays text: searchable, selectable
        figure.savefig(path, format=fmt, dpi=DPI)


def _figure(runs: list[RunSummary], metrics: list[str], smooth: float, log_y: bool, last: int,
            size: tuple[int, int]) -> Any:
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    cols = 1 if len(metrics) == 1 else 2
    rows = math.ceil(len(metrics) / cols)
    figure = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI, layout="constrained")
    axes = figure.subplots(rows, cols, squeeze=False).ravel()
    # A colour and a dash per run: runs that share their first epochs (same seed, same settings) stay
    # visible where one is drawn over the other.
    styles = [(f"C{i % 10}", DASHES[i % len(DASHES)]) for i in range(len(runs))]
    for ax, metric in zip(axes, metrics, strict=False):
        for run, style in zip(runs, styles, strict=True):
            _draw(ax, run, metric, style, smooth, log_y, last)
        ax.set_title(curves.label(metric))
        ax.set_xlabel("epoch")
        ax.set_ylabel(curves.label(metric) + (" (log scale)" if log_y else ""))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        if log_y and ax.has_data():
            ax.set_yscale("log")
            plain = FuncFormatter(lambda value, _: f"{value:g}")  # 6, not 6×10⁰
            ax.yaxis.set_major_formatter(plain)
            ax.yaxis.set_minor_formatter(plain)
        if not ax.has_data():
            ax.text(0.5, 0.5, "no values", transform=ax.transAxes, ha="center", va="center", color="grey")
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    legend: dict[str, Any] = {}  # one entry per label, over every panel (a run may be missing from one)
    for ax in axes[: len(metrics)]:
        for handle, text in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(text, handle)
    if legend:
        figure.legend(list(legend.values()), list(legend), loc="outside lower center", ncols=min(4, len(legend)))
    how = ", ".join(filter(None, [f"smoothed (EMA {smooth:g}; raw faint)" if smooth else "",
                                  f"last {last} epochs" if last else "", "log y" if log_y else ""]))
    figure.suptitle("seqtui runs: " + _mpl(", ".join(r.name for r in runs[:4]) + (" …" if len(runs) > 4 else ""))
                    + (f"\n{how}" if how else ""))
    return figure


def _draw(ax: Any, run: RunSummary, metric: str, style: tuple[str, str], smooth: float, log_y: bool,
          last: int) -> None:
    epochs, values = curves.window(*run.series(metric), last)
    if log_y:
        epochs, values = curves.positive(epochs, values)
    if not epochs:
        return
    colour, dashes = style
    name = _mpl(run.name)
    marker = "o" if len(epochs) < 30 else None
    if smooth:
        ax.plot(epochs, values, color=colour, alpha=0.25, linewidth=1)
        ax.plot(epochs, curves.ema(values, smooth), color=colour, linestyle=dashes, linewidth=2, label=name)
    else:
        ax.plot(epochs, values, color=colour, linestyle=dashes, linewidth=2, marker=marker, markersize=3,
                label=name)
    for epoch in run.resumes:
        if epochs[0] <= epoch <= epochs[-1]:
            ax.axvline(epoch + 0.5, color=colour, linestyle=":", alpha=0.6, label="resumed here")
    if metric == run.monitor and run.best_epoch in epochs:
        ax.plot([run.best_epoch], [values[epochs.index(run.best_epoch)]], marker="*", markersize=14, color=colour,
                markeredgecolor="black", linestyle="none", label="best epoch (model.keras)")


def _mpl(text: str) -> str:
    """Text for a matplotlib label: a `$` in a run's name would start mathtext."""
    return text.replace("$", r"\$")
