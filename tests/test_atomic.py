"""`predict` never overwrites a result, even one another run publishes while this one is writing."""

import errno
import os
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seqtui import atomic
from seqtui.cli import app

runner = CliRunner()


def test_write_new_publishes_a_complete_file_and_refuses_a_taken_name(tmp_path):
    target = tmp_path / "out" / "a.tsv"
    atomic.write_new(target, "first\n")
    assert target.read_text(encoding="utf-8") == "first\n"
    with pytest.raises(FileExistsError):
        atomic.write_new(target, "second\n")
    assert target.read_text(encoding="utf-8") == "first\n"
    assert [p.name for p in target.parent.iterdir()] == ["a.tsv"]  # no temporary left behind


def test_write_new_without_hard_links_still_never_clobbers(tmp_path, monkeypatch):
    """On a file system without hard links (FAT, some shares) the name is claimed exclusively instead."""
    def no_links(src, dst):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    atomic.write_new(tmp_path / "a.tsv", "first\n")
    with pytest.raises(FileExistsError):
        atomic.write_new(tmp_path / "a.tsv", "second\n")
    assert (tmp_path / "a.tsv").read_text(encoding="utf-8") == "first\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.tsv"]


def test_write_new_into_a_file_is_an_error_not_a_taken_name(tmp_path):
    """FileExistsError means only "this name is taken": callers retry on it with the next name."""
    (tmp_path / "out").write_text("", encoding="utf-8")
    with pytest.raises(NotADirectoryError):
        atomic.write_new(tmp_path / "out" / "a.tsv", "x\n")


def test_predict_keeps_a_result_that_takes_its_name_while_it_writes(trained_bundle, tmp_path, monkeypatch):
    """Another run publishes under the chosen name between the check and the write: both results survive."""
    real_mkstemp = tempfile.mkstemp
    taken: list[Path] = []

    def racing_mkstemp(*args, prefix="", dir=None, **kwargs):
        if not taken:  # the other run, in the same second, gets there first
            taken.append(Path(dir) / prefix[1:-1])  # the temporary's prefix is "." + the target's name + "."
            taken[0].write_text("the other run's result\n", encoding="utf-8")
        return real_mkstemp(*args, prefix=prefix, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", racing_mkstemp)
    inp = tmp_path / "in.txt"
    inp.write_text("Go.\n", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["predict", "--model-dir", str(trained_bundle), "--input", str(inp),
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert taken[0].read_text(encoding="utf-8") == "the other run's result\n"
    (ours,) = set(out.glob("in_*.tsv")) - {taken[0]}
    assert ours.name == taken[0].name.replace(".tsv", "-1.tsv")
    assert ours.read_text(encoding="utf-8").startswith("source\ttranslation\tmodel\n")
    assert str(ours) in result.stdout
