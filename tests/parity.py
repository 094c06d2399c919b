"""The numpy engine against the Keras model it was read from: the greedy choice and every step's probabilities.

The Keras side runs teacher-forced on the engine's own greedy prefix, all sentences in one padded batch:
padding is masked (id 0), so each row's probabilities are those of the sentence alone, and one call
replaces the hundreds of eager calls a sentence-by-sentence loop makes.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from seqtui.data.vocab import START
from seqtui.store import bundle
from tests.conftest import TINY_PAIRS

TOLERANCE = 1e-5  # the README's parity figure
# The mean top probability per greedy step on the tiny corpus's sentences above which a model has learnt
# something: ten times an untrained one's, about 1 / its ~50 characters (0.02); the trained toys give 0.29-0.42.
CONFIDENT = 0.2


def parity_sentences(n: int = 200, seed: int = 0) -> list[str]:
    """Training sentences, then random strings over the training characters (and a few unknown ones)."""
    rng = random.Random(seed)
    chars = sorted({c for s, _ in TINY_PAIRS for c in s}) + ["é", "€"]
    out = [s for s, _ in TINY_PAIRS]
    while len(out) < n:
        out.append("".join(rng.choice(chars) for _ in range(rng.randint(1, 30))))
    return out


def keras_probabilities(model, engine, texts: list[str], paths: list[list[int]]) -> list[np.ndarray]:
    """Keras' next-character probabilities for each text along its id path (teacher forcing), batched."""
    enc = [engine.source.encode(t) for t in texts]
    dec = [[START] + ids[:-1] for ids in paths]
    enc_batch = np.zeros((len(texts), max(1, *(len(e) for e in enc))), np.int32)
    dec_batch = np.zeros((len(texts), max(1, *(len(d) for d in dec))), np.int32)
    for row, (e, d) in enumerate(zip(enc, dec, strict=True)):
        enc_batch[row, : len(e)], dec_batch[row, : len(d)] = e, d
    probs = np.asarray(model([enc_batch, dec_batch], training=False))
    return [probs[row, : len(ids)] for row, ids in enumerate(paths)]


def check_parity(model_dir: Path, texts: list[str], max_len: int = 0) -> None:
    """The engine's greedy ids are Keras' argmax at every step, its probabilities within TOLERANCE."""
    model = bundle.load_keras_model(model_dir / bundle.MODEL)
    engine = bundle.load(model_dir).engine()
    greedy = [engine.greedy_probabilities(t, max_len=max_len) for t in texts]
    refs = keras_probabilities(model, engine, texts, [ids for ids, _ in greedy])
    worst = 0.0
    for text, (ids, probs), ref in zip(texts, greedy, refs, strict=True):
        assert list(ref.argmax(-1)) == ids, text  # Keras' own greedy choice at every step
        worst = max(worst, float(np.abs(ref - probs).max()))
    assert worst < TOLERANCE, worst


def confidence(model_dir: Path) -> float:
    """The mean top probability of the engine's greedy steps on the training sentences.

    Near 1/vocabulary for an untrained model, whose near-uniform outputs could hide a wrong weight matrix
    inside the parity tolerance: parity is worth checking only on a model above CONFIDENT.
    """
    engine = bundle.load(model_dir).engine()
    tops = [probs.max(-1) for probs in (engine.greedy_probabilities(s)[1] for s, _ in TINY_PAIRS)]
    return float(np.concatenate(tops).mean())
