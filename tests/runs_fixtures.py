"""Run folders as the trainer leaves them, written directly (no weights: listing and plotting never
read them), for the runs CLI tests and the runs view's Pilot and snapshot tests."""

from __future__ import annotations

import json
from pathlib import Path

from seqtui.data.vocab import Vocab
from seqtui.records import EpochRecord, Monitor
from seqtui.store import bundle
from seqtui.store.rundir import MANIFEST


def write_run(folder: Path, losses: list[float], *, ended: str | None = None, monitor: str = "val_loss",
              chrfs: list[float] | None = None, evaluation: dict | None = None, resumes: list[int] | None = None,
              architecture: str = "seq2seq", epochs: int = 10) -> Path:
    """A bundle as the trainer leaves it (no weights: listing and plotting never read them)."""
    folder.mkdir(parents=True)
    records = [EpochRecord(i + 1, loss=loss + 0.5, accuracy=0.1 * (i + 1), val_loss=loss,
                           val_chrf=chrfs[i] if chrfs else None, learning_rate=0.001, seconds=2.0)
               for i, loss in enumerate(losses)]
    best = Monitor.of(monitor).best_of(records)
    bundle.write_history(folder, [r.marked(r is best) for r in records])
    bundle.write_meta(folder, Vocab(list("ab")), Vocab(list("cd")), {
        "config": {"architecture": architecture, "latent_dim": 32, "epochs": epochs, "monitor": monitor},
        "split": {"files": ["/data/en-fr.tsv"], "train_pairs": 758, "val_pairs": 189, "val_data": "", "val_split": 0.2,
                  "num_samples": 0, "sample": "first", "reverse": False}})
    (folder / MANIFEST).write_text(json.dumps({"kind": "seqtui-run", "format": 1, "resumes": resumes or [],
                                               "ended": {"reason": ended, "epoch": len(losses)} if ended else None}))
    if evaluation is not None:
        (folder / bundle.EVALUATION).write_text(json.dumps(evaluation))
    return folder


def make_three_runs(root: Path) -> Path:
    """Runs of three states in `root`, one monitored by chrF, one evaluated, one resumed."""
    write_run(root / "attn-chrf", [3.0, 2.5, 2.6, 2.7], ended="early_stopped", monitor="val_chrf",
              chrfs=[10.0, 20.0, 18.0, 15.0], architecture="attention", evaluation={"chrf": 21.5, "bleu": 3.25})
    write_run(root / "base", [3.0, 2.0, 1.5], ended="finished", epochs=3, evaluation={"chrf": 30.0, "bleu": 5.0})
    write_run(root / "group" / "resumed", [3.0, 2.8, 2.6, 2.4, 2.2], resumes=[2], monitor="val_chrf",
              chrfs=[2.0, 6.0, 9.0, 13.0, 14.0])
    return root
