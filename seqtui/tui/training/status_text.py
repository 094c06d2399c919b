"""What the dashboard's status lines say: the first screen's advice, how a run ended, a followed run's
state. Plain functions of the run's facts, so the wording is tested without a screen."""

from __future__ import annotations

from pathlib import Path

from seqtui.config import Config
from seqtui.data import corpus as data
from seqtui.events import TrainingEnded
from seqtui.tui.training.follow import RunFiles

ENDINGS = {"finished": "Finished", "early_stopped": "Stopped early (the monitored score stopped improving)",
           "stopped": "Stopped", "complete": "This run is already complete"}


def first_steps(cfg: Config, origin: str) -> str:
    """The first screen's advice: what t, i and d do here."""
    if not data.sample_only(cfg.train_dir):
        return f"Press t to start training (i: start from {origin})."
    return (f"{cfg.train_dir} holds only the 947-pair sample: enough to try seqtui, too little to learn French. "
            f"d downloads the Tatoeba corpus (seqtui data fetch); i fine-tunes {origin} on the "
            "sample; t trains on the sample from scratch.")


def ended_line(e: TrainingEnded) -> str:
    """The progress line after a run: how it ended, where it is saved, what c and t do now."""
    if e.reason == "complete":
        return e.note
    return (f"{ENDINGS[e.reason]} after {e.epochs_done} epoch(s) · {e.best_text()} · saved in {e.model_dir} "
            "· c continues it, t starts a new run")


def ended_state(e: TrainingEnded, epochs: int, scoring: int | None = None) -> str:
    """The header after a run: how it ended, its best epoch, and what t does now.

    `scoring`: the epoch whose validation the stop cut short (its batches ran, its scores were not
    written), so the header does not read as if an epoch was lost.
    """
    if e.reason == "complete":
        return f"Complete: {e.epochs_done} epoch(s) · {e.best_text()} · a larger --epochs continues it"
    if e.reason == "stopped" and scoring is not None and scoring == e.epochs_done + 1:
        last = f"epoch {e.epochs_done} is the last complete one" if e.epochs_done else "no epoch is complete yet"
        return f"Stopped while scoring epoch {scoring}; {last} · c continues"
    if e.reason == "stopped":
        where = f"after epoch {e.epochs_done}" if e.epochs_done else "in epoch 1"
        return f"Stopped {where} of {epochs} · {e.best_text()} · c continues"
    return f"{ENDINGS[e.reason].split(' (')[0]}: {e.epochs_done} epoch(s) · {e.best_text()}"


def follow_line(follow_dir: Path | None, files: RunFiles, epochs: int) -> str:
    """The progress line while following a headless run: epochs done, a mid-epoch checkpoint, the trainer."""
    done = files.records[-1].epoch if files.records else 0
    ckpt = files.checkpoint
    batch = f", batch {ckpt.batch} of the next" if ckpt and ckpt.batch else ""
    state = "trainer running" if files.running else "trainer not running"
    problem = f" · {files.problem}" if files.problem else ""
    return f"Following {follow_dir}: {done} of {epochs} epochs done{batch} · {state}{problem}"
