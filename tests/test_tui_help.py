"""What a new user meets first: a footer that fits 80 columns and offers c once there is a run, a help
screen (F1 everywhere, ? and h where no input has the focus) listing every key, a fine-tune of sensible
length, and a failed start that leaves the header as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input
from textual.widgets._footer import FooterKey
from tui_fakes import FakeEngine, demo_config, scripted_trainer, tiny_config
from tui_pilot import until

from seqtui.errors import SeqtuiError
from seqtui.events import TrainingEnded
from seqtui.store.catalog import Request
from seqtui.tui.app import make_app
from seqtui.tui.help import HelpScreen
from seqtui.tui.repl.repl_pane import ReplPane
from seqtui.tui.training.dashboard import Dashboard
from seqtui.tui.training.run_settings import RunSettings
from seqtui.tui.training.starts import TrainFlags

SMALL = (80, 24)
DASHBOARD_KEYS = {"t", "c", "i", "d", "p", "s", "q", "r", "tab", "z", "v", "x", "a", "esc", "^q", "?", "h", "F1"}


def footer_keys(screen: Any) -> dict[str, int]:
    """Each key the footer shows, with the column its label ends at."""
    return {key.key: key.region.right for key in screen.query(FooterKey)}


def app_of(trainer: Any = None, **kwargs: Any) -> Any:
    return make_app(demo_config(), trainer=trainer or scripted_trainer(), load_engine=lambda _: FakeEngine(),
                    model=Request(explicit_dir=True), **kwargs)


async def test_the_80_column_footer_fits_and_offers_c_once_there_is_a_run() -> None:
    """Catches c missing from the footer after a run (the header says c continues), a footer cut at 80
    columns, or escape offered where it goes nowhere and missing where it leads back."""
    app = app_of()
    async with app.run_test(size=SMALL) as pilot:
        screen = app.screen
        assert isinstance(screen, Dashboard)
        await pilot.pause()
        first = footer_keys(screen)
        assert "c" not in first and "f1" in first and max(first.values()) <= SMALL[0]
        await pilot.press("t")
        await until(pilot, lambda: screen.ended and not screen.running, what="the scripted run")
        await pilot.pause()
        after = footer_keys(screen)
        assert "c" in after and "f1" in after, after
        assert max(after.values()) <= SMALL[0], after
        assert "escape" not in after  # on the training panels already
        await pilot.press("r")
        await until(pilot, lambda: "escape" in footer_keys(screen), what="escape back from the REPL")


async def test_f1_and_question_mark_list_every_key_and_the_repl_keeps_what_is_typed() -> None:
    """Catches a key of the dashboard missing from its help, ? stolen from the REPL's input, or F1 not
    working there."""
    app = app_of()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help screen")
        listed = {key for keys, _, _ in app.screen.rows for key in keys.split(", ")}
        assert listed >= DASHBOARD_KEYS, DASHBOARD_KEYS - listed
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, Dashboard), what="the help closed")
        await pilot.press("r", "question_mark", "h")
        assert app.screen.query_one(ReplPane).query_one(Input).value == "?h"
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), what="F1's help over the REPL")
        await pilot.press("v")  # what the help is on top of does not get the keys
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, Dashboard), what="F1 again closes it")


async def test_a_fine_tune_runs_ten_epochs_with_patience_three_unless_flags_say(tmp_path: Path) -> None:
    """Catches i starting a fine-tune with a new model's 100 epochs and patience 10, or overriding
    --epochs given to the dashboard."""
    seen: list[Any] = []

    def trainer(cfg: Any, listener: Any, **start: Any) -> TrainingEnded:
        seen.append((cfg.epochs, cfg.patience, start.get("init_from")))
        return TrainingEnded("complete", 0, None, "val_loss", None, str(cfg.model_dir), note="nothing to do")

    origin = tmp_path / "origin"
    for flags, epochs, expected in ((TrainFlags(init_from=origin), 100, (10, 3)),
                                    (TrainFlags(init_from=origin, settings={"epochs": 25}), 25, (25, 3))):
        app = make_app(tiny_config(model_dir=tmp_path / "m", epochs=epochs, patience=10), trainer=trainer,
                       load_engine=lambda _: FakeEngine(), flags=flags)
        async with app.run_test(size=SMALL) as pilot:
            screen = app.screen
            await pilot.press("i")
            await until(pilot, lambda s=screen: len(seen) == 1 and not s.running, what="the fine-tune")
        assert seen.pop() == (*expected, origin)


async def test_a_start_that_fails_before_training_puts_the_header_back(tmp_path: Path) -> None:
    """Catches the header left on `Preparing the run…` and the status offering `continue from them` after
    a start refused before anything ran (a read-only model folder, say)."""

    def refused(cfg: Any, listener: Any, **start: Any) -> TrainingEnded:
        raise SeqtuiError(f"{cfg.model_dir}: read-only")

    app = app_of(trainer=refused)
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        screen = app.screen
        assert isinstance(screen, Dashboard)
        before = screen.query_one(RunSettings).state.plain
        await pilot.press("t")
        await until(pilot, lambda: not screen.running and any("read-only" in n.message for n in app._notifications),
                    what="the refusal")
        assert screen.query_one(RunSettings).state.plain == before
        assert "did not start" in screen.panels.progress.headline.plain
        assert "continue from them" not in screen.panels.progress.headline.plain


async def test_the_runs_view_at_80_columns_keeps_its_scores_and_a_whole_footer(tmp_path: Path) -> None:
    """Catches the runs view cutting off its right-hand columns (best, chrF, BLEU, time) or its footer at
    80 columns, or taking the columns away where there is room for them."""
    from textual.widgets.data_table import ColumnKey

    from seqtui.tui.runs.runs_screen import RunsScreen
    from seqtui.tui.runs.runs_table import RunsTable
    from tests.runs_fixtures import make_three_runs

    root = make_three_runs(tmp_path / "models")
    for size, spare_shown in ((SMALL, False), ((120, 40), True)):
        app = make_app(tiny_config(model_dir=root / "base"), load_engine=lambda _: FakeEngine())
        async with app.run_test(size=size) as pilot:
            await pilot.press("v")
            await until(pilot, lambda a=app: isinstance(a.screen, RunsScreen), what="the runs view")
            table = app.screen.query_one(RunsTable)
            await until(pilot, lambda t=table: t.row_count == 3, what="three runs")
            await pilot.pause()
            assert table.virtual_size.width <= table.size.width, (size, table.virtual_size, table.size)  # all in sight
            assert {ColumnKey(name) for name in ("state", "best", "chrF", "BLEU", "time")} <= set(table.columns)
            assert (ColumnKey("data") in table.columns) is spare_shown
            keys = footer_keys(app.screen)
            assert "f1" in keys and max(keys.values()) <= size[0], keys


async def test_the_attention_heatmap_fits_its_panel_at_80x24_with_a_caption() -> None:
    """Catches the heatmap's rows running off the bottom of the samples panel (its legend lost) without
    a word of what is left out."""
    from seqtui.tui.training.samples_panel import SamplesPanel

    app = app_of(trainer=scripted_trainer())
    async with app.run_test(size=SMALL) as pilot:
        screen = app.screen
        assert isinstance(screen, Dashboard)
        await pilot.press("t")
        await until(pilot, lambda: screen.ended and not screen.running, what="the scripted run")
        panel = screen.query_one(SamplesPanel)
        sample = max(range(len(panel.samples)), key=lambda i: len(panel.samples[i][2]))
        for _ in range(sample + 1):
            await pilot.press("a")
        await pilot.pause()
        lines = str(panel.render()).split("\n")
        assert len(lines) <= panel.content_size.height, (len(lines), panel.content_size)
        assert "weight:" in lines[-1] and "more output character" in "\n".join(lines)


async def test_the_epochs_table_says_how_much_patience_is_left_while_training() -> None:
    """Catches patience missing from the screen, counted from the wrong epoch, or left up once the run
    ended (no early stopping runs then)."""
    from seqtui.tui.training.epoch_table import EpochTable

    app = make_app(demo_config().replace(patience=3), trainer=scripted_trainer(hold=True),
                   load_engine=lambda _: FakeEngine(), model=Request(explicit_dir=True))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, Dashboard)
        table = screen.query_one(EpochTable)
        await pilot.press("t")
        await until(pilot, lambda: table.row_count == 6, what="six epochs")
        # val_loss is best at epoch 5 of the scripted run; epoch 6 was worse: one epoch of three used
        assert table.border_subtitle == "patience: 2 of 3 epochs left without a better val_loss"
        await pilot.press("s")
        await until(pilot, lambda: not screen.running, what="the stop")
        assert table.border_subtitle == ""
