"""The one owner of a run's folder: what makes a folder a seqtui bundle, which files are its own, and
the resume policy that the CLI, the dashboard and the Python API all share.

A folder is a seqtui bundle when it holds the manifest `seqtui.json` (or, for bundles written before
the manifest existed, a `config.json` and `vocab.json` in seqtui's own format). seqtui writes into a
folder only when it is empty or a bundle, and then only the bundle's own files; a folder holding
anything else is refused, naming what it holds. `clear` (for --fresh) deletes only the bundle's own
files, never a folder or a file it did not write.

The policy (`RunDir.plan`): a checkpoint resumes exactly; a model without a checkpoint continues
from the model's weights with a new optimizer, saying so; nothing there starts a new run. A run that
ended (its epochs done, or stopped early and still out of patience) is complete.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqtui import atomic
from seqtui.config import FIELDS, Config
from seqtui.errors import BundleError, SeqtuiError
from seqtui.events import TrainingEnded
from seqtui.records import EpochRecord, Monitor, Start, last_marked
from seqtui.store import bundle, lock, saved
from seqtui.store.saved import KIND, MANIFEST, Comparison, Ended, Manifest

__all__ = ["KIND", "MANIFEST", "OWN_FILES", "RESUME_FLAGS", "RunDir", "StartPlan", "ended_note", "free_folder",
           "resume_config"]
OWN_FILES = frozenset({bundle.MODEL, bundle.VOCAB, bundle.META, bundle.HISTORY, bundle.SAMPLES, bundle.EVALUATION,
                       MANIFEST, lock.LOCK_NAME})
_CKPT_FILE = re.compile(r"ckpt-\d{5}-\d{6}\.keras")
# What atomic.py leaves behind when killed mid-write: `.<own name>.<random>.tmp|.keras`.
_TEMP = re.compile(r"\.(?P<name>[^/]+?)\.[^./]+\.(tmp|keras)")
_PROBE = ".write-test"


@dataclass(frozen=True)
class StartPlan:
    """Where a training session begins, decided by `RunDir.plan`.

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


class RunDir:
    """A model folder, seen as seqtui's bundle or as somebody else's files."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    # -- what is there -------------------------------------------------------------------------------

    def is_bundle(self) -> bool:
        """Whether the folder carries seqtui's manifest, or is a bundle from before the manifest."""
        if saved.is_claimed(self.path):
            return True
        vocab, meta = saved.read_json_object(self.path / bundle.VOCAB), saved.read_json_object(self.path / bundle.META)
        return vocab is not None and "reserved" in vocab and meta is not None and "format" in meta

    def manifest(self) -> Manifest:
        """seqtui.json, checked (BundleError naming the field when it is damaged)."""
        return saved.read_manifest(self.path)

    def foreign(self) -> list[str]:
        """Names in the folder that are not a bundle's own files (folders end in '/').

        In a folder that is not a bundle every name is foreign, even one that a bundle would use (a
        user's own config.json), except the lock and the temporaries that only seqtui makes.
        """
        if not self.path.is_dir():
            return []
        ours = self.is_bundle()
        out = []
        for entry in sorted(self.path.iterdir()):
            if ours and entry.name == bundle.CKPT_DIR and entry.is_dir() and not entry.is_symlink():
                out += [f"{bundle.CKPT_DIR}/{n}" for n in _foreign_in_checkpoints(entry)]
            elif not (entry.is_file() and not entry.is_symlink() and _own_name(entry.name, ours)):
                out.append(entry.name + ("/" if entry.is_dir() else ""))
        return out

    def has_run(self) -> bool:
        """Whether there is anything to lose: a model, a checkpoint or a history."""
        return (bundle.exists(self.path) or (self.path / bundle.CKPT_DIR / bundle.CKPT_POINTER).is_file()
                or (self.path / bundle.HISTORY).is_file())

    # -- writing ---------------------------------------------------------------------------------------

    def open_for_writing(self) -> None:
        """Make sure seqtui may write here: a new or empty folder, or a bundle with nothing else in it.

        Raises:
            BundleError: a file where the folder should be, files that are not a bundle's, or no write access.
        """
        if self.path.exists() and not self.path.is_dir():
            raise BundleError(f"{self.path}: model_dir is a file, not a folder")
        if self.manifest().shipped:
            raise BundleError(f"{self.path} is a model shipped with seqtui: training never writes into it. Train "
                              f"into another --model-dir; `--init-from {self.path}` starts from its weights")
        self._refuse_foreign()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / _PROBE
            probe.write_text("")
            probe.unlink()
        except OSError as e:
            raise BundleError(f"{self.path}: cannot write to the model folder ({e.strerror or e})") from None

    def _refuse_foreign(self) -> None:
        others = self.foreign()
        if not others:
            return
        shown = ", ".join(others[:6]) + (f" and {len(others) - 6} more" if len(others) > 6 else "")
        raise BundleError(f"{self.path} holds files that are not a seqtui model's ({shown}); seqtui writes only "
                          "into an empty folder or its own bundle: pass another --model-dir, e.g. "
                          f"{self.path / 'run'}")

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder's training lock (RunLocked if another trainer holds it)."""
        with lock.hold(self.path):
            self._refuse_foreign()  # re-checked under the lock: nothing may have appeared since
            for folder in (self.path, self.path / bundle.CKPT_DIR):
                atomic.remove_stale(folder)  # no writer is alive: its temporaries are garbage
            yield

    def claim(self) -> None:
        """Write the manifest that marks the folder as a seqtui bundle (once, before any other file)."""
        if not saved.is_claimed(self.path):
            atomic.write_json(self.path / MANIFEST, Manifest().to_dict())

    def mark_ended(self, reason: str | None, epoch: int = 0) -> None:
        """Record that the run ended (finished or early_stopped), or that it goes on (None)."""
        ended = Ended(reason, epoch) if reason else None  # type: ignore[arg-type]
        atomic.write_json(self.path / MANIFEST, dataclasses.replace(self.manifest(), ended=ended).to_dict())

    def mark_started(self, epoch: int, epochs: int | None = None) -> None:
        """Record that a session starts after `epoch` epochs (the run goes on; a resume once epoch > 0),
        to train up to `epochs` (a resumed run may be given more than config.json recorded).

        The curves mark the resumes, where a new optimizer or a restored checkpoint took over.
        """
        manifest = self.manifest()
        resumes = tuple(e for e in manifest.resumes if e < epoch) + ((epoch,) if epoch else ())
        # a new run: a comparison of the old one's model says nothing about it
        compared = manifest.compared if epoch else None
        atomic.write_json(self.path / MANIFEST, dataclasses.replace(
            manifest, ended=None, resumes=resumes, epochs=epochs, compared=compared).to_dict())

    def record_comparison(self, compared: Comparison) -> None:
        """Keep how the saved model scored against the shipped one (what `catalog.choose` decides by)."""
        atomic.write_json(self.path / MANIFEST, dataclasses.replace(self.manifest(), compared=compared).to_dict())

    def clear(self) -> None:
        """Delete the bundle's own files (for --fresh); anything else stops it before it deletes anything."""
        if not self.path.is_dir():
            return
        self._refuse_foreign()
        ckpt = self.path / bundle.CKPT_DIR
        if ckpt.is_dir():
            for f in ckpt.iterdir():
                f.unlink()
            ckpt.rmdir()
        for name in (bundle.MODEL, bundle.HISTORY, bundle.META, bundle.VOCAB, bundle.SAMPLES, bundle.EVALUATION):
            (self.path / name).unlink(missing_ok=True)
        for events in self.path.glob("events.out.tfevents.*"):
            if events.is_file() and bundle.TB_EVENTS.fullmatch(events.name):
                events.unlink()
        self.mark_started(0)

    # -- the resume policy -----------------------------------------------------------------------------

    def plan(self, cfg: Config, resume: bool, fresh: bool, init_from: Path | None = None) -> StartPlan:
        """Where training starts (see the module docstring); `fresh` clears the bundle first.
        `init_from` starts a new run from that bundle's weights (it needs an empty folder, or --fresh).

        Raises:
            SeqtuiError: a run is there and neither resume nor fresh was asked for, or init_from with resume.
        """
        if init_from is not None:
            return self._init_plan(Path(init_from), resume, fresh)
        if fresh:
            self.clear()
            return StartPlan("new")
        checkpoint = bundle.read_checkpoint(self.path)
        has_model = bundle.exists(self.path)
        if checkpoint is None and not has_model:
            note = f"No checkpoint or model in {self.path}: starting a new run." if resume else ""
            return StartPlan("new", note=note)
        if not resume:
            held = " and ".join(n for n, ok in [(bundle.MODEL, has_model), ("a checkpoint", checkpoint)] if ok)
            raise SeqtuiError(f"{self.path} already holds {held}; pass --resume to continue that run "
                              "or --fresh to discard it")
        if checkpoint is not None:
            plan = StartPlan("checkpoint", checkpoint.path, checkpoint.epoch, checkpoint.batch,
                             list(checkpoint.history))
        else:
            plan = self._from_model()
        return self._completed(plan, cfg)

    def _init_plan(self, init_from: Path, resume: bool, fresh: bool) -> StartPlan:
        if resume:
            raise SeqtuiError("--init-from starts a new run from another model; it cannot --resume one")
        if not bundle.exists(init_from):
            raise BundleError(f"{init_from}: no model to start from (looked for {bundle.MODEL})")
        if init_from.resolve() == self.path.resolve():
            raise SeqtuiError(f"--init-from {init_from} is the model folder itself; train into another --model-dir")
        if fresh:
            self.clear()
        elif self.has_run():
            raise SeqtuiError(f"{self.path} already holds a run; pass --fresh to replace it with one started from "
                              f"{init_from}, or another --model-dir")
        return StartPlan("init", init_from / bundle.MODEL, note=f"Starting from the weights of {init_from}.")

    def _from_model(self) -> StartPlan:
        history = bundle.read_history(self.path)
        marked = last_marked(history)
        epoch = marked.epoch if marked else 0
        kept = [r for r in history if r.epoch <= epoch]
        dropped = len(history) - len(kept)
        lost = f"; the {dropped} later epoch(s) had no checkpoint and are trained again" if dropped else ""
        where = f"epoch {epoch}" if epoch else "its weights"
        note = (f"No checkpoint in {self.path}: continuing from {bundle.MODEL} ({where}) with a new optimizer"
                f"{lost}.")
        return StartPlan("model", self.path / bundle.MODEL, epoch, 0, kept, note)

    def _completed(self, plan: StartPlan, cfg: Config) -> StartPlan:
        """The plan marked complete when the run's epochs are done or early stopping still holds."""
        ended = self.manifest().ended
        best = Monitor.of(cfg.monitor).best_of(plan.history)
        out_of_patience = (ended is not None and ended.reason == "early_stopped" and cfg.patience > 0
                           and best is not None
                           and plan.epoch - best.epoch >= cfg.patience)
        if plan.epoch >= cfg.epochs or out_of_patience:
            return StartPlan(plan.start, plan.weights, plan.epoch, plan.batch, plan.history, plan.note, True)
        return plan


def free_folder(model_dir: Path) -> Path:
    """Where a new run may go without touching another: model_dir while it holds no run and nothing else,
    else the first `<name>-N` beside it (N from 2; a trailing -N of model_dir's own name is replaced)."""
    here = RunDir(model_dir)
    if not here.path.exists() or (here.path.is_dir() and not here.has_run() and not here.foreign()):
        return here.path
    base = re.sub(r"-\d+$", "", here.path.name) or here.path.name
    n = 2
    while (here.path.parent / f"{base}-{n}").exists():
        n += 1
    return here.path.parent / f"{base}-{n}"


RESUME_FLAGS = ("epochs", "patience", "steps_per_epoch", "checkpoint_every", "strategy", "tensorboard")
"""The settings a flag may change when a run is resumed; every other one stays the saved run's."""


def resume_config(model_dir: Path, now: Config, flags: dict[str, Any] | None = None) -> tuple[Config, str]:
    """The settings a resumed run trains with, and a note naming what the flags changed or could not.

    The run keeps its own settings, its epoch target the one its last session set (seqtui.json); a
    flag given for this session (`flags`: the command's flags, None values meaning not given) changes
    one of RESUME_FLAGS to its value in `now`. Without `flags` (a caller that built `now` for this
    session) every one of RESUME_FLAGS is taken from `now`. With no saved settings there is nothing to
    resume, and `now` is returned unchanged.

    Raises:
        BundleError: saved settings (config.json, seqtui.json) this version cannot use.
    """
    if not (Path(model_dir) / bundle.META).is_file():
        return now, ""
    own = saved.read_meta(model_dir).config
    target = RunDir(model_dir).manifest().epochs
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
        return (f"Stopped after {ended.epochs_done} complete epoch(s); checkpoint saved in {ended.model_dir}. "
                f"{ended.best_text()}. Continue with: seqtui train --resume{flags}")
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


def _own_name(name: str, in_bundle: bool) -> bool:
    if name in (lock.LOCK_NAME, _PROBE) or (in_bundle and (name in OWN_FILES or bundle.TB_EVENTS.fullmatch(name))):
        return True
    temp = _TEMP.fullmatch(name)
    return bool(temp and temp.group("name") in OWN_FILES)


def _foreign_in_checkpoints(folder: Path) -> list[str]:
    out = []
    for entry in sorted(folder.iterdir()):
        name = entry.name
        temp = _TEMP.fullmatch(name)
        ours = entry.is_file() and not entry.is_symlink() and (
            name == bundle.CKPT_POINTER or _CKPT_FILE.fullmatch(name)
            or (temp and (temp.group("name") == bundle.CKPT_POINTER or _CKPT_FILE.fullmatch(temp.group("name")))))
        if not ours:
            out.append(name + ("/" if entry.is_dir() else ""))
    return out


