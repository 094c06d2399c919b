"""The one owner of a run's folder: what makes a folder a seqtui bundle, which files are its own, its
lock and its manifest. Where training starts in it is the resume policy's (`seqtui.store.resume`).

A folder is a seqtui bundle when it holds the manifest `seqtui.json` (or, for bundles written before
the manifest existed, a `config.json` and `vocab.json` in seqtui's own format). seqtui writes into a
folder only when it is empty or a bundle, and then only the bundle's own files; a folder holding
anything else is refused, naming what it holds. `clear` (for --fresh) deletes only the bundle's own
files, never a folder or a file it did not write.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

from seqtui import atomic
from seqtui.config import Config
from seqtui.errors import BundleError
from seqtui.store import bundle, lock, saved
from seqtui.store import resume as resume_policy
from seqtui.store.saved import KIND, MANIFEST, Comparison, Ended, Manifest

__all__ = ["KIND", "MANIFEST", "OWN_FILES", "RunDir", "free_folder"]
OWN_FILES = frozenset({bundle.MODEL, bundle.VOCAB, bundle.META, bundle.HISTORY, bundle.SAMPLES, bundle.EVALUATION,
                       MANIFEST, lock.LOCK_NAME})
_CKPT_FILE = re.compile(r"ckpt-\d{5}-\d{6}\.keras")
# What atomic.py leaves behind when killed mid-write: `.<own name>.<random>.tmp|.keras`.
_TEMP = re.compile(r"\.(?P<name>[^/]+?)\.[^./]+\.(tmp|keras)")
_PROBE = ".write-test"


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

    def plan(self, cfg: Config, resume: bool, fresh: bool, init_from: Path | None = None) -> resume_policy.StartPlan:
        """Where training starts in this folder: `seqtui.store.resume.plan`."""
        return resume_policy.plan(self, cfg, resume, fresh, init_from)


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


