"""The training view: settings, epoch table, curves, batch progress, samples, and the REPL pane.

Training runs in a thread worker calling the same `training.train` as `seqtui train`; its events
arrive here as messages (see `relay`). `--follow` instead polls a headless run's files.

Layout: on a big terminal every panel shows at once ("all"); `z` gives one group of panels the room
(training: table and curves; samples; the REPL). Under COMPACT (e.g. 80x24, 100x30) there is no room
for all, so the groups take turns below the run's state and progress: r and tab show the REPL, escape
the training panels, z the next group. The classes `-compact` and `-page-<name>` on the screen say
which, and app.tcss lays each out.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.reactive import reactive, var
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker

from seqtui.config import Config
from seqtui.decode.decoding import Settings
from seqtui.errors import BundleError
from seqtui.records import EpochRecord
from seqtui.report import runs
from seqtui.safe_text import for_markup
from seqtui.store import bundle, catalog, lock
from seqtui.store.resume import closing_line, resume_config, resume_flags
from seqtui.system import Sample, Sampler
from seqtui.tui import latency
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
from seqtui.tui.runs.runs_screen import NewRun, RunsScreen
from seqtui.tui.training import jobs, layout, status_text
from seqtui.tui.training.confirm_quit import ConfirmQuit
from seqtui.tui.training.control import TrainingControl
from seqtui.tui.training.epoch_progress import EpochProgress
from seqtui.tui.training.epoch_table import EpochTable
from seqtui.tui.training.history_view import RunHistory
from seqtui.tui.training.run_settings import RunSettings
from seqtui.tui.training.samples_panel import SamplesPanel
from seqtui.tui.training.starts import Start, Starts, TrainFlags
from seqtui.tui.worker_errors import notify_failure

TRAIN, VAL = "#1e90ff", "#ff8c00"  # curve colours (hex: Textual markup does not know rich colour names)
SYSTEM_POLL = 2.0  # seconds between samples of the training process


class Dashboard(Screen[None]):
    """Watch a model learn and talk to it while it does."""

    # q quits through the app's action, so the footer shows it once with the app's ctrl+q (which
    # stays when the REPL's input has the focus and q is typing).
    BINDINGS = [
        Binding("t", "train", "Train"),
        Binding("c", "continue_run", "Continue", show=False),  # the progress line offers it when there is a run
        Binding("i", "fine_tune", "Fine-tune"),
        Binding("d", "fetch", "Get data"),
        Binding("p", "pause", "Pause"),
        Binding("s", "stop", "Stop"),
        Binding("q", "app.quit", "Quit"),
        Binding("r", "focus_repl", "REPL"),
        Binding("z", "zoom", "Zoom"),
        Binding("v", "runs", "Runs"),
        Binding("x", "export", "Export PNG", show=False),
        Binding("a", "attention", "Attention"),
        Binding("tab", "focus_repl", "REPL", show=False),
        Binding("escape", "focus_training", "Training view"),
    ]

    running = reactive(False, bindings=True)  # the footer offers the keys that act now
    fetching = reactive(False, bindings=True)
    ended = var(False)  # the last session reported its end (False while one runs, or when it raised)
    epochs = var(0)  # the run's epoch target, as its trainer or its files say
    page = var("all")  # the panel group asked for (on a compact terminal "all" shows the training one)
    training_state = var("")  # the header's state line while the run trains
    closing = var("")  # how the app's last run ended, printed when the app closes

    def __init__(self, cfg: Config, engines: EngineSource, settings: Settings,
                 follow: Path | None = None, system: Callable[[int | None], Sample] | None = None,
                 trainer: jobs.Trainer = jobs.core_trainer, flags: TrainFlags | None = None) -> None:
        super().__init__()
        self.trainer = trainer
        self.flags = flags or TrainFlags()
        self.starts = Starts(self.flags)
        self.system = system or Sampler()
        self.devices: list[str] = []
        self.cfg, self.engines, self.settings = cfg, engines, settings
        self.follow_dir = follow
        self.followed_config: Config | None = None
        self.samples_epoch = 0  # the followed run's epoch whose samples are shown
        self.history = RunHistory(self)
        self.set_reactive(Dashboard.epochs, cfg.epochs)
        self.control = TrainingControl()

    @property
    def records(self) -> list[EpochRecord]:
        """The finished epochs shown (see `RunHistory`)."""
        return self.history.records

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
            yield ReplPane(self.engines, self.settings, id="repl", intro="Translations use the last finished "
                           "epoch while training, else the model `seqtui translate` would use: your run once it "
                           "beats the shipped en-fr model on its validation pairs.")
        yield Footer(show_command_palette=False)  # its room goes to the keys

    def on_mount(self) -> None:
        self._settings().border_title = "seqtui · run"
        self.query_one(EpochProgress).border_title = "Progress"
        self.query_one(EpochTable).border_title = "Epochs"
        if self.follow_dir is not None:
            self._start_following(self.follow_dir)
        else:
            self._show_saved_run()
        self.set_interval(SYSTEM_POLL, self._show_system)
        self._lay_out(self.app.size)
        self.query_one(EpochTable).focus()

    # -- layout ------------------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self._lay_out(event.size)

    @property
    def compact(self) -> bool:
        return self.has_class("-compact")

    @property
    def shown_page(self) -> str:
        """The panel group on screen: the one asked for, except that a compact screen cannot show them all."""
        return layout.shown_page(self.page, self.compact)

    def _lay_out(self, size: Size) -> None:
        self.set_class(layout.is_compact(size), "-compact")
        self.show_page(self.page)

    def show_page(self, page: str) -> None:
        """Give `page`'s panels the room (see PAGES); the focus goes where the keys then act."""
        self.page = page
        shown = self.shown_page
        for name in layout.PAGES:
            self.set_class(name == shown, f"-page-{name}")
        repl_input = self.query_one(ReplPane).input
        if shown == "repl":
            repl_input.focus()
        elif shown == "samples":
            self.set_focus(None)
        elif self.focused is None or self.focused is repl_input and shown == "training":
            self.query_one(EpochTable).focus()

    def action_zoom(self) -> None:
        """z: the next panel group (on a big terminal, after the REPL: all of them again)."""
        self.show_page(layout.next_page(self.shown_page, self.compact))

    # -- keys --------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keep the footer to the keys that do something now (an 80-column footer has room for few).

        While a followed run is shown, t, i and d stay: pressed, they say why they do nothing here.
        """
        if action in ("train", "fine_tune", "fetch"):
            return not (self.running or self.fetching)
        if action in ("pause", "stop"):
            return self.running
        return True

    def action_attention(self) -> None:
        """a: draw a sample's attention heatmap in the samples panel, the next sample each press, then off."""
        if self.shown_page not in ("all", "samples"):
            self.show_page("samples")
        self.notify(self.query_one(SamplesPanel).cycle_attention(), timeout=3)

    def action_train(self) -> None:
        """t: a new run from scratch (beside model_dir when it holds a run); with --resume, c's job."""
        if not self._busy():
            self._start(self.starts.train(self.cfg.model_dir))

    def action_continue_run(self) -> None:
        """c: continue the run in model_dir (`seqtui train --resume`), with its own settings."""
        if not self._busy():
            self._start(self.starts.continued(self.cfg.model_dir))

    def action_fine_tune(self) -> None:
        """i: a new run that starts from --init-from's model, else the shipped one (`--init-from en-fr`)."""
        origin = self.flags.init_from or catalog.shipped().get(catalog.counterpart(self.cfg.reverse))
        if origin is None:
            self.notify("No shipped model in this installation.", severity="warning")
            return
        if not self._busy():
            self._start(self.starts.new(self.cfg.model_dir, origin))

    def _busy(self) -> bool:
        """Whether training cannot start now (and the user was told why)."""
        if self.follow_dir is not None:
            self.notify("This dashboard follows a headless run; control it from its own terminal.",
                        severity="warning")
        elif self.running or self.fetching:
            self.notify("Training is already running." if self.running else "Wait for the download to end.")
        return self.follow_dir is not None or self.running or self.fetching

    def _start(self, start: Start) -> None:
        if start.model_dir != self.cfg.model_dir:
            self.notify(for_markup(f"{self.cfg.model_dir} already holds a run (c continues it): this new run goes "
                                   f"into {start.model_dir}."), title="New run")
            self._show_new_folder(self.cfg.replace(model_dir=start.model_dir), f"a new run beside {self.cfg.model_dir}")
        self.running, self.ended = True, False
        stop, pause = self.control.new_session()
        self._progress().paused = False
        self._progress().say("Preparing the data and loading TensorFlow…", "italic")
        self._settings().show_state("Preparing the run: reading the corpus, building the model…", "italic")
        self.run_worker(partial(jobs.train, self, self.trainer, self.cfg, stop, pause, start.args), thread=True,
                        exclusive=True, exit_on_error=False, group="train", name="train")

    def _show_new_folder(self, cfg: Config, note: str) -> None:
        """Show an empty run in `cfg.model_dir`, which the next training writes and the REPL then follows."""
        self.cfg = cfg
        self.engines.model_dir = cfg.model_dir
        self.history.clear()
        self.history.set_monitor(cfg.monitor)
        self.history.draw_curves()
        self._settings().show_config(cfg, note)

    def action_fetch(self) -> None:
        """d: `seqtui data fetch` into train_dir, with its progress bar here."""
        if self.running or self.fetching or self.follow_dir is not None:
            self.notify("Not while training runs." if self.running else "A download is already running.")
            return
        self.fetching = True
        self._progress().say(f"Downloading the Tatoeba English-French corpus into {self.cfg.train_dir}…", "italic")
        self.run_worker(partial(jobs.fetch_corpus, self, self.cfg.train_dir), thread=True, exclusive=True,
                        exit_on_error=False, group="fetch", name="fetch")

    @on(FetchProgress)
    def fetch_progress(self, message: FetchProgress) -> None:
        self._progress().show_download(message.done, message.total)

    @on(FetchDone)
    def fetch_done(self, message: FetchDone) -> None:
        self.fetching = False
        if message.problem:
            self._progress().say(f"Download failed: {message.problem}", "bold red")
        else:
            self._progress().say(f"Downloaded {message.summary}. t trains on every corpus file in train_dir "
                                 "(num_samples picks how many pairs).", "bold green")

    def action_pause(self) -> None:
        if not self.running:
            self.notify("Nothing to pause: press t to train.")
            return
        progress = self._progress()
        progress.paused = self.control.toggle_pause()
        if not progress.paused:
            progress.say("Training", "bold")
            self._settings().show_state(self.training_state)
        else:
            progress.say("Paused after this batch: press p to go on", "bold yellow")
            self._settings().show_state(f"{self.training_state} · paused: p goes on", "bold yellow")

    def action_stop(self) -> None:
        if not self.running:
            self.notify("Nothing to stop: training is not running.")
            return
        self.control.stop()
        self._progress().say("Stopping after this batch and saving…", "bold yellow")
        self._settings().show_state(f"{self.training_state} · stopping after this batch", "bold yellow")

    def action_request_quit(self) -> None:
        if not self.running:
            self.app.exit(self.closing or None)
        elif self.control.quitting:
            self.notify("Saving a checkpoint; quitting as soon as it is written.")
        elif not isinstance(self.app.screen, ConfirmQuit):
            self.app.push_screen(ConfirmQuit(), self._quit_answered)

    def _quit_answered(self, quit_app: bool | None) -> None:
        if not quit_app:
            return
        if not self.running:  # training ended while the question was up
            self.app.exit(self.closing or None)
            return
        self.control.stop_and_quit()
        self._progress().say("Saving a checkpoint, then quitting…", "bold yellow")

    def action_runs(self) -> None:
        """v: every run beside this one, their curves overlaid, in a screen of their own."""
        here = self.follow_dir or self.cfg.model_dir
        self.app.push_screen(RunsScreen(here.parent, self.settings, current=here, load_engine=self.engines.loader),
                             self._runs_closed)

    def _runs_closed(self, new_run: NewRun | None) -> None:
        """The runs view asked for a new run with another run's settings: this screen trains it."""
        if new_run is None:
            return
        if self._busy():
            return
        self._show_new_folder(new_run.config, f"A new run with the settings of {new_run.origin}")
        self._start(Start(new_run.config.model_dir, {}))

    def action_export(self) -> None:
        """x: this run's curves to a new PNG in the current folder."""
        run = runs.summarize(self.follow_dir or self.cfg.model_dir)
        if not run.records:
            self.notify("No finished epoch to plot yet.", severity="warning")
            return
        export.start(self, [run], export.png_name(Path.cwd(), "curves"), None)

    @on(PlotExported)
    def exported(self, message: PlotExported) -> None:
        export.notify_result(self, message)

    def action_focus_repl(self) -> None:
        """r and tab: the REPL's input (on a compact terminal the REPL takes the panels' room)."""
        if self.compact:
            self.show_page("repl")
        elif self.shown_page not in ("all", "repl"):
            self.show_page("all")
        self.query_one(ReplPane).input.focus()

    def action_focus_training(self) -> None:
        """escape: back to the training panels (all of them, where they fit)."""
        self.show_page("all")
        self.query_one(EpochTable).focus()

    @on(Worker.StateChanged)
    def worker_failed(self, event: Worker.StateChanged) -> None:
        """A failed training, download or follow worker becomes a notification; the dashboard stays up."""
        notify_failure(self, event)

    # -- what the training worker reports ------------------------------------------------------------

    @on(TrainingBegan)
    def training_began(self, message: TrainingBegan) -> None:
        e = message.event
        latency.freeze_loaded()  # the model is built: keep full collections off it
        self.epochs = e.epochs
        self.devices = list(e.info.devices)
        if not e.resumed:  # a new run: nothing of the run shown before is its own
            self.history.clear()
            self.query_one(SamplesPanel).reset()
            self.history.draw_curves()
        self.history.set_monitor(e.info.monitor)
        self._settings().show_run(e.info, e.first_epoch, e.epochs, e.resumed, e.note)
        self.training_state = self._settings().state.plain
        if not self.control.paused and not self.control.stopping:
            self._progress().say(f"Training from epoch {e.first_epoch} of {e.epochs}", "bold")

    @on(BatchDone)
    def batch_done(self, message: BatchDone) -> None:
        self._progress().show_batch(message.event, self.epochs)

    @on(ValidationStep)
    def validation_step(self, message: ValidationStep) -> None:
        self._progress().show_validation(message.event)

    @on(EpochDone)
    def epoch_done(self, message: EpochDone) -> None:
        e = message.event
        self._progress().epoch_ended()
        self.history.add(e.record, e.best)
        self.query_one(SamplesPanel).show(e.record.epoch, e.samples, e.decoded)
        if e.snapshot is not None:
            self.engines.use_snapshot(e.snapshot, e.record.epoch)

    @on(TrainingStopped)
    def training_stopped(self, message: TrainingStopped) -> None:
        e = message.event
        self.ended = True
        self.closing = "\n".join(filter(None, [closing_line(e, resume_flags(None, {"model_dir": e.model_dir})),
                                                e.answers]))
        text = status_text.ended_line(e)
        self._progress().say(text, "bold green" if e.reason != "stopped" else "bold yellow")
        self._settings().show_state(status_text.ended_state(e, self.epochs),
                                    "bold green" if e.reason != "stopped" else "bold yellow")
        self.notify(for_markup(" ".join(filter(None, [text, e.answers]))), title="Training")

    @on(TrainerExited)
    def trainer_exited(self) -> None:
        self.running = False
        self.engines.training_over()
        progress = self._progress()
        progress.paused = False
        progress.forget_batch()  # its ETAs no longer mean anything
        self._show_system()  # no training process to show any more (the next poll is up to SYSTEM_POLL away)
        if not self.ended:  # the trainer raised: the app's worker handler shows why
            progress.say("Training did not run to its end (see the notification); files already saved are "
                         "kept. Press c to continue from them, or t for a new run.", "bold red")
        if self.control.quitting:
            self.app.exit(self.closing or None)

    # -- following a headless run ------------------------------------------------------------------

    def _start_following(self, model_dir: Path) -> None:
        self._settings().show_note(f"Following a headless run in {model_dir}: its settings appear "
                                              "once it has written config.json.")
        self._progress().say(f"Waiting for {model_dir} …", "italic")
        self.query_one(SamplesPanel).note("The headless run's sample translations appear here after each epoch; "
                                          "the REPL here uses its saved (best) model.")
        self.run_worker(partial(jobs.watch_run, self, model_dir), thread=True, exclusive=True, exit_on_error=False,
                        group="follow", name="follow")

    @on(FollowUpdate)
    def follow_update(self, message: FollowUpdate) -> None:
        files = message.files
        if files.epochs:
            self.epochs = files.epochs
        if files.config is not None and files.config != self.followed_config:
            self.followed_config = files.config
            self.history.set_monitor(files.config.monitor)
            self._settings().show_config(files.config, f"Following a headless run in {self.follow_dir}")
        if len(files.records) < len(self.records):  # the run was restarted with --fresh
            self.history.clear()
        self.history.show(files.records, files.config.monitor if files.config else "val_loss")
        if files.samples_epoch and files.samples_epoch != self.samples_epoch:
            self.samples_epoch = files.samples_epoch
            self.query_one(SamplesPanel).show(files.samples_epoch, list(files.samples))
        self._progress().say(status_text.follow_line(self.follow_dir, files, self.epochs),
                             "bold" if files.running else "")

    def _show_system(self) -> None:
        """The training process's CPU, memory and devices, under the progress bar."""
        if self.running:
            pid: int | None = os.getpid()  # training runs in a thread of this process
        elif self.follow_dir is not None:
            pid = lock.owner(self.follow_dir)
        else:
            pid = None
        self._progress().border_subtitle = for_markup(self.system(pid).text(self.devices)) if pid else ""

    # -- helpers -----------------------------------------------------------------------------------

    def _show_saved_run(self) -> None:
        settings = self._settings()
        try:
            records = bundle.read_history(self.cfg.model_dir)
        except OSError:
            records = []
        origin = str(self.flags.init_from) if self.flags.init_from else "the shipped en-fr model"
        if not records:
            settings.show_config(self.cfg)
            self._progress().say(status_text.first_steps(self.cfg, origin))
            return
        try:
            saved: Config | None = resume_config(self.cfg.model_dir, self.cfg, self.flags.settings)[0]
            state = f"Saved run: {len(records)} epoch(s) in {self.cfg.model_dir} · c continues it with these settings"
        except BundleError as e:
            saved, state = None, str(e)
        self.history.set_monitor((saved or self.cfg).monitor)
        self.history.show(records, (saved or self.cfg).monitor)
        settings.show_config(saved or self.cfg, state)
        self._progress().say(f"Saved run with {len(records)} epoch(s) in {self.cfg.model_dir}: "
                             + self.starts.keys(self.cfg.model_dir, origin))
        samples_epoch, samples = bundle.read_samples(self.cfg.model_dir)
        if samples:  # the last epoch's translations, as the run left them
            self.query_one(SamplesPanel).show(samples_epoch, samples)

    def _progress(self) -> EpochProgress:
        return self.query_one(EpochProgress)

    def _settings(self) -> RunSettings:
        return self.query_one(RunSettings)
