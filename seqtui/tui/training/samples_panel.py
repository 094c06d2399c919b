"""Fixed probe sentences from the validation split, translated with each epoch's weights.

Source, translation and reference keep one terminal line each, cut with … when longer: an early epoch's
translation can run to the model's maximum length, and wrapped it pushed the other samples off the panel.

The sentences come from the corpus and the translations from the model: both are shown through
`escape_controls`, in `Text` objects rather than markup. On attention models the panel can also draw
one chosen sample's attention heatmap, redrawn with each epoch's weights, so a user can watch the
attention learn to align (`a` on the dashboard cycles through the samples, then off). The heatmap is
the attention of the very decode that wrote the sample, made in the training thread, so drawing it
decodes nothing on the UI thread.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from seqtui.decode.decoding import Hypothesis
from seqtui.decode.heatmap import attention_map
from seqtui.safe_text import escape_controls


def fit_rows(heatmap: Text, room: int) -> Text:
    """`heatmap` in `room` lines: its header row, as many output rows as fit, a caption saying how many
    are left out, and its legend (the last line), so the map never runs off the bottom of its panel."""
    lines = heatmap.split("\n")
    if len(lines) <= max(room, 3):
        return heatmap
    kept = max(1, room - 3)  # the header, the caption and the legend take three lines
    left = len(lines) - 2 - kept
    caption = Text(f"… {left} more output character(s) below: a taller terminal shows them", style="dim")
    return Text("\n").join([lines[0], *lines[1:1 + kept], caption, lines[-1]])


class SamplesPanel(Static):
    """Shows source → translation (reference) for the probes; exact matches in green."""

    DEFAULT_CSS = "SamplesPanel.-cut { text-wrap: nowrap; text-overflow: ellipsis; }"  # samples, not notes

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.epoch = 0
        self.samples: list[tuple[str, str, str]] = []
        self.decoded: list[Hypothesis] = []  # the samples' hypotheses (none when following a headless run)
        self.chosen: int | None = None  # the sample whose attention is drawn

    def on_mount(self) -> None:
        self.reset()

    def reset(self) -> None:
        """No samples: a new run has not finished an epoch yet."""
        self.epoch, self.samples, self.decoded, self.chosen = 0, [], [], None
        self.remove_class("-cut")
        self.border_title = "Samples"
        self.update(Text("After each epoch, a few validation sentences are translated here.", style="dim"))

    def show(self, epoch: int, samples: list[tuple[str, str, str]], decoded: list[Hypothesis] | None = None) -> None:
        self.epoch, self.samples, self.decoded = epoch, samples, decoded or []
        self._draw()

    def cycle_attention(self) -> str:
        """Draw the next sample's attention (after the last: none). Returns what the panel now shows."""
        if not self.samples:
            return "No samples yet: the heatmap follows the first epoch's samples."
        self.chosen = 0 if self.chosen is None else self.chosen + 1
        if self.chosen >= len(self.samples):
            self.chosen = None
        self._draw()
        return "attention heatmap: off" if self.chosen is None else f"attention heatmap: sample {self.chosen + 1}"

    def _draw(self) -> None:
        self.add_class("-cut")
        if self.chosen is not None and self.chosen < len(self.samples):
            self._draw_attention(*self.samples[self.chosen],
                                 self.decoded[self.chosen] if self.chosen < len(self.decoded) else None)
            return
        self.border_title = f"Samples · epoch {self.epoch}"
        text = Text()
        for i, (source, reference, hypothesis) in enumerate(self.samples):
            if i:
                text.append("\n")
            text.append(escape_controls(source), style="bold").append("\n  → ")
            text.append(escape_controls(hypothesis) or "∅", style="green" if hypothesis == reference else "yellow")
            text.append(f"\n    {escape_controls(reference)}", style="dim")
        self.update(text)

    def _draw_attention(self, source: str, reference: str, hypothesis: str, decoded: Hypothesis | None) -> None:
        self.border_title = f"Sample {self.chosen + 1} attention · epoch {self.epoch}"  # type: ignore[operator]
        text = Text(escape_controls(source), style="bold").append("\n  → ")
        text.append(escape_controls(hypothesis) or "∅", style="green" if hypothesis == reference else "yellow")
        text.append("\n")
        if decoded is None:
            text.append("The heatmap needs the decode itself, which a followed run does not share.", style="dim")
        else:  # attention_map says so when the model has none
            text.append(fit_rows(attention_map(source, decoded, max(20, self.content_size.width)),
                                 self.content_size.height - 2))
        self.update(text)

    def on_resize(self) -> None:
        if self.chosen is not None:  # the heatmap's rows fit the panel's height
            self._draw()

    def note(self, message: str) -> None:
        self.remove_class("-cut")
        self.update(Text(escape_controls(message), style="dim"))
