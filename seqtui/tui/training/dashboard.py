"""The training view: settings, epoch table, curves, batch progress, samples, and the REPL pane.

Training runs in a thread worker calling the same `training.train` as `seqtui train`; its events
arrive here as messages (see `relay`). A run another process trains (`--follow`, or a model_dir whose
lock is held) is shown from its files instead. The panel groups and z, r, escape: `pages`; the other
keys: `keys`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer
from textual.worker import Worker

from seqtui.config import Config
from seqtui.decode.decoding import Settings
from seqtui.records import EpochRecord
from seqtui.safe_text import for_markup
from seqtui.system import Sample, Sampler
from seqtui.tui.curve_plot import CurvePlot
from seqtui.tui.messages import (
    BatchDone,
    EpochDone,
    FetchDone,
    FetchProgress,
    FollowUpdate,
    PlotExported,
    TrainerExited,
    TrainingBegan,
    TrainingStopped,
    ValidationStep,
)
from seqtui.tui.repl.engines import EngineSource
from seqtui.tui.repl.repl_pane import ReplPane
from seqtui.tui.runs import export
from seqtui.tui.training import jobs
from seqtui.tui.training.download import Download
from seqtui.tui.training.epoch_progress import EpochProgress
from seqtui.tui.training.epoch_table import EpochTable
from seqtui.tui.training.following import FollowedRun, held_elsewhere
from seqtui.tui.training.history_view import RunHistory
from seqtui.tui.training.keys import DashboardKeys
from seqtui.tui.training.panels import Panels
from seqtui.tui.training.run_settings import RunSettings
from seqtui.tui.training.samples_panel import SamplesPanel
from seqtui.tui.training.saved_run import SavedRun
from seqtui.tui.training.session import TrainingSession
from seqtui.tui.training.starts import Starts, TrainFlags
from seqtui.tui.worker_errors import notify_failure

TRAIN, VAL = "#1e90ff", "#ff8c00"  # curve colours (hex: Textual markup does not know rich colour names)
SYSTEM_POLL = 2.0  # seconds between samples of the training process
REPL_INTRO = ("Translations use the last finished epoch while training, else the model `seqtui translate` would "
              "use: your run once it beats the shipped en-fr model on its validation pairs.")


class Dashboard(DashboardKeys):
    """Watch a model learn and talk to it while it does.

    The screen composes the panels and hands them down to its parts: the training session
    (`TrainingSession`), the saved run (`SavedRun`), a followed run (`FollowedRun`), the download
    (`Download`); the keys are `DashboardKeys`'. Workers' messages come up to the screen, which gives each
    to the part it concerns.
    """


    def __init__(self, cfg: Config, engines: EngineSource, settings: Settings,
                 follow: Path | None = None, system: Callable[[int | None], Sample] | None = None,
                 trainer: jobs.Trainer = jobs.core_trainer, flags: TrainFlags | None = None) -> None:
        super().__init__()
        self.trainer = trainer
        self.flags = flags or TrainFlags()
        self.starts = Starts(self.flags)
        self.system = system or Sampler()
        self.cfg, self.engines, self.settings = cfg, engines, settings
        self.asked_follow = follow
        self.followed: FollowedRun | None = None

    def compose(self) -> ComposeResult:
        yield RunSettings(id="settings")
        with Horizontal(id="top"):
            yield EpochTable(id="epochs", monitor=self.cfg.monitor)
            with Vertical(id="curves"):
                yield CurvePlot([("loss", TRAIN), ("val_loss", VAL)], id="loss-plot")
                yield CurvePlot([("accuracy", TRAIN), ("val_accuracy", VAL)], id="accuracy-plot")
        yield EpochProgress(id="progress")
        with Horizontal(id="bottom"):
            yield SamplesPanel(id="samples")
            yield ReplPane(self.engines, self.settings, id="repl", intro=REPL_INTRO)
        yield Footer(show_command_palette=False)  # its room goes to the keys

    def on_mount(self) -> None:
        self.panels = Panels(self.query_one(RunSettings), self.query_one(EpochProgress),
                             self.query_one(SamplesPanel), RunHistory(self))
        self.session = TrainingSession(self, self.panels, self.engines, self.trainer)
        self.session.epochs = self.cfg.epochs
        self.saved_run = SavedRun(self.panels, self.engines, self.flags, self.starts)
        self.download = Download(self, self.panels.progress)
        self.panels.settings.border_title = "seqtui · run"
        self.panels.progress.border_title = "Progress"
        self.query_one(EpochTable).border_title = "Epochs"
        if self.asked_follow is not None:
            self._follow(self.asked_follow, attached=False)
        elif held_elsewhere(self.cfg.model_dir):
            self._follow(self.cfg.model_dir, attached=True)
        else:
            self.saved_run.show(self.cfg)
        self.set_interval(SYSTEM_POLL, self._show_system)
        self._lay_out(self.app.size)
        self.query_one(EpochTable).focus()

    # -- what the parts hold, as the tests and the app read it ----------------------------------------

    @property
    def records(self) -> list[EpochRecord]:
        """The finished epochs shown (see `RunHistory`)."""
        return self.panels.history.records

    @property
    def ended(self) -> bool:
        return self.session.ended

    @property
    def training_state(self) -> str:
        return self.session.training_state

    @property
    def closing(self) -> str:
        return self.session.closing

    @property
    def follow_dir(self) -> Path | None:
        """The run another process trains, shown here (None once its trainer ended, or when none is)."""
        return self.followed.model_dir if self.followed is not None and not self.followed.trainer_ended else None

    # -- what the workers report -------------------------------------------------------------------

    @on(Worker.StateChanged)
    def worker_failed(self, event: Worker.StateChanged) -> None:
        """A failed training, download or follow worker becomes a notification; the dashboard stays up."""
        notify_failure(self, event)

    @on(TrainingBegan)
    def training_began(self, message: TrainingBegan) -> None:
        self.session.began(message.event)

    @on(BatchDone)
    def batch_done(self, message: BatchDone) -> None:
        self.session.batch(message.event)

    @on(ValidationStep)
    def validation_step(self, message: ValidationStep) -> None:
        self.session.validating(message.event)

    @on(EpochDone)
    def epoch_done(self, message: EpochDone) -> None:
        self.session.epoch(message.event)

    @on(TrainingStopped)
    def training_stopped(self, message: TrainingStopped) -> None:
        self.session.stopped(message.event)

    @on(TrainerExited)
    def trainer_exited(self) -> None:
        self.running = False
        self.session.exited()
        self._show_system()  # no training process to show any more (the next poll is up to SYSTEM_POLL away)
        if self.session.control.quitting:
            self.app.exit(self.closing or None)

    @on(FetchProgress)
    def fetch_progress(self, message: FetchProgress) -> None:
        self.download.advanced(message.done, message.total)

    @on(FetchDone)
    def fetch_done(self, message: FetchDone) -> None:
        self.fetching = False
        self.download.ended(message.summary, message.problem)

    @on(FollowUpdate)
    def follow_update(self, message: FollowUpdate) -> None:
        if self.followed is None:
            return
        if self.followed.update(message.files):  # the attached trainer ended: the run is this dashboard's now
            self.workers.cancel_group(self, "follow")
            self.followed.show_ended()
            self.engines.training_over()  # the REPL rereads the run's saved model

    @on(PlotExported)
    def exported(self, message: PlotExported) -> None:
        export.notify_result(self, message)

    def _follow(self, model_dir: Path, attached: bool) -> None:
        self.followed = FollowedRun(self, self.panels, model_dir, attached)
        self.followed.start()

    def _show_system(self) -> None:
        """The training process's CPU, memory and devices, under the progress bar."""
        if self.running:
            pid: int | None = os.getpid()  # training runs in a thread of this process
        elif self.follow_dir is not None and self.followed is not None:
            pid = self.followed.pid()
        else:
            pid = None
        text = self.system(pid).text(self.session.devices) if pid else ""
        self.panels.progress.border_subtitle = for_markup(text)
