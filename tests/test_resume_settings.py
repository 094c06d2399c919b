"""A resumed run keeps its own settings: the epoch target and patience it started with (not ./sequencer.toml's,
not the defaults), unless a flag changes them, and then it says so."""

import shutil
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seqtui import config
from seqtui.cli import app
from seqtui.events import EpochEnded, TrainingStarted
from seqtui.store import bundle
from seqtui.store.resume import resume_config
from seqtui.store.rundir import RunDir
from seqtui.train import training
from tests.conftest import TINY_FLAGS, write_corpus

runner = CliRunner()
NOW = {k: v for k, v in TINY_FLAGS.items() if k not in ("epochs", "patience")}  # the defaults: 100 and 10


def flat(text: str) -> str:
    return " ".join(text.split())


class StopAfterOneEpoch:
    """A listener that asks training to stop once an epoch has ended, and keeps what it heard."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.events: list = []

    def __call__(self, event) -> None:
        self.events.append(event)
        if isinstance(event, EpochEnded):
            self.stop.set()

    @property
    def started(self) -> TrainingStarted:
        return next(e for e in self.events if isinstance(e, TrainingStarted))


@pytest.fixture(scope="module")
def stopped_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`train --epochs 6 --patience 4`, stopped after its first epoch."""
    root = tmp_path_factory.mktemp("stopped")
    cfg = config.load(None, {"train_dir": write_corpus(root / "tiny.txt"), "model_dir": root / "run", **NOW,
                             "epochs": 6, "patience": 4})
    first = StopAfterOneEpoch()
    ended = training.train(cfg, first, stop=first.stop)
    assert ended.reason == "stopped" and ended.epochs_done == 1
    return cfg.model_dir


def copied(run: Path, tmp_path: Path) -> Path:
    shutil.copytree(run, tmp_path / "run")
    return tmp_path / "run"


def test_resume_keeps_the_epoch_target_the_run_started_with(stopped_run, tmp_path):
    run = copied(stopped_run, tmp_path)
    now = config.load(None, {"model_dir": run, **NOW})
    assert now.epochs == 100  # what a resume used to take: the config file's or the default
    again = StopAfterOneEpoch()
    training.train(now, again, stop=again.stop, resume=True, flags={})  # what `train --resume` passes
    assert (again.started.first_epoch, again.started.epochs) == (2, 6)
    assert RunDir(run).manifest().epochs == 6  # and it is not rewritten to 100 for the next resume
    assert "as asked" not in again.started.note


def test_resume_keeps_the_patience_unless_a_flag_changes_it(stopped_run):
    now = config.load(None, {"model_dir": stopped_run, **NOW})
    assert now.patience == 10
    kept, note = resume_config(stopped_run, now, {"patience": None, "epochs": None})
    assert (kept.epochs, kept.patience, note) == (6, 4, "")
    changed, note = resume_config(stopped_run, now.replace(patience=0), {"patience": 0})
    assert changed.patience == 0 and "patience 4 → 0" in note and "epochs" not in note


def test_a_caller_without_flags_gets_the_settings_it_built(stopped_run):
    now = config.load(None, {"model_dir": stopped_run, **NOW, "epochs": 9})
    cfg, note = resume_config(stopped_run, now)  # the Python API: `now` was built for the resumed training
    assert (cfg.epochs, cfg.patience) == (9, 10) and "epochs 6 → 9" in note and "patience 4 → 10" in note


def test_a_flag_the_resume_cannot_honour_is_named(stopped_run):
    now = config.load(None, {"model_dir": stopped_run, **NOW, "latent_dim": 64})
    cfg, note = resume_config(stopped_run, now, {"latent_dim": 64})
    assert cfg.latent_dim == TINY_FLAGS["latent_dim"] and "ignored --latent-dim (the run's is 32)" in note


def test_train_resume_with_epochs_changes_the_target_and_says_so(stopped_run, tmp_path):
    run = copied(stopped_run, tmp_path)
    result = runner.invoke(app, ["train", "--resume", "--model-dir", str(run), "--epochs", "2", "--no-samples"])
    assert result.exit_code == 0, result.output
    said = flat(result.output)
    assert "epochs 6 → 2 (as asked)" in said and "Resuming at epoch 2 of 2." in said
    assert [r.epoch for r in bundle.read_history(run)] == [1, 2]


def test_resume_of_a_finished_run_is_complete_whatever_the_config_file_says(trained_bundle, tmp_path):
    run = copied(trained_bundle, tmp_path)
    watch = StopAfterOneEpoch()  # were it to train on, it would stop after one epoch: the test stays short
    ended = training.train(config.load(None, {"model_dir": run, **NOW}), watch, stop=watch.stop, resume=True,
                           flags={})
    assert ended.reason == "complete" and "complete (3 epochs)" in ended.note
