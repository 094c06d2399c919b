"""Promises that only fail at one exact moment or with one exact mix-up, so ordinary runs never test them:
a crash between a checkpoint and the pointer naming it, and a run weighed against the shipped model of
another direction."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from seqtui import atomic, config
from seqtui.events import Event, TrainingStarted
from seqtui.records import last_marked
from seqtui.store import bundle, catalog
from seqtui.store.rundir import RunDir
from seqtui.store.saved import Comparison
from seqtui.train import compare, training
from tests.conftest import TINY_FLAGS, TINY_PAIRS

# -- a crash between the two writes of a checkpoint -----------------------------------------------------


class Killed(BaseException):
    """The process dies here: like SIGKILL, nothing after this point runs and no handler catches it."""


def die_publishing(monkeypatch: pytest.MonkeyPatch, fatal: Callable[[Path], bool]) -> list[Path]:
    """Make the first atomic write whose final name `fatal` picks die just before that name appears; the
    names it died on are returned (a list, filled in later)."""
    real = atomic._staged
    died: list[Path] = []

    @contextlib.contextmanager
    def staged(target: Path, suffix: str, publish: Callable[[Path, Path], None]) -> Iterator[Path]:
        def publish_or_die(tmp: Path, final: Path) -> None:
            if not died and fatal(Path(final)):
                died.append(Path(final))
                raise Killed
            publish(tmp, final)

        with real(target, suffix, publish_or_die) as tmp:
            yield tmp

    monkeypatch.setattr(atomic, "_staged", staged)
    return died


DIES_PUBLISHING = {
    "the checkpoint file": lambda p: p.parent.name == bundle.CKPT_DIR and p.suffix == ".keras",
    "its pointer": lambda p: p.parent.name == bundle.CKPT_DIR and p.name == bundle.CKPT_POINTER,
}


@pytest.mark.parametrize("dies", sorted(DIES_PUBLISHING))
def test_a_crash_while_a_checkpoint_is_written_resumes_from_the_last_good_one(
        trained_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dies: str) -> None:
    """The checkpoint file is complete before latest.json names it: a process killed between the two leaves
    the pointer on the previous checkpoint, and --resume continues from there."""
    run = tmp_path / "m"
    shutil.copytree(trained_bundle, run)  # 3 epochs, its checkpoint that of epoch 3
    cfg = config.load(None, {"train_dir": trained_bundle.parent / "tiny.txt", "model_dir": run, **TINY_FLAGS,
                             "epochs": 4})
    died = die_publishing(monkeypatch, DIES_PUBLISHING[dies])
    with pytest.raises(Killed):
        training.train(cfg, resume=True)
    assert [p.parent for p in died] == [run / bundle.CKPT_DIR]  # it died writing epoch 4's checkpoint
    monkeypatch.undo()

    last = bundle.read_checkpoint(run)  # a pointer to a file not yet there: BundleError
    assert last is not None and last.epoch == 3 and last.path.is_file()
    events: list[Event] = []
    ended = training.train(cfg, events.append, resume=True)
    started = next(e for e in events if isinstance(e, TrainingStarted))
    assert (started.start, started.first_epoch) == ("checkpoint", 4)
    assert ended.epochs_done == 4 and [r.epoch for r in bundle.read_history(run)] == [1, 2, 3, 4]
    assert bundle.read_checkpoint(run).epoch == 4  # type: ignore[union-attr]


# -- the shipped model of the run's own direction ---------------------------------------------------------


def test_a_run_compared_with_en_fr_is_passed_over_once_its_config_trains_french_to_english(
        trained_bundle: Path, tmp_path: Path) -> None:
    """A win recorded against en-fr says nothing about fr-en: with `reverse = true` fr-en answers until
    the run is compared with fr-en itself."""
    mine = tmp_path / "models" / "my-run"
    shutil.copytree(trained_bundle, mine)
    best = last_marked(bundle.read_history(mine)).epoch  # type: ignore[union-attr]  # what model.keras holds
    RunDir(mine).record_comparison(Comparison("en-fr", best, 8, 99.0, 1.0))
    assert catalog.choose(mine).path == mine  # the win counts for the direction it was measured in
    reversed_choice = catalog.choose(mine, reverse=True)
    assert reversed_choice.path == catalog.shipped()["fr-en"]
    assert "has not been compared with fr-en" in reversed_choice.passed_over
    RunDir(mine).record_comparison(Comparison("fr-en", best, 8, 99.0, 1.0))
    assert catalog.choose(mine, reverse=True).path == mine


def test_a_french_to_english_run_is_scored_against_the_shipped_fr_en_model(trained_bundle: Path,
                                                                         tmp_path: Path) -> None:
    """The comparison decodes the validation pairs with fr-en, not en-fr: the shipped models of the two
    directions score these French sentences far apart."""
    mine = tmp_path / "rev"
    shutil.copytree(trained_bundle, mine)
    best = bundle.read_history(mine)[-1]
    french_first = [(fr, en) for en, fr in TINY_PAIRS]
    found = compare.compare_with_shipped(RunDir(mine), french_first, best, reverse=True)
    assert found is not None and found.against == "fr-en"
    pairs = compare.chrf_pairs(french_first)
    scores = {name: compare.chrf(bundle.load(path).engine(), pairs) for name, path in catalog.shipped().items()}
    assert scores["fr-en"] > scores["en-fr"] + 20  # the check below can tell the two apart
    assert found.other_chrf == pytest.approx(scores["fr-en"], abs=0.01)  # kept to two places
    kept = RunDir(mine).manifest().compared
    assert kept is not None and (kept.against, kept.other_chrf) == ("fr-en", pytest.approx(found.other_chrf, abs=0.01))
