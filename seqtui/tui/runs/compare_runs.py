"""Two runs' settings side by side: only what differs, and how many settings they share."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from seqtui.report.runs import RunSummary
from seqtui.safe_text import escape_controls


def differences(a: dict[str, Any], b: dict[str, Any]) -> tuple[list[tuple[str, str, str]], int]:
    """(key, a's value, b's value) for each setting that differs ('-': not set), and how many are equal."""
    keys = sorted(set(a) | set(b))
    differ = [(k, _value(a, k), _value(b, k)) for k in keys if a.get(k, object()) != b.get(k, object())]
    return differ, len(keys) - len(differ)


def settings_of(run: RunSummary) -> dict[str, Any]:
    """The settings a run trains with: its config, with the epoch target a resume set (`seqtui.json`) in
    place of the epochs its first session asked for."""
    settings = run.config.to_dict() if run.config else {}
    return {**settings, "epochs": run.epochs} if run.epochs else settings


def _value(settings: dict[str, Any], key: str) -> str:
    return escape_controls(str(settings[key])) if key in settings else "-"


class CompareRuns(ModalScreen[None]):
    """escape or c closes it."""

    BINDINGS = [Binding("escape,c,q", "close", "Close")]

    def __init__(self, a: RunSummary, b: RunSummary) -> None:
        super().__init__()
        self.a, self.b = a, b

    def compose(self) -> ComposeResult:
        differ, same = differences(settings_of(self.a), settings_of(self.b))
        with Vertical(id="compare"):
            yield Static(Text(f"{len(differ)} setting(s) differ; {same} are the same.", style="bold"))
            table: DataTable[Text] = DataTable(id="compare-table", cursor_type="none", zebra_stripes=True)
            table.add_column("setting", key="setting")
            table.add_column(Text(escape_controls(self.a.name)), key="a")
            table.add_column(Text(escape_controls(self.b.name)), key="b")
            for key, va, vb in differ:
                table.add_row(Text(key, style="bold"), Text(va), Text(vb))
            yield table
            yield Static(Text("escape: back to the runs", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#compare").border_title = "Settings that differ"

    def action_close(self) -> None:
        self.dismiss(None)
