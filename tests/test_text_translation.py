"""A text of several sentences: every way of translating splits it, translates each sentence, and joins the
translations with the text's own spacing between them (the shipped en-fr model, greedy)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tui_fakes import tiny_config
from tui_pilot import type_line, until
from typer.testing import CliRunner

import seqtui
from seqtui.cli import app
from seqtui.decode.decoding import Settings
from seqtui.report.evaluation import evaluate
from seqtui.store import catalog
from seqtui.store.catalog import Request
from seqtui.tui.app import make_app
from seqtui.tui.messages import TranslationEnded
from seqtui.tui.repl.transcript import Transcript

runner = CliRunner()
GREEDY = ["--model", "en-fr", "--beam", "1"]
# (text, its sentences as written, the spacing between them): odd spacing, kept between the translations
TEXTS = [
    ("Where is the station?  I am lost.", ["Where is the station?", "I am lost."], ["  "]),
    ("I am cold.   It is late. Let's go home.", ["I am cold.", "It is late.", "Let's go home."], ["   ", " "]),
]


@pytest.fixture(scope="module")
def translator() -> seqtui.api.Translator:
    return seqtui.load("en-fr")


def expected(translator: seqtui.api.Translator, sentences: list[str], spacing: list[str]) -> str:
    """Each sentence translated alone, joined with the spacing written between them."""
    alone = [translator.translate(s) for s in sentences]
    return alone[0] + "".join(gap + t for gap, t in zip(spacing, alone[1:], strict=True))


async def full_screen_repl(text: str) -> str:
    messages: list = []
    repl = make_app(tiny_config(model_dir=Path("/nonexistent/models")), mode="repl", settings=Settings(),
                    model=Request("en-fr"))
    async with repl.run_test(size=(160, 40), message_hook=messages.append) as pilot:
        await type_line(pilot, text)
        await until(pilot, lambda: any(isinstance(m, TranslationEnded) and m.entry > 0 for m in messages),
                    what="the translation")
        return repl.screen.query_one(Transcript).output(1)


@pytest.mark.parametrize(("text", "sentences", "spacing"), TEXTS)
async def test_every_entry_point_splits_and_joins_the_same_way(translator, tmp_path, text, sentences, spacing):
    """Caught, each in turn: Engine.stream decoding the whole text as one sentence (every entry point
    differs), translate_batch not splitting (predict, translate_many, evaluate), join dropping the spacing."""
    want = expected(translator, sentences, spacing)
    assert len(want) > len(text) // 2 and all(gap in want for gap in spacing)
    got = {"api translate": translator.translate(text), "api stream": "".join(translator.stream(text)),
           "api translate_many": translator.translate_many([text, "Go."])[0]}
    done = runner.invoke(app, ["translate", *GREEDY, text])
    got["translate"] = done.stdout.rstrip("\n")
    done = runner.invoke(app, ["translate", *GREEDY, "--json", text])
    got["translate --json"] = json.loads(done.stdout)["text"]
    done = runner.invoke(app, ["repl", "--plain", *GREEDY], input=text + "\n")
    got["repl --plain"] = done.stdout.rstrip("\n")
    (tmp_path / "in.txt").write_text(text + "\n", encoding="utf-8")
    done = runner.invoke(app, ["predict", *GREEDY, "-i", str(tmp_path / "in.txt"), "-o", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    rows = next((tmp_path / "out").iterdir()).read_text(encoding="utf-8").splitlines()
    got["predict"] = rows[1].split("\t")[1]
    (tmp_path / "pairs.txt").write_text(f"{text}\tOù est la gare ? Je suis perdu.\n", encoding="utf-8")
    report = evaluate(catalog.shipped()["en-fr"], tmp_path / "pairs.txt", Settings(), with_loss=False)
    got["full-screen repl"] = await full_screen_repl(text)
    assert got == dict.fromkeys(got, want)
    # a corpus is read as training reads it, spaces run together: evaluate's source has single spaces
    assert report.examples[0][0] == " ".join(sentences)
    assert report.examples[0][2] == expected(translator, sentences, [" "] * len(spacing))


def test_json_gives_each_sentences_part(translator):
    """Caught: a `sentences` list missing, or a sentence's offset counted from the wrong place."""
    text, sentences, spacing = TEXTS[1]
    text = "  " + text  # the first sentence starts at 2: offsets count from the input as given
    done = runner.invoke(app, ["translate", *GREEDY, "--json", "--align", text])
    out = json.loads(done.stdout)
    parts = out["sentences"]
    assert [p["text"] for p in parts] == [translator.translate(s) for s in sentences]
    assert [p["offset"] for p in parts] == [text.index(s) for s in sentences]
    assert out["score"] == pytest.approx(sum(p["score"] for p in parts))
    assert all(len(p["alignment"]) == len(p["text"]) for p in parts) and out["alignment"] == []
    assert out["source"] == text  # as given, so an answer joins back to its input


def test_streaming_goes_on_across_sentences(translator):
    """The streamed characters are the joined text, and the first sentence's arrive before the second
    sentence is encoded. Caught: decoding every sentence before yielding (two encodes by then)."""
    text, sentences, spacing = TEXTS[0]
    engine = translator.engine
    encodes: list[int] = []
    real = engine.net.encode_batch
    engine.net.encode_batch = lambda rows: (encodes.append(len(rows)), real(rows))[1]  # counts, then the real one
    try:
        first = translator.translate(sentences[0])
        encodes.clear()
        stream = iter(translator.stream(text))
        head = "".join(next(stream) for _ in first)
        assert head == first and encodes == [1]
        rest = "".join(stream)
        assert encodes == [1, 1]
    finally:
        del engine.net.encode_batch
    assert head + rest == expected(translator, sentences, spacing)


def test_translate_many_batches_every_sentence_together(translator):
    """All sentences of all texts go into one batch. Caught: one batch per text (two encodes)."""
    engine = translator.engine
    encodes: list[int] = []
    real = engine.net.encode_batch
    engine.net.encode_batch = lambda rows: (encodes.append(len(rows)), real(rows))[1]
    try:
        out = translator.translate_many([t for t, _, _ in TEXTS])
    finally:
        del engine.net.encode_batch
    assert encodes == [5]
    assert out == [expected(translator, s, g) for _, s, g in TEXTS]


def test_the_whole_input_is_capped_before_it_is_split(translator):
    """10,000 characters of short sentences: each read whole, the rest of the input not. Caught: the cap
    applied after splitting (every sentence read), or the per-sentence bound applied to the whole input."""
    text = "I am here. " * 2000  # 22,000 characters, 2,000 sentences
    segments = translator.engine.sentences(text)
    assert len(segments) == 10_000 // 11 + 1 and all(seg.text in ("I am here.", "I") for seg in segments)
    assert not translator.cut(text[:10_000 - 1]) and translator.cut(text)
    assert "only its first 10,000 are translated" in translator.length_warning(text)


def test_prefix_starts_the_first_sentence_only(translator):
    """Caught: the prefix forced on every sentence."""
    text, sentences, _ = TEXTS[0]
    forced = seqtui.load("en-fr", prefix="Dites-moi")
    out = forced.decode(text)
    assert out.best.text.startswith("Dites-moi")
    assert out.sentences[1].result.best.text == translator.translate(sentences[1])


def test_nbest_of_several_sentences_says_so(translator):
    """One stderr line, and each sentence's n-best in JSON. Caught: the note missing, or nbest absent."""
    text = TEXTS[0][0]
    done = runner.invoke(app, ["translate", *GREEDY, "--nbest", "3", text])
    assert done.exit_code == 0
    assert sum("n-best: this input has 2 sentences" in line for line in done.stderr.splitlines()) == 1
    done = runner.invoke(app, ["translate", *GREEDY, "--nbest", "3", "--json", text])
    assert [len(p["nbest"]) for p in json.loads(done.stdout)["sentences"]] == [3, 3]
    single = runner.invoke(app, ["translate", *GREEDY, "--nbest", "3", "Where is the station?"])
    assert "n-best:" not in single.stderr and single.stdout.count("\n") > 2
