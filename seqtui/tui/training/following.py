"""The dashboard on a run another process trains (`seqtui train` headless): its files polled by a
worker, shown as they change; the trainer's end said, and the run handed back to the dashboard's keys.

`seqtui dashboard --follow DIR` follows DIR; `seqtui dashboard` on a model_dir whose lock another
process holds follows it too (attaching), since training it here would be refused.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

from textual.screen import Screen

from seqtui.config import Config
from seqtui.store import lock
from seqtui.tui.training import jobs, status_text
from seqtui.tui.training.follow import RunFiles
from seqtui.tui.training.panels import Panels


def held_elsewhere(model_dir: Path) -> bool:
    """Whether another process trains in `model_dir` now (its lock names a live pid not ours)."""
    owner = lock.owner(model_dir)
    return owner is not None and owner != os.getpid()


class FollowedRun:
    """One followed run folder and what of it is shown."""

    def __init__(self, screen: Screen[None], panels: Panels, model_dir: Path, attached: bool) -> None:
        self.screen, self.panels, self.model_dir = screen, panels, model_dir
        self.attached = attached  # found held by `seqtui dashboard`, not asked for with --follow
        self.config: Config | None = None
        self.samples_epoch = 0  # the epoch whose samples are shown
        self.epochs = 0
        self.seen_running = False
        self.trainer_ended = False  # the trainer was seen running, then let go of the lock

    @property
    def title(self) -> str:
        return f"{'Attached to' if self.attached else 'Following'} a headless run in {self.model_dir}"

    def start(self) -> None:
        self.panels.settings.show_note(f"{self.title}: its settings appear once it has written config.json.")
        self.panels.progress.say(f"Waiting for {self.model_dir} …", "italic")
        self.panels.samples.note("The headless run's sample translations appear here after each epoch; "
                                 "the REPL here uses its saved (best) model.")
        self.screen.run_worker(partial(jobs.watch_run, self.screen, self.model_dir), thread=True, exclusive=True,
                               exit_on_error=False, group="follow", name="follow")

    def update(self, files: RunFiles) -> bool:
        """Show what changed; whether the attached trainer has just ended (it was running and let the lock go)."""
        if self.trainer_ended and self.attached:  # a read queued before the run was handed back
            return False
        if files.epochs:
            self.epochs = files.epochs
        history = self.panels.history
        if files.config is not None and files.config != self.config:
            self.config = files.config
            history.set_monitor(files.config.monitor)
            self.panels.settings.show_config(files.config, self.title)
        if files.config is not None:
            history.set_patience(files.config.patience if files.running else None)
        if len(files.records) < len(history.records):  # the run was restarted with --fresh
            history.clear()
        history.show(files.records, files.config.monitor if files.config else "val_loss")
        if files.samples_epoch and files.samples_epoch != self.samples_epoch:
            self.samples_epoch = files.samples_epoch
            self.panels.samples.show(files.samples_epoch, list(files.samples))
        self.panels.progress.say(status_text.follow_line(self.model_dir, files, self.epochs),
                                 "bold" if files.running else "")
        ended = self.seen_running and not files.running and not self.trainer_ended
        self.seen_running = self.seen_running or files.running
        self.trainer_ended = self.trainer_ended or ended
        return ended and self.attached

    def show_ended(self) -> None:
        """The attached trainer let the run go: say so; the dashboard's keys act on it from now on."""
        done = self.panels.history.records[-1].epoch if self.panels.history.records else 0
        self.panels.settings.show_state(f"The headless trainer ended after epoch {done} of {self.epochs} · "
                                        "c continues the run here", "bold yellow")
        self.panels.progress.say(f"The trainer of {self.model_dir} ended: c continues the run in this "
                                 "dashboard, t starts a new one.", "bold yellow")

    def pid(self) -> int | None:
        return lock.owner(self.model_dir)
