"""Fixed probe sentences from the validation split, translated with each epoch's weights.

The sentences come from the corpus and the translations from the model: both are shown through
`escape_controls`, in `Text` objects rather than markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from seqtui.safe_text import escape_controls


class SamplesPanel(Static):
    """Shows source → translation (reference) for the probes; exact matches in green."""

    def on_mount(self) -> None:
        self.border_title = "Samples"
        self.update(Text("After each epoch, a few validation sentences are translated here.", style="dim"))

    def show(self, epoch: int, samples: list[tuple[str, str, str]]) -> None:
        self.border_title = f"Samples · epoch {epoch}"
        text = Text()
        for i, (source, reference, hypothesis) in enumerate(samples):
            if i:
                text.append("\n")
            text.append(escape_controls(source), style="bold").append("\n  → ")
            text.append(escape_controls(hypothesis) or "∅", style="green" if hypothesis == reference else "yellow")
            text.append(f"\n    {escape_controls(reference)}", style="dim")
        self.update(text)

    def note(self, message: str) -> None:
        self.update(Text(escape_controls(message), style="dim"))
