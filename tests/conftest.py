"""Shared fixtures: a tiny corpus, a tiny trained bundle (trained once per session), the shared data."""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FRA = SHARED / "data" / "fra-eng" / "fra.txt"

TINY_PAIRS = [
    ("Go.", "Va !"), ("Hi.", "Salut !"), ("Run!", "Cours !"), ("Wow!", "Ça alors !"), ("Fire!", "Au feu !"),
    ("Help!", "À l'aide !"), ("Stop!", "Arrête !"), ("Wait!", "Attends !"), ("I see.", "Je comprends."),
    ("I try.", "J'essaye."), ("I won!", "J'ai gagné !"), ("Oh no!", "Oh non !"), ("Relax.", "Détends-toi."),
    ("Smile.", "Souris."), ("Attack!", "Attaque !"), ("Get up.", "Lève-toi."), ("Go now.", "Va maintenant."),
    ("Got it!", "Compris !"), ("He ran.", "Il a couru."), ("Hop in.", "Monte."), ("Hug me.", "Serre-moi."),
    ("I fell.", "Je suis tombé."), ("I know.", "Je sais."), ("I left.", "Je suis parti."),
    ("I lied.", "J'ai menti."), ("I lost.", "J'ai perdu."), ("I'm 19.", "J'ai 19 ans."), ("I'm OK.", "Je vais bien."),
    ("Listen.", "Écoute."), ("No way!", "Pas question !"), ("Really?", "Vraiment ?"), ("Thanks.", "Merci."),
    ("We try.", "On essaye."), ("We won.", "Nous avons gagné."), ("Ask Tom.", "Demande à Tom."),
    ("Be calm.", "Sois calme."), ("Be fair.", "Sois juste."), ("Be kind.", "Sois gentil."),
    ("Be nice.", "Sois gentille."), ("Beat it.", "Dégage !"),
]


def write_corpus(path: Path, pairs: list[tuple[str, str]] = TINY_PAIRS) -> Path:
    path.write_text("".join(f"{s}\t{t}\n" for s, t in pairs), encoding="utf-8")
    return path


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """A 40-pair English-French corpus file."""
    return write_corpus(tmp_path / "tiny.txt")


TINY_FLAGS = {"latent_dim": 32, "embedding_dim": 16, "batch_size": 8, "epochs": 3, "val_split": 0.2,
              "num_samples": 0, "patience": 0, "seed": 7,
              "jit_compile": "false",  # XLA's compile time would dominate such tiny runs
              # Pinned, so tests do not follow the tuning of ./sequencer.toml (which config.load reads):
              "architecture": "seq2seq", "optimizer": "rmsprop", "learning_rate": 0.0, "monitor": "val_loss",
              "precision": "float32", "beam": 1}


def cli_flags(settings: dict) -> list[str]:
    """Config settings as `seqtui train` flags (`--reverse`/`--no-reverse` for booleans)."""
    out: list[str] = []
    for key, value in settings.items():
        name = key.replace("_", "-")
        out += ([f"--{name}" if value else f"--no-{name}"] if isinstance(value, bool) else [f"--{name}", str(value)])
    return out


def session_folder(factory: pytest.TempPathFactory) -> Path:
    """A folder every worker of this test session sees: pytest-xdist gives each worker its own basetemp
    inside one folder of the session's own."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def trained_once(factory: pytest.TempPathFactory, name: str, **settings: Any) -> Path:
    """The model folder of toy run `name`, trained on the tiny corpus once for the whole session, however many
    workers ask for it; tests only read it (a test that changes a run copies it first).

    The run's TrainingEnded event is kept beside it as `ended.json`, since other workers never see it.
    """
    from seqtui import config
    from seqtui.events import TrainingEnded
    from seqtui.train import training

    root = session_folder(factory) / "toy-runs" / name
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker training the same run: wait for it
        if not (root / "ended.json").exists():
            corpus = write_corpus(root / "tiny.txt")
            cfg = config.load(None, {"train_dir": corpus, "model_dir": root / "models", **TINY_FLAGS, **settings})
            ended = training.train(cfg)
            assert isinstance(ended, TrainingEnded)
            record = {**dataclasses.asdict(ended), "best_text": ended.best_text()}
            (root / "ended.json").write_text(json.dumps(record))
    return root / "models"


def ended_of(model_dir: Path) -> dict[str, Any]:
    """What the TrainingEnded event of a `trained_once` run said."""
    return json.loads((model_dir.parent / "ended.json").read_text())


@pytest.fixture(scope="session")
def trained_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model folder holding a tiny model trained for 3 epochs (RMSprop's default rate: it improves every epoch,
    and stays near-uniform); the corpus it was trained on is `tiny.txt` beside it."""
    return trained_once(tmp_path_factory, "seq2seq-3")


# Adam at 0.05 fits the 32 training pairs (training loss 3.7 -> 0.5) while val_loss is lowest at epoch 6:
# model.keras holds an epoch ten before the last, so whether it holds the best one is a real question.
OVERFIT = {"epochs": 16, "optimizer": "adam", "learning_rate": 0.05}


@pytest.fixture(scope="session")
def overfit_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model folder whose tiny seq2seq model learnt its training pairs and whose best epoch (by val_loss) is
    not its last."""
    return trained_once(tmp_path_factory, "seq2seq-overfit", **OVERFIT)


@pytest.fixture(scope="session")
def chrf_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model folder of a run monitored by val_chrf whose best epoch (6 of 8) is not its last."""
    return trained_once(tmp_path_factory, "seq2seq-chrf", epochs=8, optimizer="adam", learning_rate=0.02,
                        monitor="val_chrf")


@pytest.fixture
def shared_corpus() -> Path:
    """The 76k-pair corpus beside the repo; tests using it skip cleanly when it is absent."""
    if not FRA.is_file():
        pytest.skip("../shared/data/fra-eng/fra.txt is not present")
    return FRA


@pytest.fixture(scope="session")
def attention_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model folder holding a tiny attention model (with dropout) that learnt its training pairs."""
    return trained_once(tmp_path_factory, "attention-trained", epochs=16, optimizer="adam", learning_rate=0.03,
                        architecture="attention", dropout=0.1)


def assert_translates_as_trained(model_dir: Path, epoch: Any) -> None:
    """The saved model translates an epoch's sample sentences exactly as the trainer's in-memory weights did
    at that epoch's end (`epoch`: its EpochEnded). Catches a model.keras saved from other weights (another
    epoch, the averaged or the raw ones) and weights or vocabularies read back wrong."""
    from seqtui.api import load

    assert epoch.samples, "the epoch reported no samples to compare"
    translator = load(model_dir)
    assert [translator.translate(source) for source, _, _ in epoch.samples] == [h for _, _, h in epoch.samples]
