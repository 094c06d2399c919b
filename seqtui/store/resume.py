"""The resume policy: where a training session starts in a run's folder, with which settings, and the
lines that tell the user how a run ended and how to go on. The CLI, the dashboard and the Python API
all start training through `plan` (which `RunDir.plan` calls), so they resume alike. `plan` decides on
the folder as read once (`seqtui.store.snapshot.RunSnapshot`) and reads nothing itself; it never
imports `seqtui.store.rundir`, which calls it.

A checkpoint resumes exactly; a model without a checkpoint continues from the model's weights with a
new optimizer, saying so; nothing there starts a new run. A run that ended (its epochs done, or
stopped early and still out of patience) is complete. A resumed run keeps its own settings but for
RESUME_FLAGS.
"""

from __future__ import annotations

import dataclasses
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqtui.config import FIELDS, Config
from seqtui.data.vocab import Vocab
from seqtui.errors import BundleError, SeqtuiError
from seqtui.events import TrainingEnded
from seqtui.records import EpochRecord, Monitor, Start, last_marked
from seqtui.store import saved
from seqtui.store.saved import RunMeta
from seqtui.store.snapshot import RunSnapshot, read_run

__all__ = ["RESUME_FLAGS", "StartPlan", "closing_line", "ended_note", "plan", "resume_config", "resume_flags",
           "resumed_settings"]


@dataclass(frozen=True)
class StartPlan:
    """Where a training session begins, decided by `plan`.

    Attributes:
        start: new, checkpoint (exact resume), model (the model's weights, a new optimizer) or init (another
            bundle's weights).
        weights: the .keras file to load (None for a new run).
        epoch, batch: the epochs done and, for a mid-epoch checkpoint, the batches of the next one done.
        history: the records of the epochs kept.
        note: what to tell the user about this start ("" for a plain new run).
        complete: nothing to train: the run already ended.
        cfg: the settings to train with (a resumed run's own, but for RESUME_FLAGS).
        clear: the run's own files are to be cleared first (--fresh).
        vocabs, meta: the vocabularies and config.json the weights come with (the run's own when it is
            resumed, the other bundle's for init; None for a new run).
    """

    start: Start
    weights: Path | None = None
    epoch: int = 0
    batch: int = 0
    history: list[EpochRecord] = field(default_factory=list)
    note: str = ""
    complete: bool = False
    cfg: Config | None = None
    clear: bool = False
    vocabs: tuple[Vocab, Vocab] | None = None
    meta: RunMeta | None = None


def plan(run: RunSnapshot, cfg: Config, resume: bool, fresh: bool, origin: RunSnapshot | None = None,
         flags: dict[str, Any] | None = None) -> StartPlan:
    """Where training starts in the folder as read (see the module docstring); it reads nothing itself.

    Args:
        run: the run's folder as read under its lock.
        cfg, flags: the settings asked for, and the flags given (see `resume_config`).
        resume, fresh: continue the run there, or clear it first (the plan says `clear`).
        origin: the bundle a new run starts from (fine-tuning): it needs an empty folder, or `fresh`.

    Raises:
        SeqtuiError: a run is there and neither resume nor fresh was asked for, or init with resume; a
            BundleError for a file the decision needs that is damaged.
    """
    if origin is not None:
        return _init_plan(run, origin, cfg, resume, fresh)
    if fresh:
        return StartPlan("new", cfg=cfg, clear=True)
    settings_note = ""
    if resume:
        cfg, settings_note = resumed_settings(run, cfg, flags)
    checkpoint = run.checkpoint
    has_model = run.listing.has_model
    if checkpoint is None and not has_model:
        note = f"No checkpoint or model in {run.path}: starting a new run." if resume else ""
        return StartPlan("new", note=_joined(note, settings_note), cfg=cfg)
    if not resume:
        held = " and ".join(n for n, ok in [(saved.MODEL, has_model), ("a checkpoint", checkpoint)] if ok)
        raise SeqtuiError(f"{run.path} already holds {held}; pass --resume to continue that run "
                          "or --fresh to discard it")
    if checkpoint is not None:
        start = StartPlan("checkpoint", checkpoint.path, checkpoint.epoch, checkpoint.batch, list(checkpoint.history))
    else:
        start = _from_model(run)
    start = _completed(run, start, cfg)
    return dataclasses.replace(start, note=_joined(start.note, settings_note), cfg=cfg, vocabs=run.vocabs,
                               meta=run.meta)


def _joined(*notes: str) -> str:
    return " ".join(filter(None, notes))


def _init_plan(run: RunSnapshot, origin: RunSnapshot, cfg: Config, resume: bool, fresh: bool) -> StartPlan:
    if resume:
        raise SeqtuiError("--init-from starts a new run from another model; it cannot --resume one")
    if not origin.listing.has_model:
        raise BundleError(f"{origin.path}: no model to start from (looked for {saved.MODEL})")
    if origin.path.resolve() == run.path.resolve():
        raise SeqtuiError(f"--init-from {origin.path} is the model folder itself; train into another --model-dir")
    if not fresh and run.listing.has_run:
        raise SeqtuiError(f"{run.path} already holds a run; pass --fresh to replace it with one started from "
                          f"{origin.path}, or another --model-dir")
    return StartPlan("init", origin.path / saved.MODEL, note=f"Starting from the weights of {origin.path}.",
                     cfg=cfg, clear=fresh, vocabs=origin.vocabs, meta=origin.meta)


def _from_model(run: RunSnapshot) -> StartPlan:
    history = list(run.history)
    marked = last_marked(history)
    epoch = marked.epoch if marked else 0
    kept = [r for r in history if r.epoch <= epoch]
    dropped = len(history) - len(kept)
    lost = f"; the {dropped} later epoch(s) had no checkpoint and are trained again" if dropped else ""
    where = f"epoch {epoch}" if epoch else "its weights"
    note = (f"No checkpoint in {run.path}: continuing from {saved.MODEL} ({where}) with a new optimizer"
            f"{lost}.")
    return StartPlan("model", run.path / saved.MODEL, epoch, 0, kept, note)


def _completed(run: RunSnapshot, start: StartPlan, cfg: Config) -> StartPlan:
    """The plan marked complete when the run's epochs are done or early stopping still holds."""
    ended = run.manifest.ended
    best = Monitor.of(cfg.monitor).best_of(start.history)
    out_of_patience = (ended is not None and ended.reason == "early_stopped" and cfg.patience > 0
                       and best is not None
                       and start.epoch - best.epoch >= cfg.patience)
    if start.epoch >= cfg.epochs or out_of_patience:
        return dataclasses.replace(start, complete=True)
    return start


RESUME_FLAGS = ("epochs", "patience", "steps_per_epoch", "checkpoint_every", "strategy", "tensorboard")
"""The settings a flag may change when a run is resumed; every other one stays the saved run's."""


def resume_config(model_dir: Path, now: Config, flags: dict[str, Any] | None = None) -> tuple[Config, str]:
    """The settings a resumed run in `model_dir` trains with, and a note: `resumed_settings` of the folder."""
    return resumed_settings(read_run(Path(model_dir)), now, flags)


def resumed_settings(run: RunSnapshot, now: Config, flags: dict[str, Any] | None = None) -> tuple[Config, str]:
    """The settings a resumed run trains with, and a note naming what the flags changed or could not.

    The run keeps its own settings, its epoch target the one its last training set (seqtui.json); a
    flag given to the resuming command (`flags`: the command's flags, None values meaning not given)
    changes one of RESUME_FLAGS to its value in `now`. Without `flags` (a caller that built `now` for the
    resumed training) every one of RESUME_FLAGS is taken from `now`. With no saved settings there is nothing to
    resume, and `now` is returned unchanged.

    Raises:
        BundleError: saved settings (config.json, seqtui.json) this version cannot use.
    """
    if not run.listing.has_meta:
        return now, ""
    own = run.meta.config
    target = run.manifest.epochs
    if target is not None:
        own = own.replace(epochs=target)
    asked = list(RESUME_FLAGS) if flags is None else _training_keys(flags)
    cfg = own.replace(**{k: getattr(now, k) for k in asked if k in RESUME_FLAGS})
    changed = [f"{k} {getattr(own, k)} → {getattr(cfg, k)}" for k in RESUME_FLAGS if getattr(own, k) !=
               getattr(cfg, k)]
    kept = [f"--{k.replace('_', '-')} (the run's is {getattr(own, k)})" for k in asked
            if k not in RESUME_FLAGS and getattr(now, k) != getattr(own, k)]
    notes = ([f"Resuming with the run's own settings, but {', '.join(changed)} (as asked)."] if changed
             else []) + ([f"A resumed run keeps its own settings: ignored {', '.join(kept)}."] if kept else [])
    return cfg, " ".join(notes)


def _training_keys(flags: dict[str, Any] | None) -> list[str]:
    """The flags given that shape training: not paths (a run's files may move) nor decoding settings."""
    return [k for k, v in (flags or {}).items() if v is not None and k in FIELDS
            and FIELDS[k].metadata["section"] in ("model", "training")
            and not FIELDS[k].metadata.get("path")]


def ended_note(plan: StartPlan, cfg: Config, model_dir: Path) -> str:
    """Why a complete run has nothing to train, and how to train it further."""
    if plan.epoch >= cfg.epochs:
        return (f"The run in {model_dir} is complete ({plan.epoch} epochs); pass a larger --epochs to continue it.")
    return (f"The run in {model_dir} stopped early at epoch {plan.epoch} ({cfg.monitor} no better for "
            f"{cfg.patience} epochs); it is complete. Pass a larger --patience (or 0) to train it further.")


def closing_line(ended: TrainingEnded, flags: str = "") -> str:
    """How a run ended, where it is saved and how to go on: what `seqtui train` prints last, and the
    dashboard when it closes. `flags`: what a resume needs besides --resume (see `resume_flags`)."""
    if ended.reason == "complete":
        return ended.note
    if ended.reason == "stopped":
        done = ended.epochs_done
        when = (f"Stopped in epoch {done + 1}, before any epoch was complete" if not done else
                f"Stopped after {done} complete epoch{'s' if done > 1 else ''}; {ended.best_text()}")
        return f"{when}; checkpoint saved in {ended.model_dir}. Continue with: seqtui train --resume{flags}"
    why = f"early stopping: {ended.monitor} stopped improving" if ended.reason == "early_stopped" else "done"
    return f"{why}; {ended.best_text()}; model saved in {Path(ended.model_dir) / saved.MODEL}"


def resume_flags(config_path: Path | None, flags: dict[str, Any]) -> str:
    """What `seqtui train --resume` must repeat to continue a stopped run: ` --config FILE` and the flags
    (config keys) as they were given, quoted for a shell.

    Built from the arguments alone, never by reading ./sequencer.toml again: under --config it is not
    the run's file, and by now it may be broken or say something else.
    """
    words = ["--config", str(config_path)] if config_path else []
    for key, value in flags.items():
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            words.append(flag if value else "--no-" + flag[2:])
        elif isinstance(value, list | tuple):
            continue  # a list (metrics) has no flag; it is the saved run's own setting anyway
        elif value is not None:
            words += [flag, str(value)]
    return "".join(" " + shlex.quote(w) for w in words)
