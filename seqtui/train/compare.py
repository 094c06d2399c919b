"""When a training session ends: the run's saved model against the shipped model, on the run's own
validation pairs, so that which model answers (`seqtui.store.catalog.choose`) rests on a score, not on
which folder exists.
"""

from __future__ import annotations

from collections.abc import Callable

from seqtui.data import corpus as data
from seqtui.decode.decoding import Engine
from seqtui.records import EpochRecord
from seqtui.store import bundle, catalog
from seqtui.store.rundir import RunDir
from seqtui.store.saved import Comparison

CHRF_PAIRS = 1000


def chrf_pairs(pairs: list[data.Pair], most: int = CHRF_PAIRS) -> list[data.Pair]:
    """The validation pairs chrF is scored on: up to `most`, evenly spread (val_chrf and the comparison)."""
    return pairs[:: max(1, len(pairs) // most)][:most]


def chrf(engine: Engine, pairs: list[data.Pair], progress: Callable[[int, int], None] | None = None) -> float:
    """chrF of `engine`'s greedy translations of `pairs`' sources against their targets (`progress` as
    `Engine.translate_batch` takes it)."""
    import sacrebleu

    # Batches of an eighth (at least 32) rather than one of up to 256: the progress moves while a small
    # validation split is scored, at little cost in speed.
    size = min(256, max(32, -(-len(pairs) // 8)))
    hyps = engine.translate_batch([s for s, _ in pairs], batch_size=size, progress=progress)
    return float(sacrebleu.corpus_chrf(hyps, [[t for _, t in pairs]]).score)


def compare_with_shipped(run: RunDir, val_pairs: list[data.Pair], best: EpochRecord | None,
                         reverse: bool = False) -> Comparison | None:
    """Score the run's saved model (the `best` epoch's) and the shipped model on the same validation
    pairs, record the result in the run's manifest and return it; None when either model is missing.

    A chrF-monitored run already scored its best epoch on exactly these pairs, so only the shipped model
    is decoded then.
    """
    against = catalog.counterpart(reverse)  # the shipped model of the run's direction
    origin = catalog.shipped().get(against)
    if origin is None or best is None or not bundle.exists(run.path) or not val_pairs:
        return None
    pairs = chrf_pairs(val_pairs)
    mine = best.val_chrf if best.val_chrf is not None else chrf(bundle.load(run.path).engine(), pairs)
    found = Comparison(against, best.epoch, len(pairs), mine, chrf(bundle.load(origin).engine(), pairs))
    run.record_comparison(found)
    return found
