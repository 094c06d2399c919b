"""The run's settings at a glance: data, sizes, vocabulary, parameters."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from seqtui.config import Config
from seqtui.records import RunInfo


def _pairs(items: list[tuple[str, Any]]) -> Text:
    text = Text()
    for i, (key, value) in enumerate(items):
        if i:
            text.append("  ")
        text.append(f"{key} ", style="dim")
        text.append(str(value), style="bold")
    return text


class RunSettings(Static):
    """Three lines: where the data and model are, the model's shape, how it trains."""

    def show_config(self, cfg: Config, note: str = "") -> None:
        """What the next run will use (before TensorFlow has built anything)."""
        lines = [
            _pairs([("data", cfg.train_dir), ("model", cfg.model_dir)]),
            _pairs([("architecture", cfg.architecture), ("latent", cfg.latent_dim),
                    ("embedding", cfg.embedding_dim), ("samples", cfg.num_samples or "all"),
                    ("val split", cfg.val_split)]),
            _pairs([("batch", cfg.batch_size), ("epochs", cfg.epochs), ("optimizer", cfg.optimizer),
                    ("patience", cfg.patience or "off"), ("seed", cfg.seed)]),
        ]
        if note:
            lines.append(Text(note, style="italic"))
        self.update(Text("\n").join(lines))

    def show_note(self, note: str) -> None:
        """Only a note (the settings are not known yet)."""
        self.update(Text(note, style="italic"))

    def show_run(self, info: RunInfo, first_epoch: int, epochs: int, resumed: bool, note: str = "") -> None:
        """The prepared run, as the trainer reported it (`note`: how a resumed run started)."""
        start = f"resumed at epoch {first_epoch}" if resumed else "new run"
        lines = [
            _pairs([("data", info.data), ("pairs", f"{info.train_pairs:,} train + {info.val_pairs:,} val"),
                    ("model", info.model_dir)]),
            _pairs([("architecture", info.architecture), ("latent", info.latent_dim),
                    ("vocab", f"{info.source_vocab}→{info.target_vocab}"), ("parameters", f"{info.parameters:,}")]),
            _pairs([("batch", info.batch_size), ("epochs", epochs), ("optimizer", info.optimizer),
                    ("on", f"{info.backend} {', '.join(info.devices)}"), ("", start)]),
        ]
        if info.skipped:
            lines.append(Text(info.skipped, style="yellow"))
        if note:
            lines.append(Text(note, style="italic"))
        self.update(Text("\n").join(lines))
