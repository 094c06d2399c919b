"""One way a failed worker is shown, whichever app or screen owns it: a notification, the app stays up.

`Worker.StateChanged` does not bubble, so each owner of workers (the app, the runs view) handles its
own with `notify_failure`.
"""

from __future__ import annotations

from textual.app import App
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from seqtui.errors import SeqtuiError
from seqtui.safe_text import escape_controls


def notify_failure(owner: App | Widget, event: Worker.StateChanged) -> None:
    """Show a worker's error as a notification (a SeqtuiError by its title, anything else by its type)."""
    if event.state != WorkerState.ERROR or event.worker.error is None:
        return
    error = event.worker.error
    if isinstance(error, SeqtuiError):
        owner.notify(escape_controls(str(error)), title=error.title, severity="error", timeout=15, markup=False)
    else:
        owner.notify(escape_controls(f"{type(error).__name__}: {error}"),
                     title=f"Unexpected error in {event.worker.name}", severity="error", timeout=15, markup=False)
