"""The runs a user has made: every seqtui bundle under a folder, each summed up in one `RunSummary`.

`seqtui runs`, `seqtui plot` and the dashboard's runs view all read runs here. A bundle's files are
data, not trust: each is read with a bounded reader, and a folder whose files cannot be read is
listed as damaged with one line saying why, never raised. Finding runs never follows a symbolic
link and stops at a bounded depth and count, so pointing it at a home folder stays quick.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from seqtui.config import Config
from seqtui.errors import BundleError
from seqtui.records import EpochRecord, Monitor
from seqtui.store import bundle, catalog, lock, saved
from seqtui.store.rundir import MANIFEST, RunDir
from seqtui.store.saved import Manifest, Split

State = Literal["running", "stopped", "finished", "early-stopped", "damaged"]
MAX_DEPTH = 4  # folders below the root searched for bundles
MAX_FOLDERS = 5000  # folders looked at, at most, in one search
METRICS = ("loss", "accuracy", "val_loss", "val_accuracy", "val_chrf", "learning_rate", "seconds",
           "chars_per_second")
"""History fields that can be drawn as curves, in the order they are offered."""
SORTS = ("name", "state", "epochs", "best", "chrf", "bleu", "time")


@dataclass(frozen=True)
class RunSummary:
    """One run folder as `seqtui runs` lists it.

    Attributes:
        path: the bundle's folder; name: its path below the folder searched.
        state: running (a trainer holds its lock), finished, early-stopped, stopped (it can be
            resumed), or damaged (`problem` says why).
        monitor, best_epoch, best_score: what picks the best epoch, and the best one by it.
        test_chrf, test_bleu, test_data: the scores `seqtui evaluate` last recorded, and on what.
        seconds: training time, the sum of the epochs' times.
        resumes: the epochs after which a later session took over (resume points on the curves).
    """

    path: Path
    name: str
    state: State
    architecture: str = ""
    latent_dim: int | None = None
    data: str = ""
    train_pairs: int | None = None
    epochs_done: int = 0
    epochs: int | None = None
    monitor: str = "val_loss"
    best_epoch: int | None = None
    best_score: float | None = None
    test_chrf: float | None = None
    test_bleu: float | None = None
    test_data: str = ""
    seconds: float = 0.0
    resumes: tuple[int, ...] = ()
    records: tuple[EpochRecord, ...] = ()
    config: Config | None = None
    problem: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The summary for `--json` and `--csv`: no history, no settings (they are in the run's files)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
               if f.name not in ("records", "config")}
        out["path"], out["resumes"] = str(self.path), list(self.resumes)
        return out

    def series(self, metric: str) -> tuple[list[int], list[float]]:
        """(epochs, values) of one history metric, leaving out epochs without a finite value."""
        points = [(r.epoch, getattr(r, metric, None)) for r in self.records]
        kept = [(e, float(v)) for e, v in points if isinstance(v, int | float) and math.isfinite(v)]
        return [e for e, _ in kept], [v for _, v in kept]

    def metrics(self) -> list[str]:
        """The history metrics this run has values for, in `METRICS` order."""
        return [m for m in METRICS if self.series(m)[0]]


def find(root: Path) -> list[RunSummary]:
    """Every seqtui bundle at or below `root` (shipped models left out), summed up, sorted by name."""
    root = Path(root)
    return [summarize(path, _name(path, root)) for path in _bundles(root)]


def summarize(path: Path, name: str | None = None) -> RunSummary:
    """One bundle's summary; unreadable files make it a damaged one, never an exception."""
    path = Path(path)
    name = name or path.name
    run = RunDir(path)
    try:
        meta = saved.read_meta(path) if (path / bundle.META).is_file() else None  # not yet written: a new run
        manifest = run.manifest()
    except BundleError as e:
        return RunSummary(path, name, "damaged", problem=_reason(e, path))
    cfg = meta.config if meta else None
    records = tuple(bundle.read_history(path))
    monitor = cfg.monitor if cfg else "val_loss"
    best = Monitor.of(monitor).saved_best(records)
    test = _evaluation(path)
    split = meta.split if meta else None
    return RunSummary(
        path, name, _state(run, manifest), architecture=cfg.architecture if cfg else "",
        latent_dim=cfg.latent_dim if cfg else None, data=_data(split), train_pairs=split.train_pairs if split else None,
        epochs_done=records[-1].epoch if records else 0, epochs=manifest.epochs or (cfg.epochs if cfg else None),
        monitor=monitor,
        best_epoch=best.epoch if best else None, best_score=Monitor.of(monitor).score(best) if best else None,
        test_chrf=_float(test.get("chrf")), test_bleu=_float(test.get("bleu")), test_data=_text(test.get("data")),
        seconds=round(sum(r.seconds for r in records), 3), resumes=manifest.resumes, records=records, config=cfg)


def sort(runs: list[RunSummary], key: str) -> list[RunSummary]:
    """`runs` ordered by one of `SORTS`: scores best first, epochs and time most first, runs without
    the value last; `best` ranks each monitor by its own direction (chrF up, loss down)."""
    if key not in SORTS:
        raise ValueError(f"unknown sort {key!r}")
    if key == "name":
        return sorted(runs, key=lambda r: r.name)
    if key == "state":
        return sorted(runs, key=lambda r: (r.state, r.name))
    value = _SORT_VALUES[key]
    have = [(v, r) for r in runs if (v := value(r)) is not None]
    return [r for _, r in sorted(have, key=lambda vr: (-vr[0], vr[1].name))] + sorted(
        (r for r in runs if value(r) is None), key=lambda r: r.name)


def _best_value(run: RunSummary) -> float | None:
    """The run's best score, signed so that higher is better whatever its monitor's direction."""
    if run.best_score is None:
        return None
    return run.best_score if Monitor.of(run.monitor).mode == "max" else -run.best_score


_SORT_VALUES: dict[str, Callable[[RunSummary], float | None]] = {
    "epochs": lambda r: r.epochs_done, "chrf": lambda r: r.test_chrf, "bleu": lambda r: r.test_bleu,
    "time": lambda r: r.seconds, "best": _best_value}


def record_evaluation(model_dir: Path, scores: dict[str, Any]) -> bool:
    """Keep `seqtui evaluate`'s scores in the run's folder for `seqtui runs`; only in a bundle of the
    user's own (never a shipped model, never a folder that is not seqtui's). Whether it was written."""
    from seqtui import atomic

    run = RunDir(model_dir)
    try:
        if catalog.is_shipped(run.path) or run.manifest().shipped or not run.is_bundle():
            return False
    except BundleError:
        return False  # a damaged manifest may be a shipped model's: leave the folder alone
    try:
        atomic.write_json(run.path / bundle.EVALUATION, scores)
    except OSError:
        return False  # a read-only folder still gets its scores printed
    return True


COLUMNS = ("run", "arch", "size", "data", "pairs", "epochs", "state", "best", "chrF", "BLEU", "time")
"""The columns of the runs table, as `cells` fills them (the CLI's table and the dashboard's): best is
the best epoch's validation score by the run's monitor, chrF and BLEU what `seqtui evaluate` recorded."""
SHORT = {"val_chrf": "chrF", "val_loss": "loss"}


def cells(r: RunSummary) -> list[str]:
    """One run's row under `COLUMNS`, as plain text straight from its files (escape it to show it)."""
    if r.problem:
        return [r.name, "", "", "", "", "", r.state, r.problem, "", "", ""]
    epochs = f"{r.epochs_done}/{r.epochs}" if r.epochs else str(r.epochs_done)
    best = f"{SHORT.get(r.monitor, r.monitor)} {r.best_score:.4g} @{r.best_epoch}" if r.best_epoch is not None \
        and r.best_score is not None else "-"
    return [r.name, r.architecture, str(r.latent_dim or "-"), r.data, f"{r.train_pairs:,}" if r.train_pairs else "-",
            epochs, r.state, best, _num(r.test_chrf), _num(r.test_bleu),
            format_seconds(r.seconds) if r.seconds else "-"]


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def format_seconds(seconds: float) -> str:
    """'42s', '3m05s', '1h02m'."""
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


# -- finding bundles --------------------------------------------------------------------------------


def _bundles(root: Path) -> Iterator[Path]:
    if _is_run(root):
        yield root
        return
    seen = 0
    stack = [(root, 0)]
    found = []
    while stack and seen < MAX_FOLDERS:
        folder, depth = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
                continue
            seen += 1
            path = Path(entry.path)
            if _is_run(path):
                found.append(path)  # a bundle holds no other run: seqtui never writes a folder into one
            elif depth + 1 < MAX_DEPTH:
                stack.append((path, depth + 1))
    yield from sorted(found)


def _is_run(path: Path) -> bool:
    if catalog.is_shipped(path) or not ((path / MANIFEST).is_file() or (path / bundle.META).is_file()):
        return False
    return RunDir(path).is_bundle()


def _name(path: Path, root: Path) -> str:
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        return path.name
    return rel if rel != "." else path.name


# -- reading one bundle -----------------------------------------------------------------------------


def _state(run: RunDir, manifest: Manifest) -> State:
    if lock.owner(run.path) is not None:
        return "running"
    if manifest.ended is None:
        return "stopped"
    return "finished" if manifest.ended.reason == "finished" else "early-stopped"


def _evaluation(path: Path) -> dict[str, Any]:
    return saved.read_json_object(path / bundle.EVALUATION) or {}


def _data(split: Split | None) -> str:
    if split is None:
        return ""
    names = [Path(f).name for f in split.files[:3]]
    return ", ".join(names) + (f" +{len(split.files) - 3}" if len(split.files) > 3 else "")


def _reason(e: BundleError, path: Path) -> str:
    """The error's line without the run's folder (the row names the run) and without the advice."""
    text = str(e).splitlines()[0].split("; ")[0]
    return text.removeprefix(f"{path}{os.sep}")[:160]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _float(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else None
