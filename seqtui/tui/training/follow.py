"""`--follow`: read what a headless `seqtui train` keeps writing into its model folder.

The trainer rewrites history.jsonl and checkpoint/latest.json atomically, so polling them never
sees a torn file; its lock file says whether it is still running.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqtui.records import EpochRecord
from seqtui.store import bundle, lock


@dataclass(frozen=True)
class RunFiles:
    """A snapshot of a model folder: finished epochs, the run's config, last checkpoint, trainer alive,
    and the last epoch's sample translations (epoch 0: none yet)."""

    records: tuple[EpochRecord, ...]
    config: dict[str, Any]
    checkpoint: dict[str, Any] | None
    running: bool
    samples_epoch: int = 0
    samples: tuple[tuple[str, str, str], ...] = ()

    @property
    def epochs(self) -> int | None:
        epochs = self.config.get("epochs")
        return epochs if isinstance(epochs, int) else None


def read(model_dir: Path) -> RunFiles:
    """Read the run's files; missing or unreadable ones read as empty (the run may not have begun)."""
    model_dir = Path(model_dir)
    state = _json(model_dir / bundle.CKPT_DIR / bundle.CKPT_POINTER)
    if state is not None:
        state = {k: v for k, v in state.items() if k != "history"}
    samples_epoch, samples = bundle.read_samples(model_dir)
    return RunFiles(tuple(bundle.read_history(model_dir)), read_config(model_dir), state,
                    lock.owner(model_dir) is not None, samples_epoch, tuple(samples))


def read_config(model_dir: Path) -> dict[str, Any]:
    """The settings a run in `model_dir` was started with (config.json), or {} before it exists."""
    config = (_json(Path(model_dir) / bundle.META) or {}).get("config")
    return config if isinstance(config, dict) else {}


def _json(path: Path) -> dict[str, Any] | None:
    try:
        value = bundle.read_json(path)
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None
