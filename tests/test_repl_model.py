"""`:model NAME` in the REPL: the named model answers from then on, even while training sends snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_fakes import tiny_config
from tui_pilot import type_line, until

import seqtui
from seqtui.decode.decoding import Settings
from seqtui.errors import BundleError
from seqtui.tui.app import make_app
from seqtui.tui.messages import TranslationEnded
from seqtui.tui.repl import repl_commands
from seqtui.tui.repl.engines import EngineSource
from seqtui.tui.repl.repl_commands import ReplState
from seqtui.tui.repl.transcript import Transcript


def test_the_command_names_the_model_and_refuses_none() -> None:
    state = ReplState(Settings())
    assert repl_commands.run(":model fr-en", state).model == "fr-en"
    empty = repl_commands.run(":model", state)
    assert empty.list_models and not empty.model and not empty.error


async def test_model_alone_lists_the_models_that_exist(tmp_path: Path) -> None:
    """`:model` and `:help` named a fr-en model that is not shipped; `:model` alone lists what `:model NAME`
    accepts: the shipped models and the runs beside model_dir."""
    from tui_fakes import FakeEngine

    from seqtui.store import bundle
    from seqtui.store.catalog import Request

    for run in ("my-run", "my-run-2"):
        (tmp_path / run).mkdir()
        (tmp_path / run / bundle.MODEL).touch()
    (tmp_path / "not-a-run").mkdir()
    app = make_app(tiny_config(model_dir=tmp_path / "my-run"), mode="repl", load_engine=lambda _: FakeEngine(),
                   model=Request(explicit_dir=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_line(pilot, ":model")
        await type_line(pilot, ":help")
        await pilot.pause()
        notes = " ".join(str(item.render()) for item in pilot.app.screen.query_one(Transcript).children)
    from seqtui.store import catalog

    assert ", ".join([*sorted(catalog.shipped()), "my-run", "my-run-2"]) in notes
    assert ("fr-en" in notes) == ("fr-en" in catalog.shipped()) and "not-a-run" not in notes


def test_a_named_model_answers_instead_of_training_snapshots(trained_bundle: Path) -> None:
    source = EngineSource(trained_bundle, load=lambda path: f"engine of {path.name}")
    source.use_snapshot("snapshot", 3)
    assert source.get() == ("snapshot", "the epoch 3 snapshot")
    choice = source.switch("en-fr")
    assert choice.shipped
    engine, label = source.get()
    assert engine == "engine of en-fr" and label == choice.describe()
    with pytest.raises(BundleError):
        source.switch(str(trained_bundle / "no-such-run"))
    assert source.get()[0] == "engine of en-fr"  # a refused switch changes nothing


async def test_the_repl_switches_to_the_shipped_model(trained_bundle: Path) -> None:
    expected = seqtui.load("en-fr", beam=1).translate("I'm hungry.")
    messages: list = []
    app = make_app(tiny_config(model_dir=trained_bundle), mode="repl", settings=Settings(beam=1))
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await type_line(pilot, ":model nowhere")
        await type_line(pilot, ":model en-fr")
        await type_line(pilot, "I'm hungry.")
        await until(pilot, lambda: any(isinstance(m, TranslationEnded) for m in messages), what="the translation")
        notes = " ".join(str(item.render()) for item in pilot.app.screen.query_one(Transcript).children)
    assert "nowhere" in notes and "Now answering: the shipped en-fr model" in notes
    assert next(m for m in messages if isinstance(m, TranslationEnded)).result.best.text == expected
