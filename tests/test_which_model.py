"""Which model answers (docs/which-model.md): the run in model_dir only once it beats the shipped
model on its own validation pairs, else the shipped one, saying why; a model the user names always. Every
command that translates says which model answered and how far it is trained."""

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seqtui import config
from seqtui.cli import app
from seqtui.store import bundle, catalog
from seqtui.store.catalog import Comparison
from seqtui.store.rundir import RunDir
from seqtui.train import training
from tests.conftest import TINY_FLAGS, TINY_PAIRS

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


def config_file(folder: Path, model_dir: Path) -> list[str]:
    path = folder / "sequencer.toml"
    path.write_text(f'[paths]\nmodel_dir = "{model_dir}"\n')
    return ["--config", str(path)]


@pytest.fixture(scope="module")
def half_trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One epoch of a tiny model: a run of the user's that the real shipped model beats by far."""
    from tests.conftest import write_corpus

    root = tmp_path_factory.mktemp("half")
    cfg = config.load(None, {"train_dir": write_corpus(root / "tiny.txt"), "model_dir": root / "models" / "my-run",
                             **TINY_FLAGS, "epochs": 1})
    ended = training.train(cfg)
    assert "does not beat the shipped en-fr model" in ended.answers  # said when the run ended
    return cfg.model_dir


def copy_run(run: Path, tmp_path: Path) -> Path:
    target = tmp_path / "models" / "my-run"
    shutil.copytree(run, target)
    return target


def test_the_end_of_a_run_scores_it_against_the_shipped_model_on_its_own_validation_pairs(half_trained):
    compared = RunDir(half_trained).manifest().compared
    assert compared is not None and compared.against == "en-fr" and compared.epoch == 1
    assert compared.pairs == 8  # the tiny corpus's validation split: 20% of 40 pairs
    assert compared.other_chrf > compared.chrf + 20  # the real shipped model knows these sentences


def test_a_half_trained_run_is_passed_over_and_stderr_says_why_and_how_to_choose_it(half_trained, tmp_path):
    mine = copy_run(half_trained, tmp_path)
    cfg = config_file(tmp_path, mine)
    result = runner.invoke(app, ["translate", *cfg, "-v", "I'm hungry."])
    assert result.exit_code == 0, result.output
    said = flat(result.stderr)
    assert "model: the shipped en-fr model (best val_chrf" in said
    assert f"your run in {mine} is passed over: chrF" in said and f"--model {mine} chooses it" in said
    chosen = runner.invoke(app, ["translate", *cfg, "--model", str(mine), "I'm hungry."])
    assert f"model: the model in {mine} (1 of 1 epochs, best val_loss" in flat(chosen.stderr)
    assert "passed over" not in chosen.stderr


def test_a_run_that_beats_the_shipped_model_answers(half_trained, tmp_path):
    mine = copy_run(half_trained, tmp_path)
    cfg = config_file(tmp_path, mine)
    lost = RunDir(mine).manifest().compared
    RunDir(mine).record_comparison(Comparison("en-fr", 1, 8, lost.other_chrf + 0.5, lost.other_chrf))
    result = runner.invoke(app, ["translate", *cfg, "Go."])
    assert f"model: your model in {mine} (1 of 1 epochs" in flat(result.stderr)
    RunDir(mine).record_comparison(Comparison("en-fr", 1, 8, lost.other_chrf, lost.other_chrf))
    tie = runner.invoke(app, ["translate", *cfg, "Go."])
    assert "model: the shipped en-fr model" in tie.stderr  # it must beat the shipped model, not match it


def test_a_comparison_of_an_earlier_best_epoch_does_not_count(half_trained, tmp_path):
    mine = copy_run(half_trained, tmp_path)
    RunDir(mine).record_comparison(Comparison("en-fr", 7, 8, 99.0, 1.0))  # not the saved epoch
    choice = catalog.choose(mine)
    assert choice.shipped and "has not been compared with en-fr since its best epoch" in choice.passed_over


def test_a_new_run_in_the_folder_drops_the_old_comparison(trained_bundle, tmp_path):
    mine = copy_run(trained_bundle, tmp_path)
    RunDir(mine).record_comparison(Comparison("en-fr", 3, 8, 99.0, 1.0))
    RunDir(mine).clear()
    assert RunDir(mine).manifest().compared is None
    assert "compared" not in json.loads((mine / "seqtui.json").read_text())


def test_resume_of_a_complete_run_from_before_comparisons_compares_it(trained_bundle, tmp_path):
    mine = copy_run(trained_bundle, tmp_path)
    manifest = json.loads((mine / "seqtui.json").read_text())
    manifest.pop("compared", None)
    (mine / "seqtui.json").write_text(json.dumps(manifest))
    assert "has not been compared" in catalog.choose(mine).passed_over
    cfg = config.load(None, {"model_dir": mine, **TINY_FLAGS})
    ended = training.train(cfg, resume=True)
    assert ended.reason == "complete" and "does not beat the shipped en-fr model" in ended.answers
    assert RunDir(mine).manifest().compared is not None


def test_predict_names_the_model_on_stderr_and_in_its_file(half_trained, tmp_path):
    mine = copy_run(half_trained, tmp_path)
    sentences = tmp_path / "in.txt"
    sentences.write_text("Go.\nI see.\tJe comprends.\n", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["predict", *config_file(tmp_path, mine), "-i", str(sentences), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "model: the shipped en-fr model" in result.stderr and "not your run (-v says why)" in result.stderr
    rows = [line.split("\t") for line in next(out.glob("in_*.tsv")).read_text(encoding="utf-8").splitlines()]
    assert rows[0] == ["source", "translation", "reference", "model"]
    assert all(r[-1].startswith("the shipped en-fr model (best val_chrf") for r in rows[1:]) and len(rows) == 3
    before = set(out.glob("in_*.tsv"))
    named = runner.invoke(app, ["predict", "--model-dir", str(mine), "-i", str(sentences), "-o", str(out)])
    assert f"model: your model in {mine}" in flat(named.stderr)
    (newest,) = set(out.glob("in_*.tsv")) - before
    row = newest.read_text(encoding="utf-8").splitlines()[1].split("\t")
    assert row[-1].startswith(f"your model in {mine} (1 of 1 epochs, best val_loss ")


def test_repl_plain_says_which_model_answers(half_trained, tmp_path):
    mine = copy_run(half_trained, tmp_path)
    result = runner.invoke(app, ["repl", "--plain", *config_file(tmp_path, mine)], input="Go.\n")
    assert result.exit_code == 0 and "model: the shipped en-fr model" in result.stderr
    assert "not your run (-v says why)" in result.stderr


def test_without_a_shipped_model_the_users_run_answers(half_trained, tmp_path, monkeypatch):
    mine = copy_run(half_trained, tmp_path)
    monkeypatch.setattr(catalog, "SHIPPED_ROOT", tmp_path / "none")
    choice = catalog.choose(mine)
    assert not choice.shipped and choice.path == mine and not choice.passed_over
    assert bundle.exists(choice.path)


async def test_the_dashboards_repl_pane_says_which_model_answers_and_why_not_yours(half_trained, tmp_path):
    from textual.widgets import Static
    from tui_fakes import tiny_config
    from tui_pilot import until

    from seqtui.tui.app import make_app
    from seqtui.tui.repl.transcript import Transcript

    mine = copy_run(half_trained, tmp_path)
    app = make_app(tiny_config(model_dir=mine))
    async with app.run_test(size=(120, 40)) as pilot:
        transcript = app.screen.query_one(Transcript)
        await until(pilot, lambda: "Ready:" in str(transcript.query(Static).last().render()), what="the model note")
        said = flat(str(transcript.query(Static).last().render()))
    assert "Ready: the shipped en-fr model (best val_chrf" in said
    assert f"(Your run in {mine} is passed over: chrF" in said and f"--model {mine} chooses it" in said


def test_scoring_a_small_validation_split_reports_progress_as_it_goes(trained_bundle):
    """The dashboard's "validating n/N" moves while chrF is scored: one report for the whole split (a
    single batch of up to 256 sentences) would leave it at 0/N until the end."""
    from seqtui.train.compare import chrf

    pairs = (TINY_PAIRS * 8)[:189]  # the shipped sample's validation split has 189 pairs
    seen: list[tuple[int, int]] = []
    chrf(bundle.load(trained_bundle).engine(), pairs, progress=lambda done, total: seen.append((done, total)))
    assert len(seen) >= 5 and seen[-1] == (189, 189)
    assert [done for done, _ in seen] == sorted({done for done, _ in seen})
