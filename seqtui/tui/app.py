"""The Textual app: one factory, `make_app`, shared by the CLI (`run_dashboard`, `run_repl`) and the tests.

The app owns every worker, so one `Worker.StateChanged` handler turns any worker's error into a
notification (the message does not bubble). Workers call core code and post messages to the
screen or pane that asked for them; they never touch widgets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.message_pump import MessagePump
from textual.worker import Worker, get_current_worker

from seqtui.catalog import Request
from seqtui.config import Config
from seqtui.decoding import Settings
from seqtui.errors import SeqtuiError
from seqtui.events import TrainingEnded
from seqtui.tui import follow as follow_files
from seqtui.tui import latency
from seqtui.tui.dashboard import Dashboard
from seqtui.tui.engines import EngineLoader, EngineSource, load_saved
from seqtui.tui.messages import (
    FetchDone,
    FetchProgress,
    FollowUpdate,
    ModelReady,
    ModelRequest,
    TrainerExited,
    TranslateRequest,
)
from seqtui.tui.relay import Relay, StopSignal
from seqtui.tui.repl_pane import stream_translation
from seqtui.tui.repl_screen import ReplScreen
from seqtui.tui.terminal import private_terminal
from seqtui.tui.worker_errors import notify_failure

Mode = Literal["dashboard", "repl"]
Trainer = Callable[..., TrainingEnded]  # `seqtui.training.train`'s signature
FOLLOW_POLL = 0.5  # seconds between reads of a followed run's files


def core_trainer(*args: Any, **kwargs: Any) -> TrainingEnded:
    """`seqtui.training.train`, with TensorFlow imported first in a way that keeps the UI responsive."""
    latency.lower_thread_priority()
    latency.import_tensorflow()
    from seqtui.training import train

    return train(*args, **kwargs)


class SeqtuiApp(App[None]):
    """The dashboard (training view with a REPL pane) or the REPL alone."""

    CSS_PATH = "app.tcss"
    TITLE = "seqtui"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True, show=False)]

    def __init__(self, cfg: Config, mode: Mode, settings: Settings, trainer: Trainer, engines: EngineSource,
                 follow: Path | None = None, driver_class: type[Any] | None = None,
                 system: Callable[[int | None], Any] | None = None) -> None:
        super().__init__(driver_class=driver_class)
        self.cfg, self.mode, self.settings = cfg, mode, settings
        self.trainer, self.engines, self.follow, self.system = trainer, engines, follow, system

    def on_mount(self) -> None:
        if self.mode == "repl":
            self.push_screen(ReplScreen(self.engines, self.settings))
        else:
            self.push_screen(Dashboard(self.cfg, self.engines, self.settings, self.follow, self.system))

    async def action_quit(self) -> None:
        """ctrl+q: while training runs, ask first (quitting saves a checkpoint), even over another screen."""
        dashboards = [s for s in self.screen_stack if isinstance(s, Dashboard)]
        if dashboards:
            dashboards[0].action_request_quit()
        else:
            self.exit()

    # -- workers -----------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="train")
    def run_training(self, target: MessagePump, cfg: Config, stop: StopSignal, pause: threading.Event,
                     init_from: Path | None = None) -> TrainingEnded:
        """Train with the core trainer, reporting to `target`. TensorFlow is first imported here.

        Without `init_from` it continues whatever the folder holds, by the same policy as
        `seqtui train --resume`; with it, a new run starts from that model (`--init-from`).
        """
        stop.link(get_current_worker().cancelled_event)  # closing the app also stops (and saves)
        start = {"init_from": init_from} if init_from is not None else {"resume": True}
        try:
            return self.trainer(cfg, Relay(target), stop=stop, pause=pause, **start)
        finally:
            target.post_message(TrainerExited())

    def _engines_for(self, target: MessagePump) -> EngineSource:
        """The weights a REPL pane decodes with: its own (a run opened from the runs view), else the app's."""
        engines = getattr(target, "engines", None)
        return engines if isinstance(engines, EngineSource) else self.engines

    @on(TranslateRequest)
    def translate_requested(self, message: TranslateRequest) -> None:
        message.stop()
        start = self.preview if message.preview else self.translate
        start(message.target, message.entry, message.text, message.settings)

    @on(ModelRequest)
    def model_requested(self, message: ModelRequest) -> None:
        message.stop()
        self.load_model(message.target)

    @work(thread=True, exclusive=True, exit_on_error=False, group="decode")
    def translate(self, target: MessagePump, entry: int, text: str, settings: Settings) -> None:
        """Translate into the REPL history; a newer translation cuts this one short."""
        stream_translation(target, self._engines_for(target), entry, text, settings)

    @work(thread=True, exclusive=True, exit_on_error=False, group="preview")
    def preview(self, target: MessagePump, entry: int, text: str, settings: Settings) -> None:
        """Translate what is being typed (translate-as-you-type)."""
        stream_translation(target, self._engines_for(target), entry, text, settings)

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def load_model(self, target: MessagePump) -> None:
        """Read the model before the first translation needs it, and tell `target` whether there is one."""
        try:
            _, label = self._engines_for(target).get()
        except SeqtuiError as e:
            target.post_message(ModelReady("", str(e)))
        else:
            target.post_message(ModelReady(label))

    @work(thread=True, exclusive=True, exit_on_error=False, group="fetch")
    def fetch_corpus(self, target: MessagePump, folder: Path) -> None:
        """`seqtui data fetch` into `folder`, its progress posted to `target`."""
        from seqtui.fetch import fetch

        try:
            got = fetch(folder, progress=lambda done, total: target.post_message(FetchProgress(done, total)))
        except SeqtuiError as e:
            target.post_message(FetchDone(problem=str(e)))
            return
        target.post_message(FetchDone(f"{got.path.name}: {got.size:,} bytes unpacked into {got.path.parent}"))

    @work(thread=True, exclusive=True, exit_on_error=False, group="follow")
    def watch_run(self, target: MessagePump, model_dir: Path) -> None:
        """Poll a headless run's files and post what changed, until the app closes."""
        worker = get_current_worker()
        seen = None
        while not worker.is_cancelled:
            files = follow_files.read(model_dir)
            if files != seen:
                seen = files
                target.post_message(FollowUpdate(list(files.records), files.config, files.epochs,
                                                 files.checkpoint, files.running, files.samples_epoch,
                                                 list(files.samples)))
            worker.cancelled_event.wait(FOLLOW_POLL)

    @on(Worker.StateChanged)
    def worker_failed(self, event: Worker.StateChanged) -> None:
        """Every worker's error becomes a notification; the app stays up."""
        notify_failure(self, event)


def make_app(cfg: Config, *, mode: Mode = "dashboard", settings: Settings | None = None,
             follow: Path | None = None, trainer: Trainer = core_trainer,
             load_engine: EngineLoader = load_saved, driver_class: type[Any] | None = None,
             model: Request | None = None, system: Callable[[int | None], Any] | None = None) -> SeqtuiApp:
    """Build the app.

    Args:
        cfg: the run's config (its model_dir is where the REPL finds the saved model).
        mode: "dashboard" (training view and REPL pane) or "repl" (the REPL full screen).
        settings: initial decoding settings; default from the config.
        follow: a model folder a headless `seqtui train` writes into, to watch instead of training.
        trainer: the training function (`training.train`'s signature); tests pass scripted ones.
        load_engine: reads a decoding engine from a model folder; tests may pass a fake one.
        driver_class: the Textual driver (None: Textual's choice).
        model: which saved model the REPL uses (default: the user's in model_dir, else the shipped one).
        system: samples the training process (`seqtui.system.Sampler`); tests pass a fixed one.
    """
    settings = settings or Settings(beam=cfg.beam, temperature=cfg.temperature, max_len=cfg.max_output_len,
                                    length_penalty=cfg.length_penalty)
    engines = EngineSource(follow or cfg.model_dir, load_engine,
                           Request(explicit_dir=True) if follow else model or Request())
    return SeqtuiApp(cfg, mode, settings, trainer, engines, follow, driver_class, system)


def run_dashboard(cfg: Config, follow: Path | None = None, model: str | None = None) -> None:
    """`seqtui dashboard`: the training view on a real terminal."""
    with private_terminal() as driver:
        make_app(cfg, follow=follow, driver_class=driver, model=Request(model)).run()


def run_repl(cfg: Config, settings: Settings, model: Request | None = None) -> None:
    """`seqtui repl`: the REPL full screen on the saved model."""
    with private_terminal() as driver:
        make_app(cfg, mode="repl", settings=settings, driver_class=driver, model=model).run()
