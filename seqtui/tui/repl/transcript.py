"""The REPL's scrolling history: each sentence, its unknown characters, and its translation as it streams.

Sentences, translations and error notes are shown through `escape_controls`: an ESC that the model
decodes or that a pasted line holds would otherwise reach the terminal. Text is appended to Rich
`Text` objects, never parsed as markup, so `[bold]` in a sentence stays literal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.text import Text
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.widgets import Static

from seqtui.data.vocab import Unknown, describe_unknown
from seqtui.decode.decoding import Hypothesis
from seqtui.decode.heatmap import nbest_lines, shaded
from seqtui.safe_text import escape_controls

INDENT = "  "  # what stands before every line of an entry but its sentence's "› "


def source_text(text: str, unknown: list[Unknown]) -> Text:
    """The sentence with the characters the model never saw highlighted."""
    out = Text()
    flagged = {u.position for u in unknown}
    for i, ch in enumerate(text):
        out.append(escape_controls(ch), style="bold reverse red" if i in flagged else "bold")
    return out


@dataclass
class _Entry:
    widget: EntryView
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

    def render(self, width: int = 0, console: Console | None = None) -> Text:
        """The entry as text, wrapped to `width` (see `hanging`) when a console is given."""
        return hanging(self.rows(), width, console)

    def rows(self) -> list[tuple[Text, Text]]:
        """The entry's lines as (prefix, body): the sentence after "› ", the rest indented two columns."""
        rows: list[tuple[Text, Text]] = [(Text("› ", style="bold"), source_text(self.text, self.unknown))]
        if self.unknown:
            rows.append((Text(INDENT), Text(describe_unknown(self.unknown), style="red")))
        output = shaded(self.output, self.probs) if self.shade else Text(escape_controls(self.output), style="green")
        if self.streaming:
            output.append("▌", style="dim")
        rows.append((Text(INDENT), output))
        if self.note:
            rows.append((Text(INDENT), Text(escape_controls(self.note), style=self.note_style)))
        if len(self.nbest) > 1:
            rows += [(Text(INDENT), line) for line in nbest_lines(self.nbest).split("\n")]
        return rows


class EntryView(Static):
    """One entry on screen: drawn by `hanging` at the width it has now, so a wrapped line keeps its
    indent whatever the pane's width (a scrollbar that appears, a resized terminal)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[Text, Text]] = []

    def show(self, rows: list[tuple[Text, Text]]) -> None:
        self.rows = rows
        self.refresh(layout=True)

    def render(self) -> Text:
        return hanging(self.rows, self.content_size.width, self.app.console)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return hanging(self.rows, width, self.app.console).plain.count("\n") + 1


def hanging(rows: list[tuple[Text, Text]], width: int = 0, console: Console | None = None) -> Text:
    """(prefix, body) rows as lines, each body wrapped to `width` behind its prefix, continuations
    indented as far as the prefix (unwrapped without a width or a console)."""
    out = Text()
    for row, (prefix, body) in enumerate(rows):
        room = width - prefix.cell_len
        pieces = list(body.wrap(console, room, overflow="fold")) if console is not None and room > 0 else [body]
        for k, piece in enumerate(pieces):
            if row or k:
                out.append("\n")
            out.append_text(prefix if k == 0 else Text(" " * prefix.cell_len))
            out.append_text(piece)
    return out


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
        if not self.is_attached:
            return  # the app is quitting (see `note`)
        for older in self._entries.values():
            if older.streaming:
                older.streaming, older.note = False, "cut short"
                self._show(older)
        item = _Entry(EntryView(), text, shade=self.shade)
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
        return item.render(self._width(), self.app.console) if item else Text()

    def output(self, entry: int) -> str:
        """The translation shown so far for `entry` ('' if there is no such entry)."""
        item = self._entries.get(entry)
        return item.output if item else ""

    def note(self, message: str | Text, style: str = "dim") -> None:
        """A line that is not a translation: command feedback, help, why nothing can be translated.

        A `Text` (a heatmap) is shown as built: its makers escape the data in it."""
        if not self.is_attached:
            # A worker's answer (the model ready, a translation begun) can be handled after the app was
            # told to quit; the transcript leaves with it, and Textual refuses a mount then.
            return
        self.mount(Static(message if isinstance(message, Text) else
                          Text(escape_controls(message, keep="\n"), style=style)))

    def clear(self) -> None:
        self._entries.clear()
        self.remove_children()

    def _width(self) -> int:
        return max(1, self.scrollable_content_region.width)

    def _show(self, item: _Entry) -> None:
        rows = item.rows()
        item.widget.show(rows)
        lines = hanging(rows, self._width(), self.app.console).plain.count("\n") + 1
        if lines != item.lines:
            # Textual caches a widget's box model by a counter that a second update does not bump
            # while the first one's layout is pending; if a layout pass ran in between (another
            # entry streaming, training redrawing), the entry keeps its old height. A refresh after
            # the pending one is processed bumps it.
            item.lines = lines
            item.widget.call_after_refresh(item.widget.refresh, layout=True)
