"""The one loop behind the TUI's watchers of files written by another process (a run's folder, the runs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.worker import get_current_worker


def post_changes(read: Callable[[], Any], post: Callable[[Any], object], every: float) -> None:
    """Call `read()` every `every` seconds and `post` what it returns whenever that changed, until the worker
    that runs this is cancelled (its cancelled event also cuts the wait short)."""
    worker = get_current_worker()
    seen = None
    while not worker.is_cancelled:
        found = read()
        if found != seen:
            seen = found
            post(found)
        worker.cancelled_event.wait(every)
