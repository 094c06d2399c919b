"""The dashboard's training session: one trainer at a time in a thread worker, started, paused and
stopped here, and what its events mean for the panels.

The dashboard owns the keys and the footer; it hands each key and each trainer message to this part,
which holds the session's state (its signals, whether it ended, how it ended) and draws it through the
panels it was given.
"""

from __future__ import annotations

from functools import partial

from textual.screen import Screen

from seqtui.config import Config
from seqtui.errors import SeqtuiError
from seqtui.events import BatchEnded, EpochEnded, TrainingEnded, TrainingStarted, Validating
from seqtui.safe_text import for_markup
from seqtui.store.resume import closing_line, resume_config, resume_flags
from seqtui.tui import latency
from seqtui.tui.repl.engines import EngineSource
from seqtui.tui.training import jobs, status_text
from seqtui.tui.training.control import TrainingControl
from seqtui.tui.training.panels import Panels
from seqtui.tui.training.starts import Start


def patience_of(cfg: Config, start: Start) -> int | None:
    """The early-stopping patience the session will train with: a resumed run's own (changed only by the
    flags given), a new run's from `cfg`; None when the saved settings cannot be read (the trainer says why)."""
    if not start.args.get("resume"):
        return cfg.patience
    try:
        return resume_config(start.model_dir, cfg, start.args.get("flags") or {})[0].patience
    except SeqtuiError:
        return None


NOTE_SECONDS = 4  # a toast over the epochs table and the curves: long enough to read one line


class TrainingSession:
    """The trainer this dashboard runs (none, or one at a time) and how it stands."""

    def __init__(self, screen: Screen[None], panels: Panels, engines: EngineSource, trainer: jobs.Trainer) -> None:
        self.screen, self.panels, self.engines, self.trainer = screen, panels, engines, trainer
        self.control = TrainingControl()
        self.ended = False  # the last session reported its end (False while one runs, or when it raised)
        self.epochs = 0  # the run's epoch target, as its trainer says
        self.training_state = ""  # the header's state line while the run trains
        self.closing = ""  # how the app's last run ended, printed when the app closes
        self.devices: list[str] = []
        self.header_before = ""  # the header's state line before a start, put back when nothing ran
        self.began_at: int | None = None  # the session's first epoch, once its trainer says it began
        self.patience: int | None = None

    def start(self, cfg: Config, start: Start) -> None:
        """Run `start` on `cfg` in a thread worker whose messages go to the screen."""
        self.ended = False
        self.patience = patience_of(cfg, start)
        stop, pause = self.control.new_session()
        self.header_before = self.panels.settings.state.plain
        self.began_at = None
        self.panels.progress.paused = False
        self.panels.progress.say("Preparing the data and loading TensorFlow…", "italic")
        self.panels.settings.show_state("Preparing the run: reading the corpus, building the model…", "italic")
        self.screen.run_worker(partial(jobs.train, self.screen, self.trainer, cfg, stop, pause, start.args),
                               thread=True, exclusive=True, exit_on_error=False, group="train", name="train")

    def toggle_pause(self) -> None:
        """p: pause after this batch, or go on."""
        progress = self.panels.progress
        progress.paused = self.control.toggle_pause()
        if not progress.paused:
            progress.say("Training", "bold")
            self.panels.settings.show_state(self.training_state)
        else:
            progress.say("Paused after this batch: press p to go on", "bold yellow")
            self.panels.settings.show_state(f"{self.training_state} · paused: p goes on", "bold yellow")

    def stop(self) -> None:
        """s: stop after this batch (the trainer saves a checkpoint first)."""
        self.control.stop()
        self.panels.progress.say("Stopping after this batch and saving…", "bold yellow")
        self.panels.settings.show_state(f"{self.training_state} · stopping after this batch", "bold yellow")

    def stop_and_quit(self) -> None:
        self.control.stop_and_quit()
        self.panels.progress.say("Saving a checkpoint, then quitting…", "bold yellow")

    # -- what the trainer reports ------------------------------------------------------------------

    def began(self, e: TrainingStarted) -> None:
        latency.freeze_loaded()  # the model is built: keep full collections off it
        self.epochs, self.began_at = e.epochs, e.first_epoch
        self.devices = list(e.info.devices)
        history = self.panels.history
        if not e.resumed:  # a new run: nothing of the run shown before is its own
            history.clear()
            self.panels.samples.reset()
            history.draw_curves()
        history.set_monitor(e.info.monitor)
        history.set_patience(self.patience)
        self.panels.settings.show_run(e.info, e.first_epoch, e.epochs, e.resumed, e.note)
        self.training_state = self.panels.settings.state.plain
        if not self.control.paused and not self.control.stopping:
            self.panels.progress.say(f"Training from epoch {e.first_epoch} of {e.epochs}", "bold")

    def batch(self, e: BatchEnded) -> None:
        self.panels.progress.show_batch(e, self.epochs)

    def validating(self, e: Validating) -> None:
        self.panels.progress.show_validation(e)

    def epoch(self, e: EpochEnded) -> None:
        self.panels.progress.epoch_ended()
        self.panels.history.add(e.record, e.best)
        self.panels.samples.show(e.record.epoch, e.samples, e.decoded)
        if e.snapshot is not None:
            self.engines.use_snapshot(e.snapshot, e.record.epoch)

    def stopped(self, e: TrainingEnded) -> None:
        self.ended = True
        self.closing = "\n".join(filter(None, [closing_line(e, resume_flags(None, {"model_dir": e.model_dir})),
                                                e.answers]))
        text = status_text.ended_line(e)
        style = "bold green" if e.reason != "stopped" else "bold yellow"
        validating = self.panels.progress.validating  # a stop while scoring an epoch ends before its record
        self.panels.progress.say(text, style)
        scoring = validating.epoch if validating else None
        self.panels.settings.show_state(status_text.ended_state(e, self.epochs, scoring), style)
        if e.answers:  # which model answers now: the one fact of the end the status lines do not say
            self.screen.notify(for_markup(e.answers), title="Training", timeout=NOTE_SECONDS)

    def exited(self) -> None:
        """The trainer's thread is done, whether it ended or raised."""
        self.engines.training_over()
        progress = self.panels.progress
        progress.paused = False
        progress.forget_batch()  # its ETAs no longer mean anything
        self.panels.history.set_patience(None)  # early stopping is the trainer's; none runs now
        if not self.ended and self.began_at is None:  # it raised before it began: nothing ran, nothing is saved
            self.panels.settings.show_state(self.header_before or "Nothing was trained (see the notification)",
                                            "bold red")
            progress.say("Training did not start (see the notification): nothing was trained. Fix that, then "
                         "press t again.", "bold red")
        elif not self.ended:  # the trainer raised: the screen's worker handler shows why
            progress.say("Training did not run to its end (see the notification); files already saved are "
                         "kept. Press c to continue from them, or t for a new run.", "bold red")
