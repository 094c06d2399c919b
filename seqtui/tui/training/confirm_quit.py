"""Asked when `q` is pressed while training runs: quitting stops after the batch and saves first."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmQuit(ModalScreen[bool]):
    """y: save a checkpoint and quit; n or escape: keep training."""

    BINDINGS = [Binding("y", "answer(True)", "Save and quit"),
                Binding("n,escape", "answer(False)", "Keep training")]

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static("[b]Training is running.[/b]\n\nQuit? It stops after the current batch and saves a "
                         "checkpoint first, so `seqtui dashboard` or `seqtui train --resume` can continue it."
                         "\n\n[b]y[/b] save and quit    [b]n[/b] keep training")

    def action_answer(self, quit_app: bool) -> None:
        self.dismiss(quit_app)
