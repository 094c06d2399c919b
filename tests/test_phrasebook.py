"""The phrasebook: its files, its held-out split by meaning, its pairs, and scoring with several references."""

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from seqtui.data import phrasebook as pb
from seqtui.errors import CorpusError
from seqtui.report.evaluation import multi_reference_scores, reference_streams

MIN_ENTRIES = 1500


@pytest.fixture(scope="module")
def entries() -> list[pb.Entry]:
    return pb.read_phrasebook()


def write(folder: Path, name: str, lines: list[str]) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_the_phrasebook_is_large_enough(entries):
    assert len(entries) >= MIN_ENTRIES
    assert len({Path(e.file).name for e in entries}) >= 10  # one file per topic


def test_a_third_of_the_english_sources_are_of_real_length(entries):
    long = [e for e in entries if 31 <= len(e.english) <= 80]
    assert len(long) * 3 >= len(entries)
    assert max(len(e.english) for e in entries) <= 100


def test_no_id_and_no_english_sentence_twice(entries):
    ids = Counter(e.id for e in entries)
    english = Counter(e.english for e in entries)
    assert [i for i, n in ids.items() if n > 1] == []
    assert [s for s, n in english.items() if n > 1] == []


def test_the_reader_refuses_a_repeated_id_or_english_sentence(tmp_path):
    write(tmp_path, "a.tsv", ["greet-001\tHello.\tBonjour."])
    write(tmp_path, "b.tsv", ["greet-001\tHi.\tSalut."])
    with pytest.raises(CorpusError, match=r"b\.tsv:1: id greet-001 already used at a\.tsv:1"):
        pb.read_phrasebook(tmp_path)
    write(tmp_path, "b.tsv", ["greet-002\tHello.\tSalut."])
    with pytest.raises(CorpusError, match=r"b\.tsv:1: English sentence already given at a\.tsv:1"):
        pb.read_phrasebook(tmp_path)


@pytest.mark.parametrize("line, reason", [
    ("greet-001\tHello.", "at least one rendering"),
    ("Greet 1\tHello.\tBonjour.", "the id must be"),
    ("greet-001\tHello.\t\tBonjour.", "empty field"),
    ("greet-001\tHello.\tBonjour.\tBonjour.", "the same rendering twice"),
    ("greet-001\tHel\x1blo.\tBonjour.", "control character"),
    ("greet-001\tHello.\t" + "a" * 300, "longer than 200"),
    ("greet-001\tHello." + "\tBonjour" * 20, "more than 14 renderings"),
])
def test_a_bad_line_is_one_error_naming_file_and_line(tmp_path, line, reason):
    write(tmp_path, "t.tsv", ["# a comment", "greet-000\tHi.\tSalut.", line])
    with pytest.raises(CorpusError, match=r"t\.tsv:3: ") as e:
        pb.read_phrasebook(tmp_path)
    assert reason in str(e.value) and "\n" not in str(e.value)


def test_french_uses_the_corpus_marks(entries):
    """Tatoeba's French (fra.txt) writes the plain apostrophe, and sets ? ! : ; off with a plain space."""
    bad = [(e.id, fr) for e in entries for fr in e.french
           if "\u2019" in fr or "\u202f" in fr or "\u00a0" in fr
           or any(ch in "?!:;" and (i == 0 or fr[i - 1] != " ") and not (ch == "!" and fr[i - 1] == "?")
                  for i, ch in enumerate(fr))]
    assert bad == []
    assert sum("'" in fr for e in entries for fr in e.french) > 100


def test_english_is_written_as_the_corpus_writes_it(entries):
    bad = [e.english for e in entries if not e.english[0].isupper() and not e.english[0].isdigit()
           or e.english[-1] not in ".?!" or "\u2019" in e.english or " ?" in e.english]
    assert bad == []


def test_the_held_out_split_is_about_a_tenth_and_depends_on_the_id_alone(entries, tmp_path):
    held = [e for e in entries if e.held_out]
    assert 0.07 < len(held) / len(entries) < 0.13
    # The same ids in another order, among other lines, are held out the same way.
    chosen = list(entries)
    (tmp_path / pb.CORE).write_text((pb.FOLDER / pb.CORE).read_text(encoding="utf-8"), encoding="utf-8")
    write(tmp_path, "x.tsv", [f"new-{i:03d}\tNew sentence {i}.\tPhrase {i}." for i in range(50)]
          + ["\t".join([e.id, e.english, *e.french]) for e in reversed(chosen)])
    again = {e.id: e.held_out for e in pb.read_phrasebook(tmp_path)}
    assert all(again[e.id] == e.held_out for e in chosen)
    assert pb.is_held_out("greet-012") == pb.is_held_out("greet-012")
    assert {pb.is_held_out(f"x-{i}") for i in range(100)} == {True, False}


def test_the_held_out_split_is_the_same_in_every_process():
    """A model trained in one process and scored in another must agree on what was held out."""
    code = ("from seqtui.data import phrasebook as pb; "
            "print(''.join('1' if pb.is_held_out(f'x-{i}') else '0' for i in range(300)))")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert runs == {"".join("1" if pb.is_held_out(f"x-{i}") else "0" for i in range(300)) + "\n"}


@pytest.mark.parametrize("direction", ["en-fr", "fr-en"])
def test_nothing_held_out_is_trained_on(entries, direction):
    train = pb.pairs(direction, "train", entries)
    test = pb.pairs(direction, "test", entries)
    seen = {s for pair in train for s in pair}
    held = {s for e in entries if e.held_out for s in (e.english, *e.french)}
    assert test and train
    assert held & seen == set()
    assert {s for pair in test for s in pair} <= held
    # Nor with other closing marks or case: "See you on Monday." held out, "See you on Monday!" trained.
    assert {pb.loose(s) for s in held} & {pb.loose(s) for s in seen} == set()


def test_a_rendering_shared_with_a_held_out_meaning_is_not_trained_on(tmp_path):
    """"Bonjour." renders two meanings; when one is held out, no pair with "Bonjour." is trained on."""
    held = next(f"a-{i}" for i in range(100) if pb.is_held_out(f"a-{i}"))
    kept = next(f"b-{i}" for i in range(100) if not pb.is_held_out(f"b-{i}"))
    write(tmp_path, "t.tsv", [f"{held}\tHello.\tBonjour.\tSalut.", f"{kept}\tGood morning.\tBonjour.\tBon matin."])
    entries = pb.read_phrasebook(tmp_path)
    assert pb.pairs("en-fr", "train", entries) == [("Good morning.", "Bon matin.")]
    assert pb.pairs("fr-en", "train", entries) == [("Bon matin.", "Good morning.")]
    assert pb.pairs("en-fr", "test", entries) == [("Hello.", "Bonjour."), ("Hello.", "Salut.")]
    assert pb.references("fr-en", "test", entries) == {"Bonjour.": ["Hello.", "Good morning."], "Salut.": ["Hello."]}


def test_a_sentence_held_out_with_other_closing_marks_is_not_trained_on(tmp_path):
    held = next(f"a-{i}" for i in range(100) if pb.is_held_out(f"a-{i}"))
    kept = [f"b-{i}" for i in range(100) if not pb.is_held_out(f"b-{i}")]
    write(tmp_path, "t.tsv", [f"{held}\tSee you on Monday.\tÀ lundi.", f"{kept[0]}\tSee you on Monday!\tÀ lundi !",
                              f"{kept[1]}\tSee you!\tÀ plus !"])
    assert pb.pairs("en-fr", "train", pb.read_phrasebook(tmp_path)) == [("See you!", "À plus !")]


def test_another_corpus_loses_the_pairs_that_hold_a_held_out_sentence(tmp_path):
    held = next(f"a-{i}" for i in range(100) if pb.is_held_out(f"a-{i}"))
    kept = next(f"b-{i}" for i in range(100) if not pb.is_held_out(f"b-{i}"))
    entries = pb.read_phrasebook(write(tmp_path, "t.tsv", [f"{held}\tI'm full.\tJe n'ai plus faim.",
                                                          f"{kept}\tI'm hungry.\tJ'ai faim."]))
    corpus = [("I'm full!", "J'ai trop mangé !"), ("I'm hungry.", "J'ai faim."), ("Stop.", "Je n'ai plus faim."),
              ("Go.", "Va !")]
    assert pb.without_held_out(corpus, entries) == [("I'm hungry.", "J'ai faim."), ("Go.", "Va !")]
    reverse = [(t, s) for s, t in corpus]
    assert pb.without_held_out(reverse, entries) == [("J'ai faim.", "I'm hungry."), ("Va !", "Go.")]


def test_pairs_in_each_direction_give_every_rendering(entries):
    every_en_fr = pb.pairs("en-fr", "all", entries)
    assert len(every_en_fr) == len({(e.english, fr) for e in entries for fr in e.french})
    assert {(t, s) for s, t in every_en_fr} == set(pb.pairs("fr-en", "all", entries))
    refs = pb.references("en-fr", "all", entries)
    hello = next(e for e in entries if e.english == "Hello.")
    assert refs["Hello."] == list(hello.french) and len(refs["Hello."]) >= 2


def test_several_references_score_the_second_rendering_fully():
    refs = [["Comment vas-tu ?", "Comment allez-vous ?"], ["Je suis content.", "Je suis contente."],
            ["Bonne nuit."]]
    hyps = ["Comment allez-vous ?", "Je suis contente.", "Bonne nuit."]
    chrf, bleu = multi_reference_scores(hyps, refs)
    assert chrf == pytest.approx(100.0) and bleu == pytest.approx(100.0)
    first_only, _ = multi_reference_scores(hyps, [r[:1] for r in refs])
    assert first_only < 90
    assert reference_streams(refs)[1] == ["Comment allez-vous ?", "Je suis contente.", None]


def test_scoring_refuses_a_sentence_without_reference():
    with pytest.raises(ValueError):
        multi_reference_scores(["Bonjour."], [[]])
    with pytest.raises(ValueError):
        multi_reference_scores(["Bonjour.", "Salut."], [["Bonjour."]])


def test_a_sentence_with_fewer_references_is_scored_as_if_alone():
    """Padding a short reference list must not add a reference: an empty one would be the closest length
    to a short hypothesis and lift its BLEU (no brevity penalty)."""
    import sacrebleu

    hyps = ["Le petit chat dort.", "Bonne nuit et à demain matin."]
    long = "Le petit chat dort sur le grand canapé du salon depuis ce matin."
    alone = sacrebleu.corpus_bleu(hyps, [[long, hyps[1]]]).score
    _, bleu = multi_reference_scores(hyps, [[long], [hyps[1], hyps[1]]])
    assert bleu == pytest.approx(alone)
    assert alone < 50  # the short hypothesis pays its brevity penalty


def test_the_core_is_always_trained_on(entries):
    core = pb.read_core(pb.FOLDER, {e.id: "" for e in entries})
    assert {"Hello.", "Thank you.", "Good morning."} <= {e.english for e in entries if e.id in core}
    # Hash-picked core meanings exist (Hello. is one), so dropping the rule holds some out.
    assert any(pb.is_held_out(i) for i in core)
    trained = {en for en, _ in pb.pairs("en-fr", "train", entries)}
    assert {e.english for e in entries if e.id in core} <= trained


def test_a_meaning_that_shares_a_sentence_with_the_core_is_not_held_out(tmp_path):
    held = next(f"a-{i}" for i in range(100) if pb.is_held_out(f"a-{i}"))
    write(tmp_path, "x.tsv", ["core-1\tHello.\tBonjour.", f"{held}\tGood day.\tBonjour."])
    (tmp_path / pb.CORE).write_text("# the core\ncore-1\tHello.\n", encoding="utf-8")
    assert [e.held_out for e in pb.read_phrasebook(tmp_path)] == [False, False]
    (tmp_path / pb.CORE).write_text("", encoding="utf-8")
    assert [e.held_out for e in pb.read_phrasebook(tmp_path)] == [False, True]


def test_a_core_list_naming_no_meaning_is_one_line(tmp_path):
    write(tmp_path, "x.tsv", ["a-1\tHello.\tBonjour."])
    (tmp_path / pb.CORE).write_text("a-1\nb-9\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"core.txt:2: no meaning has the id 'b-9'"):
        pb.read_phrasebook(tmp_path)
