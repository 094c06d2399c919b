"""Pilot tests of what the REPL shows behind the one-best string, on the real shipped model: characters
shaded by their probability, :nbest alternatives, the :align heatmap, forced prefixes; and the dashboard's
sample heatmap."""

from __future__ import annotations

from textual.widgets import Static
from tui_fakes import FakeEngine, demo_config, scripted_trainer
from tui_pilot import type_line, until

from seqtui.decode.decoding import Settings
from seqtui.decode.heatmap import confidence_style
from seqtui.store import bundle, catalog
from seqtui.store.catalog import Request
from seqtui.tui.app import make_app
from seqtui.tui.repl.transcript import Transcript
from seqtui.tui.training.samples_panel import SamplesPanel

SIZE = (120, 40)
SHIPPED = catalog.SHIPPED_ROOT / catalog.DEFAULT


def shipped_repl():
    return make_app(demo_config(), mode="repl", settings=Settings(), model=Request("en-fr"))


async def ready(pilot) -> Transcript:
    transcript = pilot.app.screen.query_one(Transcript)
    await until(pilot, lambda: len(transcript.children) >= 1, what="the model note")
    return transcript


async def answered(pilot, transcript: Transcript, entry: int) -> None:
    await until(pilot, lambda: "log-prob" in str(transcript.rendered(entry)) or "never writes" in
                str(transcript.rendered(entry)), timeout=20, what=f"translation {entry}")


def styles_of(text, start: int, length: int) -> list[str]:
    """The style of each character from `start` in a Rich Text (one span per character here)."""
    spans = {s.start: str(s.style) for s in text.spans}
    return [spans.get(k, "") for k in range(start, start + length)]


async def test_the_stream_is_shaded_by_the_models_own_probabilities():
    """Catches: probabilities not carried with the characters, shading by something else, or a legend missing."""
    expected = bundle.load(SHIPPED).engine().decode("I'm hungry.").best
    app = shipped_repl()
    async with app.run_test(size=SIZE) as pilot:
        transcript = await ready(pilot)
        await type_line(pilot, "I'm hungry.")
        await answered(pilot, transcript, 1)
        assert transcript.output(1) == expected.text
        assert transcript.probs(1) == list(expected.probs[:-1])  # the end symbol is not drawn
        shown = transcript.rendered(1)
        start = str(shown).index(expected.text)
        assert styles_of(shown, start, len(expected.text)) == [confidence_style(p) for p in expected.probs[:-1]]
        status = str(app.screen.query_one("#repl-status", Static).render())
        assert "confidence:" in status and "≥90%" in status
        await type_line(pilot, ":plain")
        plain = transcript.rendered(1)
        covering = [str(sp.style) for sp in plain.spans if sp.start < start + len(expected.text) and sp.end > start]
        assert covering == ["green"]  # one span, all alike
        assert "confidence:" not in str(app.screen.query_one("#repl-status", Static).render())


async def test_nbest_lists_the_alternatives_with_scores_under_the_answer():
    """Catches: an n-best list from a second, different decode, or one not shown."""
    expected = bundle.load(SHIPPED).engine().decode("We're too busy.", Settings(nbest=3)).nbest
    app = shipped_repl()
    async with app.run_test(size=SIZE) as pilot:
        transcript = await ready(pilot)
        await type_line(pilot, ":nbest 3")
        await type_line(pilot, "We're too busy.")
        await answered(pilot, transcript, 1)
        shown = str(transcript.rendered(1))
        assert transcript.output(1) == expected[0].text
        for k, h in enumerate(expected, 1):
            assert f"  {k}. {h.text}  (score {h.score:.3f}, normalised {h.normalized:.3f})" in shown


async def test_align_draws_the_last_translations_attention():
    """Catches: no heatmap, a heatmap of another sentence, or rows that do not follow the output."""
    app = shipped_repl()
    async with app.run_test(size=SIZE) as pilot:
        transcript = await ready(pilot)
        await type_line(pilot, ":align")
        assert "Translate a sentence first" in str(transcript.query(Static).last().render())
        await type_line(pilot, "Go.")
        await answered(pilot, transcript, 1)
        await type_line(pilot, ":align")
        lines = str(transcript.query(Static).last().render()).splitlines()
        out = transcript.output(1)
        assert lines[1].strip() == "Go."  # the source across
        rows = lines[2:2 + len(out) + 1]
        assert [r[1] for r in rows] == [*out.replace(" ", "␣"), "∎"]  # one row per output character, then the end
        assert all(r[3:].count("●") == 1 and len(r[3:]) == 3 for r in rows)


async def test_a_prefix_line_forces_the_start_and_an_impossible_one_says_why():
    app = shipped_repl()
    async with app.run_test(size=SIZE) as pilot:
        transcript = await ready(pilot)
        await type_line(pilot, "I'm hungry. => Je suis")
        await answered(pilot, transcript, 1)
        assert transcript.output(1).startswith("Je suis")
        app.screen.query_one("#repl-input").value = "Go. => €"  # Pilot cannot type €
        await pilot.press("enter")
        await answered(pilot, transcript, 2)
        assert "never writes '€'" in str(transcript.rendered(2))


async def test_the_dashboard_draws_a_chosen_samples_attention_each_epoch():
    """Catches: `a` doing nothing, or a heatmap of another decode than the one that wrote the sample."""
    app = make_app(demo_config(), trainer=scripted_trainer(), load_engine=lambda _: FakeEngine(),
                   model=Request(explicit_dir=True))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.press("t")
        await until(pilot, lambda: screen.ended and not screen.running, timeout=10, what="the scripted run")
        panel = screen.query_one(SamplesPanel)
        await pilot.press("a")
        assert panel.chosen == 0 and "Sample 1 attention · epoch 6" in panel.border_title
        rows = [line for line in str(panel.render()).splitlines() if "●" in line and "most attended" not in line]
        assert "".join(r[1] for r in rows) == "Va␣!∎"  # the sample's own decode, down the side
        for _ in range(len(panel.samples)):
            await pilot.press("a")
        assert panel.chosen is None and panel.border_title == "Samples · epoch 6"
