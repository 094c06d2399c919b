"""The Textual app: one factory, `make_app`, shared by the CLI (`run_dashboard`, `run_repl`) and the tests.

Whoever owns a worker starts it: the app the REPL panes' decoding workers (the panes post
TranslateRequest and ModelRequest, which bubble here), the dashboard its training, download and
follow workers, the runs view its own. `Worker.StateChanged` does not bubble, so each owner turns
its workers' errors into a notification with `worker_errors.notify_failure`. Workers call core code
and post messages to the screen or pane that asked for them; they never touch widgets.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.message_pump import MessagePump
from textual.worker import Worker

from seqtui.config import Config
from seqtui.decode.settings import Settings, settings_for
from seqtui.errors import SeqtuiError
from seqtui.safe_text import escape_controls
from seqtui.store.catalog import Request
from seqtui.tui.help import HelpScreen
from seqtui.tui.messages import (
    ModelReady,
    ModelRequest,
    QuitRequest,
    TranslateRequest,
)
from seqtui.tui.repl.engines import EngineLoader, EngineSource, load_saved
from seqtui.tui.repl.repl_pane import stream_translation
from seqtui.tui.repl.repl_screen import ReplScreen
from seqtui.tui.terminal import private_terminal
from seqtui.tui.training.dashboard import Dashboard
from seqtui.tui.training.jobs import Trainer, core_trainer
from seqtui.tui.training.starts import TrainFlags
from seqtui.tui.worker_errors import notify_failure

Mode = Literal["dashboard", "repl"]


class SeqtuiApp(App[str | None]):
    """The dashboard (training view with a REPL pane) or the REPL alone.

    Its result is the line to print once the terminal is back: how the session's last run ended.
    """

    CSS_PATH = "app.tcss"
    TITLE = "seqtui"
    NOTIFICATION_TIMEOUT = 4  # toasts cover the epochs table and the curves: short-lived (Textual's: 5 s)
    # In every footer: the dashboard's q shares the action, so the footer shows one "Quit" (q where q is a
    # key, ^q where the REPL's input takes the q).
    BINDINGS = [Binding("ctrl+q", "app.quit", "Quit", priority=True),
                Binding("f1", "app.help", "Help", key_display="F1", priority=True, tooltip="this help")]

    def __init__(self, cfg: Config, mode: Mode, settings: Settings, trainer: Trainer, engines: EngineSource,
                 follow: Path | None = None, driver_class: type[Any] | None = None,
                 system: Callable[[int | None], Any] | None = None, flags: TrainFlags | None = None) -> None:
        super().__init__(driver_class=driver_class)
        self.cfg, self.mode, self.settings = cfg, mode, settings
        self.trainer, self.engines, self.follow, self.system = trainer, engines, follow, system
        self.flags = flags

    def on_mount(self) -> None:
        if self.mode == "repl":
            self.push_screen(ReplScreen(self.engines, self.settings))
        else:
            self.push_screen(Dashboard(self.cfg, self.engines, self.settings, self.follow, self.system,
                                       self.trainer, self.flags))

    def action_help(self) -> None:
        """F1 (and ? or h where no input has the focus): the keys of the view on screen; again, it closes."""
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen(self.screen))

    async def action_quit(self) -> None:
        """ctrl+q: while training runs, ask first (quitting saves a checkpoint), even over another screen."""
        dashboards = [s for s in self.screen_stack if isinstance(s, Dashboard)]
        if dashboards:
            dashboards[0].action_request_quit()
        else:
            self.exit()

    # -- workers: the REPL panes ask for these (TranslateRequest, ModelRequest) --------------------------

    def _engines_for(self, target: MessagePump) -> EngineSource:
        """The weights a REPL pane decodes with: its own (a run opened from the runs view), else the app's."""
        engines = getattr(target, "engines", None)
        return engines if isinstance(engines, EngineSource) else self.engines

    @on(TranslateRequest)
    def translate_requested(self, message: TranslateRequest) -> None:
        message.stop()
        if message.wanted is not None and not message.wanted():
            return  # a preview of a line already submitted or changed: its decode would be thrown away
        start = self.preview if message.preview else self.translate
        start(message.target, message.entry, message.text, message.settings)

    @on(QuitRequest)
    async def quit_requested(self, message: QuitRequest) -> None:
        message.stop()
        await self.action_quit()

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
        engines = self._engines_for(target)
        try:
            _, label = engines.get()
            why = engines.passed_over()
        except SeqtuiError as e:
            target.post_message(ModelReady("", str(e)))
        else:
            target.post_message(ModelReady(label, passed_over=why))

    @on(Worker.StateChanged)
    def worker_failed(self, event: Worker.StateChanged) -> None:
        """Every worker's error becomes a notification; the app stays up."""
        notify_failure(self, event)


def make_app(cfg: Config, *, mode: Mode = "dashboard", settings: Settings | None = None,
             follow: Path | None = None, trainer: Trainer = core_trainer,
             load_engine: EngineLoader = load_saved, driver_class: type[Any] | None = None,
             model: Request | None = None, system: Callable[[int | None], Any] | None = None,
             flags: TrainFlags | None = None) -> SeqtuiApp:
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
        flags: `seqtui train`'s own flags given to the dashboard (what t, c and i start).
    """
    settings = settings or settings_for(cfg)
    engines = EngineSource(follow or cfg.model_dir, load_engine,
                           Request(explicit_dir=True) if follow else model or Request(reverse=cfg.reverse))
    return SeqtuiApp(cfg, mode, settings, trainer, engines, follow, driver_class, system, flags)


def run_dashboard(cfg: Config, follow: Path | None = None, model: str | None = None,
                  flags: TrainFlags | None = None) -> None:
    """`seqtui dashboard`: the training view on a real terminal."""
    with private_terminal() as driver:
        closing = make_app(cfg, follow=follow, driver_class=driver, model=Request(model, reverse=cfg.reverse),
                           flags=flags).run()
    if closing:  # one line per line: the closing line, then which model answers from now on
        print("\n".join(escape_controls(line) for line in closing.split("\n")), flush=True)
    _exit_without_tensorflow_teardown()


def _exit_without_tensorflow_teardown() -> None:
    """End the process now if training loaded TensorFlow: the interpreter's teardown of it took over a
    second after the screen was gone. Only once no thread but this one runs (the trainer has written and
    released everything), so nothing is cut short."""
    others = [t for t in threading.enumerate() if t is not threading.current_thread() and not t.daemon]
    if "tensorflow" not in sys.modules or others:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def run_repl(cfg: Config, settings: Settings, model: Request | None = None) -> None:
    """`seqtui repl`: the REPL full screen on the saved model."""
    with private_terminal() as driver:
        make_app(cfg, mode="repl", settings=settings, driver_class=driver, model=model).run()
