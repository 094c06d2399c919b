"""The searches on top of the network step: greedy and sampling (one character a step, each yielded as
it is chosen, a forced prefix first), beam search with its n-best list, and batched greedy.

Each search is a generator of `Piece`s whose return value is its hypotheses, best first; `Engine`
wraps them into the `Stream` callers iterate.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import numpy as np

from seqtui.data.vocab import END, PAD, START, UNK, Vocab
from seqtui.decode.hypotheses import Hypothesis, Piece
from seqtui.decode.network import Network, softmax
from seqtui.decode.settings import Settings

# Ids the decoder may score but never writes: nothing was trained to emit them.
UNWRITABLE = [PAD, START, UNK]
TINY = 1e-30  # the smallest probability recorded, so that a score is always finite

Search = Generator[Piece, None, list[Hypothesis]]


def sequential(net: Network, target: Vocab, source_ids: np.ndarray, s: Settings, forced: list[int],
               limit: int) -> Search:
    """Greedy or sampling: one character a step, each yielded as soon as it is chosen."""
    rng = np.random.default_rng(s.seed)
    h, c, enc_out, enc_mask = net.encode_batch([source_ids])
    prev = np.array([START])
    pieces: list[Piece] = []
    for k in range(max(limit, len(forced))):
        probs, h, c, weights = net.step(prev, h, c, enc_out, enc_mask)
        token = forced[k] if k < len(forced) else pick(probs[0], s.temperature, rng)
        piece = _piece(target, probs[0], token, _row(weights, 0))
        pieces.append(piece)
        yield piece
        if token == END:
            break
        prev = np.array([token])
    return [Hypothesis.of(pieces, s.length_penalty)]


def beam(net: Network, target: Vocab, source_ids: np.ndarray, s: Settings, forced: list[int], limit: int) -> Search:
    """Beam search of width `s.width`; yields the best hypothesis's pieces once it is done.

    The n-best list holds up to `s.nbest` of the hypotheses that ended, best first by normalised
    score; hypotheses cut at the length limit are listed only when none ended (so the list stays
    sorted and its head is always the one-best).
    """
    width = s.width
    h, c, enc_out, enc_mask = net.encode_batch([source_ids])
    prev, start, h, c = _feed_prefix(net, target, forced, h, c, enc_out, enc_mask)
    seqs, beams = [prev], [start]
    totals = np.array([float(np.log(np.asarray([p.prob for p in start], np.float64)).sum())])
    finished: list[list[Piece]] = []
    for _ in range(max(0, limit - len(forced))):
        n = len(beams)
        probs, h, c, weights = net.step(np.array(seqs), h, c, np.repeat(enc_out, n, 0), np.repeat(enc_mask, n, 0))
        total = totals[:, None] + np.log(np.maximum(probs, TINY))
        total[:, UNWRITABLE] = -np.inf
        keep: list[tuple[int, int]] = []
        for rank, idx in enumerate(np.argsort(total, axis=None)[::-1][: width * 2]):
            row, token = divmod(int(idx), total.shape[1])
            if total[row, token] == -np.inf:  # a tiny vocabulary: past what can be written
                break
            if token == END:
                if rank < width:  # an ending only counts when it ranks among the beam's best
                    finished.append(beams[row] + [_piece(target, probs[row], END, _row(weights, row))])
            elif len(keep) < width:
                keep.append((row, token))
        if len(finished) >= width or not keep:
            break
        beams = [beams[r] + [_piece(target, probs[r], t, _row(weights, r))] for r, t in keep]
        seqs = [t for _, t in keep]
        totals = np.array([total[r, t] for r, t in keep])
        rows = [r for r, _ in keep]
        h, c = h[rows], c[rows]
    ranked = sorted((Hypothesis.of(b, s.length_penalty) for b in finished or beams), key=lambda x: -x.normalized)
    yield from _pieces(ranked[0])
    return ranked[: max(1, s.nbest)]


def _feed_prefix(net: Network, target: Vocab, forced: list[int], h: np.ndarray, c: np.ndarray, enc_out: np.ndarray,
                 enc_mask: np.ndarray) -> tuple[int, list[Piece], np.ndarray, np.ndarray]:
    """The forced prefix fed once, on one row, before the beam opens: (last id, its pieces, h, c)."""
    prev, start = START, []
    for token in forced:
        probs, h, c, weights = net.step(np.array([prev]), h, c, enc_out, enc_mask)
        start.append(_piece(target, probs[0], token, _row(weights, 0)))
        prev = token
    return prev, start, h, c


def pick(probs: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """The next id: the most probable writable one, or at a temperature above 0 a sample."""
    if temperature <= 0:
        best = int(probs.argmax())
        if best not in UNWRITABLE:  # the trained case: one argmax, no copy
            return best
        masked = probs.copy()
        masked[UNWRITABLE] = -1.0
        return int(masked.argmax())
    logits = np.log(np.maximum(probs.astype(np.float64), TINY))
    logits[UNWRITABLE] = -np.inf
    # The best id's logit made 0 before dividing: however small the temperature, the others only go
    # towards -inf (probability 0) and the best keeps 1, where dividing first made every logit -inf (nan).
    with np.errstate(over="ignore"):
        scaled = (logits - logits.max()) / temperature
    return int(rng.choice(len(logits), p=softmax(scaled)))


def greedy_rows(net: Network, target: Vocab, id_rows: list[np.ndarray], limit: int) -> list[str]:
    """Greedy translations of a batch of sentences' ids, decoded side by side."""
    h, c, enc_out, enc_mask = net.encode_batch(id_rows)
    prev = np.full(len(id_rows), START)
    done = np.zeros(len(id_rows), bool)
    chars: list[list[str]] = [[] for _ in id_rows]
    for _ in range(limit):
        probs, h, c, _ = net.step(prev, h, c, enc_out, enc_mask)
        probs[:, UNWRITABLE] = -1.0
        prev = probs.argmax(axis=-1)
        done |= prev == END
        if done.all():
            break
        for k in np.flatnonzero(~done):
            chars[k].append(target.char(int(prev[k])))
    return ["".join(cs) for cs in chars]


def greedy_probabilities(net: Network, source_ids: np.ndarray, limit: int) -> tuple[list[int], np.ndarray]:
    """The argmax ids (END included) and each step's probability vector, for parity checks against Keras."""
    h, c, enc_out, enc_mask = net.encode_batch([source_ids])
    prev, ids, rows = np.array([START]), [], []
    for _ in range(limit):
        probs, h, c, _ = net.step(prev, h, c, enc_out, enc_mask)
        rows.append(probs[0])
        ids.append(int(probs[0].argmax()))
        if ids[-1] == END:
            break
        prev = np.array([ids[-1]])
    return ids, np.array(rows)


def _piece(target: Vocab, probs: np.ndarray, token: int, attention: np.ndarray | None) -> Piece:
    return Piece(target.char(token), max(float(probs[token]), TINY), attention)


def _row(weights: np.ndarray | None, row: int) -> np.ndarray | None:
    return None if weights is None else weights[row]


def _pieces(h: Hypothesis) -> Iterator[Piece]:
    """A finished hypothesis as the pieces a stream yields."""
    chars = list(h.text) + ([""] if h.ended else [])
    for k, (char, prob) in enumerate(zip(chars, h.probs, strict=True)):
        yield Piece(char, prob, None if h.attention is None else h.attention[k])
