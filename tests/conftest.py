"""Shared fixtures: a tiny corpus, a tiny trained bundle (trained once per session), the shared data."""

from __future__ import annotations

import os
from pathlib import Path

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


@pytest.fixture(scope="session")
def trained_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model folder holding a tiny model trained for 3 epochs (trained once per test session)."""
    from seqtui import config
    from seqtui.train import training

    root = tmp_path_factory.mktemp("bundle")
    corpus = write_corpus(root / "tiny.txt")
    cfg = config.load(None, {"train_dir": corpus, "model_dir": root / "models", **TINY_FLAGS})
    training.train(cfg)
    return root / "models"


@pytest.fixture
def shared_corpus() -> Path:
    """The 76k-pair corpus beside the repo; tests using it skip cleanly when it is absent."""
    if not FRA.is_file():
        pytest.skip("../shared/data/fra-eng/fra.txt is not present")
    return FRA


@pytest.fixture(scope="session")
def attention_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model folder holding a tiny attention model (with dropout) trained for 2 epochs, once per session."""
    from seqtui import config
    from seqtui.train import training

    root = tmp_path_factory.mktemp("attention")
    corpus = write_corpus(root / "tiny.txt")
    cfg = config.load(None, {"train_dir": corpus, "model_dir": root / "models", **TINY_FLAGS, "epochs": 2,
                             "architecture": "attention", "dropout": 0.1})
    training.train(cfg)
    return root / "models"
