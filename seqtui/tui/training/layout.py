"""Which panel group the dashboard shows: all at once on a big terminal; under COMPACT the groups take
turns (see the dashboard's docstring). Pure rules of the page and the terminal's size."""

from __future__ import annotations

from textual.geometry import Size

COMPACT = Size(110, 34)  # below this width or height the panel groups take turns
PAGES = ("all", "training", "samples", "repl")  # what `z` cycles through ("all" only on a big terminal)


def is_compact(size: Size) -> bool:
    return size.width < COMPACT.width or size.height < COMPACT.height


def shown_page(page: str, compact: bool) -> str:
    """The panel group on screen: the one asked for, except that a compact screen cannot show them all."""
    return "training" if page == "all" and compact else page


def next_page(shown: str, compact: bool) -> str:
    """What z shows next (on a big terminal, after the REPL: all of them again)."""
    order = PAGES[1:] if compact else PAGES
    return order[(order.index(shown) + 1) % len(order)] if shown in order else order[0]
