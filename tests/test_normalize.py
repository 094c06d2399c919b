"""One normalisation of input: every way of translating reads `I'm hungry.`, `  I'm   hungry. ` and
`I’m hungry.` as the same sentence, and the unknown-character report speaks of what was typed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Input
from tui_fakes import tiny_config
from tui_pilot import until
from typer.testing import CliRunner

import seqtui
from seqtui.cli import app
from seqtui.data.corpus import parse_pair
from seqtui.data.normalize import normalize, unknown
from seqtui.decode.decoding import Settings
from seqtui.store import catalog
from seqtui.tui.app import make_app
from seqtui.tui.messages import TranslationEnded

TYPED = ["I'm hungry.", "  I'm   hungry. ", "I\u2019m hungry.", "I'm\thungry.", "I\u2019m\u00a0hungry. ", "i'm hungry",
         "I'M HUNGRY.", " i\u2019m hungry", "I'm Hungry", "I'm hungry ."]
runner = CliRunner()
GREEDY = ["--beam", "1"]


@pytest.fixture(scope="module")
def shipped() -> Path:
    return catalog.shipped()["en-fr"]


@pytest.fixture(scope="module")
def expected(shipped: Path) -> str:
    return seqtui.load(shipped, beam=1).translate("I'm hungry.")


def test_the_clean_sentence_is_a_sentence_the_model_answers(expected: str) -> None:
    # Guards the fixture itself: an empty answer would make every comparison below vacuous.
    assert expected.strip() and expected != "I'm hungry."


@pytest.mark.parametrize("typed", TYPED)
def test_the_python_api_one_at_a_time_and_batched(shipped: Path, expected: str, typed: str) -> None:
    tr = seqtui.load(shipped, beam=1)
    assert tr.translate(typed) == expected  # Engine.stream normalises
    assert tr.translate_many([typed, "Go."])[0] == expected  # the batched path (predict's) normalises too


@pytest.mark.parametrize("typed", TYPED)
def test_translate_repl_plain_and_predict(shipped: Path, expected: str, typed: str, tmp_path: Path) -> None:
    model = ["--model-dir", str(shipped)]
    done = runner.invoke(app, ["translate", *model, *GREEDY, typed])
    assert done.exit_code == 0, done.output
    assert done.stdout == expected + "\n"
    done = runner.invoke(app, ["repl", "--plain", *model, *GREEDY], input=typed + "\n")
    assert done.exit_code == 0, done.output
    assert done.stdout == expected + "\n"
    if "\t" in typed:
        return  # in a predict file a tab starts the reference column
    (tmp_path / "in.txt").write_text(typed + "\n", encoding="utf-8")
    done = runner.invoke(app, ["predict", *model, *GREEDY, "--input", str(tmp_path / "in.txt"),
                               "--output", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    rows = next((tmp_path / "out").glob("in_*.tsv")).read_text(encoding="utf-8").splitlines()
    assert rows[1].split("\t")[1] == expected


def test_evaluate_reads_its_sources_normalised(shipped: Path, expected: str, tmp_path: Path) -> None:
    """The same references scored against clean and as-typed sources give the same chrF."""
    scores = []
    for name, sources in (("clean", TYPED[:1] * 3), ("typed", [t for t in TYPED[1:] if "\t" not in t])):
        data = tmp_path / f"{name}.txt"
        data.write_text("".join(f"{s}\t{expected}\n" for s in sources), encoding="utf-8")
        done = runner.invoke(app, ["evaluate", "--model-dir", str(shipped), "--data", str(data), "--json", *GREEDY])
        assert done.exit_code == 0, done.output
        scores.append(json.loads(done.stdout)["chrf"])
    assert scores[0] == scores[1] == 100.0


@pytest.mark.parametrize("typed", TYPED[1:3])
async def test_the_tui_repl(shipped: Path, expected: str, typed: str) -> None:
    messages: list = []
    app_ = make_app(tiny_config(model_dir=shipped), mode="repl", settings=Settings(beam=1))
    async with app_.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        # Pasted, as typographic marks usually arrive (Pilot has no key for U+2019).
        pilot.app.screen.query_one(Input).value = typed
        await pilot.press("enter")
        await until(pilot, lambda: any(isinstance(m, TranslationEnded) for m in messages), what="the translation")
    done = next(m for m in messages if isinstance(m, TranslationEnded))
    assert done.result.best.text == expected


def test_normalize_composes_trims_and_collapses() -> None:
    assert normalize("  Cafe\u0301  au\t\tlait \n") == "Café au lait"  # NFC, trimmed, runs collapsed


def test_a_lone_space_character_the_model_knows_stays() -> None:
    # French writes a narrow no-break space before "!": training keeps it, and so does a model that knows it.
    assert normalize("Va\u202f!") == "Va\u202f!"
    assert normalize("Va\u202f!", known=set("Va!\u202f ")) == "Va\u202f!"
    assert normalize("Va\u202f!", known=set("Va! ")) == "Va!"  # before the closing mark, a model of English drops it
    assert normalize("Va\u202fdonc", known=set("Vadonc ")) == "Va donc"
    assert normalize("Va\u202f\u202fdonc", known=set("Vadonc\u202f ")) == "Va donc"  # a run is one plain space


def test_typographic_marks_become_the_plain_marks_the_model_holds() -> None:
    known = set("Its ok'\".-")
    assert normalize("It\u2019s \u201cok\u201d\u2026", known) == "It's \"ok\"..."
    assert normalize("It\u2019s", set("Its ")) == "It\u2019s"  # no plain apostrophe to map to: kept
    assert normalize("It\u2019s") == "It\u2019s"  # training (no vocabulary) keeps the corpus's marks


def test_unknown_characters_are_reported_where_they_were_typed() -> None:
    known = set("I'm hungry.")
    found = unknown("  I\u2019m \u20achungry. \U0001f600", known)
    assert [(u.char, u.position) for u in found] == [("\u20ac", 6), ("\U0001f600", 15)]


def test_corpus_lines_are_normalised_as_input_is() -> None:
    assert parse_pair("  I'm   hungry. \tJ'ai faim\u202f!") == ("I'm hungry.", "J'ai faim\u202f!")


CASED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'.?!, ")


@pytest.mark.parametrize("typed, read", [
    ("i'm hungry", "I'm hungry."),  # no case, no final mark
    ("I'M HUNGRY!", "I'm hungry!"),  # ALL CAPS: sentence case, the mark kept
    ("where am i", "Where am I?"),  # "i" as a word; a question's mark
    ("do you like cats", "Do you like cats?"),
    ("do it now", "Do it now."),  # an order, not a question
    ("où est la gare", "Où est la gare?"),  # French questions too (this vocabulary has no narrow space)
    ("as-tu faim", "As-tu faim?"),
    ("I'm Hungry.", "I'm hungry."),  # Every Word Capitalised, as a phone's keyboard may set it
    ("where is Tom?", "Where is Tom?"),  # mixed case: only the first letter
    ("NASA is here", "NASA is here."),  # mixed case kept: capitals that mean something stay
    ("I'm hungry :)", "I'm hungry :)"),  # ends in a mark of its own: nothing added
])
def test_a_cased_model_reads_casual_input_as_a_sentence(typed: str, read: str) -> None:
    assert normalize(typed, CASED | set("ùéàê-")) == read


def test_a_question_mark_added_for_a_model_of_french_is_set_off_as_its_corpus_does() -> None:
    # Tatoeba's French sets "?" off with a plain space four times as often as with the narrow one.
    assert normalize("où est la gare", CASED | set("ù\u202f")) == "Où est la gare ?"


@pytest.mark.parametrize("typed, english, french", [
    ("How are you ?", "How are you?", "How are you ?"),
    ("i am hungry .", "I am hungry.", "I am hungry ."),
    ("What ?!", "What?!", "What ?!"),
    ("Wait ...", "Wait...", "Wait ..."),
    ("Hello  !  ", "Hello!", "Hello !"),
    ("Stop . go", "Stop . go.", "Stop . go."),  # only the closing mark: a space inside stays
])
def test_a_space_before_the_closing_mark_is_dropped_for_a_model_whose_corpus_never_writes_one(
        typed: str, english: str, french: str) -> None:
    """Catches "How are you ?" reaching an English-source model with the space its corpus never has, or a
    French-source one (its vocabulary holds the narrow no-break space) losing the space its corpus sets
    before "?" and "!"."""
    assert normalize(typed, CASED) == english
    assert normalize(typed, CASED | {"\u202f"}) == french
    assert normalize(typed) == " ".join(typed.split())  # training: the corpus's own spacing kept


def test_a_model_trained_without_capitals_reads_input_as_typed() -> None:
    # A corpus lower-cased on purpose: capitals would be unknown characters and a "." one it never ends with.
    lower = set("abcdefghijklmnopqrstuvwxyz' ")
    assert normalize("i'm hungry", lower) == "i'm hungry"
    assert normalize("i'm hungry") == "i'm hungry"  # training: the corpus as it is


def test_unknown_characters_keep_their_places_under_sentence_case() -> None:
    # "É" is read as "é" (known) once the ALL-CAPS line is in sentence case; "€" is unknown where it was typed.
    found = unknown("  ÉTÉ € CHAUD", CASED | set("éÉ"))
    assert [(u.char, u.position) for u in found] == [("\u20ac", 6)]
    assert [(u.char, u.position) for u in unknown("ÉTÉ", CASED | set("é"))] == []
    assert [(u.char, u.position) for u in unknown("été", CASED)] == [("é", 0), ("é", 2)]
