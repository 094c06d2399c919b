"""The dashboard's keys: which ones the footer offers now, and what each asks of the dashboard's parts.

`DashboardKeys` is the key half of `Dashboard` (a mixin of the screen, so Textual finds its bindings
and actions): it decides and delegates; the session, the saved run, the followed run and the download
do the work.
"""

from __future__ import annotations

from pathlib import Path

from textual.binding import ActiveBinding, Binding
from textual.reactive import reactive

from seqtui.config import Config
from seqtui.decode.decoding import Settings
from seqtui.report import runs
from seqtui.safe_text import for_markup
from seqtui.store import catalog
from seqtui.tui.repl.engines import EngineSource
from seqtui.tui.repl.repl_pane import ReplPane
from seqtui.tui.runs import export
from seqtui.tui.runs.folder import NewRun
from seqtui.tui.runs.runs_screen import RunsScreen
from seqtui.tui.training import detached
from seqtui.tui.training.confirm_quit import ConfirmQuit
from seqtui.tui.training.download import Download
from seqtui.tui.training.pages import PagedScreen
from seqtui.tui.training.panels import Panels
from seqtui.tui.training.saved_run import SavedRun
from seqtui.tui.training.session import TrainingSession
from seqtui.tui.training.starts import Start, Starts, TrainFlags


class DashboardKeys(PagedScreen):
    """Bindings and actions of the dashboard; `Dashboard` gives it the parts named here."""

    # q quits through the app's action, so the footer shows it once with the app's ctrl+q (which
    # stays when the REPL's input has the focus and q is typing).
    BINDINGS = [
        Binding("t", "train", "Train", tooltip="train a new run (beside model_dir when it holds one)"),
        Binding("c", "continue_run", "Continue", tooltip="continue the run in model_dir with its own settings"),
        Binding("i", "fine_tune", "Fine-tune", tooltip="a new run that starts from the shipped model "
                "(or --init-from's): 10 epochs, patience 3"),
        Binding("d", "fetch", "Get data", tooltip="download the Tatoeba corpus into train_dir"),
        Binding("p", "pause", "Pause", tooltip="pause after this batch, or go on"),
        Binding("s", "stop", "Stop", tooltip="stop after this batch, saving a checkpoint"),
        Binding("q", "app.quit", "Quit", tooltip="quit (while training: asks, then saves first)"),
        Binding("r", "focus_repl", "REPL", tooltip="the REPL's input"),
        Binding("z", "zoom", "Zoom", tooltip="the next panel group: curves, samples, the REPL"),
        Binding("v", "runs", "Runs", tooltip="every run beside this one, curves overlaid"),
        Binding("x", "export", "Export PNG", tooltip="this run's curves to a new PNG in the current folder"),
        Binding("a", "attention", "Attention", tooltip="a sample's attention heatmap (again: the next, then off)"),
        Binding("tab", "focus_repl", "REPL", show=False, tooltip="the REPL's input"),
        Binding("escape", "focus_training", "Training view", tooltip="back to the training panels"),
        Binding("question_mark,h", "app.help", "Help", show=False),
    ]

    running = reactive(False, bindings=True)  # the footer offers the keys that act now
    fetching = reactive(False, bindings=True)

    cfg: Config
    flags: TrainFlags
    starts: Starts
    settings: Settings
    engines: EngineSource
    session: TrainingSession
    saved_run: SavedRun
    download: Download
    panels: Panels
    detached: detached.DetachedTrainer | None = None  # the trainer a browser tab started

    @property
    def follow_dir(self) -> Path | None:
        """The folder being followed, if any: the Dashboard that mixes these keys in provides it."""
        raise NotImplementedError

    @property
    def closing(self) -> str:
        """The closing line a quit leaves: provided by the Dashboard that mixes these keys in."""
        raise NotImplementedError

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keep the footer to the keys that do something now (an 80-column footer has room for few).

        While a followed run is shown, t, i and d stay: pressed, they say why they do nothing here.
        """
        if action in ("train", "fine_tune", "fetch"):
            return not (self.running or self.fetching)
        if action in ("pause", "stop"):
            return self.running
        return True

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """The keys the footer shows: those that act now, less what `footer_hides` leaves to the help screen."""
        hidden = self.footer_hides()
        return {key: active for key, active in super().active_bindings.items() if active.binding.action not in hidden}

    def footer_hides(self) -> set[str]:
        """What an 80-column footer has no room for (F1 lists it): x, a, d once there is a run (c takes its
        place), the training keys on the samples' or the REPL's page, and escape where it would take you to
        the training panels you are on."""
        hidden = {"export", "attention"} if self.compact else set()
        if self.follow_dir is not None or self.running or self.fetching or not self.panels.history.records:
            hidden.add("continue_run")  # offered where there is a run to continue (pressed, it says why not)
        if self.compact and self.panels.history.records:
            hidden.add("fetch")
        if self.compact and self.shown_page != "training":  # the samples or the REPL: their keys first
            hidden |= {"train", "continue_run", "fine_tune", "fetch", "runs"}
            hidden.discard("attention")
        if self.shown_page == "training" or self.shown_page == "all" and not self.query_one(ReplPane).input.has_focus:
            hidden.add("focus_training")
        return hidden

    # -- training --------------------------------------------------------------------------------

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
        if self.follow_dir is not None and self.detached is not None and self.detached.running():
            self.notify("This tab's run is training: s stops it.")
        elif self.follow_dir is not None:
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
        runs = detached.runs_folder()
        if runs is not None:  # a browser tab: the run must outlive it
            self.detached = detached.DetachedTrainer(start, self.flags, runs)
            self._follow(start.model_dir, attached=True)
            return
        self.running = True
        self.session.start(self.cfg.replace(**start.settings), start)

    def _follow(self, model_dir: Path, attached: bool) -> None:
        """Follow the run in `model_dir`: provided by the Dashboard that mixes these keys in."""
        raise NotImplementedError

    def _show_new_folder(self, cfg: Config, note: str) -> None:
        self.cfg = cfg
        self.saved_run.show_new_folder(cfg, note)

    def action_pause(self) -> None:
        if self.detached is not None and self.detached.running():
            self.notify("In a browser the run trains in a process of its own: s stops it with a checkpoint, c "
                        "then continues it.")
            return
        if not self.running:
            self.notify("Nothing to pause: press t to train.")
            return
        self.session.toggle_pause()

    def action_stop(self) -> None:
        if self.detached is not None and self.detached.running():
            self.detached.stop()
            self.panels.progress.say("Stopping after this batch and saving…", "bold yellow")
            return
        if not self.running:
            self.notify("Nothing to stop: training is not running.")
            return
        self.session.stop()

    def action_fetch(self) -> None:
        """d: `seqtui data fetch` into train_dir, with its progress bar here."""
        if self.running or self.fetching or self.follow_dir is not None:
            self.notify("Not while training runs." if self.running else "A download is already running.")
            return
        self.fetching = True
        self.download.start(self.cfg.train_dir)

    # -- quitting --------------------------------------------------------------------------------

    def action_request_quit(self) -> None:
        if not self.running:
            self.app.exit(self.closing or None)
        elif self.session.control.quitting:
            self.notify("Saving a checkpoint; quitting as soon as it is written.")
        elif not isinstance(self.app.screen, ConfirmQuit):
            self.app.push_screen(ConfirmQuit(), self._quit_answered)

    def _quit_answered(self, quit_app: bool | None) -> None:
        if not quit_app:
            return
        if not self.running:  # training ended while the question was up
            self.app.exit(self.closing or None)
            return
        self.session.stop_and_quit()

    # -- other views -----------------------------------------------------------------------------

    def action_runs(self) -> None:
        """v: every run beside this one, their curves overlaid, in a screen of their own."""
        here = self.follow_dir or self.cfg.model_dir
        self.app.push_screen(RunsScreen(here.parent, self.settings, current=here, load_engine=self.engines.loader),
                             self._runs_closed)

    def _runs_closed(self, new_run: NewRun | None) -> None:
        """The runs view asked for a new run with another run's settings: this screen trains it."""
        if new_run is None or self._busy():
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
