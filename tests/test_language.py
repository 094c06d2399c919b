"""Telling English from French (and other languages a model covers), and which column of a corpus is which."""

from __future__ import annotations

import pytest
from conftest import FRA, TINY_PAIRS, write_corpus

from seqtui.data.language import LanguageError, column_order, detect, file_column_order

OURS = [
    ("en", "Where did you put my umbrella?"), ("en", "The soup is too salty for me."),
    ("en", "We walked along the river all afternoon."), ("en", "Can you lend me a pen?"), ("en", "I'm not hungry."),
    ("fr", "Où as-tu mis mon parapluie ?"), ("fr", "La soupe est trop salée pour moi."),
    ("fr", "Nous avons marché le long de la rivière tout l'après-midi."), ("fr", "Tu peux me prêter un stylo ?"),
    ("fr", "Je n'ai pas faim."),
]


@pytest.mark.parametrize("lang, text", OURS)
def test_our_sentences_are_told_apart(lang: str, text: str) -> None:
    got, confidence = detect(text, ("en", "fr"))
    assert got == lang and confidence > 0.9


def test_the_choice_stays_among_the_candidates() -> None:
    assert detect("Wo ist der Bahnhof?", ("de", "en", "fr"))[0] == "de"
    assert detect("Wo ist der Bahnhof?", ("en", "fr"))[0] in ("en", "fr")
    assert detect("Où est la gare ?", ("fr",)) == ("fr", 1.0)


def test_text_without_letters_gives_no_clue() -> None:
    assert detect("1234 !?", ("fr", "en")) == ("fr", 0.5)
    assert detect("", ("en", "fr")) == ("en", 0.5)


def test_an_unknown_language_is_one_error() -> None:
    with pytest.raises(LanguageError, match="'xx'"):
        detect("Hello", ("en", "xx"))
    with pytest.raises(LanguageError):
        detect("Hello", ())


@pytest.mark.parametrize("reverse", [False, True])
def test_the_column_order_of_a_file_either_way(tmp_path, reverse: bool) -> None:
    ours = [(e, f) for (_, e), (_, f) in zip(OURS[:5], OURS[5:], strict=True)]
    pairs = [(t, s) if reverse else (s, t) for s, t in TINY_PAIRS + ours]
    order = file_column_order(write_corpus(tmp_path / "c.tsv", pairs))
    assert order.languages == (("fr", "en") if reverse else ("en", "fr"))
    assert order.share >= 0.8 and order.votes >= 10


def test_a_file_of_one_language_or_mixed_columns_is_unclear() -> None:
    english = [(a, b) for (_, a), (_, b) in zip(OURS[:5], OURS[1:5] + OURS[:1], strict=True)]
    assert column_order(english * 4).languages is None
    mixed = [(s, t) for s, t in TINY_PAIRS] + [(t, s) for s, t in TINY_PAIRS]
    unclear = column_order(mixed)
    assert unclear.languages is None and "disagree" in unclear.reason
    assert column_order([("Go.", "Va !")]).votes == 0  # too short to vote


@pytest.mark.skipif(not FRA.is_file(), reason="needs ../shared/data/fra-eng/fra.txt")
def test_the_held_out_corpus_block() -> None:
    """Both sides of lines 8,001-10,000 (bench/langid.py measures them): at most 1% wrong."""
    with FRA.open(encoding="utf-8") as f:
        lines = [line.rstrip("\n").split("\t")[:2] for i, line in enumerate(f, 1) if 8001 <= i <= 10000]
    wrong = sum(detect(en, ("en", "fr"))[0] != "en" for en, _ in lines)
    wrong += sum(detect(fr, ("en", "fr"))[0] != "fr" for _, fr in lines)
    assert wrong <= 0.01 * 2 * len(lines)
    assert file_column_order(FRA).languages == ("en", "fr")
