"""`x`: write curves to a new PNG from a thread (matplotlib takes a second), reporting with a message.

The screen that asks owns the worker; `PlotExported` comes back to it.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from textual.dom import DOMNode

from seqtui.errors import SeqtuiError
from seqtui.report import runs
from seqtui.safe_text import escape_controls
from seqtui.tui.messages import PlotExported


def notify_result(owner: DOMNode, message: PlotExported) -> None:
    """Tell the user where the plot went, or why it could not be written."""
    if message.problem:
        owner.app.notify(escape_controls(message.problem), title="Export failed", severity="error", markup=False)
    else:
        owner.app.notify(escape_controls(f"Wrote {message.path}"), title="Exported", markup=False)


def png_name(folder: Path, metric: str) -> Path:
    """A new file name in `folder`: seqtui-<metric>-<YYYYmmdd-HHMMSS>.png (plot never replaces one)."""
    from seqtui.report.plotting import new_name

    return new_name(folder, metric)


def start(owner: DOMNode, chosen: list[runs.RunSummary], out: Path, metrics: list[str] | None, *,
          smooth: float = 0.0, log_y: bool = False, last: int = 0) -> None:
    """Draw `chosen` into `out` in a thread worker of `owner`, which then gets a PlotExported."""
    job = partial(_draw, owner, chosen, out, metrics, smooth, log_y, last)
    owner.run_worker(job, thread=True, exit_on_error=False, group="export", name="export")


def _draw(owner: DOMNode, chosen: list[runs.RunSummary], out: Path, metrics: list[str] | None, smooth: float,
          log_y: bool, last: int) -> None:
    from seqtui.report import plotting

    try:
        plotting.plot(chosen, out, metrics, smooth=smooth, log_y=log_y, last=last)
    except SeqtuiError as e:
        owner.post_message(PlotExported(problem=str(e)))
        return
    owner.post_message(PlotExported(str(out)))
