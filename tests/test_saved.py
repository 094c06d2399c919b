"""A saved run's files are data: every field of config.json, vocab.json, seqtui.json and the checkpoint
pointer is checked for type and range, and a bad one is one BundleError line naming the file and the
field, wherever the run is read (translate, evaluate, resume, the runs table, the follow view)."""

import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from seqtui import config
from seqtui.cli import app
from seqtui.data.vocab import Vocab
from seqtui.errors import BundleError
from seqtui.records import EpochRecord
from seqtui.report import runs
from seqtui.store import bundle, catalog, saved
from seqtui.store.rundir import RunDir
from seqtui.tui.training import follow
from tests.conftest import write_corpus

runner = CliRunner()


def write_run(folder: Path) -> Path:
    """A run's metadata as the trainer writes it (no weights: the readers checked here never open them)."""
    folder.mkdir(parents=True)
    cfg = config.load(None, {"model_dir": folder, "latent_dim": 32, "train_dir": folder / "tiny.txt"})
    fingerprint = {"files": [{"path": str(folder / "tiny.txt"), "size": 120}],
                   "train": {"pairs": 32, "sha256": "a" * 64}, "val": {"pairs": 8, "sha256": "b" * 64}}
    bundle.write_meta(folder, Vocab("Gabo."), Vocab("Vab !"), {
        "config": cfg.to_dict(), "max_target_len": 12, "data": fingerprint,
        "split": {"files": [str(folder / "tiny.txt")], "train_pairs": 32, "val_pairs": 8, "val_data": "",
                  "val_split": 0.2, "num_samples": 0, "sample": "first", "reverse": False}})
    RunDir(folder).claim()
    RunDir(folder).mark_started(0, 10)
    bundle.write_history(folder, [EpochRecord(1, loss=2.0, val_loss=2.5, seconds=1.0, best=True)])
    return folder


def edit(path: Path, change: Callable[[Any], None]) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def setter(*keys: str, value: Any) -> Callable[[Any], None]:
    def change(doc: Any) -> None:
        for k in keys[:-1]:
            doc = doc[k]
        doc[keys[-1]] = value
    return change


def test_a_run_as_the_trainer_writes_it_reads_back_typed(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run")
    meta = saved.read_meta(run)
    assert meta.config.latent_dim == 32 and meta.max_target_len == 12 and meta.max_len == 24
    assert meta.data is not None and meta.data.train is not None and meta.data.train.pairs == 32
    assert meta.split is not None and meta.split.val_pairs == 8
    source, target = saved.read_vocabs(run)
    assert source.to_list() == sorted("Gabo.") and len(target) == len(set("Vab !")) + 4
    assert saved.read_manifest(run) == saved.Manifest(epochs=10)
    assert saved.read_meta(run).to_dict()["config"] == meta.config.to_dict()


CONFIG_DAMAGE = [
    (setter("config", "max_output_len", value="abc"), "config: max_output_len: expected a whole number"),
    (setter("config", "max_output_len", value=10**9), "config: max_output_len: must be at most"),
    (setter("config", "latent_dim", value=-3), "config: latent_dim: must be at least 1"),
    (setter("config", "beam", value=True), "config: beam: expected a whole number"),
    (setter("config", "architecture", value="transformer"), "config: architecture: 'transformer' is not one of"),
    (setter("config", "learning_rate", value=math.nan), "config: learning_rate: expected a number"),
    (setter("config", "metrics", value={"a": 1}), "config: metrics: expected a list of names"),
    (setter("config", value=[1, 2]), "config: expected an object"),
    (setter("max_target_len", value=10**9), "max_target_len: must be between 1 and 1,000"),
    (setter("max_target_len", value="long"), "max_target_len: expected a whole number"),
    (setter("data", "files", value="fra.txt"), "data.files: expected a list"),
    (setter("data", "files", value=[["fra.txt", 3]]), r"data.files\[0\]: expected an object"),
    (setter("data", "train", "pairs", value=-1), "data.train.pairs: must be between 0"),
    (setter("data", "val", "sha256", value="xyz"), "data.val.sha256: expected 64 hex digits"),
    (setter("split", "train_pairs", value=1e30), "split.train_pairs: expected a whole number"),
    (setter("split", "files", value=[3]), r"split.files\[0\]: expected a text"),
    (setter("format", value=7), "format: written by a newer seqtui"),
]


@pytest.mark.parametrize(("change", "match"), CONFIG_DAMAGE)
def test_every_field_of_config_json_is_checked(tmp_path: Path, change: Callable[[Any], None], match: str) -> None:
    run = write_run(tmp_path / "run")
    edit(run / bundle.META, change)
    with pytest.raises(BundleError, match=match) as error:
        bundle.load_meta(run)
    assert str(error.value).startswith(f"{run / bundle.META}: ") and "\n" not in str(error.value)
    listed = runs.summarize(run)  # the runs table lists it as damaged, saying why
    assert listed.state == "damaged" and listed.problem.startswith("config.json: ")


@pytest.mark.parametrize(("change", "match"), [
    (setter("source", value=["ab", "c"]), r"source\[0\]: expected one character"),
    (setter("target", value=["b", "a"]), "target: the characters are not in id order"),
    (setter("target", value=["a", "a"]), "target: the characters are not in id order"),
    (setter("reserved", value=["<pad>"]), "reserved: expected"),
    (setter("source", value=None), "source: expected a list"),
])
def test_every_field_of_vocab_json_is_checked(tmp_path: Path, change: Callable[[Any], None], match: str) -> None:
    run = write_run(tmp_path / "run")
    edit(run / bundle.VOCAB, change)
    with pytest.raises(BundleError, match=match) as error:
        bundle.load_meta(run)
    assert str(error.value).startswith(f"{run / bundle.VOCAB}: ")


@pytest.mark.parametrize(("change", "match"), [
    (setter("resumes", value="3"), "resumes: expected a list"),
    (setter("resumes", value=[1, "2"]), r"resumes\[1\]: expected a whole number"),
    (setter("ended", value={"reason": "bored", "epoch": 1}), "ended.reason: expected one of"),
    (setter("epochs", value=10**12), "epochs: must be between 1 and"),
    (setter("shipped", value="yes"), "shipped: expected true or false"),
    (setter("compared", value={"against": "en-fr", "epoch": 1, "pairs": 8, "chrf": 101, "other_chrf": 1}),
     "compared.chrf: expected a number between 0.0 and 100.0"),
    (setter("compared", value={"against": "en-fr", "epoch": 0, "pairs": 8, "chrf": 1, "other_chrf": 1}),
     "compared.epoch: must be between 1 and"),
])
def test_every_field_of_the_manifest_is_checked(tmp_path: Path, change: Callable[[Any], None], match: str) -> None:
    run = write_run(tmp_path / "run")
    edit(run / saved.MANIFEST, change)
    with pytest.raises(BundleError, match=match):
        RunDir(run).open_for_writing()  # a damaged manifest might be a shipped model's: never written into
    assert runs.summarize(run).state == "damaged"


def write_pointer(run: Path, **state: Any) -> None:
    (run / bundle.CKPT_DIR).mkdir(exist_ok=True)
    (run / bundle.CKPT_DIR / "ckpt-00001-000000.keras").write_bytes(b"")
    state = {"epoch": 1, "batch": 0, "history": [], "file": "ckpt-00001-000000.keras", **state}
    (run / bundle.CKPT_DIR / bundle.CKPT_POINTER).write_text(json.dumps(state))


@pytest.mark.parametrize(("state", "match"), [
    ({"epoch": "1"}, "epoch: expected a whole number"),
    ({"epoch": -1}, "epoch: must be between 0"),
    ({"batch": 2.5}, "batch: expected a whole number"),
    ({"history": {"epoch": 1}}, "history: expected a list"),
    ({"history": [{"epoch": 1, "loss": "low"}]}, r"history\[0\]: loss: expected a number"),
    ({"file": "model.keras"}, "file: names 'model.keras', not a checkpoint file"),
])
def test_every_field_of_the_checkpoint_pointer_is_checked(tmp_path: Path, state: dict, match: str) -> None:
    run = write_run(tmp_path / "run")
    write_pointer(run, **state)
    with pytest.raises(BundleError, match=match):
        bundle.read_checkpoint(run)
    with pytest.raises(BundleError, match=match):
        RunDir(run).plan(config.load(None, {"model_dir": run}), resume=True, fresh=False)


def test_the_state_a_checkpoint_is_written_with_reads_back_whole(tmp_path: Path) -> None:
    """Catches the pointer's writer and reader disagreeing on a key (a resume would lose the best epoch, say)."""
    run = write_run(tmp_path / "run")
    (run / bundle.CKPT_DIR).mkdir()
    name = bundle.checkpoint_name(3, 7)
    (run / bundle.CKPT_DIR / name).write_bytes(b"")
    state = saved.TrainingState(3, 7, (EpochRecord(1, loss=2.0), EpochRecord(2, loss=1.0, best=True)), 2)
    (run / bundle.CKPT_DIR / bundle.CKPT_POINTER).write_text(json.dumps(state.pointer(name)))
    found = bundle.read_checkpoint(run)
    assert found is not None and found.path == run / bundle.CKPT_DIR / name
    assert saved.TrainingState(found.epoch, found.batch, found.history, found.best_epoch) == state


def test_a_history_line_with_a_wrong_type_is_skipped_not_drawn(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run")
    with open(run / bundle.HISTORY, "a") as f:
        f.write(json.dumps({"epoch": 2, "loss": "low", "val_loss": 2.0}) + "\n")
        f.write(json.dumps({"epoch": 3, "loss": 1.0, "val_loss": 2.0, "best": "yes"}) + "\n")
        f.write(json.dumps({"epoch": 4, "loss": 1.0, "val_loss": 1.5, "seconds": 2.0}) + "\n")
    assert [r.epoch for r in bundle.read_history(run)] == [1, 4]
    assert runs.summarize(run).seconds == 3.0


def test_the_follow_view_reports_a_damaged_config_instead_of_guessing(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run")
    assert follow.read(run).config.latent_dim == 32 and follow.read(run).problem == ""
    edit(run / bundle.META, setter("config", "epochs", value="ten"))
    files = follow.read(run)
    assert files.config is None and "config.json: config: epochs: expected a whole number" in files.problem


# -- the commands that read a saved run: one line, exit 1, never a traceback -------------------------------


@pytest.fixture
def damaged_copy(tmp_path: Path) -> Callable[..., Path]:
    """A copy of the shipped model, made a user's run (training may write into it), with one file edited."""
    def make(file: str, change: Callable[[Any], None]) -> Path:
        m = tmp_path / "m"
        shutil.copytree(catalog.shipped()[catalog.DEFAULT], m)
        edit(m / saved.MANIFEST, lambda doc: doc.pop("shipped"))
        edit(m / file, change)
        return m
    return make


@pytest.mark.parametrize(("value", "match"), [("abc", "expected a whole number"), (10**9, "must be at most 5000")])
def test_translate_refuses_a_bad_max_output_len_in_one_line(damaged_copy, value: Any, match: str) -> None:
    m = damaged_copy(bundle.META, setter("config", "max_output_len", value=value))
    result = runner.invoke(app, ["translate", "--model-dir", str(m), "Go."])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # not a ValueError
    assert "config.json: config: max_output_len: " + match in " ".join(result.stderr.split())


@pytest.mark.parametrize("command", [["evaluate"], ["train", "--resume"]])
def test_a_malformed_fingerprint_is_one_line_for_evaluate_and_resume(damaged_copy, command: list[str], tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the run's corpus files, as its config.json names them, are here
    for name in ("train.txt", "val.txt"):
        write_corpus(tmp_path / name)
    m = damaged_copy(bundle.META, setter("data", "files", value=[["train.txt", 3]]))
    result = runner.invoke(app, [*command, "--model-dir", str(m)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "data.files[0]: expected an object" in " ".join(result.stderr.split())


def test_export_checks_the_model_file_before_reading_it(damaged_copy, tmp_path: Path) -> None:
    import zipfile

    from seqtui.store.export import export_bundle

    m = damaged_copy(bundle.META, lambda doc: None)
    with zipfile.ZipFile(m / bundle.MODEL) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["config.json"] = json.dumps({"class_name": "Lambda", "module": "os", "config": {}}).encode()
    with zipfile.ZipFile(m / bundle.MODEL, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(BundleError, match="not a seqtui model"):
        export_bundle(m, tmp_path / "out", "x", "nobody")
    assert not (tmp_path / "out" / bundle.MODEL).exists()
