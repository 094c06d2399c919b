"""seqtui writes into a run's folder only its own files: every command that writes where the user says (predict,
plot, export, data fetch, train) refuses a run's folder, or a folder in one, with one line saying where to write
instead; an export, which replaces a bundle's files, refuses a training run and a folder of other files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seqtui.cli import app
from seqtui.data.corpus import Source
from seqtui.errors import SeqtuiError
from seqtui.report.predictions import write_predictions
from seqtui.store import bundle
from seqtui.store.export import export_bundle
from seqtui.store.rundir import RunDir
from tests.conftest import TINY_FLAGS, cli_flags, write_corpus
from tests.runs_fixtures import write_run

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


def names(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def run(tmp_path: Path) -> Path:
    return write_run(tmp_path / "run", [3.0, 2.0])


@pytest.mark.parametrize("below", ["", "preds", "preds/deeper"])
def test_predict_never_writes_into_or_below_a_run(trained_bundle: Path, run: Path, tmp_path: Path, below: str) -> None:
    sentences = tmp_path / "in.txt"
    sentences.write_text("Go.\n", encoding="utf-8")
    before = names(run)
    result = runner.invoke(app, ["predict", "--model-dir", str(trained_bundle), "-i", str(sentences),
                                 "-o", str(run / below)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    said = flat(result.stderr)
    assert f"{run} is a run's folder" in said and f"--output {tmp_path / 'run-predictions'}" in said
    assert names(run) == before and RunDir(run).foreign() == []  # so `train --resume` still takes it


def test_the_api_writes_no_predictions_into_a_run(run: Path) -> None:
    """Catches `Translator.predict_file`'s writer, which the command's early check does not cover."""
    with pytest.raises(SeqtuiError, match="is a run's folder"):
        write_predictions(run, "in", [Source("Go.")], ["Va !"])
    assert RunDir(run).foreign() == []


def test_a_refused_plot_says_where_to_write_it(run: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["plot", str(run), "--out", str(run / "curves.png")])
    assert result.exit_code == 1 and f"--out {tmp_path / 'curves.png'}" in flat(result.stderr)


def test_data_fetch_never_unpacks_into_a_run(run: Path, tmp_path: Path) -> None:
    before = names(run)
    result = runner.invoke(app, ["data", "fetch", "--dest", str(run), "--url", str(tmp_path / "none.zip")])
    assert result.exit_code == 1 and "is a run's folder" in flat(result.stderr)
    assert names(run) == before


def test_train_never_makes_a_run_inside_another(run: Path, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "tiny.txt")
    result = runner.invoke(app, ["train", "--train-dir", str(corpus), "--model-dir", str(run / "inner"),
                                 *cli_flags(TINY_FLAGS)])
    assert result.exit_code == 1 and f"--model-dir {tmp_path / 'inner'}" in flat(result.stderr)
    assert not (run / "inner").exists()


def test_an_export_replaces_only_an_earlier_export(trained_bundle: Path, tmp_path: Path) -> None:
    """Catches an export that lands in a run, over a training run, or among a stranger's files."""
    training_run = tmp_path / "training-run"
    shutil.copytree(trained_bundle, training_run)
    kept = (training_run / bundle.MODEL).read_bytes()
    with pytest.raises(SeqtuiError, match=f"holds a training run.*e.g. {tmp_path / 'training-run-export'}"):
        export_bundle(trained_bundle, training_run, "x", "nobody")
    assert (training_run / bundle.MODEL).read_bytes() == kept
    with pytest.raises(SeqtuiError, match="is a run's folder"):
        export_bundle(trained_bundle, training_run / "shipped", "x", "nobody")
    assert not (training_run / "shipped").exists()
    strangers = tmp_path / "mine"
    strangers.mkdir()
    (strangers / "notes.txt").write_text("mine")
    with pytest.raises(SeqtuiError, match=r"not a seqtui model's \(notes.txt\)"):
        export_bundle(trained_bundle, strangers, "x", "nobody")
    assert names(strangers) == ["notes.txt"]
    export_bundle(trained_bundle, tmp_path / "out", "x", "nobody")
    assert export_bundle(trained_bundle, tmp_path / "out", "x", "again") > 0  # an export is replaced
