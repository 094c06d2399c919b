"""The REPL's scrolling history: each sentence, its unknown characters, and its translation as it streams.

Sentences, translations and error notes are shown through `escape_controls`: an ESC that the model
decodes or that a pasted line holds would otherwise reach the terminal. Text is appended to Rich
`Text` objects, never parsed as markup, so `[bold]` in a sentence stays literal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from seqtui.data.vocab import Unknown, describe_unknown
from seqtui.decode.decoding import Hypothesis
from seqtui.decode.heatmap import nbest_lines, shaded
from seqtui.safe_text import escape_controls


def source_text(text: str, unknown: list[Unknown]) -> Text:
    """The sentence with the characters the model never saw highlighted."""
    out = Text("› ", style="bold")
    flagged = {u.position for u in unknown}
    for i, ch in enumerate(text):
        out.append(escape_controls(ch), style="bold reverse red" if i in flagged else "bold")
    return out


@dataclass
class _Entry:
    widget: Static
    text: str
    unknown: list[Unknown] = field(default_factory=list)
    output: str = ""
    probs: list[float] = field(default_factory=list)
    shade: bool = True
    nbest: list[Hypothesis] = field(default_factory=list)
    note: str = ""
    note_style: str = "dim"
    streaming: bool = True
    lines: int = 0

    def render(self) -> Text:
        text = source_text(self.text, self.unknown)
        if self.unknown:
            text.append(f"\n  {describe_unknown(self.unknown)}", style="red")
        text.append("\n  ")
        if self.shade:
            text.append(shaded(self.output, self.probs))
        else:
            text.append(escape_controls(self.output), style="green")
        if self.streaming:
            text.append("▌", style="dim")
        if self.note:
            text.append(f"\n  {escape_controls(self.note)}", style=self.note_style)
        if len(self.nbest) > 1:
            text.append("\n").append(nbest_lines(self.nbest, indent="  "))
        return text


class Transcript(VerticalScroll):
    """Translations, newest last; characters are appended one at a time as the decoder yields them."""

    DEFAULT_CSS = """
    Transcript { height: 1fr; }
    Transcript > Static { margin-bottom: 1; }
    """

    def __init__(self, *, id: str | None = None, shade: bool = True) -> None:
        super().__init__(id=id)
        self._entries: dict[int, _Entry] = {}
        self.shade = shade

    def on_mount(self) -> None:
        self.anchor()  # follow new output until the user scrolls up

    def begin(self, entry: int, text: str) -> None:
        """Start an entry for `text` as soon as it is submitted (its translation follows).

        An entry still streaming is cut short: its worker is being replaced, and one replaced before
        it ever ran would never say so.
        """
        for older in self._entries.values():
            if older.streaming:
                older.streaming, older.note = False, "cut short"
                self._show(older)
        item = _Entry(Static(), text, shade=self.shade)
        self._entries[entry] = item
        self.mount(item.widget)
        self._show(item)

    def flag(self, entry: int, unknown: list[Unknown]) -> None:
        """Mark the characters of the entry's sentence that the model does not know."""
        item = self._entries.get(entry)
        if item is not None and unknown:
            item.unknown = unknown
            self._show(item)

    def add_char(self, entry: int, char: str, prob: float = 1.0) -> None:
        item = self._entries.get(entry)
        if item is not None and item.streaming:
            item.output += char
            item.probs.append(prob)
            self._show(item)

    def show_nbest(self, entry: int, nbest: list[Hypothesis]) -> None:
        """List the entry's alternatives, with their scores, under its translation."""
        item = self._entries.get(entry)
        if item is not None:
            item.nbest = nbest
            self._show(item)

    def set_shade(self, on: bool) -> None:
        """Colour every translation by confidence, or all alike (`:plain`)."""
        self.shade = on
        for item in self._entries.values():
            item.shade = on
            self._show(item)

    def end(self, entry: int, note: str, style: str = "dim") -> None:
        item = self._entries.get(entry)
        if item is not None:
            item.streaming, item.note, item.note_style = False, note, style
            self._show(item)

    def streaming(self, entry: int) -> bool:
        """Whether `entry` still takes characters (False once ended or cut short by a newer one)."""
        item = self._entries.get(entry)
        return item is not None and item.streaming

    def probs(self, entry: int) -> list[float]:
        """The probabilities of the characters shown so far for `entry`."""
        item = self._entries.get(entry)
        return list(item.probs) if item else []

    def rendered(self, entry: int) -> Text:
        """The entry as drawn (for tests and screenshots of one entry)."""
        item = self._entries.get(entry)
        return item.render() if item else Text()

    def output(self, entry: int) -> str:
        """The translation shown so far for `entry` ('' if there is no such entry)."""
        item = self._entries.get(entry)
        return item.output if item else ""

    def note(self, message: str | Text, style: str = "dim") -> None:
        """A line that is not a translation: command feedback, help, why nothing can be translated.

        A `Text` (a heatmap) is shown as built: its makers escape the data in it."""
        self.mount(Static(message if isinstance(message, Text) else
                          Text(escape_controls(message, keep="\n"), style=style)))

    def clear(self) -> None:
        self._entries.clear()
        self.remove_children()

    def _show(self, item: _Entry) -> None:
        text = item.render()
        item.widget.update(text)
        lines = len(text.wrap(self.app.console, max(1, self.content_size.width)))
        if lines != item.lines:
            # Textual caches a widget's box model by a counter that a second update does not bump
            # while the first one's layout is pending; if a layout pass ran in between (another
            # entry streaming, training redrawing), the entry keeps its old height. A refresh after
            # the pending one is processed bumps it.
            item.lines = lines
            item.widget.call_after_refresh(item.widget.refresh, layout=True)
