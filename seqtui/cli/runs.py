"""`seqtui runs` and `seqtui plot`: list the runs a user has made, and draw their curves into a file."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from seqtui import config
from seqtui.cli.common import UNWRAPPED, ConfigOpt, err, handled, stdout_console, usage_error
from seqtui.errors import SeqtuiError
from seqtui.report import runs
from seqtui.safe_text import escape_controls, for_markup, json_line

STATE_STYLE = {"running": "bold green", "finished": "cyan", "early-stopped": "cyan", "stopped": "yellow",
               "damaged": "bold red"}
RIGHT = {"size", "pairs", "epochs", "best", "chrF", "BLEU", "time"}
# What a narrow terminal drops first: the columns a glance at the runs needs least (`--wide` keeps all).
DROP_ORDER = ["size", "data", "BLEU", "pairs", "arch", "time", "chrF"]
CAPTION = "best: the best epoch's validation score by the run's monitor"
SCORES = "chrF, BLEU: what `seqtui evaluate` last scored"
CSV_FIELDS = ["name", "state", "architecture", "latent_dim", "data", "train_pairs", "epochs_done", "epochs",
              "monitor", "best_epoch", "best_score", "test_chrf", "test_bleu", "test_data", "seconds", "path",
              "problem"]

DirArg = Annotated[Path | None, typer.Argument(metavar="DIR",
    help="Folder to search for runs, or one run (default: the folder holding model_dir).", show_default=False)]


def _root(folder: Path | None, config_path: Path | None) -> Path:
    root = folder if folder is not None else config.load(config_path).model_dir.parent
    if not root.is_dir():
        raise SeqtuiError(f"{root}: no such folder; pass the folder that holds your runs")
    return root


def runs_command(
    folder: DirArg = None,
    sort: Annotated[str, typer.Option("--sort", metavar="KEY", help=f"Order by one of: {', '.join(runs.SORTS)} "
                                      "(scores best first; epochs and time most first).")] = "name",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON list, a run per object.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV with a header line.")] = False,
    wide: Annotated[bool, typer.Option("--wide", help="Every column, whatever the terminal's width (a narrow "
                                       "terminal drops size, data, BLEU, pairs, ... first).")] = False,
    config_path: ConfigOpt = None,
) -> None:
    """List every run below a folder: its state, best epoch, test scores and training time."""
    if as_json and as_csv:
        raise usage_error("--json and --csv: pass one")
    if sort not in runs.SORTS:
        raise usage_error(f"--sort {sort!r}: pass one of {', '.join(runs.SORTS)}")
    root = _root(folder, config_path)
    found = runs.sort(runs.find(root), sort)
    if as_json:
        print(json_line([r.to_dict() for r in found]))  # names are data: C1 and bidi controls escaped too
    elif as_csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(r.to_dict() for r in found)
        text = buffer.getvalue()
        sys.stdout.write(escape_controls(text, keep="\n") if sys.stdout.isatty() else text)
    elif not found:
        stdout_console().print(f"No seqtui runs in {for_markup(str(root))} (searched {runs.MAX_DEPTH} "
                               "folders deep). Train one with `seqtui train --model-dir "
                               f"{for_markup(str(root / 'my-run'))}`.")
    else:
        out = stdout_console()
        out.print(fitted_table(found, root, out, wide or not out.is_terminal))
        for r in found:  # a damaged run's problem is a sentence: below the table, where it is not cut
            if r.problem:
                out.print(f"[{STATE_STYLE[r.state]}]{for_markup(r.name)}[/]: {for_markup(r.problem)}")


def fitted_table(found: list[runs.RunSummary], root: Path, out: Console, wide: bool) -> Table:
    """The table with every column when `wide`, else with the columns that fit `out`'s width: the least
    needed go first (DROP_ORDER), and a cell still too long is cut with an ellipsis, never broken."""
    shown = list(runs.COLUMNS)
    natural = out.options.update_width(UNWRAPPED)  # measured unbounded, as wide as its cells want
    if wide:  # every column at its own width: the terminal (or `less -S`) shows the lines as they are
        out.width = max(out.width, Measurement.get(out, natural, table(found, root)).maximum)
        return table(found, root)
    for name in DROP_ORDER:
        if Measurement.get(out, natural, table(found, root, shown)).maximum <= out.width:
            break
        shown.remove(name)
    return table(found, root, shown, cut=True)


def table(found: list[runs.RunSummary], root: Path, columns: list[str] | None = None, cut: bool = False) -> Table:
    """The runs as a rich table of `columns` (default: all), every value from a run's files escaped for the
    terminal and markup; with `cut`, a cell wider than its column ends in an ellipsis."""
    shown = columns or list(runs.COLUMNS)
    out = Table(title=f"seqtui runs in {for_markup(str(root))}", title_justify="left", header_style="bold",
                box=box.SIMPLE_HEAD, caption="; ".join([CAPTION] + ([SCORES] if "chrF" in shown else [])),
                caption_justify="left", pad_edge=False)
    for name in shown:
        out.add_column(name, justify="right" if name in RIGHT else "left", no_wrap=cut,
                       overflow="ellipsis" if cut else "fold", min_width=len(name))
    state = runs.COLUMNS.index("state")
    for r in found:
        row = [for_markup(c) for c in runs.cells(r)]
        row[state] = f"[{STATE_STYLE[r.state]}]{row[state]}[/]"
        if r.problem:
            row[runs.COLUMNS.index("best")] = "(see below)"
        out.add_row(*[cell for cell, name in zip(row, runs.COLUMNS, strict=True) if name in shown])
    return out


def plot_command(
    run_paths: Annotated[list[Path], typer.Argument(
        metavar="RUN", show_default=False, help="Run folders, or folders holding runs (all of them).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", metavar="FILE", show_default=False, help="The image to "
                                             "write: FILE.png or FILE.svg. An existing file is refused unless "
                                             "--force is given. Default: a new seqtui-curves-<time>.png here (as "
                                             "the dashboard's x names it).")] = None,
    metric: Annotated[list[str] | None, typer.Option(
        "--metric", help=f"A metric to draw, one panel each (repeatable): {', '.join(runs.METRICS)}. Default: the "
        "losses, val_accuracy and val_chrf the runs have.", show_default=False)] = None,
    smooth: Annotated[float, typer.Option("--smooth", min=0.0, max=0.99, help="EMA smoothing weight (0: none); the "
                                          "raw curve stays faint beneath.")] = 0.0,
    log_y: Annotated[bool, typer.Option("--log-y", help="Logarithmic y axis.")] = False,
    last: Annotated[int, typer.Option("--last", min=0, help="Only the last N epochs (0: all).")] = 0,
    size: Annotated[str, typer.Option("--size", metavar="WxH",
                                      help="Image size in pixels, WIDTHxHEIGHT.")] = "1200x800",
    force: Annotated[bool, typer.Option("--force", help="Replace --out if it exists.")] = False,
) -> None:
    """Draw runs' curves on shared axes into a PNG or SVG: titles, axes, legend, best epochs, resume points."""
    from seqtui.report import plotting

    unknown = [m for m in metric or [] if m not in runs.METRICS]
    if unknown:
        raise usage_error(f"--metric {unknown[0]!r}: pass one of {', '.join(runs.METRICS)}")
    if out is None:
        out = plotting.new_name(Path.cwd(), metric[0] if metric and len(metric) == 1 else "curves")
    if out.suffix.lower() not in plotting.FORMATS:
        raise usage_error(f"--out {str(out)!r}: name a .png or an .svg file (the name says which)")
    pixels = _size(size)
    chosen: list[runs.RunSummary] = []
    for path in run_paths:
        found = runs.find(path) if path.is_dir() else []
        if not found:
            raise SeqtuiError(f"{path}: not a seqtui run, nor a folder holding one")
        chosen += [r for r in found if r.path not in {c.path for c in chosen}]
    usable = [r for r in chosen if r.state != "damaged"]
    for r in chosen:
        if r.state == "damaged":
            err.print(f"[yellow]skipped[/] {for_markup(r.name)}: {for_markup(r.problem)}", soft_wrap=True)
    written = plotting.plot(usable, out, metric, smooth=smooth, log_y=log_y, last=last, size=pixels,
                            replace=force)
    err.print(f"wrote {for_markup(str(written))} ({pixels[0]}×{pixels[1]}, "
                                                f"{len(usable)} run(s))")


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise usage_error(f"--size {text!r}: pass WIDTHxHEIGHT in pixels, e.g. 1200x800") from None
    if not (200 <= width <= 8000 and 150 <= height <= 8000):
        raise usage_error(f"--size {text!r}: each side between 200 and 8000 pixels (height at least 150)")
    return width, height


def register(app: typer.Typer) -> None:
    """Add `runs` and `plot` to the `seqtui` command."""
    app.command("runs")(handled(runs_command))
    app.command("plot")(handled(plot_command))
