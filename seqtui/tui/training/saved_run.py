"""What the dashboard shows of a run it is not training: the saved run in model_dir (its epochs, its
settings, its last samples, and what t, c and i would do), or an empty folder the next run trains in."""

from __future__ import annotations

from seqtui.config import Config
from seqtui.errors import BundleError
from seqtui.store import bundle
from seqtui.store.resume import resume_config
from seqtui.tui.repl.engines import EngineSource
from seqtui.tui.training import status_text
from seqtui.tui.training.panels import Panels
from seqtui.tui.training.starts import Starts, TrainFlags


class SavedRun:
    """Draws a saved run, or a new empty one, through `panels`."""

    def __init__(self, panels: Panels, engines: EngineSource, flags: TrainFlags, starts: Starts) -> None:
        self.panels, self.engines, self.flags, self.starts = panels, engines, flags, starts

    @property
    def origin(self) -> str:
        """The model i fine-tunes, as the first screen names it."""
        return str(self.flags.init_from) if self.flags.init_from else "the shipped en-fr model"

    def show(self, cfg: Config) -> None:
        """The run saved in `cfg.model_dir` (or the first screen's advice when it holds none)."""
        settings, progress = self.panels.settings, self.panels.progress
        try:
            records = bundle.read_history(cfg.model_dir)
        except OSError:
            records = []
        if not records:
            settings.show_config(cfg)
            progress.say(status_text.first_steps(cfg, self.origin))
            return
        try:
            saved: Config | None = resume_config(cfg.model_dir, cfg, self.flags.settings)[0]
            state = f"Saved run: {len(records)} epoch(s) in {cfg.model_dir} · c continues it with these settings"
        except BundleError as e:
            saved, state = None, str(e)
        history = self.panels.history
        history.set_monitor((saved or cfg).monitor)
        history.show(records, (saved or cfg).monitor)
        settings.show_config(saved or cfg, state)
        progress.say(f"Saved run with {len(records)} epoch(s) in {cfg.model_dir}: "
                     + self.starts.keys(cfg.model_dir, self.origin))
        samples_epoch, samples = bundle.read_samples(cfg.model_dir)
        if samples:  # the last epoch's translations, as the run left them
            self.panels.samples.show(samples_epoch, samples)

    def show_new_folder(self, cfg: Config, note: str) -> None:
        """An empty run in `cfg.model_dir`, which the next training writes and the REPL then follows."""
        self.engines.model_dir = cfg.model_dir
        history = self.panels.history
        history.clear()
        history.set_monitor(cfg.monitor)
        history.draw_curves()
        self.panels.settings.show_config(cfg, note)
