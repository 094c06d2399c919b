"""Keep native libraries' stderr chatter off the screen while the UI owns the terminal.

Textual draws on stderr (fd 2). TensorFlow's C++ code logs to fd 2 when the training worker imports
it, even with TF_CPP_MIN_LOG_LEVEL=3, and the core silences fd 2 around that import, which would
also swallow the UI's own output for seconds. So, for a real terminal, the UI gets a private
duplicate of fd 2 and fd 2 itself goes to /dev/null until the app exits.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def private_terminal() -> Iterator[type[Any] | None]:
    """Yield a Textual driver class that draws on a private fd (None where that is not possible)."""
    if os.name != "posix" or not sys.__stderr__ or not sys.__stderr__.isatty():
        yield None
        return
    from textual.drivers.linux_driver import LinuxDriver

    sys.__stderr__.flush()
    ui_fd = os.dup(2)
    ui = os.fdopen(ui_fd, "w", encoding=sys.__stderr__.encoding, errors="replace", closefd=True)

    class PrivateDriver(LinuxDriver):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._file = ui

    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield PrivateDriver
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        ui.close()
