"""A property over whole sequences of what users do to a run folder: train, resume, stop mid-epoch,
copy the folder, delete its checkpoints, start fresh. Whatever the order, a model the user had is
never lost, nor replaced by a worse one, unless they asked for --fresh."""

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
from seqtui.store import bundle
from seqtui.train import training
from tests.conftest import TINY_FLAGS, write_corpus

pytestmark = pytest.mark.filterwarnings("ignore")


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
        return config.load(None, {"train_dir": self.corpus, "model_dir": self.here, **TINY_FLAGS, "epochs": epochs})

    def best(self) -> float | None:
        found = Monitor.of("val_loss").best_of(bundle.read_history(self.here))
        return found.val_loss if found else None

    def done(self) -> int:
        history = bundle.read_history(self.here)
        return history[-1].epoch if history else 0

    @rule()
    def resume_one_more_epoch(self) -> None:
        training.train(self.cfg(self.done() + 1), resume=True)

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
