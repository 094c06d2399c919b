"""Turning pairs into padded id batches grouped by length.

Pairs of similar length share a batch, so a batch carries little padding; each batch is padded to
its own longest pair; where the training step is compiled per shape (XLA: JAX, or `jit_compile`), the
lengths are rounded up to a multiple of `ROUND` so that it sees few shapes.
Every pair appears exactly once per epoch; the order of batches is reshuffled each epoch, seeded by
(seed, epoch) so a resumed run sees the same order an uninterrupted one would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqtui.data.corpus import Pair
from seqtui.data.vocab import END, PAD, START, Vocab

ROUND = 8  # for compiled steps; TensorFlow's graphs take any length, so there batches keep their own


@dataclass
class Encoded:
    """The pairs of a split as id arrays: source ids, and target ids framed by START and END."""

    sources: list[np.ndarray]
    targets: list[np.ndarray]

    @classmethod
    def from_pairs(cls, pairs: list[Pair], src: Vocab, tgt: Vocab) -> Encoded:
        sources = [src.encode(s) for s, _ in pairs]
        targets = [np.concatenate(([START], tgt.encode(t), [END])).astype(np.int32) for _, t in pairs]
        return cls(sources, targets)

    def __len__(self) -> int:
        return len(self.sources)


def _round_up(n: int, to: int) -> int:
    return max(to, -(-n // to) * to)


def plan_batches(data: Encoded, batch_size: int, seed: int, epoch: int, round_to: int = ROUND) -> list[np.ndarray]:
    """The epoch's batches as arrays of pair indices, grouped by length, in shuffled order.

    `round_to`: the padded lengths are multiples of this (1: each batch's own longest pair).
    """
    rng = np.random.default_rng([seed, epoch])
    n = len(data)
    src_len = np.fromiter((len(s) for s in data.sources), dtype=np.int64, count=n)
    tgt_len = np.fromiter((len(t) for t in data.targets), dtype=np.int64, count=n)
    # Sort by length with random tie-breaking, so equal-length pairs meet different partners each epoch.
    order = np.lexsort((rng.random(n), src_len, tgt_len))
    batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    rng.shuffle(batches)
    # Then batches of one padded shape run back to back, the shapes in a random order, so a compiled
    # backend meets each shape once an epoch.
    shapes = [(_round_up(int(src_len[b].max()), round_to), _round_up(int(tgt_len[b].max()) - 1, round_to))
              for b in batches]
    distinct = sorted(set(shapes))
    rank = dict(zip(distinct, rng.permutation(len(distinct)).tolist(), strict=True))
    return [b for _, b in sorted(zip([rank[s] for s in shapes], batches, strict=True), key=lambda x: x[0])]


def make_batch(data: Encoded, index: np.ndarray, batch_size: int | None = None,
               min_shape: tuple[int, int] = (0, 0),
               replicas: int = 1, round_to: int = ROUND) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """((encoder ids, decoder input ids), target ids) for the pairs at `index`, padded with PAD.

    Args:
        data: the encoded split.
        index: which pairs.
        batch_size: pad the batch to this many rows (for a fixed batch shape); filler rows repeat a
            real source but have an all-PAD decoder side, so the mask keeps them out of loss and metrics.
        min_shape: pad the encoder and decoder sides to at least these lengths.
        replicas: the batch is split into this many equal slices of rows, one per device (see `rows_of`).
        round_to: pad the lengths up to a multiple of this.
    """
    rows = rows_of(len(index), max(len(index), batch_size or 0), replicas)
    t_src = max(_round_up(max(len(data.sources[i]) for i in index), round_to), min_shape[0])
    t_tgt = max(_round_up(max(len(data.targets[i]) - 1 for i in index), round_to), min_shape[1])
    enc = np.full((len(rows), t_src), PAD, dtype=np.int32)
    dec = np.full((len(rows), t_tgt), PAD, dtype=np.int32)
    out = np.full((len(rows), t_tgt), PAD, dtype=np.int32)
    for row, pair in enumerate(rows):
        s = data.sources[index[pair % len(index)]]
        enc[row, : len(s)] = s
        if pair < len(index):
            t = data.targets[index[pair]]
            dec[row, : len(t) - 1] = t[:-1]
            out[row, : len(t) - 1] = t[1:]
    return (enc, dec), out


def rows_of(pairs: int, rows: int, replicas: int = 1) -> np.ndarray:
    """Which of a batch's `pairs` fills each of its `rows`; numbers from `pairs` up mark filler rows.

    The rows form `replicas` equal slices, one per device, and the pairs are dealt to the slices in
    turn, so each slice gets its share of real pairs. This matters under tf.distribute: Keras averages
    the replicas' own mean losses, so a slice of fillers alone would scale that batch's loss and
    gradient down by 1/replicas (seen: a halved val_loss on two devices).
    """
    if rows % replicas or pairs > rows:
        raise ValueError(f"{pairs} pairs do not fit {replicas} equal slices of {rows} rows")
    per = rows // replicas
    fillers = iter(range(pairs, rows))
    order = []
    for r in range(replicas):
        mine = list(range(r, pairs, replicas))
        order += mine + [next(fillers) for _ in range(per - len(mine))]
    return np.asarray(order, dtype=np.int64)


def shape_of(batch: tuple[tuple[np.ndarray, np.ndarray], np.ndarray]) -> tuple[int, int]:
    """(encoder length, decoder length) of a batch."""
    (enc, dec), _ = batch
    return enc.shape[1], dec.shape[1]
