"""Helpers for Pilot tests: wait for a condition while the app keeps processing messages."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.keys import _character_to_key
from textual.pilot import Pilot


async def until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 60.0, what: str = "") -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what or condition}")
        await pilot.pause(0.05)


async def type_line(pilot: Pilot, text: str) -> None:
    """Type `text` into the focused input, key by key, then press Enter."""
    await pilot.press(*[_character_to_key(c) for c in text], "enter")
