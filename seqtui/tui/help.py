"""The help screen (F1 everywhere; `?` and `h` where no input has the focus): every key of the view it
was opened on, hidden ones included, so footers can stay short at 80 columns.

The keys are read from the view's own bindings (its screen, the panels of seqtui's that the focus is in,
and the app's), so the list cannot drift from what the keys do; those that do nothing now are dimmed.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

FIXED_KEYS = {  # keys a view acts on that are not bindings of its own
    "Dashboard": [("?, h, F1", "this help (in the REPL: F1)")],
    "RunsScreen": [("enter", "a REPL on the run under the cursor"), ("?, h, F1", "this help")],
}
TYPED = [("F1", "this help (what you type goes to the REPL, so ? and h are text there)")]
PRETTY = {"question_mark": "?", "escape": "esc", "space": "space", "left": "←", "right": "→", "tab": "tab"}


def _key(binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    key = binding.key
    return PRETTY.get(key, key.replace("ctrl+", "^"))


def _ours(node: object, binding: Binding) -> bool:
    """Whether one of seqtui's classes declares `binding` (not a Textual base it inherits from)."""
    for cls in type(node).__mro__:
        if cls.__module__.startswith("seqtui"):
            for declared in cls.__dict__.get("BINDINGS", []):
                if isinstance(declared, Binding) and declared.action == binding.action:
                    return True
    return False


def keys_of(screen: Screen[object]) -> list[tuple[str, str, bool]]:
    """(keys, what they do, whether they act now) for every binding seqtui gives `screen`, the widgets the
    focus is in and the app: the screen's first, the app's last."""
    chain = list(screen._modal_binding_chain)  # every binding, the ones check_action turns off too
    chain.sort(key=lambda link: 0 if link[0] is screen else 2 if link[0] is screen.app else 1)
    seen: dict[tuple[str, str], tuple[list[str], bool]] = {}
    for node, bindings in chain:
        for key, binding in bindings:
            if binding.system or key in ("question_mark", "h", "f1") or not _ours(node, binding):
                continue  # Textual's own (a table's cursor keys, the palette), and help, said once below
            what = binding.tooltip or binding.description or binding.action
            now = bool(screen.app._check_action_state(binding.action, node))
            group = binding.action.split("(")[0], what  # ← and → are one cursor, whatever their steps
            keys, before = seen.get(group, ([], False))
            seen[group] = ([*keys, _key(binding)], before or now)
    rows = [(", ".join(dict.fromkeys(keys)), what, now) for (_, what), (keys, now) in seen.items()]
    return rows + [(keys, what, True) for keys, what in FIXED_KEYS.get(type(screen).__name__, TYPED)]


def help_table(rows: list[tuple[str, str, bool]]) -> Table:
    """Keys and what they do; a key that does nothing now (no run to pause, say) is dimmed."""
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_column(no_wrap=True)
    table.add_column()
    for keys, what, now in rows:
        table.add_row(Text(keys, style="bold" if now else "dim bold"),
                      Text(what if now else f"{what} (not now)", style="" if now else "dim"))
    return table


class HelpScreen(ModalScreen[None]):
    """The keys of the view underneath; escape, q, ? or F1 closes it."""

    BINDINGS = [Binding("escape,q,question_mark,h,f1", "dismiss", "Close", priority=True)]

    def __init__(self, view: Screen[object]) -> None:
        super().__init__()
        self.view_name = view.__class__.__name__
        self.rows = keys_of(view)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(help_table(self.rows), id="help-keys")

    def on_mount(self) -> None:
        box = self.query_one("#help")
        box.border_title = "Keys"
        box.border_subtitle = "esc closes"

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(None)
