"""Which model answers: the user's own, one they name, or the model shipped inside the package.

The shipped models live in `seqtui/shipped/<name>/` (package data, so they work from any folder and
any install). Their manifest carries `"shipped": true`, and training never writes into them
(`seqtui.rundir` refuses).

The rule (docs/which-model.md), decided in `choose` alone: a model the user names answers.
Otherwise the run in model_dir answers once its saved model beats the shipped model's chrF on the
run's own validation pairs, as scored when its last training session ended (`Comparison`, kept in
the run's manifest); until then the shipped model answers, and the choice says why the run was passed
over and how to choose it. Which shipped model stands beside the run follows the direction the
config trains: en-fr, or fr-en for `reverse = true` (`counterpart`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seqtui.errors import BundleError
from seqtui.records import Monitor, last_marked
from seqtui.store import bundle, saved
from seqtui.store.saved import Comparison, Manifest

SHIPPED_ROOT = Path(__file__).resolve().parents[1] / "shipped"
DEFAULT = "en-fr"
REVERSED = "fr-en"


def counterpart(reverse: bool) -> str:
    """The shipped model that answers in a config's direction, and that its runs are compared with."""
    return REVERSED if reverse else DEFAULT


@dataclass(frozen=True)
class ModelChoice:
    """A model folder, the words that tell a user which model it is, and how far it is trained.

    Attributes:
        path: the model folder.
        label: which model ("your model in models/my-run", "the shipped en-fr model").
        shipped: one of the shipped models.
        progress: how far it is trained ("5 of 100 epochs, best val_chrf 31.20 at epoch 5").
        passed_over: why the user's run in model_dir does not answer, and how to choose it ("" when it does
            or there is none).
    """

    path: Path
    label: str
    shipped: bool = False
    progress: str = ""
    passed_over: str = ""

    def describe(self) -> str:
        """The label with the progress: what every command prints as the model that answers."""
        return f"{self.label} ({self.progress})" if self.progress else self.label


def shipped() -> dict[str, Path]:
    """The models shipped with seqtui, by name."""
    if not SHIPPED_ROOT.is_dir():
        return {}
    return {p.name: p for p in sorted(SHIPPED_ROOT.iterdir()) if bundle.exists(p)}


def is_shipped(path: Path) -> bool:
    """Whether `path` is one of the shipped models' folders."""
    try:
        return Path(path).resolve().parent == SHIPPED_ROOT
    except OSError:
        return False


def _shipped_choice(name: str, passed_over: str = "") -> ModelChoice:
    path = shipped()[name]
    return ModelChoice(path, f"the shipped {name} model", True, progress(path, count_epochs=False),
                       passed_over)


def _folder_choice(path: Path, label: str) -> ModelChoice:
    return ModelChoice(path, label, False, progress(path))


def choose(model_dir: Path, requested: str | Path | None = None, explicit_dir: bool = False,
           reverse: bool = False) -> ModelChoice:
    """The model a command should use: the one asked for, else the run in model_dir if it has beaten the
    shipped model on its own validation pairs, else the shipped model (saying why the run was passed over).

    Args:
        model_dir: the config's model_dir (where the user's own training writes).
        requested: `--model NAME_OR_DIR`: a folder, a shipped model's name, or a run beside model_dir.
        explicit_dir: model_dir was given on the command line: use it, never fall back.
        reverse: the config trains French -> English: the shipped fr-en model stands beside the run (with
            none shipped, the run answers, or says it is missing).

    Raises:
        BundleError: a requested model that does not exist.
    """
    model_dir = Path(model_dir)
    if requested is not None:
        return _requested(str(requested), model_dir)
    yours = _folder_choice(model_dir, f"your model in {model_dir}")
    beside = counterpart(reverse)
    if explicit_dir or beside not in shipped():
        return yours  # with no model there, bundle.load says what is missing
    if not bundle.exists(model_dir):
        return _shipped_choice(beside)
    why = passed_over(model_dir, beside)
    return _shipped_choice(beside, why) if why else yours


def passed_over(model_dir: Path, against: str = DEFAULT) -> str:
    """Why the run in model_dir does not answer in the shipped model `against`'s place ("" when it does)."""
    comparison = _manifest(model_dir).compared
    best = _best_epoch(model_dir)
    how = f"--model {model_dir} chooses it"
    if comparison is None or comparison.against != against or comparison.epoch != best:
        return (f"your run in {model_dir} is passed over: it has not been compared with {against} since its best "
                f"epoch was saved (every training session ends with that, `seqtui train --resume` too); {how}")
    if comparison.wins:
        return ""
    return (f"your run in {model_dir} is passed over: chrF {comparison.chrf:.2f} on {comparison.pairs} of its own "
            f"validation pairs against {against}'s {comparison.other_chrf:.2f} (it answers once it beats "
            f"{against}); {how}")


def verdict(model_dir: Path, found: Comparison) -> str:
    """What a comparison just made means for which model answers, in one sentence."""
    scores = f"chrF {found.chrf:.2f} against {found.other_chrf:.2f} on {found.pairs} of its validation pairs"
    if found.wins:
        return (f"Your run in {model_dir} beats the shipped {found.against} model ({scores}): it answers instead of "
                f"{found.against} from now on (as model_dir, or with --model {model_dir}).")
    return (f"Your run in {model_dir} does not beat the shipped {found.against} model yet ({scores}): "
            f"{found.against} answers until it does; --model {model_dir} chooses yours.")


def progress(path: Path, count_epochs: bool = True) -> str:
    """How far the model in `path` is trained: its epochs (of the run's target) and its best score."""
    history = bundle.read_history(path)
    if not history:
        return ""
    try:
        cfg = saved.read_meta(path).config
    except BundleError:  # loading the model says what is wrong; here it only costs the details
        return f"{history[-1].epoch} epochs"
    monitor = Monitor.of(cfg.monitor)
    best = monitor.best_of(history)
    target = _manifest(path).epochs or cfg.epochs
    done = history[-1].epoch
    epochs = f"{done} of {target} epochs" if target >= done else f"{done} epochs"
    score = monitor.score(best) if best is not None else None
    if score is None:
        return epochs if count_epochs else ""
    scored = f"best {monitor.name} {score:.2f}" + (f" at epoch {best.epoch}" if count_epochs and best else "")
    return f"{epochs}, {scored}" if count_epochs else scored


def _best_epoch(model_dir: Path) -> int | None:
    """The epoch whose weights model.keras holds, as the history marks it."""
    marked = last_marked(bundle.read_history(model_dir))
    return marked.epoch if marked else None


def _manifest(path: Path) -> Manifest:
    """seqtui.json; a damaged one counts as none (the run is then passed over until it trains again)."""
    try:
        return saved.read_manifest(path)
    except BundleError:
        return Manifest()


def _requested(name: str, model_dir: Path) -> ModelChoice:
    path = Path(name).expanduser()
    if path.is_dir():
        if is_shipped(path):
            return _shipped_choice(path.resolve().name)
        return _folder_choice(path, f"the model in {path}")
    if name in shipped():
        return _shipped_choice(name)
    beside = model_dir.parent / name
    if "/" not in name and bundle.exists(beside):
        return _folder_choice(beside, f"the model in {beside}")
    known = names(model_dir)
    raise BundleError(f"no model named {name!r}: pass a model folder, or one of: {', '.join(known) or 'none yet'}")


def names(model_dir: Path) -> list[str]:
    """What `--model NAME` accepts besides a folder: the shipped models, then the runs beside model_dir."""
    return sorted(shipped()) + sorted(p.name for p in model_dir.parent.glob("*") if bundle.exists(p))


@dataclass(frozen=True)
class Request:
    """What a command was asked to use: `--model NAME_OR_DIR`, or `--model-dir` given explicitly, or neither.

    Kept as a request, not a folder, so a long-lived REPL switches to the user's model as soon as
    training writes one that beats the shipped model.
    """

    name: str | None = None
    explicit_dir: bool = False
    reverse: bool = False  # the config's direction: which shipped model stands beside the run

    def choose(self, model_dir: Path) -> ModelChoice:
        return choose(model_dir, self.name, self.explicit_dir, self.reverse)
