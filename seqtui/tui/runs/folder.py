"""The runs view's folder: every run in it, read again and again by a worker, and where a new run
with a listed run's settings goes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.message_pump import MessagePump

from seqtui.config import Config
from seqtui.report import runs
from seqtui.tui.messages import RunsFound
from seqtui.tui.polling import post_changes

POLL = 1.0  # seconds between reads of the runs folder


@dataclass(frozen=True)
class NewRun:
    """What the runs view asks the dashboard to train: a selected run's settings, into a new folder."""

    config: Config
    origin: str


def watch(target: MessagePump, root: Path, poll: float) -> None:
    """Read the runs in `root` every `poll` seconds, posting them to `target` whenever they changed, until
    the worker that runs this is cancelled."""
    post_changes(lambda: runs.find(root), lambda found: target.post_message(RunsFound(found)), poll)


def free_beside(path: Path) -> Path:
    """The first `<name>-2`, `<name>-3`, … beside `path` that does not exist."""
    n = 2
    while (path.parent / f"{path.name}-{n}").exists():
        n += 1
    return path.parent / f"{path.name}-{n}"
