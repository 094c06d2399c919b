"""The dashboard and the REPL at the terminal sizes a new user has: every panel reachable, the REPL usable.

At 80x24 the REPL used to be off the screen (what was typed showed nowhere), the epoch table was cut
and the curves and footer were gone; at 100x30 the curves got 10 columns. Each test here fails on
that layout.
"""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import Input
from textual.widgets._footer import FooterKey
from tui_fakes import FakeEngine, demo_config, scripted_trainer
from tui_pilot import type_line, until

from seqtui.store.catalog import Request
from seqtui.tui.app import make_app
from seqtui.tui.repl.repl_pane import ReplPane
from seqtui.tui.repl.transcript import Transcript
from seqtui.tui.training.dashboard import Dashboard
from seqtui.tui.training.epoch_table import EpochTable

SIZES = [(80, 24), (100, 30), (120, 40), (200, 60)]
PANELS = ("#settings", "#progress", "#epochs", "#loss-plot", "#accuracy-plot", "#samples", "#repl")


def dashboard_app() -> App:
    return make_app(demo_config(), trainer=scripted_trainer(), load_engine=lambda _: FakeEngine(),
                    model=Request(explicit_dir=True))


def shown(app: App, selector: str) -> bool:
    """Whether the widget is drawn, whole, inside the screen."""
    region = app.screen.query_one(selector).region
    return region.area > 0 and app.screen.region.contains_region(region)


def footer_keys(app: App) -> dict[str, str]:
    """The footer's keys that are drawn inside the screen: description -> key as shown."""
    return {key.description: key.key_display for key in app.screen.query(FooterKey) if shown_widget(app, key)}


async def footer_shows(pilot, *descriptions: str, key: str = "") -> None:
    """Wait for the footer (it is rebuilt after a refresh when the keys change) to show `descriptions`."""
    def ready() -> bool:
        keys = footer_keys(pilot.app)
        return set(descriptions) <= set(keys) and (not key or keys[descriptions[0]] == key)

    await until(pilot, ready, timeout=5, what=f"{descriptions} {key} in the footer, not {footer_keys(pilot.app)}")


def shown_widget(app: App, widget) -> bool:
    region = widget.region
    return region.area > 0 and app.screen.region.contains_region(region)


async def trained(pilot) -> Dashboard:
    dashboard = pilot.app.screen
    assert isinstance(dashboard, Dashboard)
    await pilot.press("t")
    await until(pilot, lambda: dashboard.ended and not dashboard.running, timeout=10, what="the scripted run")
    pilot.app.clear_notifications()
    return dashboard


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_panel_is_reachable_whole_with_z(size: tuple[int, int]) -> None:
    """From the training view, z shows every panel, each whole, the table with all its columns and each
    curve at least 30 columns wide, until the REPL; escape comes back. The footer names the way on and q."""
    app = dashboard_app()
    async with app.run_test(size=size) as pilot:
        dashboard = await trained(pilot)
        seen: set[str] = set()
        for _ in range(4):
            seen |= {panel for panel in PANELS if shown(app, panel)}
            table = dashboard.query_one(EpochTable)
            if shown(app, "#epochs"):
                assert table.region.width >= table.content_width + 2  # every column, inside the border
                assert table.region.height >= 7  # the header and at least four epochs
            for plot in ("#loss-plot", "#accuracy-plot"):
                if shown(app, plot):
                    assert dashboard.query_one(plot).region.width >= 30
            if isinstance(app.focused, Input):  # the REPL's page: z is typing here, escape goes back
                await footer_shows(pilot, "Training view", "Quit")
                break
            await footer_shows(pilot, "Zoom", "Quit")
            await pilot.press("z")
        assert seen == set(PANELS)
        await pilot.press("escape")
        assert shown(app, "#epochs") and shown(app, "#loss-plot") and app.focused is dashboard.query_one(EpochTable)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_r_gives_a_usable_repl_at_every_size(size: tuple[int, int]) -> None:
    """r: the input line and at least 8 rows of history on screen; what is typed shows, and so does its
    translation; the footer says how to quit from there."""
    app = dashboard_app()
    async with app.run_test(size=size) as pilot:
        dashboard = await trained(pilot)
        await pilot.press("r")
        pane = dashboard.query_one(ReplPane)
        assert app.focused is pane.input and shown(app, "#repl-input") and shown(app, "#repl")
        transcript = pane.query_one(Transcript)
        assert transcript.region.height >= 8
        await pilot.press("H", "i")
        assert pane.input.value == "Hi"
        await pilot.press("enter")
        await until(pilot, lambda: transcript.output(1) == "Je vais bien." and not transcript.streaming(1),
                    timeout=10, what="the translation")
        await pilot.pause()
        entry = transcript.children[-1]
        assert transcript.region.contains_region(entry.region), "the answer is not in view"
        await footer_shows(pilot, "Quit", key="^q")
        await pilot.press("escape")
        assert app.focused is dashboard.query_one(EpochTable)
        await footer_shows(pilot, "Quit", key="q")


async def test_the_header_says_how_the_run_stands_at_80_columns() -> None:
    """The state line comes first and stays one line, whatever the width; it changes when the run ends."""
    app = make_app(demo_config(), trainer=scripted_trainer(hold=True), load_engine=lambda _: FakeEngine(),
                   model=Request(explicit_dir=True))
    async with app.run_test(size=(80, 24)) as pilot:
        dashboard = app.screen
        assert isinstance(dashboard, Dashboard)
        header = dashboard.query_one("#settings")
        assert str(header.render()).splitlines()[0].startswith("No run here yet: t trains one")
        await pilot.press("t")
        await until(pilot, lambda: len(dashboard.records) == 6, timeout=10, what="the scripted epochs")
        assert str(header.render()).splitlines()[0].startswith("Training: new run of 6 epochs")
        await pilot.press("s")
        await until(pilot, lambda: not dashboard.running, timeout=10, what="the stop")
        first = str(header.render()).splitlines()[0]
        assert first == "Stopped after epoch 6 of 6 · best epoch 5 (val_loss 2.2700) · c continues"
        assert header.region.height == 4  # state and three lines of settings, none wrapped


async def test_the_full_screen_repl_quits_with_q_escape_and_ctrl_q_and_says_so() -> None:
    """`seqtui repl`: the footer shows ^q Quit; :q quits; escape clears a typed line, then quits."""
    for keys in ([":q"], ["escape"], ["ctrl+q"]):
        app = make_app(demo_config(), mode="repl", load_engine=lambda _: FakeEngine(), model=Request(explicit_dir=True))
        async with app.run_test(size=(80, 24)) as pilot:
            await footer_shows(pilot, "Quit", key="^q")
            if keys == ["escape"]:
                await pilot.press("G", "o", "escape")
                assert app.is_running and app.screen.query_one(Input).value == ""
                await pilot.press("escape")
            elif keys == [":q"]:
                await type_line(pilot, ":q")
            else:
                await pilot.press("ctrl+q")
            await pilot.pause()
            assert not app.is_running, f"{keys} did not quit"


def long_samples_trainer(cfg, listener, stop, pause, **start):
    """One epoch whose translations run long, as an early epoch's do (up to the maximum output length)."""
    from tui_fakes import INFO, SAMPLES

    from seqtui import events
    from seqtui.records import EpochRecord

    listener(events.TrainingStarted(INFO, 1, 1, 4))
    babble = [(s, r, "le le le " * 20) for s, r, _ in SAMPLES]
    listener(events.EpochEnded(EpochRecord(1, 3.9, 0.1, 3.7, 0.1, seconds=1.0, best=True), True, babble))
    ended = events.TrainingEnded("finished", 1, 1, "val_loss", 3.7, str(cfg.model_dir))
    listener(ended)
    return ended


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_long_early_samples_keep_one_line_each_so_all_four_show(size: tuple[int, int]) -> None:
    app = make_app(demo_config(), trainer=long_samples_trainer, load_engine=lambda _: FakeEngine(),
                   model=Request(explicit_dir=True))
    async with app.run_test(size=size) as pilot:
        dashboard = await trained(pilot)
        if not shown(app, "#samples"):
            await pilot.press("z")
        panel = dashboard.query_one("#samples")
        lines = app.screen._compositor.render_strips()[panel.region.y + 1:panel.region.bottom - 1]
        text = [strip.text[panel.region.x:panel.region.right] for strip in lines]
        assert [line.strip("│ ") for line in text[0:12:3]] == ["Go.", "I see.", "Thanks.", "Be calm."]
        assert all(line.rstrip("│ ").endswith("…") for line in text[1:12:3])  # the babble, cut


async def test_quitting_leaves_the_closing_line_and_resume_hint_that_train_prints() -> None:
    """The dashboard's result is what run_dashboard prints once the terminal is back; nothing without a run."""
    app = make_app(demo_config(), trainer=scripted_trainer(hold=True), load_engine=lambda _: FakeEngine(),
                   model=Request(explicit_dir=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t")
        await until(pilot, lambda: len(app.screen.records) == 6, timeout=10, what="the scripted epochs")
        await pilot.press("q", "y")
        await until(pilot, lambda: not app.is_running, timeout=10, what="the app to close")
    assert app.return_value == ("Stopped after 6 complete epochs; best epoch 5 (val_loss 2.2700); checkpoint saved "
                                "in /srv/seqtui-demo/models. Continue with: seqtui train --resume "
                                "--model-dir /srv/seqtui-demo/models")
    idle = dashboard_app()
    async with idle.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
    assert idle.return_value is None


def test_the_closing_lines_reach_the_terminal_as_lines(monkeypatch, capsys) -> None:
    """The closing line and the which-model-answers line printed as two lines, not joined by a
    literal `\\x0a`; a control character inside a line is still escaped."""
    from types import SimpleNamespace

    from seqtui.tui import app as tui_app

    closing = "Stopped after 2 complete epoch(s).\nYour run in models/\x1b[31mred does not beat en-fr yet."
    monkeypatch.setattr(tui_app, "make_app", lambda *a, **k: SimpleNamespace(run=lambda: closing))
    monkeypatch.setattr(tui_app, "_exit_without_tensorflow_teardown", lambda: None)
    tui_app.run_dashboard(demo_config())
    assert capsys.readouterr().out == ("Stopped after 2 complete epoch(s).\n"
                                       "Your run in models/\\x1b[31mred does not beat en-fr yet.\n")


async def test_a_saved_run_shows_its_last_samples(tmp_path) -> None:
    """The samples panel of a saved run said only that samples would come after an epoch."""
    from tui_fakes import SAMPLES

    from seqtui.records import EpochRecord
    from seqtui.store import bundle

    bundle.write_history(tmp_path, [EpochRecord(1, 3.9, val_loss=3.7, best=True), EpochRecord(2, 3.0, val_loss=2.9)])
    bundle.write_samples(tmp_path, 2, SAMPLES)
    app = make_app(demo_config(model_dir=tmp_path), load_engine=lambda _: FakeEngine(),
                   model=Request(explicit_dir=True))
    async with app.run_test(size=(120, 40)):
        panel = app.screen.query_one("#samples")
        assert panel.border_title == "Samples · epoch 2" and "Sois came." in str(panel.render())


async def test_a_new_run_does_not_show_the_saved_runs_samples(tmp_path) -> None:
    """t beside a saved run: until the new run's first epoch ended, the samples panel showed the saved run's
    last samples under "Samples · epoch N", as if the new run had written them."""
    import threading

    from tui_fakes import INFO, SAMPLES

    from seqtui import events
    from seqtui.records import EpochRecord
    from seqtui.store import bundle

    bundle.write_history(tmp_path, [EpochRecord(1, 3.9, val_loss=3.7, best=True), EpochRecord(2, 3.0, val_loss=2.9)])
    bundle.write_samples(tmp_path, 2, SAMPLES)
    release = threading.Event()
    epochs = scripted_trainer(epochs=1)

    def first_epoch_waits(cfg, listener, stop, pause, **kwargs):
        listener(events.TrainingStarted(INFO, 1, 1, 4))
        release.wait(10)
        return epochs(cfg, listener, stop, pause, **kwargs)

    app = make_app(demo_config(model_dir=tmp_path), trainer=first_epoch_waits, load_engine=lambda _: FakeEngine(),
                   model=Request(explicit_dir=True))
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.screen.query_one("#samples")
        assert panel.border_title == "Samples · epoch 2"
        await pilot.press("t")
        await until(pilot, lambda: app.screen.training_state.startswith("Training"), timeout=10,
                    what="the new run to begin")
        shown_before = panel.border_title, str(panel.render())
        release.set()
        await until(pilot, lambda: panel.border_title == "Samples · epoch 1", timeout=10, what="its first epoch")
    assert shown_before[0] == "Samples" and "Sois calme." not in shown_before[1]
