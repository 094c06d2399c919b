"""`--follow`: read what a headless `seqtui train` keeps writing into its model folder.

The trainer rewrites history.jsonl and checkpoint/latest.json atomically, so polling them never
sees a torn file; its lock file says whether it is still running. The files are read with the
checked readers of `seqtui.store.saved`, as every saved run is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seqtui.config import Config
from seqtui.errors import BundleError
from seqtui.records import EpochRecord
from seqtui.store import bundle, lock, saved
from seqtui.store.saved import Checkpoint


@dataclass(frozen=True)
class RunFiles:
    """A snapshot of a model folder: finished epochs, the run's settings (None before config.json
    exists), the last checkpoint, trainer alive, the last epoch's sample translations (epoch 0: none
    yet), and why a file could not be used ('' when all could)."""

    records: tuple[EpochRecord, ...]
    config: Config | None
    checkpoint: Checkpoint | None
    running: bool
    samples_epoch: int = 0
    samples: tuple[tuple[str, str, str], ...] = ()
    problem: str = ""

    @property
    def epochs(self) -> int | None:
        return self.config.epochs if self.config else None


def read(model_dir: Path) -> RunFiles:
    """Read the run's files; missing ones read as empty (the run may not have begun)."""
    model_dir = Path(model_dir)
    config, problem = None, ""
    try:
        if (model_dir / bundle.META).is_file():
            config = saved.read_meta(model_dir).config
    except BundleError as e:
        problem = str(e)
    try:
        checkpoint = saved.read_checkpoint(model_dir)
    except BundleError:
        checkpoint = None  # e.g. read between the trainer's new pointer and its dropping the old file
    samples_epoch, samples = bundle.read_samples(model_dir)
    return RunFiles(tuple(bundle.read_history(model_dir)), config, checkpoint, lock.owner(model_dir) is not None,
                    samples_epoch, tuple(samples), problem)
