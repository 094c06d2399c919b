"""A run's folder is read once into a `RunSnapshot`, and the resume policy decides on that reading alone."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pytest

from seqtui import config
from seqtui.errors import BundleError
from seqtui.store import bundle, resume, saved
from seqtui.store.snapshot import read_run
from seqtui.train import training
from tests.conftest import TINY_FLAGS
from tests.runs_fixtures import write_run

PACKAGE = Path(__file__).resolve().parents[1] / "seqtui"


def with_checkpoint(run: Path, epoch: int = 1) -> Path:
    name = bundle.checkpoint_name(epoch, 0)
    (run / bundle.CKPT_DIR).mkdir()
    (run / bundle.CKPT_DIR / name).write_bytes(b"")
    (run / bundle.CKPT_DIR / bundle.CKPT_POINTER).write_text(json.dumps(saved.TrainingState(epoch).pointer(name)))
    return run


def test_the_plan_is_decided_on_the_folder_as_it_was_read(tmp_path: Path) -> None:
    """Catches a policy that reads a file again after the snapshot (its checkpoint, its config.json)."""
    run = with_checkpoint(write_run(tmp_path / "run", [3.0, 2.0], epochs=10))
    seen = read_run(run)
    shutil.rmtree(run / bundle.CKPT_DIR)  # what happens on disk after the reading does not count
    (run / saved.META).write_text("{")
    plan = resume.plan(seen, config.load(None, {"model_dir": run}), resume=True, fresh=False, flags={})
    assert (plan.start, plan.epoch, plan.complete) == ("checkpoint", 1, False)
    assert plan.cfg is not None and plan.cfg.epochs == 10 and plan.cfg.latent_dim == 32  # the run's own settings
    assert plan.meta is not None and plan.meta.config.latent_dim == 32
    assert plan.vocabs is not None and plan.vocabs[0].to_list() == ["a", "b"]


def test_a_damaged_file_stops_only_the_decisions_that_need_it(tmp_path: Path) -> None:
    """Catches a snapshot that raises for every damaged file while reading (--fresh discards config.json)."""
    run = write_run(tmp_path / "run", [3.0])
    (run / saved.META).write_text("[not json")
    seen = read_run(run)
    cfg = config.load(None, {"model_dir": run})
    fresh = resume.plan(seen, cfg, resume=False, fresh=True)
    assert fresh.start == "new" and fresh.clear
    with pytest.raises(BundleError, match=r"config\.json: cannot be read"):
        resume.plan(seen, cfg, resume=True, fresh=False)


def test_a_resumed_start_reads_each_saved_file_once(trained_bundle: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches the start of a session reading config.json or vocab.json again after the plan (the settings, the
    vocabularies, the data check each read it once before)."""
    run = tmp_path / "run"
    shutil.copytree(trained_bundle, run)
    reads: list[str] = []
    for name in ("read_meta", "read_vocabs", "read_checkpoint"):
        real = getattr(saved, name)
        monkeypatch.setattr(saved, name, lambda path, real=real, name=name: reads.append(name) or real(path))
    cfg = config.load(None, {"train_dir": trained_bundle.parent / "tiny.txt", "model_dir": run, **TINY_FLAGS})
    ended = training.train(cfg, resume=True)  # its 3 epochs are done: complete, nothing trained
    assert ended.reason == "complete"
    assert sorted(reads) == ["read_checkpoint", "read_meta", "read_vocabs"]


def _imports(module: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


@pytest.mark.parametrize("module", ["store/resume.py", "store/snapshot.py"])
def test_the_policy_and_the_snapshot_never_import_the_folders_owner(module: str) -> None:
    """Catches the circle back: `seqtui.store.rundir` calls the policy, so the policy never imports it (not even
    for type checking)."""
    assert "seqtui.store.rundir" not in _imports(PACKAGE / module)
