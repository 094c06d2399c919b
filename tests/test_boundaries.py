"""Where seqtui writes, what it bounds, and which layer imports what: a plot never lands in or below a
run's folder; a disk that refuses a write is one line, not a traceback; the Python API writes
predictions with the command's never-overwrite naming; only the backend imports TensorFlow; flags
that size a decode are bounded."""

import ast
import errno
from pathlib import Path

import pytest
from typer.testing import CliRunner

import seqtui
from seqtui import atomic
from seqtui.cli import app
from seqtui.store import catalog
from seqtui.store.rundir import RunDir
from tests.conftest import TINY_FLAGS, cli_flags, write_corpus
from tests.runs_fixtures import write_run

runner = CliRunner()
PACKAGE = Path(seqtui.__file__).parent


@pytest.mark.parametrize("below", ["c.png", "plots/c.png", "plots/deeper/c.svg"])
def test_plot_never_writes_into_or_below_a_runs_folder(tmp_path: Path, below: str) -> None:
    run = write_run(tmp_path / "run", [3.0, 2.0])
    result = runner.invoke(app, ["plot", str(run), "--out", str(run / below)])
    assert result.exit_code == 1 and "is a run's folder" in result.stderr
    assert RunDir(run).foreign() == []  # so training into the run is still allowed
    assert not (run / "plots").exists()


def test_a_write_the_disk_refuses_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(path: Path, data: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(atomic, "write_json", full_disk)  # the first write: claiming the folder
    corpus = write_corpus(tmp_path / "tiny.txt")
    m = tmp_path / "m"
    result = runner.invoke(app, ["train", "--train-dir", str(corpus), "--model-dir", str(m), *cli_flags(TINY_FLAGS)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # not the OSError itself
    line = " ".join(result.stderr.split())
    assert "seqtui.json: cannot write the run's files (No space left on device)" in line


def test_the_python_api_never_overwrites_a_prediction(tmp_path: Path) -> None:
    tr = seqtui.load(catalog.DEFAULT)
    sentences = tmp_path / "in.txt"
    sentences.write_text("Go.\nI see.\tJe comprends.\n", encoding="utf-8")
    first, second = tr.predict_file(sentences, tmp_path / "out"), tr.predict_file(sentences, tmp_path / "out")
    assert first.path != second.path and first.path.read_text(encoding="utf-8") == second.path.read_text()
    head, *rows = first.path.read_text(encoding="utf-8").splitlines()
    assert head == "source\ttranslation\treference\tmodel" and len(rows) == len(first.sources) == 2
    assert tr.model.startswith("the shipped en-fr model (") and all(r.split("\t")[-1] == tr.model for r in rows)


def test_only_the_backend_imports_tensorflow() -> None:
    importers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n == "tensorflow" or n.startswith("tensorflow.") for n in names):
                importers.append(path.relative_to(PACKAGE).as_posix())
    assert set(importers) == {"model/backend.py"}


@pytest.mark.parametrize("flag", [["--max-len", "1000000000"], ["--beam", "100000"], ["--nbest", "100000"]])
def test_flags_that_size_a_decode_are_bounded(flag: list[str]) -> None:
    result = runner.invoke(app, ["translate", "--model", catalog.DEFAULT, *flag, "Go."])
    assert result.exit_code == 2 and flag[0] in result.output
