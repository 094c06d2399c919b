"""The run folder's owner: whose files a folder holds, the one resume policy, the data fingerprint, and
what is never written (foreign folders, non-finite weights) or never trusted (the checkpoint pointer)."""

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from seqtui import config
from seqtui.cli import app
from seqtui.errors import BundleError, SeqtuiError, TrainingFailed
from seqtui.events import BatchEnded, TrainingStarted
from seqtui.model.weights import read_keras_file
from seqtui.report.evaluation import evaluate
from seqtui.store import bundle
from seqtui.store.rundir import RunDir
from seqtui.train import training
from tests.conftest import OVERFIT, TINY_FLAGS, TINY_PAIRS, cli_flags, ended_of, write_corpus

runner = CliRunner()


def tiny(corpus: Path, model_dir: Path, **extra):
    return config.load(None, {"train_dir": corpus, "model_dir": model_dir, **TINY_FLAGS, **extra})


def train_args(corpus: Path, model_dir: Path, *extra: str) -> list[str]:
    flags = cli_flags({k: v for k, v in TINY_FLAGS.items()})
    return ["train", "--train-dir", str(corpus), "--model-dir", str(model_dir), "--no-samples", *flags, *extra]


def flat(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


# -- resume from what is there --------------------------------------------------------------------


def test_resume_of_a_model_without_checkpoint_continues_its_weights_and_says_so(overfit_bundle, tmp_path):
    m = tmp_path / "copied"
    shutil.copytree(overfit_bundle, m)
    shutil.rmtree(m / "checkpoint")  # a bundle copied without its checkpoints
    before = (m / "model.keras").read_bytes()
    trained = bundle.read_history(overfit_bundle)
    best = [r.epoch for r in trained if r.best][-1]
    assert best < len(trained)  # model.keras holds an earlier epoch than the last
    result = runner.invoke(app, train_args(overfit_bundle.parent / "tiny.txt", m, *cli_flags(OVERFIT),
                                           "--epochs", str(best + 2), "--resume"))
    assert result.exit_code == 0, result.output
    said = flat(result.output)
    assert "No checkpoint in" in said and f"continuing from model.keras (epoch {best}) with a new optimizer" in said
    assert f"the {len(trained) - best} later epoch(s) had no checkpoint and are trained again" in said
    history = bundle.read_history(m)
    assert [r.epoch for r in history] == list(range(1, best + 3))  # the model's epochs kept, two trained on top
    assert history[:best] == trained[:best]
    replaced = (m / "model.keras").read_bytes() != before
    assert replaced == any(r.best for r in history[best:])  # exactly when a new epoch beat the kept best


def test_resume_from_a_model_starts_from_its_weights_not_from_scratch(overfit_bundle, tmp_path):
    m = tmp_path / "copied"
    shutil.copytree(overfit_bundle, m)
    shutil.rmtree(m / "checkpoint")
    trained = bundle.read_history(overfit_bundle)
    best = [r.epoch for r in trained if r.best][-1]
    events = []
    training.train(tiny(overfit_bundle.parent / "tiny.txt", m, **{**OVERFIT, "epochs": best + 1}), events.append,
                   resume=True)
    started = next(e for e in events if isinstance(e, TrainingStarted))
    assert (started.start, started.first_epoch) == ("model", best + 1)
    first = next(e for e in events if isinstance(e, BatchEnded))
    assert first.loss < 0.8 * trained[0].loss  # its first batch already knows what the best epoch had learnt


def test_resume_with_nothing_there_starts_a_new_run_and_says_so(tmp_path, tiny_corpus):
    result = runner.invoke(app, train_args(tiny_corpus, tmp_path / "new", "--epochs", "1", "--resume"))
    assert result.exit_code == 0, result.output
    assert "starting a new run" in flat(result.output)
    assert [r.epoch for r in bundle.read_history(tmp_path / "new")] == [1]


def test_a_mid_epoch_checkpoint_with_its_epochs_done_is_complete_not_stopped(tmp_path, tiny_corpus):
    stop = threading.Event()
    cfg = tiny(tiny_corpus, tmp_path / "m", epochs=3)

    def listener(e):
        if isinstance(e, BatchEnded) and e.epoch == 2 and e.batch == 2:
            stop.set()

    assert training.train(cfg, listener, stop=stop).reason == "stopped"
    result = runner.invoke(app, train_args(tiny_corpus, tmp_path / "m", "--epochs", "1", "--resume"))
    assert result.exit_code == 0, result.output  # was: trained nothing, exit 130 "Stopped"
    assert "is complete (1 epochs)" in flat(result.output)


def test_an_early_stopped_run_is_complete_until_patience_is_raised(tmp_path, tiny_corpus):
    # Adam at 0.05 overfits 32 pairs within a few epochs, so val_loss stops improving well before 60.
    cfg = tiny(tiny_corpus, tmp_path / "m", epochs=60, patience=2, optimizer="adam", learning_rate=0.05)
    ended = training.train(cfg)
    assert ended.reason == "early_stopped" and ended.epochs_done < 60
    assert ended.epochs_done - ended.best_epoch == 2
    again = training.train(cfg, resume=True)
    assert again.reason == "complete" and again.epochs_done == ended.epochs_done  # was: one more epoch
    assert "stopped early" in again.note and "--patience" in again.note
    assert len(bundle.read_history(tmp_path / "m")) == ended.epochs_done
    more = training.train(tiny(tiny_corpus, tmp_path / "m", epochs=ended.epochs_done + 1, patience=0), resume=True)
    assert more.reason == "finished" and more.epochs_done == ended.epochs_done + 1


async def test_the_dashboards_continue_key_uses_the_same_resume_policy(tmp_path):
    from tui_fakes import tiny_config

    from seqtui.tui.app import make_app

    seen = {}

    def trainer(cfg, listener, **kwargs):
        seen.update(kwargs)
        raise SeqtuiError("stop here")

    app_ = make_app(tiny_config(model_dir=tmp_path / "m"), trainer=trainer)
    async with app_.run_test(size=(120, 40)) as pilot:
        await pilot.press("c")
        await app_.workers.wait_for_complete()
    assert seen.get("resume") is True and not seen.get("fresh")  # was: fresh=True on a folder without a model


# -- whose files -----------------------------------------------------------------------------------


def test_a_folder_of_other_files_is_refused_and_left_byte_for_byte(tmp_path, tiny_corpus):
    mine = tmp_path / "project"
    mine.mkdir()
    (mine / "config.json").write_text('{"my": "settings"}')
    (mine / "history.jsonl").write_text("my notes\n")
    for extra in ([], ["--fresh"], ["--resume"]):
        result = runner.invoke(app, train_args(tiny_corpus, mine, "--epochs", "1", *extra))
        assert result.exit_code == 1, result.output
        said = flat(result.stderr)
        assert "holds files that are not a seqtui model's" in said
        assert "config.json" in said and "history.jsonl" in said
    assert sorted(p.name for p in mine.iterdir()) == ["config.json", "history.jsonl"]  # not even a lock file
    assert (mine / "config.json").read_text() == '{"my": "settings"}'
    assert (mine / "history.jsonl").read_text() == "my notes\n"


def test_fresh_in_a_bundle_with_a_stranger_deletes_nothing(trained_bundle, tmp_path, tiny_corpus):
    m = tmp_path / "m"
    shutil.copytree(trained_bundle, m)
    (m / "notes.txt").write_text("mine")
    (m / "checkpoint" / "best-by-hand.keras").write_bytes(b"mine too")
    names = sorted(str(p.relative_to(m)) for p in m.rglob("*"))
    result = runner.invoke(app, train_args(tiny_corpus, m, "--epochs", "1", "--fresh"))
    assert result.exit_code == 1
    assert "notes.txt" in flat(result.stderr) and "checkpoint/best-by-hand.keras" in flat(result.stderr)
    assert sorted(str(p.relative_to(m)) for p in m.rglob("*")) == names


def test_fresh_clears_only_the_bundles_own_files(trained_bundle, tmp_path, tiny_corpus):
    m = tmp_path / "m"
    shutil.copytree(trained_bundle, m)
    run = RunDir(m)
    assert run.is_bundle() and run.foreign() == []
    run.clear()
    assert sorted(p.name for p in m.iterdir()) == [".train.lock", "seqtui.json"]  # the lock file is never deleted
    assert training.train(tiny(tiny_corpus, m, epochs=1)).epochs_done == 1  # and it is free for a new run


def test_a_new_run_marks_its_folder_as_seqtuis(tmp_path, tiny_corpus):
    training.train(tiny(tiny_corpus, tmp_path / "m", epochs=1))
    manifest = json.loads((tmp_path / "m" / "seqtui.json").read_text())
    assert manifest["kind"] == "seqtui-run" and manifest["ended"] == {"reason": "finished", "epoch": 1}


# -- the data a run was trained on -------------------------------------------------------------------


def test_resume_and_evaluate_stop_when_the_corpus_changed(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_corpus(corpus / "sample.tsv")
    m = tmp_path / "m"
    training.train(tiny(corpus, m, epochs=1))
    write_corpus(corpus / "fra.txt", [("Hello!", "Bonjour !"), ("Cheers!", "Santé !")] * 30)  # a `data fetch`
    with pytest.raises(training.DataChanged, match=r"fra.txt is new.*train split holds 32 → 80 pairs"):
        training.train(tiny(corpus, m, epochs=2), resume=True)
    assert [r.epoch for r in bundle.read_history(m)] == [1]  # nothing trained on the other pairs
    result = runner.invoke(app, ["evaluate", "--model-dir", str(m)])
    assert result.exit_code == 1 and "the data is not what this run was trained on" in flat(result.stderr)
    assert "--data FILE" in flat(result.stderr) and "--train-dir" not in result.stderr  # evaluate has no such flag
    held_out = write_corpus(tmp_path / "held.txt", TINY_PAIRS[:5])
    assert runner.invoke(app, ["evaluate", "--model-dir", str(m), "--data", str(held_out)]).exit_code == 0


# -- never written, never trusted ------------------------------------------------------------------


def test_weights_that_overflow_with_a_finite_loss_are_never_saved(tmp_path, tiny_corpus, monkeypatch):
    from seqtui.model import build as model_lib

    built = []
    build = model_lib.build
    monkeypatch.setattr(model_lib, "build", lambda *a, **k: built.append(build(*a, **k)) or built[-1])
    m = tmp_path / "m"

    def poison(e):  # the last batch of epoch 2: the <unk> row is never looked up, so the loss stays finite
        if isinstance(e, BatchEnded) and e.epoch == 2 and e.batch == e.batches:
            table = built[0].get_layer("encoder_embedding").embeddings
            rows = table.numpy()
            rows[3] = np.inf
            table.assign(rows)

    with pytest.raises(TrainingFailed, match=r"weights became non-finite.*last good checkpoint \(epoch 1\)"):
        training.train(tiny(tiny_corpus, m, epochs=3), poison)
    ckpt = bundle.read_checkpoint(m)
    assert ckpt.epoch == 1
    for saved in (ckpt.path, m / "model.keras"):
        assert np.isfinite(read_keras_file(saved).enc_embed).all()


def test_a_checkpoint_pointer_out_of_its_folder_is_refused(trained_bundle, tmp_path):
    m = tmp_path / "m"
    shutil.copytree(trained_bundle, m)
    pointer = m / "checkpoint" / "latest.json"
    state = json.loads(pointer.read_text())
    shutil.copy(m / "model.keras", tmp_path / "outside.keras")
    pointer.write_text(json.dumps({**state, "file": "../../outside.keras"}))
    with pytest.raises(BundleError, match="not a checkpoint file"):
        bundle.read_checkpoint(m)


def test_evaluate_recovers_from_a_damaged_model_as_translate_does(trained_bundle, tmp_path):
    m = tmp_path / "m"
    shutil.copytree(trained_bundle, m)
    (m / "model.keras").write_bytes((m / "model.keras").read_bytes()[:1000])
    result = runner.invoke(app, ["evaluate", "--model-dir", str(m), "--json"])
    assert result.exit_code == 0, result.output
    assert "Using the last checkpoint" in flat(result.stderr)
    assert json.loads(result.stdout)["loss"] > 0


# -- what the run reports ------------------------------------------------------------------------


def test_the_saved_model_holds_the_best_epochs_weights(overfit_bundle):
    """model.keras is scored as the best epoch was, not as the last: a saver that saved every epoch, or the
    last, fails here, since this run's val_loss rose for ten epochs after its best."""
    history = bundle.read_history(overfit_bundle)
    best = min(history, key=lambda r: r.val_loss)
    assert [r.epoch for r in history if r.best][-1] == best.epoch
    assert history[-1].val_loss > best.val_loss + 0.1
    assert evaluate(overfit_bundle).loss == pytest.approx(best.val_loss, rel=1e-4)


def test_the_end_names_the_monitor_and_its_best_score(chrf_bundle, tmp_path, tiny_corpus):
    ended = ended_of(chrf_bundle)
    assert ended["monitor"] == "val_chrf"
    best = [r for r in bundle.read_history(chrf_bundle) if r.best][-1]
    assert ended["best_epoch"] == best.epoch < ended["epochs_done"]
    assert ended["best_score"] == best.val_chrf
    assert ended["best_text"] == f"best epoch {best.epoch} (val_chrf {best.val_chrf:.2f})"
    result = runner.invoke(app, train_args(tiny_corpus, tmp_path / "cli", "--epochs", "1", "--monitor", "val_chrf"))
    header = next(line for line in result.output.splitlines() if line.lstrip().startswith("epoch"))
    assert "val_chrf" in header  # a column of the epoch table
    assert "(val_chrf " in flat(result.output) and "(val_loss " not in flat(result.output)
