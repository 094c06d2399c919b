"""The run at a glance: its state first (what happens now, what a key does next), then data, sizes, how it trains.

Every line is kept to one terminal line (cut with …), so a narrow terminal loses the ends of lines, never
the state line, and the panel's height does not change with the terminal's width.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual.widgets import Static

from seqtui.config import Config
from seqtui.data.corpus import read_corpus, split
from seqtui.errors import SeqtuiError
from seqtui.records import RunInfo
from seqtui.safe_text import escape_controls


def _pairs(items: list[tuple[str, Any]]) -> Text:
    text = Text()
    for i, (key, value) in enumerate(items):
        if i:
            text.append("  ")
        if key:
            text.append(f"{key} ", style="dim")
        text.append(escape_controls(str(value)), style="bold")  # folder names and the data's name are data
    return text


def shown_path(path: object) -> str:
    """A folder as short as it is unambiguous: relative to the current folder when inside it (an
    80-column header cut `model /work/…/mod…` before)."""
    text = str(path)
    try:
        relative = Path(text).absolute().relative_to(Path.cwd())
    except ValueError:
        return text
    return str(relative) if str(relative) != "." else text


COUNTED_PAIRS = 10_000  # the most pairs the first screen reads to count them: the default num_samples


def corpus_pairs(cfg: Config) -> str:
    """How many pairs the next run takes from train_dir: the corpus's own count, not num_samples alone.

    Reads at most num_samples pairs, and never more than COUNTED_PAIRS (a run taking more is said to take
    more), so a big corpus costs the first screen only what the run would read first, and a bounded part
    of that.
    """
    counted = min(cfg.num_samples or COUNTED_PAIRS + 1, COUNTED_PAIRS + 1)
    try:
        pairs = read_corpus(cfg.train_dir, limit=counted).pairs
        train, val = split(pairs, cfg.val_split)
    except SeqtuiError as e:
        return f"none ({e})"
    cut = f" (num_samples {cfg.num_samples:,})" if cfg.num_samples and len(pairs) >= cfg.num_samples else ""
    if len(pairs) > COUNTED_PAIRS:
        return f"over {COUNTED_PAIRS:,}{cut}"
    return f"{len(train):,} train + {len(val):,} val{cut}"


class RunSettings(Static):
    """A state line (`show_state`), notes, then three lines of settings."""

    DEFAULT_CSS = "RunSettings { text-wrap: nowrap; text-overflow: ellipsis; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = Text("")
        self.notes: list[Text] = []
        self.details: list[Text] = []

    def show_state(self, state: str, style: str = "bold") -> None:
        """What the run is doing or did, and what a key does next; notes of the previous state go."""
        self.state = Text(escape_controls(state), style=style)
        self.notes = []
        self._draw()

    def show_config(self, cfg: Config, state: str = "") -> None:
        """What the next run will use (before TensorFlow has built anything)."""
        self.details = [
            _pairs([("data", shown_path(cfg.train_dir)), ("pairs", corpus_pairs(cfg)),
                    ("model", shown_path(cfg.model_dir))]),
            _pairs([("architecture", cfg.architecture), ("latent", cfg.latent_dim),
                    ("embedding", cfg.embedding_dim), ("monitor", cfg.monitor)]),
            _pairs([("batch", cfg.batch_size), ("epochs", cfg.epochs), ("optimizer", cfg.optimizer),
                    ("patience", cfg.patience or "off"), ("seed", cfg.seed)]),
        ]
        self.show_state(state or "No run here yet: t trains one with these settings", "italic")

    def show_note(self, note: str) -> None:
        """Only a note (the settings are not known yet)."""
        self.details = []
        self.show_state(note, "italic")

    def show_run(self, info: RunInfo, first_epoch: int, epochs: int, resumed: bool, note: str = "") -> None:
        """The prepared run, as the trainer reported it (`note`: how a resumed run started)."""
        start = f"resumed at epoch {first_epoch} of {epochs}" if resumed else f"new run of {epochs} epochs"
        self.details = [
            _pairs([("data", info.data), ("pairs", f"{info.train_pairs:,} train + {info.val_pairs:,} val"),
                    ("model", shown_path(info.model_dir))]),
            _pairs([("architecture", info.architecture), ("latent", info.latent_dim), ("monitor", info.monitor),
                    ("vocab", f"{info.source_vocab}→{info.target_vocab}"), ("parameters", f"{info.parameters:,}")]),
            _pairs([("batch", info.batch_size), ("epochs", epochs), ("optimizer", info.optimizer),
                    ("on", f"{info.backend} {', '.join(info.devices)}")]),
        ]
        self.show_state(f"Training: {start}")
        self.notes = [Text(escape_controls(line), style=style)
                      for line, style in ((info.skipped, "yellow"), (note, "italic")) if line]
        self._draw()

    def _draw(self) -> None:
        self.update(Text("\n").join([self.state, *self.notes, *self.details]))
