"""Pilot tests of the REPL: streaming one character per message, unknown characters, commands, no model."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static
from tui_fakes import FakeEngine, scripted_trainer, tiny_config
from tui_pilot import type_line, until

from seqtui.api import Translator
from seqtui.decode.decoding import Settings
from seqtui.store.catalog import Request
from seqtui.tui.app import make_app
from seqtui.tui.messages import TranslationChar, TranslationEnded, TranslationFailed
from seqtui.tui.repl.repl_pane import ReplPane
from seqtui.tui.repl.transcript import Transcript
from seqtui.tui.training.epoch_table import EpochTable

SIZE = (120, 40)
NO_MODEL = tiny_config(model_dir=Path("/nonexistent/models"))


async def model_noted(pilot) -> None:
    transcript = pilot.app.screen.query_one(Transcript)
    await until(pilot, lambda: len(transcript.children) >= 1, what="the model note")


def ended(messages: list, n: int = 1) -> bool:
    return sum(isinstance(m, TranslationEnded) for m in messages) >= n


async def test_repl_streams_the_saved_model_one_character_per_message(trained_bundle: Path) -> None:
    """Each decoded character arrives as its own message; together they are the model's translation."""
    settings = Settings(temperature=1.0, seed=3)  # sampling: a 3-epoch model says something, not nothing
    expected = Translator.open(trained_bundle, settings).translate("I see.")
    messages: list = []
    app = make_app(tiny_config(model_dir=trained_bundle), mode="repl", settings=settings,
                   model=Request(explicit_dir=True))
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await type_line(pilot, "I see.")
        await until(pilot, lambda: ended(messages), what="the translation")
        chars = [m.char for m in messages if isinstance(m, TranslationChar)]
        assert len(chars) == len(expected) > 1
        assert all(len(c) == 1 for c in chars) and "".join(chars) == expected
        assert app.screen.query_one(Transcript).output(1) == expected


async def test_unknown_characters_are_flagged_inline() -> None:
    """A character outside the model's vocabulary is named with its position and highlighted."""
    app = make_app(NO_MODEL, mode="repl", load_engine=lambda _: FakeEngine())
    messages: list = []
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await model_noted(pilot)  # the "Ready" note first, so the entry below is the last line
        app.screen.query_one(Input).value = "Go €5"  # Pilot cannot type €: its key is named euro_sign
        await pilot.press("enter")
        await until(pilot, lambda: ended(messages), what="the translation")
        entry = app.screen.query_one(Transcript).query(Static).last()
        text = entry.render()
        assert "unknown characters: '€' at 3, '5' at 4" in str(text)
        assert "Je vais bien." in str(text)


async def test_commands_change_beam_temperature_and_greedy() -> None:
    """:beam, :temp and :greedy change the decoding settings shown in the pane; bad commands explain."""
    app = make_app(NO_MODEL, mode="repl", load_engine=lambda _: FakeEngine())
    async with app.run_test(size=SIZE) as pilot:
        await model_noted(pilot)
        pane = app.screen.query_one(ReplPane)
        status = pane.query_one("#repl-status", Static)
        await type_line(pilot, ":beam 4")
        assert pane.state.settings.beam == 4 and "beam 4" in str(status.render())
        await type_line(pilot, ":temp 0.7")
        assert pane.state.settings.temperature == 0.7
        await type_line(pilot, ":greedy")
        assert (pane.state.settings.beam, pane.state.settings.temperature) == (1, 0.0)
        await type_line(pilot, ":beam zero")
        last_note = pane.query_one(Transcript).query(Static).last()
        assert "beam width: expected a number" in str(last_note.render())


async def test_translate_as_you_type_fills_the_preview() -> None:
    """With :live on, pausing while typing translates the line so far into the preview."""
    app = make_app(NO_MODEL, mode="repl", load_engine=lambda _: FakeEngine())
    async with app.run_test(size=SIZE) as pilot:
        await type_line(pilot, ":live on")
        await pilot.press("G", "o")
        preview = app.screen.query_one("#preview", Static)
        await until(pilot, lambda: "Je vais bien." in str(preview.render()), timeout=5, what="the preview")


async def test_a_preview_still_queued_when_the_line_is_submitted_starts_no_decode(monkeypatch) -> None:
    """Enter right after the pause: the preview request was still in the app's queue, and a worker then
    decoded the old line for nothing (its output was ignored) while the real translation waited."""
    app = make_app(NO_MODEL, mode="repl", load_engine=lambda _: FakeEngine())
    previews: list[str] = []
    monkeypatch.setattr(type(app), "preview", lambda self, target, entry, text, settings: previews.append(text))
    async with app.run_test(size=SIZE) as pilot:
        await type_line(pilot, ":live on")
        pane = app.screen.query_one(ReplPane)
        pane._start_preview("Go")  # the timer fires: the request is queued...
        pane._stop_preview()  # ...and the line is submitted before the app reads it
        pane._start_preview("Go.")  # a newer preview is still wanted
        await pilot.pause()
        await until(pilot, lambda: previews != [], timeout=5, what="the wanted preview")
        await pilot.pause()
        assert previews == ["Go."]


async def test_repl_without_a_model_says_so_and_stays_up(tmp_path: Path) -> None:
    """`seqtui repl --model-dir` on an empty folder explains what to do instead of crashing."""
    messages: list = []
    app = make_app(tiny_config(model_dir=tmp_path), mode="repl", model=Request(explicit_dir=True))
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        transcript = app.screen.query_one(Transcript)
        await until(pilot, lambda: len(transcript.children) == 1, what="the model note")
        assert "no trained model in" in str(transcript.query(Static).first().render())
        await type_line(pilot, "Go.")
        await until(pilot, lambda: any(isinstance(m, TranslationFailed) for m in messages), what="a failure")
        assert "no trained model" in str(transcript.query(Static).last().render())
        assert app.is_running


async def test_repl_on_a_folder_without_a_model_uses_the_shipped_one(tmp_path: Path) -> None:
    """Until the user trains a model, the shipped en-fr model answers, and the REPL says so."""
    app = make_app(tiny_config(model_dir=tmp_path / "my-run"), mode="repl")
    async with app.run_test(size=SIZE) as pilot:
        transcript = app.screen.query_one(Transcript)
        await until(pilot, lambda: len(transcript.children) == 1, what="the model note")
        assert "Ready: the shipped en-fr model" in str(transcript.query(Static).first().render())


async def test_r_tab_and_escape_move_between_the_views() -> None:
    """r and tab put the cursor in the REPL input; escape returns to the training view."""
    app = make_app(NO_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.focused, EpochTable)
        await pilot.press("r")
        assert isinstance(app.focused, Input)
        await pilot.press("escape")
        assert isinstance(app.focused, EpochTable)
        await pilot.press("tab")
        assert isinstance(app.focused, Input)


async def test_repl_in_the_dashboard_uses_the_last_epoch_snapshot_while_training() -> None:
    """While training runs, the REPL decodes with the snapshot of the last finished epoch."""
    app = make_app(NO_MODEL, trainer=scripted_trainer(epochs=2, hold=True),
                   load_engine=lambda _: FakeEngine("saved"))
    messages: list = []
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        dashboard = app.screen
        await pilot.press("t")
        await until(pilot, lambda: dashboard.query_one(EpochTable).row_count == 2, what="two epochs")
        await pilot.press("r")
        await type_line(pilot, "Go.")
        await until(pilot, lambda: ended(messages), what="the translation")
        transcript = dashboard.query_one(Transcript)
        assert transcript.output(1) == "époque 2"
        assert "epoch 2 snapshot" in str(transcript.query(Static).last().render())
        await pilot.press("escape", "s")
        await until(pilot, lambda: not dashboard.running, what="training to stop")
        await pilot.press("r")
        await type_line(pilot, "Go.")
        await until(pilot, lambda: ended(messages, 2), what="the second translation")
        assert transcript.output(2) == "saved"


async def test_a_new_sentence_cuts_the_one_still_streaming_short() -> None:
    """Two sentences submitted at once: the first is marked cut short, the second streams in full."""
    app = make_app(NO_MODEL, mode="repl", load_engine=lambda _: FakeEngine("x" * 200, seconds_per_char=0.005))
    messages: list = []
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        pane = app.screen.query_one(ReplPane)
        await until(pilot, lambda: pane.engine_label != "", what="the model")
        for line in ("Go.", "Hi."):  # back to back, as a pasted pair of lines would arrive
            pane.post_message(Input.Submitted(pane.input, line))
        await until(pilot, lambda: any(isinstance(m, TranslationEnded) and m.entry == 2 for m in messages),
                    what="the second translation")
        transcript = pane.query_one(Transcript)
        first, second = transcript.query(Static)[-2:]
        assert "cut short" in str(first.render()) and "▌" not in str(first.render())
        assert transcript.output(2) == "x" * 200 and len(transcript.output(1)) < 200


async def test_up_and_down_recall_earlier_lines_and_then_the_line_being_typed() -> None:
    """As in a shell: Up walks back through what was submitted (a repeat kept once), Down forward to the draft."""
    app = make_app(NO_MODEL, mode="repl", load_engine=lambda _: FakeEngine())
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.screen.query_one(ReplPane)
        for line in ("Go.", ":beam 2", ":beam 2"):
            await type_line(pilot, line)
        await pilot.press("d", "r")

        async def press(key: str) -> str:
            await pilot.press(key)
            return pane.input.value

        assert [await press("up") for _ in range(3)] == [":beam 2", "Go.", "Go."]
        assert [await press("down") for _ in range(3)] == [":beam 2", "dr", "dr"]
        await pilot.press("up", "enter")
        assert pane.state.settings.beam == 2 and pane.lines == ["Go.", ":beam 2"]


async def test_pageup_pagedown_and_the_wheel_scroll_the_history_which_then_follows_again() -> None:
    """At 80x24 :help does not fit: PageUp and the wheel reach its start, PageDown the end, and a new
    answer is then in view."""
    from textual import events

    app = make_app(NO_MODEL, mode="repl", load_engine=lambda _: FakeEngine())
    async with app.run_test(size=(80, 24)) as pilot:
        transcript = app.screen.query_one(Transcript)
        await model_noted(pilot)
        for _ in range(4):
            await type_line(pilot, ":help")
        await pilot.pause()
        assert transcript.max_scroll_y > transcript.region.height  # more than two pages to read
        assert transcript.scroll_y == transcript.max_scroll_y
        await pilot.press("pageup")
        assert transcript.scroll_y < transcript.max_scroll_y
        await pilot._post_mouse_events([events.MouseScrollUp] * 40, transcript)  # Pilot has no wheel of its own
        assert transcript.scroll_y == 0
        while transcript.scroll_y < transcript.max_scroll_y:
            before = transcript.scroll_y
            await pilot.press("pagedown")
            assert transcript.scroll_y > before
        await type_line(pilot, "Go.")
        await until(pilot, lambda: transcript.output(1) == "Je vais bien." and not transcript.streaming(1),
                    what="the translation")
        await pilot.pause()
        assert transcript.region.contains_region(transcript.children[-1].region)


async def test_q_in_the_dashboards_repl_asks_first_while_training_runs() -> None:
    """:q goes through the same question as q: quitting mid-run saves first."""
    from seqtui.tui.training.confirm_quit import ConfirmQuit

    app = make_app(NO_MODEL, trainer=scripted_trainer(epochs=1, hold=True), load_engine=lambda _: FakeEngine())
    async with app.run_test(size=SIZE) as pilot:
        dashboard = app.screen
        await pilot.press("t")
        await until(pilot, lambda: dashboard.query_one(EpochTable).row_count == 1, what="an epoch")
        await pilot.press("r")
        await type_line(pilot, ":q")
        assert isinstance(app.screen, ConfirmQuit)
        await pilot.press("n")
        assert app.is_running and dashboard.running


async def test_a_line_too_long_for_80_columns_wraps_under_its_own_indent() -> None:
    """Catches a wrapped sentence, translation or note starting its continuation at the pane's left edge
    (under the "› ") instead of two columns in, and a resize leaving entries wrapped to the old width."""
    words = "Il a perdu ses clés de voiture encore une fois ce matin avant de partir au travail."
    app = make_app(NO_MODEL, mode="repl", load_engine=lambda _: FakeEngine(reply=words))
    async with app.run_test(size=(80, 24)) as pilot:
        await model_noted(pilot)
        sentence = "He lost his car keys yet again this morning before he left for work at the office."
        await type_line(pilot, sentence)
        transcript = app.screen.query_one(Transcript)
        await until(pilot, lambda: not transcript.streaming(1), timeout=10, what="the translation")

        def entry_lines() -> list[str]:
            region = transcript.query(Static).last().region
            strips = app.screen._compositor.render_strips()[region.y:region.bottom]
            return [strip.text[region.x:region.right].rstrip() for strip in strips]

        await pilot.pause()
        lines = [line for line in entry_lines() if line]
        assert len(lines) >= 4, lines  # the sentence and the translation each took two lines at 80 columns
        assert lines[0].startswith("› He lost") and all(line.startswith("  ") for line in lines[1:]), lines
        assert " ".join(" ".join(line[2:].split()) for line in lines).startswith(sentence + " " + words)
        await pilot.resize_terminal(60, 24)
        await pilot.pause()
        await pilot.pause()
        narrow = [line for line in entry_lines() if line]
        assert len(narrow) > len(lines) and all(len(line) <= 60 for line in narrow)
        assert narrow[0].startswith("› ") and all(line.startswith("  ") for line in narrow[1:]), narrow
        # nothing cut off below: the entry is as tall as its wrapped lines, and they hold every word
        assert " ".join(" ".join(line[2:].split()) for line in narrow).startswith(sentence + " " + words)
        entry = transcript.query(Static).last()
        assert entry.size.height == str(entry.render()).count("\n") + 1
