"""The dashboard's panel groups on screen, and the keys that move between them.

On a big terminal every panel shows at once ("all"); `z` gives one group of panels the room (training:
table and curves; samples; the REPL). Under COMPACT (e.g. 80x24, 100x30) there is no room for all, so the
groups take turns below the run's state and progress: r and tab show the REPL, escape the training
panels, z the next group, a the samples with an attention heatmap. The classes `-compact` and
`-page-<name>` on the screen say which, and app.tcss lays each out.
"""

from __future__ import annotations

from textual import events
from textual.geometry import Size
from textual.reactive import var
from textual.screen import Screen

from seqtui.tui.repl.repl_pane import ReplPane
from seqtui.tui.training import layout
from seqtui.tui.training.epoch_table import EpochTable
from seqtui.tui.training.samples_panel import SamplesPanel


class PagedScreen(Screen[None]):
    """The page half of `Dashboard`: which panel group has the room, and where the focus goes."""

    page = var("all")  # the panel group asked for (on a compact terminal "all" shows the training one)

    def on_resize(self, event: events.Resize) -> None:
        self._lay_out(event.size)

    @property
    def compact(self) -> bool:
        return self.has_class("-compact")

    @property
    def shown_page(self) -> str:
        """The panel group on screen: the one asked for, except that a compact screen cannot show them all."""
        return layout.shown_page(self.page, self.compact)

    def _lay_out(self, size: Size) -> None:
        self.set_class(layout.is_compact(size), "-compact")
        self.show_page(self.page)

    def show_page(self, page: str) -> None:
        """Give `page`'s panels the room (see PAGES); the focus goes where the keys then act."""
        self.page = page
        shown = self.shown_page
        for name in layout.PAGES:
            self.set_class(name == shown, f"-page-{name}")
        self.refresh_bindings()  # the footer's keys depend on the page
        repl_input = self.query_one(ReplPane).input
        if shown == "repl":
            repl_input.focus()
        elif shown == "samples":
            self.set_focus(None)
        elif self.focused is None or self.focused is repl_input and shown == "training":
            self.query_one(EpochTable).focus()

    def action_attention(self) -> None:
        """a: draw a sample's attention heatmap in the samples panel, the next sample each press, then off."""
        if self.shown_page not in ("all", "samples"):
            self.show_page("samples")
        self.notify(self.query_one(SamplesPanel).cycle_attention(), timeout=3)

    def action_zoom(self) -> None:
        """z: the next panel group (on a big terminal, after the REPL: all of them again)."""
        self.show_page(layout.next_page(self.shown_page, self.compact))

    def action_focus_repl(self) -> None:
        """r and tab: the REPL's input (on a compact terminal the REPL takes the panels' room)."""
        if self.compact:
            self.show_page("repl")
        elif self.shown_page not in ("all", "repl"):
            self.show_page("all")
        self.query_one(ReplPane).input.focus()

    def action_focus_training(self) -> None:
        """escape: back to the training panels (all of them, where they fit)."""
        self.show_page("all")
        self.query_one(EpochTable).focus()
