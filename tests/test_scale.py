"""Scaling out: how a global batch is split between replicas and processes."""

from __future__ import annotations

import numpy as np
import pytest

from seqtui.batching import Encoded, make_batch, rows_of
from seqtui.vocab import Vocab
from tests.conftest import TINY_PAIRS

# -- how a global batch is laid out ----------------------------------------------------------------


def test_pairs_are_dealt_evenly_to_replicas():
    assert rows_of(5, 8).tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    assert rows_of(5, 8, replicas=2).tolist() == [0, 2, 4, 5, 1, 3, 6, 7]
    assert rows_of(3, 8, replicas=4).tolist() == [0, 3, 1, 4, 2, 5, 6, 7]
    with pytest.raises(ValueError):
        rows_of(3, 7, replicas=2)


def test_every_replica_slice_holds_real_pairs():
    """A slice of filler rows alone would scale its replica's mean loss to zero under tf.distribute."""
    pairs = TINY_PAIRS[:5]
    data = Encoded.from_pairs(pairs, Vocab.build(s for s, _ in pairs), Vocab.build(t for _, t in pairs))
    (enc, dec), out = make_batch(data, np.arange(5), batch_size=8, replicas=2)
    real = (out != 0).any(axis=1)
    assert real.tolist() == [True, True, True, False, True, True, False, False]
    assert (enc != 0).any(axis=1).all()  # filler rows repeat a real source, so no encoder row is empty
    assert not dec[~real].any()


def test_processes_feed_disjoint_shares_of_the_same_batches():
    from seqtui.feeding import BucketedBatches

    data = Encoded.from_pairs(TINY_PAIRS, Vocab.build(s for s, _ in TINY_PAIRS),
                              Vocab.build(t for _, t in TINY_PAIRS))
    whole = BucketedBatches(data, 16, seed=3, replicas=2)
    shares = [BucketedBatches(data, 16, seed=3, replicas=2, shard=(p, 2)) for p in range(2)]
    assert len(whole) == len(shares[0]) == len(shares[1]) == 3
    for i in range(len(whole)):
        (enc, dec), out = whole[i]
        parts = [share[i] for share in shares]
        assert all(p[1].shape == (8, out.shape[1]) for p in parts)
        assert np.array_equal(np.concatenate([p[1] for p in parts]), out)
        assert np.array_equal(np.concatenate([p[0][0] for p in parts]), enc)
