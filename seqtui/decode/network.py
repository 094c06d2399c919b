"""The network step in numpy: the encoder over a batch of sentences, and one decoder step with attention.

It runs the trained LSTM cells directly on numpy arrays, with Keras' gate order and masking, so its
probabilities are the Keras model's (a parity test holds them within 1e-5). The embedding and input
kernel of each first layer fold into one lookup table (`embed @ kernel + bias`), so feeding a
character is a row gather instead of a matrix product. The searches in `seqtui.decode.search` call it.
"""

from __future__ import annotations

import numpy as np

from seqtui.model.weights import Weights


def sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 0.5 * (np.tanh(0.5 * x) + 1.0)  # one tanh: cheaper than exp and never overflows
    return out


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    out: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return out


def _lstm_step(z: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keras' LSTM cell given the summed gate pre-activations `z` (gates i, f, c, o)."""
    i, f, g, o = np.split(z, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c


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


class Network:
    """A trained model's forward pass on numpy arrays: `encode_batch`, then `step` once per character."""

    def __init__(self, weights: Weights) -> None:
        self.w = weights
        # The first layers read ids: each one's embedding and input kernel fold into a lookup table (one per
        # direction of a bidirectional encoder).
        self._enc_tables = [weights.enc_embed @ cell.kernel + cell.bias for cell in weights.encoder[0]]
        self._dec_table = weights.dec_embed @ weights.decoder[0].kernel + weights.decoder[0].bias

    @property
    def attention(self) -> bool:
        return self.w.attention

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
            weights = softmax(scores)
            context = np.einsum("bt,bth->bh", weights, enc_out)
            y = np.tanh(np.concatenate([top, context], axis=-1) @ self.w.combine_kernel + self.w.combine_bias)
        return softmax(y @ self.w.out_kernel + self.w.out_bias), h, c, weights

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
