"""`seqtui runs` and `seqtui plot` through CliRunner, the runs module under them, and the files the
trainer leaves for them (TensorBoard events, samples, resume points) read back by their own readers."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seqtui.cli import app
from seqtui.report import curves, runs
from seqtui.store import bundle, lock
from seqtui.store.rundir import RunDir
from tests.runs_fixtures import make_three_runs, write_run

runner = CliRunner()


@pytest.fixture
def three_runs(tmp_path: Path) -> Path:
    return make_three_runs(tmp_path / "models")




def as_json(*args: str) -> list[dict]:
    result = runner.invoke(app, ["runs", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_runs_lists_each_run_with_its_state_and_best_epoch(three_runs):
    rows = {r["name"]: r for r in as_json(str(three_runs))}
    assert set(rows) == {"attn-chrf", "base", "group/resumed"}  # a run two folders down is found
    assert [rows[n]["state"] for n in ("attn-chrf", "base", "group/resumed")] == ["early-stopped", "finished",
                                                                                 "stopped"]
    # val_chrf is highest-best (epoch 2), val_loss lowest-best (epoch 3): a monitor read the wrong way fails.
    assert (rows["attn-chrf"]["best_epoch"], rows["attn-chrf"]["best_score"]) == (2, 20.0)
    assert (rows["base"]["best_epoch"], rows["base"]["best_score"]) == (3, 1.5)
    assert (rows["base"]["test_chrf"], rows["base"]["test_bleu"]) == (30.0, 5.0)
    assert rows["group/resumed"]["test_chrf"] is None and rows["group/resumed"]["resumes"] == [2]
    assert rows["group/resumed"]["epochs_done"] == 5 and rows["group/resumed"]["seconds"] == 10.0
    assert rows["base"]["data"] == "en-fr.tsv" and rows["base"]["train_pairs"] == 758


def test_a_run_being_trained_reads_as_running(three_runs):
    with lock.hold(three_runs / "group" / "resumed"):
        rows = {r["name"]: r["state"] for r in as_json(str(three_runs))}
    assert rows["group/resumed"] == "running"


def test_runs_sort_puts_the_best_score_first_and_runs_without_one_last(three_runs):
    assert [r["name"] for r in as_json(str(three_runs), "--sort", "chrf")] == ["base", "attn-chrf", "group/resumed"]
    assert [r["name"] for r in as_json(str(three_runs), "--sort", "epochs")] == ["group/resumed", "attn-chrf", "base"]
    result = runner.invoke(app, ["runs", str(three_runs), "--sort", "colour"])
    assert result.exit_code == 2 and "pass one of name, state" in result.stderr


def test_runs_table_and_csv(three_runs):
    result = runner.invoke(app, ["runs", str(three_runs)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    line = next(li for li in result.stdout.splitlines() if "attn-chrf" in li)
    for cell in ("attention", "758", "4/10", "early-stopped", "chrF 20 @2", "21.50", "3.25", "8s"):
        assert cell in line, cell
    result = runner.invoke(app, ["runs", str(three_runs), "--csv"])
    assert result.exit_code == 0
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["name"] for r in table] == ["attn-chrf", "base", "group/resumed"]
    assert table[1]["best_score"] == "1.5" and table[1]["state"] == "finished"


def test_runs_reads_bundles_as_data(three_runs):
    """A damaged run is one row saying why; a folder that only looks like a bundle is not a run; a name
    holding an escape sequence is shown escaped."""
    (three_runs / "base" / bundle.META).write_text("{not json")
    (three_runs / "notes").mkdir()
    (three_runs / "notes" / "config.json").write_text('{"a": 1}')  # the user's own config.json
    write_run(three_runs / "evil\x1b[2J", [1.0])
    rows = {r["name"]: r for r in as_json(str(three_runs))}
    assert rows["base"]["state"] == "damaged" and rows["base"]["problem"].startswith("config.json:")
    assert "notes" not in rows and rows["attn-chrf"]["state"] == "early-stopped"
    result = runner.invoke(app, ["runs", str(three_runs)], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "\x1b" not in result.stdout and "evil\\x1b[2J" in result.stdout
    write_run(three_runs / "bidi\u202egpj.exe", [1.0])
    result = runner.invoke(app, ["runs", str(three_runs), "--json"])
    assert "\u202e" not in result.stdout and "bidi\\u202egpj.exe" in result.stdout  # escaped on the terminal,
    assert "bidi\u202egpj.exe" in {r["name"] for r in json.loads(result.stdout)}  # the same name to a script


def test_runs_defaults_to_the_folder_holding_model_dir(three_runs, tmp_path):
    config = tmp_path / "sequencer.toml"
    config.write_text('[paths]\nmodel_dir = "models/base"\n')
    rows = as_json("--config", str(config))
    assert sorted(r["name"] for r in rows) == ["attn-chrf", "base", "group/resumed"]


def test_plot_skips_a_damaged_run_saying_so(three_runs, tmp_path):
    (three_runs / "base" / bundle.META).write_text("[1, 2")
    result = runner.invoke(app, ["plot", str(three_runs), "--out", str(tmp_path / "c.svg")])
    assert result.exit_code == 0 and "skipped base: config.json:" in result.stderr
    assert "2 run(s)" in result.stderr


def test_runs_of_a_missing_folder_is_one_error_line(tmp_path):
    result = runner.invoke(app, ["runs", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "no such folder" in result.stderr and "Traceback" not in result.output


def test_evaluation_is_recorded_only_in_a_users_bundle(tmp_path, three_runs):
    assert runs.record_evaluation(three_runs / "group" / "resumed", {"chrf": 1.0})
    assert runs.summarize(three_runs / "group" / "resumed").test_chrf == 1.0
    plain = tmp_path / "plain"
    plain.mkdir()
    assert not runs.record_evaluation(plain, {"chrf": 1.0}) and not list(plain.iterdir())
    from seqtui.store import catalog

    assert not runs.record_evaluation(catalog.shipped()[catalog.DEFAULT], {"chrf": 1.0})
    assert not (catalog.shipped()[catalog.DEFAULT] / bundle.EVALUATION).exists()


def test_evaluate_records_its_scores_for_runs(trained_bundle):
    result = runner.invoke(app, ["evaluate", "--model-dir", str(trained_bundle), "--json", "--limit", "4"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    summary = runs.summarize(trained_bundle)
    assert (summary.test_chrf, summary.test_bleu) == (printed["chrf"], printed["bleu"])
    assert summary.test_data == "validation split"
    assert RunDir(trained_bundle).foreign() == []  # evaluation.json is the bundle's own: training still may write


# -- plot ---------------------------------------------------------------------------------------------


def test_plot_png_has_the_size_asked_for_and_draws_each_run(three_runs, tmp_path):
    from PIL import Image

    out = tmp_path / "curves.png"
    result = runner.invoke(app, ["plot", str(three_runs), "--out", str(out), "--smooth", "0.6", "--size", "900x600"])
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (900, 600)
        colours = {c for _, c in image.convert("RGB").getcolors(900 * 600)}
    # matplotlib's first three colours (C0 blue, C1 orange, C2 green): one per run, so none was left out.
    for rgb in ((31, 119, 180), (255, 127, 14), (44, 160, 44)):
        assert rgb in colours, rgb


def test_plot_svg_parses_and_names_runs_metrics_and_axes(three_runs, tmp_path):
    out = tmp_path / "curves.svg"
    result = runner.invoke(app, ["plot", str(three_runs / "base"), str(three_runs / "attn-chrf"), "--out", str(out),
                                 "--metric", "val_chrf", "--metric", "val_loss", "--log-y"])
    assert result.exit_code == 0, result.output
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")
    text = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    for words in ("base", "attn-chrf", "validation chrF", "validation loss (log scale)", "epoch", "log y",
                  "best epoch"):
        assert words in text, words


def test_plot_never_clobbers_a_file_without_force(three_runs, tmp_path):
    out = tmp_path / "mine.png"
    out.write_bytes(b"my own picture")
    result = runner.invoke(app, ["plot", str(three_runs), "--out", str(out)])
    assert result.exit_code == 1 and "pass --force" in result.stderr
    assert out.read_bytes() == b"my own picture"
    assert runner.invoke(app, ["plot", str(three_runs), "--out", str(out), "--force"]).exit_code == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "--force" in runner.invoke(app, ["plot", "--help"]).stdout


def test_plot_refuses_to_write_into_a_run_or_an_unknown_format(three_runs, tmp_path):
    inside = three_runs / "base" / "curves.png"
    result = runner.invoke(app, ["plot", str(three_runs / "base"), "--out", str(inside)])
    assert result.exit_code == 1 and "a run's folder" in result.stderr and not inside.exists()
    assert RunDir(three_runs / "base").foreign() == []
    result = runner.invoke(app, ["plot", str(three_runs), "--out", str(tmp_path / "c.jpg")])
    assert result.exit_code == 2 and ".png or an .svg" in result.stderr  # a flag's value: a usage error
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["plot", str(empty), "--out", str(tmp_path / "c.png")])
    assert result.exit_code == 1 and "not a seqtui run" in result.stderr


# -- curves -------------------------------------------------------------------------------------------


def test_ema_is_debiased_like_tensorboards():
    assert curves.ema([1.0, 2.0, 3.0], 0.0) == [1.0, 2.0, 3.0]
    assert curves.ema([1.0, 2.0, 3.0], 0.5) == pytest.approx([1.0, 5 / 3, 2.125 / 0.875])
    assert curves.ema([4.0] * 5, 0.9) == pytest.approx([4.0] * 5)  # not pulled towards 0 at the start
    assert curves.window([1, 2, 3, 4], [1.0, 2.0, 3.0, 4.0], 2) == ([3, 4], [3.0, 4.0])
    assert curves.positive([1, 2], [0.0, 2.0]) == ([2], [2.0])


# -- what the real trainer leaves ------------------------------------------------------------------


def test_trainer_writes_tensorboard_events_samples_and_resume_points(tmp_path, tiny_corpus):
    """TensorBoard's own reader reads every history metric back; samples.json holds the last epoch's
    samples; a resumed session is marked; none of the files stops the folder being a bundle."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from seqtui import config
    from seqtui.train import training
    from tests.conftest import TINY_FLAGS

    model_dir = tmp_path / "runs" / "tb"
    cfg = config.load(None, {"train_dir": tiny_corpus, "model_dir": model_dir, **TINY_FLAGS, "epochs": 2,
                             "tensorboard": True})
    training.train(cfg)
    training.train(cfg.replace(epochs=3), resume=True)
    history = bundle.read_history(model_dir)
    assert [r.epoch for r in history] == [1, 2, 3] and history[0].learning_rate == pytest.approx(0.001)
    board = EventAccumulator(str(model_dir))
    board.Reload()
    import tensorflow as tf

    for name in ("loss", "val_loss", "val_accuracy", "learning_rate"):
        events = board.Tensors(name)
        assert [e.step for e in events] == [1, 2, 3], name
        assert [float(tf.make_ndarray(e.tensor_proto)) for e in events] == pytest.approx(
            [getattr(r, name) for r in history], rel=1e-5), name
    epoch, samples = bundle.read_samples(model_dir)
    assert epoch == 3 and len(samples) == training.SAMPLE_COUNT and samples[0][1] in {t for _, t in
                                                                                        training.prepare(cfg).val_pairs}
    summary = runs.summarize(model_dir)
    assert summary.resumes == (2,) and summary.state == "finished" and summary.epochs_done == 3
    assert summary.epochs == 3  # the resumed session's target, not config.json's 2
    assert RunDir(model_dir).foreign() == []
    training.train(cfg, fresh=True)  # --fresh removes the event files, the samples and the resume marks
    assert len(list(model_dir.glob("events.out.tfevents.*"))) == 1 and runs.summarize(model_dir).resumes == ()
