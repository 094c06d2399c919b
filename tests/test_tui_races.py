"""Messages that land while the app quits: a worker's answer may arrive after `exit()`, and must not
turn a clean quit into a crash."""

from __future__ import annotations

from tui_fakes import FakeEngine, demo_config, scripted_trainer
from tui_pilot import until

from seqtui.store.catalog import Request
from seqtui.tui.app import make_app
from seqtui.tui.messages import ModelReady
from seqtui.tui.repl.repl_pane import ReplPane
from seqtui.tui.repl.transcript import Transcript


async def test_a_model_note_or_translation_that_lands_while_the_app_quits_is_dropped() -> None:
    """The load worker's ModelReady (or a translation's first line) handled after q: the transcript is
    leaving with the app, so its lines are dropped instead of mounted (Textual refuses that mount)."""
    app = make_app(demo_config(), trainer=scripted_trainer(), load_engine=lambda _: FakeEngine(),
                   model=Request(explicit_dir=True))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.screen.query_one(ReplPane)
        transcript = pane.query_one(Transcript)
        await until(pilot, lambda: any("Ready:" in str(line.render()) for line in transcript.children),
                    what="the model note")
        transcript.begin(1, "Go.")  # a translation under way when q is pressed
        app.exit()
        transcript.add_char(1, "V", 0.5)  # its characters go on arriving
        pane.model_ready(ModelReady("a late model"))  # as the message is handled now, after the quit
        pane.model_ready(ModelReady("", "no model yet"))
        transcript.end(1, "")
        transcript.begin(2, "Hi.")
        transcript.add_char(2, "S")
    assert app.return_value is None
