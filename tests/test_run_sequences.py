"""A property over whole sequences of what users do to a run folder: train, resume, stop mid-epoch,
copy the folder, delete its checkpoints, start fresh. Whatever the order, a model the user had is
never lost, nor replaced by a worse one, unless they asked for --fresh.

The runs overfit (val_loss is lowest around epoch 6, then rises), so many epochs are worse than the
model already saved, and the model file itself is scored: a saver that kept a worse epoch fails."""

import shutil
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from seqtui import config
from seqtui.events import BatchEnded
from seqtui.model.weights import read_keras_file
from seqtui.records import Monitor
from seqtui.report.evaluation import evaluate
from seqtui.store import bundle
from seqtui.train import training
from tests.conftest import OVERFIT, TINY_FLAGS, write_corpus

pytestmark = [pytest.mark.filterwarnings("ignore"), pytest.mark.soak]  # dozens of training sessions


class RunFolder(RuleBasedStateMachine):
    """The folder `here` and what the user is owed in it: the best val_loss of the model they have."""

    @initialize()
    def start(self) -> None:
        import tempfile

        self.root = Path(tempfile.mkdtemp(prefix="seqtui-seq-"))
        self.corpus = write_corpus(self.root / "tiny.txt")
        self.here = self.root / "m"
        self.owed: float | None = None  # the best val_loss of the model in `here`, once there is one
        self.epochs = 0

    def cfg(self, epochs: int):
        return config.load(None, {"train_dir": self.corpus, "model_dir": self.here, **TINY_FLAGS, **OVERFIT,
                                  "epochs": epochs})

    def best(self) -> float | None:
        found = Monitor.of("val_loss").best_of(bundle.read_history(self.here))
        return found.val_loss if found else None

    def done(self) -> int:
        history = bundle.read_history(self.here)
        return history[-1].epoch if history else 0

    @rule(epochs=st.integers(1, 6))
    def resume_more_epochs(self, epochs: int) -> None:
        training.train(self.cfg(self.done() + epochs), resume=True)

    @rule(batch=st.integers(1, 3))
    def stop_mid_epoch(self, batch: int) -> None:
        stop = threading.Event()

        def listener(e):
            if isinstance(e, BatchEnded) and e.batch == batch:
                stop.set()

        training.train(self.cfg(self.done() + 1), listener, stop=stop, resume=True)

    @rule()
    def delete_checkpoints(self) -> None:
        shutil.rmtree(self.here / bundle.CKPT_DIR, ignore_errors=True)

    @rule()
    def copy_elsewhere_and_back(self) -> None:
        if self.here.exists():
            copy = self.root / "copy"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(self.here, copy, ignore=shutil.ignore_patterns(bundle.CKPT_DIR))
            shutil.rmtree(self.here)
            copy.rename(self.here)

    @rule()
    def fresh(self) -> None:
        training.train(self.cfg(1), fresh=True)
        self.owed = None  # asked for: the old model may go

    @invariant()
    def the_model_is_kept_and_never_worse(self) -> None:
        if not hasattr(self, "here"):
            return
        if self.owed is not None:
            assert bundle.exists(self.here), "the model was lost"
            read_keras_file(self.here / bundle.MODEL)
            assert self.best() is not None and self.best() <= self.owed + 1e-9, "a worse model replaced it"
            # and the file holds that model: it scores the history's best val_loss, not a later epoch's
            assert evaluate(self.here).loss == pytest.approx(self.best(), rel=1e-4), "model.keras is another epoch"
        history = bundle.read_history(self.here)
        assert [r.epoch for r in history] == list(range(1, len(history) + 1))
        if bundle.exists(self.here):
            self.owed = self.best() if self.owed is None else min(self.owed, self.best())

    def teardown(self) -> None:
        if hasattr(self, "root"):
            shutil.rmtree(self.root, ignore_errors=True)


RunFolder.TestCase.settings = settings(max_examples=4, stateful_step_count=5, deadline=None,
                                       suppress_health_check=list(HealthCheck))
test_no_sequence_of_actions_loses_a_model = RunFolder.TestCase
