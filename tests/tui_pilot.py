"""Helpers for Pilot tests: wait for a condition while the app keeps processing messages."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.keys import _character_to_key
from textual.pilot import Pilot

# A wait gives up no sooner than this: what takes a second on an idle machine can take a minute beside
# other test workers and builds (the first epoch of a real trainer, TensorFlow loaded: over 60 s).
LEAST_WAIT = 120.0


async def until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 300.0, what: str = "") -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds (at least `LEAST_WAIT`).

    `timeout` is how long the wait may take on a loaded machine, not how long it should take: a test that
    bounds a duration measures it itself."""
    timeout = max(timeout, LEAST_WAIT)
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what or condition}")
        await pilot.pause(0.05)


async def type_line(pilot: Pilot, text: str) -> None:
    """Type `text` into the focused input, key by key, then press Enter."""
    await pilot.press(*[_character_to_key(c) for c in text], "enter")
