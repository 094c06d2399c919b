"""The small messages: a corpus with no pair names its first bad line and how many, an empty input is
said, a wrong value is said in our words, text the model cannot read is left as is, BLEU on short
sentences gets its note, and `plot` names its own file."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

import seqtui
from seqtui.cli import app
from seqtui.data import corpus
from seqtui.errors import CorpusError
from seqtui.report.evaluation import bleu_note
from tests.runs_fixtures import make_three_runs

runner = CliRunner()


def test_a_file_without_pairs_names_its_first_bad_line_and_how_many(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("no tab here\nnor here\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"\(no tab on line 1, the first of 2 malformed lines\)$"):
        corpus.read_corpus(bad)
    one = tmp_path / "one.tsv"
    one.write_text("\nno tab here\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"\(no tab on line 2\)$"):
        corpus.read_corpus(one)


def test_predict_on_an_empty_file_says_so_and_writes_nothing(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["predict", "--model", "en-fr", "-i", str(empty), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"warning: {empty}: no sentence in it" in " ".join(result.stderr.split())
    assert not out.exists() or not list(out.iterdir())


@pytest.mark.parametrize(("args", "said"), [(["train", "--epochs", "abc"], "'abc' is not a whole number"),
                                            (["translate", "--beam", "1.5", "Go."], "'1.5' is not a whole number"),
                                            (["train", "--learning-rate", "fast"], "'fast' is not a number")])
def test_a_value_of_the_wrong_type_is_said_in_our_words(args, said):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert said in result.stderr and "Input should be" not in result.stderr and "parse string" not in result.stderr


def test_text_the_model_cannot_read_is_left_as_is(tmp_path):
    result = runner.invoke(app, ["translate", "--model", "en-fr", "😀😀", "I love you."])
    assert result.exit_code == 0, result.output
    en_fr = seqtui.load("en-fr")
    assert result.stdout.splitlines() == ["😀😀", en_fr.translate("I love you.")]
    assert "nothing to translate: the model reads none of '😀😀'; left as is" in result.stderr
    engine = en_fr.engine  # decided once in the engine: every way of translating agrees
    assert engine.decode(" 😀 ").best.text == "😀" and not engine.decode("😀").best.ended
    assert engine.translate_batch(["😀😀", "Go."])[0] == "😀😀"
    assert not engine.unreadable("I ❤ you.") and not engine.unreadable("   ")


def test_bleu_on_short_references_gets_its_note():
    assert "2 of the 2 references are shorter" in bleu_note(["Va !", "Salut."], 0.0)
    assert bleu_note(["Je ne sais pas ce que tu veux dire.", "Va !"], 0.0)  # half are short: still noted
    assert bleu_note(["Je ne sais pas ce que tu veux dire."], 0.0) == ""
    assert bleu_note(["Va !"], 35.0) == ""


def test_evaluate_prints_the_bleu_note_on_two_short_exact_matches(tmp_path):
    pairs = tmp_path / "two.tsv"
    en_fr = seqtui.load("en-fr")
    pairs.write_text("".join(f"{s}\t{en_fr.translate(s)}\n" for s in ("Go.", "Thanks.")), encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "--model", "en-fr", "--data", str(pairs), "--beam", "1"])
    assert result.exit_code == 0, result.output
    assert "chrF 100.00  BLEU 0.00" in result.stdout
    assert "note: BLEU counts runs of up to 4 words" in " ".join(result.stderr.split())


def test_plot_without_out_names_a_new_file_as_the_dashboard_does(tmp_path, monkeypatch):
    root = make_three_runs(tmp_path / "runs")
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    result = runner.invoke(app, ["plot", str(root / "base"), "--size", "400x300"])
    assert result.exit_code == 0, result.output
    (written,) = here.glob("seqtui-curves-*.png")
    assert re.fullmatch(r"seqtui-curves-\d{8}-\d{6}\.png", written.name)
    assert written.read_bytes().startswith(b"\x89PNG") and written.name in result.stderr
