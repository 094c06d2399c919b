"""`seqtui repl`: the REPL pane full screen, on the saved model."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer

from seqtui.decode.decoding import Settings
from seqtui.tui.repl.engines import EngineSource
from seqtui.tui.repl.repl_pane import ReplPane


class ReplScreen(Screen[None]):
    """Translate with a saved model; escape clears the line, and on an empty line quits (as do :q and ctrl+q)."""

    BINDINGS = [
        Binding("escape", "leave", "Clear line / quit", show=False),
        Binding("ctrl+l", "clear", "Clear history"),
    ]

    def __init__(self, engines: EngineSource, settings: Settings) -> None:
        super().__init__()
        self.engines = engines
        self.settings = settings

    def compose(self) -> ComposeResult:
        yield ReplPane(self.engines, self.settings, id="repl")
        yield Footer(show_command_palette=False)  # its room goes to the keys

    def on_mount(self) -> None:
        pane = self.query_one(ReplPane)
        pane.border_title = "seqtui repl"
        pane.input.focus()

    def action_leave(self) -> None:
        pane = self.query_one(ReplPane)
        if pane.input.value:
            pane.input.value = ""
        else:
            self.app.exit()

    def action_clear(self) -> None:
        self.query_one(ReplPane).run_command(":clear")
