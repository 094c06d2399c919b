"""Corpus reading: every accepted format, every malformed case, and the split."""

from pathlib import Path

import pytest

from seqtui.data import corpus as data
from seqtui.errors import CorpusError


def corpus(tmp_path: Path, raw: bytes, name: str = "c.txt") -> Path:
    p = tmp_path / name
    p.write_bytes(raw)
    return p


def test_reads_two_and_three_column_lines(tmp_path):
    p = corpus(tmp_path, b"Go.\tVa !\nHi.\tSalut !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272\n")
    assert data.read_corpus(p).pairs == [("Go.", "Va !"), ("Hi.", "Salut !")]


def test_bom_crlf_and_blank_lines(tmp_path):
    p = corpus(tmp_path, "\ufeffGo.\tVa !\r\n\r\n\nHi.\tSalut !\r\n".encode())
    c = data.read_corpus(p)
    assert c.pairs == [("Go.", "Va !"), ("Hi.", "Salut !")]
    assert c.skipped == []


def test_malformed_lines_are_skipped_and_reported(tmp_path):
    p = corpus(tmp_path, b"Go.\tVa !\nno tab here\n\tempty source\nHi.\t \nOK.\tD'accord.\n")
    c = data.read_corpus(p)
    assert c.pairs == [("Go.", "Va !"), ("OK.", "D'accord.")]
    assert [(s.line, s.reason) for s in c.skipped] == [(2, "no tab"), (3, "empty side"), (4, "empty side")]
    assert c.skipped_summary().startswith("3 malformed lines skipped (c.txt:2 no tab")


def test_non_utf8_bytes_name_file_and_line(tmp_path):
    p = corpus(tmp_path, b"Go.\tVa !\nHi.\tSalut \xff!\n")
    with pytest.raises(CorpusError, match=r"c\.txt:2: bytes that are not UTF-8"):
        data.read_corpus(p)


def test_file_without_pairs_is_an_error(tmp_path):
    with pytest.raises(CorpusError, match="no 'source<TAB>target' pair"):
        data.read_corpus(corpus(tmp_path, b"just text\nmore text\n"))
    with pytest.raises(CorpusError, match="no 'source<TAB>target' pair"):
        data.read_corpus(corpus(tmp_path, b"\n\n\n", "blank.txt"))


def test_missing_folder_and_empty_folder(tmp_path):
    with pytest.raises(CorpusError, match="no such file or folder"):
        data.read_corpus(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match=r"no \*\.txt or \*\.tsv"):
        data.read_corpus(tmp_path / "empty")


def test_folder_reads_txt_and_tsv_in_name_order_and_skips_about(tmp_path):
    corpus(tmp_path, b"B.\tb\n", "b.tsv")
    corpus(tmp_path, b"A.\ta\n", "a.txt")
    corpus(tmp_path, b"about this corpus\n", "_about.txt")
    corpus(tmp_path, b"C.\tc\n", "notes.md")
    assert data.read_corpus(tmp_path).pairs == [("A.", "a"), ("B.", "b")]


def test_binary_junk_and_huge_lines_are_skipped(tmp_path):
    p = corpus(tmp_path, b"Go.\tVa !\n\x00\x01\x02\tjunk\n" + b"x" * 10_000_000 + b"\ty\n")
    c = data.read_corpus(p)
    assert c.pairs == [("Go.", "Va !")]
    assert [s.reason for s in c.skipped] == ["binary data", f"longer than {data.MAX_SIDE_CHARS} characters"]


def test_limit_takes_pairs_in_file_order(tmp_path):
    p = corpus(tmp_path, "".join(f"s{i}\tt{i}\n" for i in range(10)).encode())
    assert [s for s, _ in data.read_corpus(p, limit=3).pairs] == ["s0", "s1", "s2"]


def test_select_random_is_seeded_and_keeps_order():
    pairs = [(f"s{i}", f"t{i}") for i in range(100)]
    a = data.select(pairs, 10, "random", seed=1)
    assert a == data.select(pairs, 10, "random", seed=1)
    assert a == sorted(a, key=lambda p: int(p[0][1:]))
    assert data.select(pairs, 2, reverse=True) == [("t0", "s0"), ("t1", "s1")]


def test_split_holds_out_the_last_fraction():
    pairs = [(f"s{i}", f"t{i}") for i in range(10)]
    train, val = data.split(pairs, 0.2)
    assert train == pairs[:8] and val == pairs[8:]


def test_read_sources_keeps_references(tmp_path):
    p = corpus(tmp_path, b"Go.\nHi.\tSalut !\n\n")
    assert data.read_sources(p) == [data.Source("Go.", None), data.Source("Hi.", "Salut !")]
