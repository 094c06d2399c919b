"""Same config, same seed, same data: the same numbers, whether a run starts from scratch or from a
bundle's weights (`--init-from`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TINY_FLAGS, trained_once

from seqtui import config
from seqtui.store import bundle
from seqtui.train import training


def _first_epoch(corpus: Path, model_dir: Path, init_from: Path | None) -> tuple[float, float]:
    cfg = config.load(None, {"train_dir": corpus, "model_dir": model_dir, **TINY_FLAGS, "epochs": 1})
    training.train(cfg, init_from=init_from)
    record = bundle.read_history(model_dir)[0]
    return record.loss, record.val_loss


@pytest.fixture(scope="session")
def dropout_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model with dropout (which a run started from it keeps, as an architecture setting)."""
    return trained_once(tmp_path_factory, "seq2seq-dropout-1", epochs=1, dropout=0.3)


def test_two_runs_from_the_same_weights_give_the_same_first_epoch(dropout_bundle, tiny_corpus, tmp_path):
    """Dropout draws its masks from the seed on the --init-from path too, not only when the model is built."""
    first = _first_epoch(tiny_corpus, tmp_path / "a", dropout_bundle)
    # something between the runs draws from the global generators, as a long-lived process does
    import random

    import numpy as np

    random.random(), np.random.rand()
    second = _first_epoch(tiny_corpus, tmp_path / "b", dropout_bundle)
    assert first == second
