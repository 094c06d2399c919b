"""Fixed probe sentences from the validation split, translated with each epoch's weights."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


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
            text.append(source, style="bold").append("\n  → ")
            text.append(hypothesis or "∅", style="green" if hypothesis == reference else "yellow")
            text.append(f"\n    {reference}", style="dim")
        self.update(text)

    def note(self, message: str) -> None:
        self.update(Text(message, style="dim"))
