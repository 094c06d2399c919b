"""Vocabulary: reserved ids, unknown characters, round trip through the bundle format."""

from seqtui.data.vocab import END, PAD, START, UNK, Vocab, describe_unknown


def test_reserved_ids_and_encoding():
    v = Vocab.build(["ab", "ca"])
    assert (PAD, START, END, UNK) == (0, 1, 2, 3)
    assert len(v) == 3 + 4
    assert list(v.encode("abz")) == [4, 5, UNK]
    assert v.decode([4, 5, END, 6]) == "ab"


def test_unknown_characters_are_reported_with_positions():
    v = Vocab.build(["hello"])
    unknown = v.unknown("hé😀")
    assert [(u.char, u.position) for u in unknown] == [("é", 1), ("😀", 2)]
    assert describe_unknown(unknown) == "unknown characters: 'é' at 1, '😀' at 2"


def test_round_trip_keeps_ids():
    v = Vocab.build(["Ça va ?", "Où ?"])
    again = Vocab(v.to_list())
    assert list(again.encode("Ça va ? Où")) == list(v.encode("Ça va ? Où"))
