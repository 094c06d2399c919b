"""The decoding engine: greedy streaming, batched greedy, beam search with n-best, sampling, in numpy.

It runs the trained LSTM cells directly on numpy arrays. Calling `model.predict` once per character
(as the original example does) costs ~110 ms a step on a 2-core CPU; one numpy step costs tens of
microseconds. The embedding and input kernel are folded into one lookup table (`embed @ kernel + bias`),
so feeding a character is a row gather instead of a matrix product.

Every decode also says how sure it was: `Engine.stream` yields a `Piece` per step (the character,
its probability, and on attention models the attention over the source), and its `result` holds the
hypotheses with their scores. All of it comes from the one pass that picks the characters.

The scored results and their text forms live in `seqtui.hypotheses` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field

import numpy as np

from seqtui.data import normalize as norm
from seqtui.data.vocab import END, PAD, START, UNK, Unknown, Vocab
from seqtui.decode.hypotheses import Hypothesis, Piece, Result, Stream, normalize, split_prefix, to_json
from seqtui.decode.settings import Settings
from seqtui.errors import SeqtuiError
from seqtui.model.weights import Weights

__all__ = ["Engine", "Hypothesis", "Piece", "PrefixError", "Result", "Settings", "Stream", "Translation",
           "normalize", "split_prefix", "to_json"]

# Ids the decoder may score but never writes: nothing was trained to emit them.
UNWRITABLE = [PAD, START, UNK]
TINY = 1e-30  # the smallest probability recorded, so that a score is always finite


class PrefixError(SeqtuiError):
    """A forced prefix holds characters the model cannot write."""

    title = "Prefix error"


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 0.5 * (np.tanh(0.5 * x) + 1.0)
    return out  # one tanh: cheaper than exp and never overflows


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    out: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return out


def _lstm_step(z: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keras' LSTM cell given the summed gate pre-activations `z` (gates i, f, c, o)."""
    i, f, g, o = np.split(z, 4, axis=-1)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    return _sigmoid(o) * np.tanh(c), c


def _run_lstm(gates: np.ndarray, recurrent: np.ndarray, mask: np.ndarray,
              backward: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One LSTM over a masked batch, given each step's input pre-activations (B, T, 4U): (outputs, h, c).

    Padded steps leave the state alone and output zeros. `backward` reads from the last step to the
    first, as Keras' backward layer of a Bidirectional does; its outputs stay in reading order of the
    sentence, as Keras flips them back.
    """
    b, t_max, units = gates.shape[0], gates.shape[1], recurrent.shape[0]
    h = np.zeros((b, units), np.float32)
    c = np.zeros((b, units), np.float32)
    outs = np.zeros((b, t_max, units), np.float32)
    for t in (range(t_max - 1, -1, -1) if backward else range(t_max)):
        h_new, c_new = _lstm_step(gates[:, t] + h @ recurrent, c)
        live = mask[:, t:t + 1]
        h, c = np.where(live, h_new, h), np.where(live, c_new, c)
        outs[:, t] = np.where(live, h_new, 0.0)
    return outs, h, c


def _side_by_side(arrays: list[np.ndarray]) -> np.ndarray:
    """Arrays joined along their last axis (one alone is returned as it is, uncopied)."""
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays, axis=-1)


@dataclass
class Translation:
    """A finished translation and the input characters the model did not know."""

    text: str
    unknown: list[Unknown] = field(default_factory=list)


class Engine:
    """Translates with a trained model's weights; never touches Keras."""

    def __init__(self, weights: Weights, source: Vocab, target: Vocab, max_len: int = 200) -> None:
        self.w = weights
        self.source = source
        self.target = target
        self.max_len = max_len
        # The first layers read ids: each one's embedding and input kernel fold into a lookup table (one per
        # direction of a bidirectional encoder).
        self._enc_tables = [weights.enc_embed @ cell.kernel + cell.bias for cell in weights.encoder[0]]
        self._dec_table = weights.dec_embed @ weights.decoder[0].kernel + weights.decoder[0].bias

    @property
    def attention(self) -> bool:
        return self.w.attention

    def normalize(self, text: str) -> str:
        """`text` as this model reads it (see `seqtui.data.normalize`): every entry point decodes this."""
        return norm.normalize(text, self.source)

    def unknown(self, text: str) -> list[Unknown]:
        """The characters of `text`, as typed, that this model cannot read even once normalised."""
        return norm.unknown(text, self.source)

    # -- encoder ---------------------------------------------------------------------------------

    def encode_batch(self, id_rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Run the encoder over rows of source ids: (h, c, outputs (B, T, H), mask (B, T)).

        h and c hold every layer's final state side by side (B, layers x H), the way `step` takes them
        (so beam search can pick rows of them); the outputs are the top layer's.
        """
        lengths = np.array([len(r) for r in id_rows])
        b, t_max = len(id_rows), max(1, int(lengths.max(initial=0)))
        ids = np.zeros((b, t_max), dtype=np.int64)
        for k, r in enumerate(id_rows):
            ids[k, : len(r)] = r
        mask = np.arange(t_max)[None, :] < lengths[:, None]
        hs, cs, x = [], [], None
        for layer in self.w.encoder:
            # The first layer reads ids through its tables; the others read the layer below's outputs.
            gates = ([table[ids] for table in self._enc_tables] if x is None
                     else [x @ cell.kernel + cell.bias for cell in layer])
            runs = [_run_lstm(g, cell.recurrent, mask, backward=d == 1)
                    for d, (g, cell) in enumerate(zip(gates, layer, strict=True))]
            out, h, c = (_side_by_side(list(parts)) for parts in zip(*runs, strict=True))
            x = x + out if x is not None and self.w.residual else out
            hs.append(h)
            cs.append(c)
        assert x is not None
        return _side_by_side(hs), _side_by_side(cs), x, mask

    # -- one decoder step ------------------------------------------------------------------------

    def step(self, prev: np.ndarray, h: np.ndarray, c: np.ndarray, enc_out: np.ndarray | None = None,
             enc_mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """Feed the previous characters' ids (B,); return (probabilities (B, V), h, c, attention).

        The attention (B, T) is the weights over the encoder's steps (None without attention); the
        softmax that makes it is the one the context needs, so reporting it costs nothing.
        """
        h, c, top = self._decoder_layers(prev, h, c)
        y, weights = top, None
        if self.w.attention:
            assert enc_out is not None and enc_mask is not None
            scores = np.einsum("bh,bth->bt", top, enc_out)
            scores = np.where(enc_mask, scores, scores - 1e9)
            weights = _softmax(scores)
            context = np.einsum("bt,bth->bh", weights, enc_out)
            y = np.tanh(np.concatenate([top, context], axis=-1) @ self.w.combine_kernel + self.w.combine_bias)
        return _softmax(y @ self.w.out_kernel + self.w.out_bias), h, c, weights

    def _decoder_layers(self, prev: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                                        np.ndarray]:
        """One step of every decoder layer: (h, c) of them all, side by side, and the top layer's output."""
        cells = self.w.decoder
        if len(cells) == 1:  # today's one-layer models: no splitting, no copies
            h, c = _lstm_step(self._dec_table[prev] + h @ cells[0].recurrent, c)
            return h, c, h
        hs, cs = np.split(h, len(cells), axis=-1), np.split(c, len(cells), axis=-1)
        x = self._dec_table[prev]
        for k, cell in enumerate(cells):
            hs[k], cs[k] = _lstm_step((x if k == 0 else x @ cell.kernel + cell.bias) + hs[k] @ cell.recurrent, cs[k])
            x = x + hs[k] if self.w.residual and k else hs[k]
        return _side_by_side(hs), _side_by_side(cs), x

    # -- public decoding -------------------------------------------------------------------------

    def stream(self, text: str, settings: Settings | None = None) -> Stream:
        """Decode `text`: iterate the Stream for its pieces, then read its `result`.

        Greedy and sampling yield each piece as it is decided; beam search yields the best
        hypothesis's pieces once the search ends. Empty input decodes nothing (no hypothesis text,
        no pieces). A prefix the model cannot write, or a prefix for an empty sentence, raises
        PrefixError before anything is decoded.
        """
        s = settings or Settings()
        forced = self.prefix_ids(s.prefix)
        unknown, text = self.unknown(text), self.normalize(text)
        if forced and not text:
            raise PrefixError(f"the prefix {s.prefix!r} has no sentence to continue a translation of")
        search = self._beam if s.width > 1 else self._sequential
        return Stream(search(text, s, forced, unknown))

    def decode(self, text: str, settings: Settings | None = None) -> Result:
        """The whole decode of `text` (see `stream`)."""
        return self.stream(text, settings).finish()

    def decode_stream(self, text: str, settings: Settings | None = None) -> Iterator[str]:
        """Yield the translation of `text` one character at a time, as each is decoded."""
        return (p.char for p in self.stream(text, settings) if p.char)

    def translate(self, text: str, settings: Settings | None = None) -> Translation:
        """The whole translation of `text`, with its unknown characters."""
        return Translation("".join(self.decode_stream(text, settings)), self.unknown(text))

    def prefix_ids(self, prefix: str) -> list[int]:
        """The target ids of a forced prefix (raises PrefixError naming the characters it cannot write)."""
        missing = self.target.unknown(prefix)
        if missing:
            chars = ", ".join(f"{u.char!r} at {u.position}" for u in missing[:8])
            raise PrefixError(f"the prefix {prefix!r} cannot be forced: this model never writes {chars}")
        return [int(i) for i in self.target.encode(prefix)]

    def translate_batch(self, texts: list[str], batch_size: int = 256, max_len: int = 0,
                        progress: Callable[[int, int], None] | None = None) -> list[str]:
        """Greedy translations of many sentences at once (sorted by length to limit padding).

        `progress(done, total)` is called after each batch of sentences.
        """
        texts = [self.normalize(t) for t in texts]
        out = [""] * len(texts)
        order = sorted((i for i, t in enumerate(texts) if t), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            for i, text in zip(chunk, self._greedy_rows([texts[i] for i in chunk], max_len), strict=True):
                out[i] = text
            if progress is not None:
                progress(min(start + batch_size, len(order)), len(order))
        return out

    def greedy_probabilities(self, text: str, max_len: int = 0) -> tuple[list[int], np.ndarray]:
        """The argmax ids (END included) and each step's probability vector of `text` exactly as given (not
        normalised), for parity checks against Keras."""
        h, c, enc_out, enc_mask = self.encode_batch([self.source.encode(text)])
        prev, ids, rows = np.array([START]), [], []
        for _ in range(max_len or self.max_len):
            probs, h, c, _ = self.step(prev, h, c, enc_out, enc_mask)
            rows.append(probs[0])
            ids.append(int(probs[0].argmax()))
            if ids[-1] == END:
                break
            prev = np.array([ids[-1]])
        return ids, np.array(rows)

    def beam_search(self, text: str, beam: int = 4, max_len: int = 0) -> Iterator[str]:
        """Yield the best beam hypothesis for `text`, ranked by mean log-probability."""
        return self.decode_stream(text, Settings(beam=beam, max_len=max_len))

    # -- the searches ----------------------------------------------------------------------------

    def _piece(self, probs: np.ndarray, token: int, attention: np.ndarray | None) -> Piece:
        return Piece(self.target.char(token), max(float(probs[token]), TINY), attention)

    def _sequential(self, text: str, s: Settings, forced: list[int],
                    unknown: list[Unknown]) -> Generator[Piece, None, Result]:
        """Greedy or sampling: one character a step, each yielded as soon as it is chosen."""
        if not text:
            return Result([Hypothesis("", (), False, None, s.length_penalty)], unknown, text)
        rng = np.random.default_rng(s.seed)
        h, c, enc_out, enc_mask = self.encode_batch([self.source.encode(text)])
        prev = np.array([START])
        pieces: list[Piece] = []
        for k in range(max(s.max_len or self.max_len, len(forced))):
            probs, h, c, weights = self.step(prev, h, c, enc_out, enc_mask)
            token = forced[k] if k < len(forced) else self._pick(probs[0], s.temperature, rng)
            piece = self._piece(probs[0], token, None if weights is None else weights[0])
            pieces.append(piece)
            yield piece
            if token == END:
                break
            prev = np.array([token])
        return Result([Hypothesis.of(pieces, s.length_penalty)], unknown, text)

    def _beam(self, text: str, s: Settings, forced: list[int],
              unknown: list[Unknown]) -> Generator[Piece, None, Result]:
        """Beam search of width `s.width`; yields the best hypothesis's pieces once it is done.

        The n-best list holds up to `s.nbest` of the hypotheses that ended, best first by normalised
        score; hypotheses cut at the length limit are listed only when none ended (so the list stays
        sorted and its head is always the one-best).
        """
        if not text:
            return Result([Hypothesis("", (), False, None, s.length_penalty)], unknown, text)
        width, lp = s.width, s.length_penalty
        h, c, enc_out, enc_mask = self.encode_batch([self.source.encode(text)])
        prev, start = START, []
        for token in forced:  # the prefix is fed once, on one row, before the beam opens
            probs, h, c, weights = self.step(np.array([prev]), h, c, enc_out, enc_mask)
            start.append(self._piece(probs[0], token, None if weights is None else weights[0]))
            prev = token
        seqs, beams = [prev], [start]
        totals = np.array([float(np.log(np.asarray([p.prob for p in start], np.float64)).sum())])
        finished: list[list[Piece]] = []
        for _ in range(max(0, (s.max_len or self.max_len) - len(forced))):
            n = len(beams)
            probs, h, c, weights = self.step(np.array(seqs), h, c, np.repeat(enc_out, n, 0),
                                             np.repeat(enc_mask, n, 0))
            total = totals[:, None] + np.log(np.maximum(probs, TINY))
            total[:, UNWRITABLE] = -np.inf
            keep: list[tuple[int, int]] = []
            for rank, idx in enumerate(np.argsort(total, axis=None)[::-1][: width * 2]):
                row, token = divmod(int(idx), total.shape[1])
                if total[row, token] == -np.inf:  # a tiny vocabulary: past what can be written
                    break
                if token == END:
                    if rank < width:  # an ending only counts when it ranks among the beam's best
                        finished.append(beams[row] + [self._piece(probs[row], END, _row(weights, row))])
                elif len(keep) < width:
                    keep.append((row, token))
            if len(finished) >= width or not keep:
                break
            beams = [beams[r] + [self._piece(probs[r], t, _row(weights, r))] for r, t in keep]
            seqs = [t for _, t in keep]
            totals = np.array([total[r, t] for r, t in keep])
            rows = [r for r, _ in keep]
            h, c = h[rows], c[rows]
        ranked = sorted((Hypothesis.of(b, lp) for b in finished or beams), key=lambda x: -x.normalized)
        yield from _pieces(ranked[0])
        return Result(ranked[: max(1, s.nbest)], unknown, text)

    @staticmethod
    def _pick(probs: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
        if temperature <= 0:
            best = int(probs.argmax())
            if best not in UNWRITABLE:  # the trained case: one argmax, no copy
                return best
            masked = probs.copy()
            masked[UNWRITABLE] = -1.0
            return int(masked.argmax())
        logits = np.log(np.maximum(probs.astype(np.float64), TINY))
        logits[UNWRITABLE] = -np.inf
        return int(rng.choice(len(logits), p=_softmax(logits / temperature)))

    def _greedy_rows(self, texts: list[str], max_len: int) -> list[str]:
        h, c, enc_out, enc_mask = self.encode_batch([self.source.encode(t) for t in texts])
        prev = np.full(len(texts), START)
        done = np.zeros(len(texts), bool)
        chars: list[list[str]] = [[] for _ in texts]
        for _ in range(max_len or self.max_len):
            probs, h, c, _ = self.step(prev, h, c, enc_out, enc_mask)
            probs[:, UNWRITABLE] = -1.0
            prev = probs.argmax(axis=-1)
            done |= prev == END
            if done.all():
                break
            for k in np.flatnonzero(~done):
                chars[k].append(self.target.char(int(prev[k])))
        return ["".join(cs) for cs in chars]


def _row(weights: np.ndarray | None, row: int) -> np.ndarray | None:
    return None if weights is None else weights[row]


def _pieces(h: Hypothesis) -> Iterator[Piece]:
    """A finished hypothesis as the pieces a stream yields."""
    chars = list(h.text) + ([""] if h.ended else [])
    for k, (char, prob) in enumerate(zip(chars, h.probs, strict=True)):
        yield Piece(char, prob, None if h.attention is None else h.attention[k])
