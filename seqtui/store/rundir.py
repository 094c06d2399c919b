"""The one owner of a run's folder: what makes a folder a seqtui bundle, which files are its own, its
lock and its manifest. The folder is read once, as `seqtui.store.snapshot` types it; where training
starts in it is the resume policy's (`seqtui.store.resume`), decided on that reading.

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
from typing import Any

from seqtui import atomic
from seqtui.config import Config
from seqtui.errors import BundleError, SeqtuiError
from seqtui.store import bundle, lock, saved
from seqtui.store import resume as resume_policy
from seqtui.store.saved import KIND, MANIFEST, Comparison, Ended, Manifest
from seqtui.store.snapshot import Entry, Listing, RunSnapshot, list_folder, read_run

__all__ = ["KIND", "MANIFEST", "OWN_FILES", "RunDir", "foreign_in", "free_folder", "refuse_foreign_write",
           "refuse_replacing", "run_around"]
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

    def read(self) -> RunSnapshot:
        """The folder read once (`seqtui.store.snapshot.read_run`): what a session's start decides on."""
        return read_run(self.path)

    def is_bundle(self) -> bool:
        """Whether the folder carries seqtui's manifest, or is a bundle from before the manifest."""
        return list_folder(self.path).is_bundle

    def manifest(self) -> Manifest:
        """seqtui.json, checked (BundleError naming the field when it is damaged)."""
        return saved.read_manifest(self.path)

    def foreign(self) -> list[str]:
        """Names in the folder that are not a bundle's own files (folders end in '/'): `foreign_in`."""
        return foreign_in(list_folder(self.path))

    def has_run(self) -> bool:
        """Whether there is anything to lose: a model, a checkpoint or a history."""
        return list_folder(self.path).has_run

    # -- writing ---------------------------------------------------------------------------------------

    def open_for_writing(self) -> None:
        """Make sure seqtui may write here: a new or empty folder, or a bundle with nothing else in it.

        Raises:
            BundleError: a file where the folder should be, files that are not a bundle's, or no write access.
        """
        listing = list_folder(self.path)
        if listing.kind != "missing" and not self.path.is_dir():
            raise BundleError(f"{self.path}: model_dir is a file, not a folder")
        if self.manifest().shipped:
            raise BundleError(f"{self.path} is a model shipped with seqtui: training never writes into it. Train "
                              f"into another --model-dir; `--init-from {self.path}` starts from its weights")
        _refuse_foreign(listing)
        refuse_foreign_write(self.path, "--model-dir", "run")  # a run inside another is a stranger to it
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / _PROBE
            probe.write_text("")
            probe.unlink()
        except OSError as e:
            raise BundleError(f"{self.path}: cannot write to the model folder ({e.strerror or e})") from None

    @contextlib.contextmanager
    def lock(self) -> Iterator[RunSnapshot]:
        """Hold the folder's training lock (RunLocked if another trainer holds it), and give the folder as
        read under it: what the session decides on (the temporaries it lists are deleted by then)."""
        with lock.hold(self.path):
            seen = self.read()
            _refuse_foreign(seen.listing)  # re-checked under the lock: nothing may have appeared since
            for folder in (self.path, self.path / bundle.CKPT_DIR):
                atomic.remove_stale(folder)  # no writer is alive: its temporaries are garbage
            yield seen

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
        _refuse_foreign(list_folder(self.path))
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

    def plan(self, cfg: Config, resume: bool, fresh: bool, init_from: Path | None = None,
             flags: dict[str, Any] | None = None, seen: RunSnapshot | None = None) -> resume_policy.StartPlan:
        """Where training starts in this folder, as `seqtui.store.resume.plan` decides on the folder as read
        (`seen`, from `lock`; read now when None) and the bundle `init_from`; clears the run when it says to.

        Raises:
            SeqtuiError: what the policy refuses (a BundleError for a file it needs that is damaged).
        """
        origin = read_run(Path(init_from)) if init_from is not None else None
        start = resume_policy.plan(seen or self.read(), cfg, resume, fresh, origin, flags)
        if start.clear:
            self.clear()
        return start


def free_folder(model_dir: Path) -> Path:
    """Where a new run may go without touching another: model_dir while it holds no run and nothing else,
    else the first `<name>-N` beside it (N from 2; a trailing -N of model_dir's own name is replaced)."""
    here = list_folder(model_dir)
    if here.kind == "missing" or (here.path.is_dir() and not here.has_run and not foreign_in(here)):
        return here.path
    base = re.sub(r"-\d+$", "", here.path.name) or here.path.name
    n = 2
    while (here.path.parent / f"{base}-{n}").exists():
        n += 1
    return here.path.parent / f"{base}-{n}"


def run_around(folder: Path) -> Path | None:
    """The run folder that `folder` is or lies below, if any (None: outside every run)."""
    where = Path(folder).resolve()
    for up in (where, *where.parents):
        if list_folder(up).is_bundle:
            return up
    return None


def refuse_foreign_write(target: Path, flag: str, what: str, *, folder: bool = False) -> None:
    """Refuse to write a file seqtui does not own (a plot, predictions, a corpus...) in or below a run's folder,
    where it would be somebody else's file: training would then refuse the run, and --fresh would stop.

    Args:
        target: the file to be written, or with `folder` the folder its files go into.
        flag: the option that named it, for the line that says where to write instead.
        what: what is written, in words ("plot", "predictions").

    Raises:
        SeqtuiError: one line naming the run and a place beside it to write to instead.
    """
    target = Path(target)
    run = run_around(target if folder else target.parent)
    if run is None:
        return
    instead = run.parent / (f"{run.name}-{what.replace(' ', '-')}" if folder else target.name)
    raise SeqtuiError(f"{target}: {run} is a run's folder; seqtui keeps only its own files there: write the "
                      f"{what} elsewhere, e.g. {flag} {instead}")


def refuse_replacing(target: Path, flag: str, what: str) -> None:
    """Refuse to write a bundle (an export) into `target` unless it is new, empty or such a bundle already:
    it replaces the bundle's files there, so it never lands in a run, over a training run, or among files
    that are not seqtui's.

    Raises:
        SeqtuiError: one line saying why and where to write instead.
    """
    target = Path(target)
    refuse_foreign_write(target, flag, what, folder=False)  # a folder inside a run is a stranger to it
    here = list_folder(target)
    if here.kind not in ("missing", "folder"):
        raise SeqtuiError(f"{target} is a file, not a folder: pass another {flag}")
    instead = target.parent / f"{target.name}-{what.replace(' ', '-')}"
    others = foreign_in(here)
    if others:
        shown = ", ".join(others[:6]) + (f" and {len(others) - 6} more" if len(others) > 6 else "")
        raise BundleError(f"{target}: holds files that are not a seqtui model's ({shown}); seqtui replaces files "
                          f"only in an empty folder or its own {what}: pass another {flag}, e.g. {instead}")
    if here.has_run and not saved.read_manifest(target).shipped:
        raise BundleError(f"{target} holds a training run, which the {what} would replace: pass another "
                          f"{flag}, e.g. {instead}")


def foreign_in(listing: Listing) -> list[str]:
    """Names in a listed folder that are not a bundle's own files (folders end in '/').

    In a folder that is not a bundle every name is foreign, even one that a bundle would use (a user's
    own config.json), except the lock and the temporaries that only seqtui makes.
    """
    ours = listing.is_bundle
    out = []
    for entry in listing.entries:
        if ours and entry.name == bundle.CKPT_DIR and entry.kind == "folder":
            out += [f"{bundle.CKPT_DIR}/{n}" for n in _foreign_in_checkpoints(listing.checkpoint_entries)]
        elif not (entry.kind == "file" and _own_name(entry.name, ours)):
            out.append(entry.shown)
    return out


def _refuse_foreign(listing: Listing) -> None:
    others = foreign_in(listing)
    if not others:
        return
    shown = ", ".join(others[:6]) + (f" and {len(others) - 6} more" if len(others) > 6 else "")
    raise BundleError(f"{listing.path} holds files that are not a seqtui model's ({shown}); seqtui writes only "
                      "into an empty folder or its own bundle: pass another --model-dir, e.g. "
                      f"{listing.path / 'run'}")


def _own_name(name: str, in_bundle: bool) -> bool:
    if name in (lock.LOCK_NAME, _PROBE) or (in_bundle and (name in OWN_FILES or bundle.TB_EVENTS.fullmatch(name))):
        return True
    temp = _TEMP.fullmatch(name)
    return bool(temp and temp.group("name") in OWN_FILES)


def _foreign_in_checkpoints(entries: tuple[Entry, ...]) -> list[str]:
    out = []
    for entry in entries:
        name = entry.name
        temp = _TEMP.fullmatch(name)
        ours = entry.kind == "file" and (
            name == bundle.CKPT_POINTER or _CKPT_FILE.fullmatch(name)
            or (temp and (temp.group("name") == bundle.CKPT_POINTER or _CKPT_FILE.fullmatch(temp.group("name")))))
        if not ours:
            out.append(entry.shown)
    return out


