"""concat_rate: training pairs joined as people type several sentences, seeded, validation untouched."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from conftest import TINY_PAIRS, write_corpus
from tui_fakes import tiny_config

from seqtui.config import merge
from seqtui.data.augment import AugmentedEpochs, Joining, clause, joined_pairs, proper_words
from seqtui.data.batching import Encoded
from seqtui.data.vocab import Vocab
from seqtui.errors import ConfigError
from seqtui.train import training

PAIRS = [(f"I saw {n} cats.", f"J'ai vu {n} chats.") for n in range(300)] + TINY_PAIRS
VOCABS = (Vocab(ch for s, _ in PAIRS for c in s + ", and" for ch in c.lower() + c.upper()),
          Vocab(ch for _, t in PAIRS for c in t + ", et" for ch in c.lower() + c.upper()))
JOINING = Joining.of(PAIRS, ("en", "fr"), VOCABS)


def test_the_rate_is_respected_and_seeded() -> None:
    first = joined_pairs(PAIRS, 0.3, seed=5, epoch=1, joining=JOINING)
    assert 0.2 * len(PAIRS) < len(first) < 0.4 * len(PAIRS)
    assert first == joined_pairs(PAIRS, 0.3, seed=5, epoch=1, joining=JOINING)  # a resumed run sees the same
    assert first != joined_pairs(PAIRS, 0.3, seed=5, epoch=2, joining=JOINING)
    assert first != joined_pairs(PAIRS, 0.3, seed=6, epoch=1, joining=JOINING)
    assert joined_pairs(PAIRS, 0.0, seed=5, epoch=1, joining=JOINING) == {}
    assert len(joined_pairs(PAIRS, 1.0, seed=5, epoch=1, joining=JOINING)) == len(PAIRS)


def test_joins_hold_two_or_three_pairs_or_one_clause() -> None:
    joined = joined_pairs(PAIRS, 1.0, seed=2, epoch=0, joining=JOINING)
    longest = max(len(s) for s, _ in PAIRS)
    assert max(len(s) for s, _ in joined.values()) > longest  # sources longer than any single pair
    counts = {s.count("cats") + s.count(", and") for s, _ in joined.values() if "cats" in s}
    assert {2, 3} <= counts
    clauses = [(s, t) for s, t in joined.values() if ", and " in s]
    assert 0.1 * len(joined) < len(clauses) < 0.5 * len(joined)
    assert all(", et " in t and not s.startswith(", ") for s, t in clauses)  # both sides joined alike
    for i, (source, target) in joined.items():
        assert source.startswith(PAIRS[i][0].rstrip(".")) and target.startswith(PAIRS[i][1].rstrip("."))


def test_a_clause_keeps_names_and_i_capitalised() -> None:
    proper = proper_words(["Ask Tom.", "I know Paris well."])
    assert clause("I left.", "Tom stayed.", "and", proper) == "I left, and Tom stayed."
    assert clause("You left.", "I stayed.", "and", proper) == "You left, and I stayed."
    assert clause("Il est parti.", "Elle est restée.", "et", proper) == "Il est parti, et elle est restée."


def test_no_clause_without_the_languages_nor_a_join_the_vocabulary_cannot_write() -> None:
    unknown = Joining.of(PAIRS, None, VOCABS)
    assert not any(", and " in s for s, _ in joined_pairs(PAIRS, 1.0, 2, 0, unknown).values())
    no_comma = (Vocab(ch for ch in VOCABS[0].chars if ch != ","), Vocab(ch for ch in VOCABS[1].chars if ch != ","))
    joined = joined_pairs(PAIRS, 1.0, 2, 0, Joining.of(PAIRS, ("en", "fr"), no_comma))
    assert joined and not any("," in s or "," in t for s, t in joined.values())


def test_each_epoch_encodes_its_joins_with_casual_forms_too() -> None:
    clean = Encoded.from_pairs(PAIRS, *VOCABS)
    epochs = AugmentedEpochs(PAIRS, clean, VOCABS, casual_rate=0.5, concat_rate=0.3, seed=4, languages=("en", "fr"))
    text = epochs.pairs_of(3)
    assert len(text) == len(PAIRS)  # as many pairs: an epoch keeps its batches
    assert any(s.islower() and "cats" in s and s.count("cat") >= 2 for s, _ in text)  # casual forms joined
    encoded = epochs.encoded(3)
    for (source, target), ids, tids in zip(text, encoded.sources, encoded.targets, strict=True):
        assert VOCABS[0].decode(ids) == source and VOCABS[1].decode(tids[1:-1]) == target
    assert all(np.array_equal(a, b) for a, b in zip(epochs.encoded(3).sources, encoded.sources, strict=True))


def test_the_key_is_bounded() -> None:
    cfg = tiny_config()
    assert cfg.concat_rate == 0.0
    for bad in (-0.1, 1.5):
        with pytest.raises(ConfigError, match="concat_rate"):
            merge(cfg, {"concat_rate": bad})


def test_validation_is_never_joined_and_batches_group_the_longer_pairs(tmp_path) -> None:
    from seqtui.model import build as model_lib
    from seqtui.model.backend import strategy_scope
    from seqtui.store.rundir import RunDir

    corpus = write_corpus(tmp_path / "c.txt", PAIRS)
    cfg = tiny_config(train_dir=corpus, model_dir=tmp_path / "run", concat_rate=1.0, val_split=0.2, batch_size=8)
    prep = training.prepare(cfg)
    place = strategy_scope("none")
    model = model_lib.build(cfg, len(prep.source), len(prep.target))
    run = training._Run(cfg, RunDir(cfg.model_dir), lambda event: None, threading.Event(), threading.Event())
    feed, val_feed = run._feeds(prep, place, 0, model)
    assert val_feed.data is prep.val and val_feed.variants is None
    assert [prep.source.decode(s) for s in val_feed.data.sources] == [s for s, _ in prep.val_pairs]
    joined = sum(len(a) > len(b) for a, b in zip(feed.data.sources, prep.train.sources, strict=True))
    assert joined > 0.9 * len(prep.train)
    widths = []
    for k in range(len(feed)):
        (enc, _), _ = feed[k]
        lengths = [len(feed.data.sources[i]) for i in feed.plan[k]]
        assert enc.shape[1] == max(lengths)  # each batch padded to its own longest joined source
        widths.append(max(lengths) - min(lengths))
    assert np.median(widths) <= 2  # length buckets: a batch's pairs are about as long as one another
