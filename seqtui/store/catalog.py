"""Which model answers: the user's own, one they name, or the model shipped inside the package.

The shipped models live in `seqtui/shipped/<name>/` (package data, so they work from any folder and
any install). Their manifest carries `"shipped": true`, and training never writes into them
(`seqtui.rundir` refuses). Until a user has trained a model into model_dir, every command that
reads a model uses the shipped default.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seqtui.errors import BundleError
from seqtui.store import bundle

SHIPPED_ROOT = Path(__file__).resolve().parents[1] / "shipped"
DEFAULT = "en-fr"


@dataclass(frozen=True)
class ModelChoice:
    """A model folder and the words that tell a user which model it is."""

    path: Path
    label: str
    shipped: bool = False


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


def _shipped_choice(name: str) -> ModelChoice:
    return ModelChoice(shipped()[name], f"the shipped {name} model", True)


def choose(model_dir: Path, requested: str | Path | None = None, explicit_dir: bool = False) -> ModelChoice:
    """The model a command should use.

    Args:
        model_dir: the config's model_dir (where the user's own training writes).
        requested: `--model NAME_OR_DIR`: a folder, a shipped model's name, or a run beside model_dir.
        explicit_dir: model_dir was given on the command line: use it, never fall back.

    Raises:
        BundleError: a requested model that does not exist.
    """
    if requested is not None:
        return _requested(str(requested), Path(model_dir))
    if explicit_dir or bundle.exists(model_dir):
        return ModelChoice(Path(model_dir), f"your model in {model_dir}")
    if DEFAULT in shipped():
        return _shipped_choice(DEFAULT)
    return ModelChoice(Path(model_dir), f"your model in {model_dir}")  # bundle.load says what is missing


def _requested(name: str, model_dir: Path) -> ModelChoice:
    path = Path(name).expanduser()
    if path.is_dir():
        return _shipped_choice(path.resolve().name) if is_shipped(path) else ModelChoice(path, f"the model in {path}")
    if name in shipped():
        return _shipped_choice(name)
    beside = model_dir.parent / name
    if "/" not in name and bundle.exists(beside):
        return ModelChoice(beside, f"the model in {beside}")
    known = sorted(shipped()) + sorted(p.name for p in model_dir.parent.glob("*") if bundle.exists(p))
    raise BundleError(f"no model named {name!r}: pass a model folder, or one of: {', '.join(known) or 'none yet'}")


@dataclass(frozen=True)
class Request:
    """What a command was asked to use: `--model NAME_OR_DIR`, or `--model-dir` given explicitly, or neither.

    Kept as a request, not a folder, so a long-lived REPL switches to the user's model as soon as
    training writes one.
    """

    name: str | None = None
    explicit_dir: bool = False

    def choose(self, model_dir: Path) -> ModelChoice:
        return choose(model_dir, self.name, self.explicit_dir)
