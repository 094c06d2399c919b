"""Training as a `seqtui train` process of its own, for the dashboard in a browser tab (`--web`).

A tab's dashboard may close at any moment (the tab is closed), so it never trains in its own thread:
t, c and i start `seqtui train` with the same settings in a new session (no signal of the tab's
reaches it), note its pid in the server's runs folder, and follow the folder as an attached run.
s asks the trainer to stop (SIGTERM: it saves a checkpoint after its batch).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from seqtui import atomic
from seqtui.tui.training.starts import Start, TrainFlags

RUNS_ENV = "SEQTUI_WEB_RUNS"  # set by the server for the tabs' processes: the folder they note trainers in


def alive(pid: int) -> bool:
    """Whether `pid` still runs (an exited child that no one has reaped yet does not)."""
    import psutil

    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def runs_folder() -> Path | None:
    """The server's runs folder when this dashboard is a browser tab's, else None."""
    where = os.environ.get(RUNS_ENV)
    return Path(where) if where and Path(where).is_dir() else None


def flag_args(settings: dict[str, Any]) -> list[str]:
    """Config settings as `seqtui train` flags (None: not given; booleans as --x / --no-x)."""
    out: list[str] = []
    for key, value in settings.items():
        if value is None or key == "model_dir":
            continue
        name = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            out.append(name if value else "--no-" + key.replace("_", "-"))
        else:
            out += [name, str(value)]
    return out


def train_command(start: Start, flags: TrainFlags) -> list[str]:
    """The `seqtui train` that runs `start` as the dashboard's own trainer would."""
    command = [sys.executable, "-m", "seqtui", "train", "--model-dir", str(start.model_dir),
               *flag_args({**flags.settings, **start.settings})]
    if start.args.get("resume"):
        command.append("--resume")
    if start.args.get("fresh"):
        command.append("--fresh")
    if start.args.get("init_from") is not None:
        command += ["--init-from", str(start.args["init_from"])]
    return command


class DetachedTrainer:
    """One `seqtui train` process this tab started."""

    def __init__(self, start: Start, flags: TrainFlags, runs: Path) -> None:
        self.process = subprocess.Popen(train_command(start, flags), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.model_dir = start.model_dir
        atomic.write_text(runs / f"{self.process.pid}.run", str(start.model_dir))

    def running(self) -> bool:
        return self.process.poll() is None and alive(self.process.pid)

    def stop(self) -> None:
        """Stop after this batch, saving a checkpoint (the trainer's SIGTERM handler)."""
        if self.running():
            self.process.send_signal(signal.SIGTERM)
