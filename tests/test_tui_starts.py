"""What t, c and i start on the dashboard: t and i a new run (beside model_dir's run when it holds one),
c (or t with --resume) a continuation of it; and `seqtui dashboard` takes train's --resume, --fresh and
--init-from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tui_fakes import scripted_trainer, tiny_config
from typer.testing import CliRunner

from seqtui.cli import app as cli_app
from seqtui.store import catalog
from seqtui.store.rundir import free_folder
from seqtui.tui import app as tui_app
from seqtui.tui.app import make_app
from seqtui.tui.training.epoch_progress import EpochProgress
from seqtui.tui.training.starts import TrainFlags

SIZE = (120, 40)


class Recorder:
    """A scripted trainer (one epoch) that keeps each call's folder and start arguments."""

    def __init__(self) -> None:
        self.calls: list[tuple[Path, dict]] = []
        self.scripted = scripted_trainer(epochs=1)

    def __call__(self, cfg, listener, **kwargs):
        self.calls.append((cfg.model_dir, {k: v for k, v in kwargs.items() if k not in ("stop", "pause")}))
        return self.scripted(cfg, listener, **kwargs)


@pytest.fixture
def holding(trained_bundle, tmp_path) -> Path:
    """models/my-run holding a finished run."""
    folder = tmp_path / "models" / "my-run"
    shutil.copytree(trained_bundle, folder)
    return folder


async def press(app, *keys: str) -> None:
    async with app.run_test(size=SIZE) as pilot:
        for key in keys:
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()


def test_a_new_folder_goes_beside_a_run_never_into_it(holding, tmp_path):
    assert free_folder(tmp_path / "empty") == tmp_path / "empty"
    assert free_folder(holding) == holding.parent / "my-run-2"
    (holding.parent / "my-run-2").mkdir()
    assert free_folder(holding) == holding.parent / "my-run-3"
    assert free_folder(holding.parent / "my-run-2") == holding.parent / "my-run-2"  # empty: usable as it is
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("not a run")
    assert free_folder(tmp_path / "mine") == tmp_path / "mine-2"  # somebody else's files


async def test_t_on_a_folder_holding_a_run_trains_a_new_one_beside_it(holding):
    trainer = Recorder()
    app = make_app(tiny_config(model_dir=holding), trainer=trainer)
    await press(app, "t")
    assert trainer.calls == [(holding.parent / "my-run-2", {"flags": {}})]  # neither resume nor fresh


async def test_t_on_an_empty_folder_trains_there(tmp_path):
    trainer = Recorder()
    app = make_app(tiny_config(model_dir=tmp_path / "m"), trainer=trainer)
    await press(app, "t")
    assert trainer.calls == [(tmp_path / "m", {"flags": {}})]


async def test_c_continues_the_run_and_the_first_screen_says_what_each_key_does(holding):
    trainer = Recorder()
    app = make_app(tiny_config(model_dir=holding), trainer=trainer)
    async with app.run_test(size=SIZE) as pilot:
        said = " ".join(str(app.screen.query_one(EpochProgress).render()).split())
        assert "c continues it; t starts a new run" in said and str(holding.parent / "my-run-2") in said
        await pilot.press("c")
        await app.workers.wait_for_complete()
    assert trainer.calls == [(holding, {"resume": True, "flags": {}})]


async def test_i_on_a_folder_holding_a_run_fine_tunes_beside_it(holding):
    trainer = Recorder()
    app = make_app(tiny_config(model_dir=holding), trainer=trainer)
    await press(app, "i")
    folder, start = trainer.calls[0]
    assert folder == holding.parent / "my-run-2" and start["init_from"] == catalog.shipped()[catalog.DEFAULT]
    assert "resume" not in start and "fresh" not in start


async def test_after_a_run_t_starts_another_and_c_continues_the_last(tmp_path):
    trainer = Recorder()
    app = make_app(tiny_config(model_dir=tmp_path / "m"), trainer=trainer)
    (tmp_path / "m").mkdir()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await app.workers.wait_for_complete()
        (tmp_path / "m" / "history.jsonl").write_text('{"epoch": 1}\n')  # what the run left (the fake writes none)
        await pilot.pause()
        await pilot.press("t")
        await app.workers.wait_for_complete()
        await pilot.press("c")
        await app.workers.wait_for_complete()
    assert [c[0] for c in trainer.calls] == [tmp_path / "m", tmp_path / "m-2", tmp_path / "m-2"]
    assert [c[1].get("resume") for c in trainer.calls] == [None, None, True]


async def test_with_resume_t_continues_and_flags_reach_the_trainer(holding):
    trainer = Recorder()
    app = make_app(tiny_config(model_dir=holding), trainer=trainer,
                   flags=TrainFlags(resume=True, settings={"epochs": 9}))
    await press(app, "t")
    assert trainer.calls == [(holding, {"resume": True, "flags": {"epochs": 9}})]


async def test_with_fresh_the_first_t_replaces_the_run_and_the_next_goes_beside(holding):
    trainer = Recorder()
    app = make_app(tiny_config(model_dir=holding), trainer=trainer, flags=TrainFlags(fresh=True))
    await press(app, "t", "t")
    assert trainer.calls[0] == (holding, {"fresh": True, "flags": {}})
    assert trainer.calls[1] == (holding.parent / "my-run-2", {"flags": {}})  # --fresh is spent on the first


async def test_with_init_from_i_starts_from_that_model(holding, trained_bundle, tmp_path):
    trainer = Recorder()
    app = make_app(tiny_config(model_dir=tmp_path / "new"), trainer=trainer,
                   flags=TrainFlags(init_from=trained_bundle))
    await press(app, "i")
    assert trainer.calls == [(tmp_path / "new", {"init_from": trained_bundle, "flags": {}})]


@pytest.fixture
def dashboard_args(monkeypatch) -> dict:
    """What `seqtui dashboard` hands the dashboard (the terminal itself is not opened)."""
    seen: dict = {}
    monkeypatch.setattr(tui_app, "run_dashboard", lambda cfg, **kw: seen.update(cfg=cfg, **kw))
    return seen


def test_dashboard_takes_trains_start_flags(dashboard_args, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli_app, ["dashboard", "--resume", "--epochs", "7", "--model-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    flags = dashboard_args["flags"]
    assert flags.resume and not flags.fresh and flags.settings["epochs"] == 7
    assert runner.invoke(cli_app, ["dashboard", "--fresh"]).exit_code == 0 and dashboard_args["flags"].fresh
    result = runner.invoke(cli_app, ["dashboard", "--init-from", "en-fr"])
    assert result.exit_code == 0 and dashboard_args["flags"].init_from == catalog.shipped()["en-fr"]
    assert runner.invoke(cli_app, ["dashboard", "--resume", "--fresh"]).exit_code == 2
    assert runner.invoke(cli_app, ["dashboard", "--resume", "--init-from", "en-fr"]).exit_code == 2
    missing = runner.invoke(cli_app, ["dashboard", "--init-from", "de-en"])
    assert missing.exit_code == 1 and "no model named 'de-en'" in missing.stderr
