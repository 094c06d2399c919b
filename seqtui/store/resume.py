"""The resume policy: where a training session starts in a run's folder, with which settings, and the
lines that tell the user how a run ended and how to go on. The CLI, the dashboard and the Python API
all start training through `plan` (which `RunDir.plan` calls), so they resume alike.

A checkpoint resumes exactly; a model without a checkpoint continues from the model's weights with a
new optimizer, saying so; nothing there starts a new run. A run that ended (its epochs done, or
stopped early and still out of patience) is complete. A resumed run keeps its own settings but for
RESUME_FLAGS.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqtui.config import FIELDS, Config
from seqtui.errors import BundleError, SeqtuiError
from seqtui.events import TrainingEnded
from seqtui.records import EpochRecord, Monitor, Start, last_marked
from seqtui.store import bundle, saved

if TYPE_CHECKING:
    from seqtui.store.rundir import RunDir

__all__ = ["RESUME_FLAGS", "StartPlan", "closing_line", "ended_note", "plan", "resume_config", "resume_flags"]


@dataclass(frozen=True)
class StartPlan:
    """Where a training session begins, decided by `plan`.

    Attributes:
        start: new, checkpoint (exact resume) or model (the model's weights, a new optimizer).
        weights: the .keras file to load (None for a new run).
        epoch, batch: the epochs done and, for a mid-epoch checkpoint, the batches of the next one done.
        history: the records of the epochs kept.
        note: what to tell the user about this start ("" for a plain new run).
        complete: nothing to train: the run already ended.
    """

    start: Start
    weights: Path | None = None
    epoch: int = 0
    batch: int = 0
    history: list[EpochRecord] = field(default_factory=list)
    note: str = ""
    complete: bool = False


def plan(run: RunDir, cfg: Config, resume: bool, fresh: bool, init_from: Path | None = None) -> StartPlan:
    """Where training starts (see the module docstring); `fresh` clears the bundle first.
    `init_from` starts a new run from that bundle's weights (it needs an empty folder, or --fresh).

    Raises:
        SeqtuiError: a run is there and neither resume nor fresh was asked for, or init_from with resume.
    """
    if init_from is not None:
        return _init_plan(run, Path(init_from), resume, fresh)
    if fresh:
        run.clear()
        return StartPlan("new")
    checkpoint = bundle.read_checkpoint(run.path)
    has_model = bundle.exists(run.path)
    if checkpoint is None and not has_model:
        note = f"No checkpoint or model in {run.path}: starting a new run." if resume else ""
        return StartPlan("new", note=note)
    if not resume:
        held = " and ".join(n for n, ok in [(bundle.MODEL, has_model), ("a checkpoint", checkpoint)] if ok)
        raise SeqtuiError(f"{run.path} already holds {held}; pass --resume to continue that run "
                          "or --fresh to discard it")
    if checkpoint is not None:
        plan = StartPlan("checkpoint", checkpoint.path, checkpoint.epoch, checkpoint.batch,
                         list(checkpoint.history))
    else:
        plan = _from_model(run)
    return _completed(run, plan, cfg)


def _init_plan(run: RunDir, init_from: Path, resume: bool, fresh: bool) -> StartPlan:
    if resume:
        raise SeqtuiError("--init-from starts a new run from another model; it cannot --resume one")
    if not bundle.exists(init_from):
        raise BundleError(f"{init_from}: no model to start from (looked for {bundle.MODEL})")
    if init_from.resolve() == run.path.resolve():
        raise SeqtuiError(f"--init-from {init_from} is the model folder itself; train into another --model-dir")
    if fresh:
        run.clear()
    elif run.has_run():
        raise SeqtuiError(f"{run.path} already holds a run; pass --fresh to replace it with one started from "
                          f"{init_from}, or another --model-dir")
    return StartPlan("init", init_from / bundle.MODEL, note=f"Starting from the weights of {init_from}.")


def _from_model(run: RunDir) -> StartPlan:
    history = bundle.read_history(run.path)
    marked = last_marked(history)
    epoch = marked.epoch if marked else 0
    kept = [r for r in history if r.epoch <= epoch]
    dropped = len(history) - len(kept)
    lost = f"; the {dropped} later epoch(s) had no checkpoint and are trained again" if dropped else ""
    where = f"epoch {epoch}" if epoch else "its weights"
    note = (f"No checkpoint in {run.path}: continuing from {bundle.MODEL} ({where}) with a new optimizer"
            f"{lost}.")
    return StartPlan("model", run.path / bundle.MODEL, epoch, 0, kept, note)


def _completed(run: RunDir, plan: StartPlan, cfg: Config) -> StartPlan:
    """The plan marked complete when the run's epochs are done or early stopping still holds."""
    ended = run.manifest().ended
    best = Monitor.of(cfg.monitor).best_of(plan.history)
    out_of_patience = (ended is not None and ended.reason == "early_stopped" and cfg.patience > 0
                       and best is not None
                       and plan.epoch - best.epoch >= cfg.patience)
    if plan.epoch >= cfg.epochs or out_of_patience:
        return StartPlan(plan.start, plan.weights, plan.epoch, plan.batch, plan.history, plan.note, True)
    return plan


RESUME_FLAGS = ("epochs", "patience", "steps_per_epoch", "checkpoint_every", "strategy", "tensorboard")
"""The settings a flag may change when a run is resumed; every other one stays the saved run's."""


def resume_config(model_dir: Path, now: Config, flags: dict[str, Any] | None = None) -> tuple[Config, str]:
    """The settings a resumed run trains with, and a note naming what the flags changed or could not.

    The run keeps its own settings, its epoch target the one its last training set (seqtui.json); a
    flag given to the resuming command (`flags`: the command's flags, None values meaning not given)
    changes one of RESUME_FLAGS to its value in `now`. Without `flags` (a caller that built `now` for the
    resumed training) every one of RESUME_FLAGS is taken from `now`. With no saved settings there is nothing to
    resume, and `now` is returned unchanged.

    Raises:
        BundleError: saved settings (config.json, seqtui.json) this version cannot use.
    """
    if not (Path(model_dir) / bundle.META).is_file():
        return now, ""
    own = saved.read_meta(model_dir).config
    target = saved.read_manifest(Path(model_dir)).epochs
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
    return f"{why}; {ended.best_text()}; model saved in {Path(ended.model_dir) / bundle.MODEL}"


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
