"""The REPL on one run's saved model, opened from the runs view (enter on a run)."""

from __future__ import annotations

from textual.binding import Binding

from seqtui.decode.decoding import Settings
from seqtui.safe_text import for_markup
from seqtui.tui.repl.engines import EngineSource
from seqtui.tui.repl.repl_screen import ReplScreen


class RunRepl(ReplScreen):
    """The REPL on one run's saved model, opened from the runs view; escape goes back to it."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back to the runs")]

    def __init__(self, engines: EngineSource, settings: Settings, name: str) -> None:
        super().__init__(engines, settings)
        self.run_name = name

    def on_mount(self) -> None:
        # Textual runs ReplScreen's own on_mount after this one (handlers run down the MRO), and it
        # sets the plain title: name the run once both have run.
        self.call_after_refresh(self._name_run)

    def _name_run(self) -> None:
        self.query_one("#repl").border_title = f"seqtui repl · {for_markup(self.run_name)}"
