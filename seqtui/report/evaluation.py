"""Scoring a trained bundle: chrF and BLEU (sacrebleu), exact matches, and the masked loss and accuracy."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqtui.config import Config
from seqtui.data import corpus as data
from seqtui.data.batching import Encoded
from seqtui.decode.decoding import Settings
from seqtui.decode.text import columns, languages
from seqtui.errors import BundleError, CorpusError
from seqtui.store import bundle, catalog


@dataclass
class Report:
    """What `seqtui evaluate` prints."""

    pairs: int
    chrf: float
    bleu: float
    exact: float
    loss: float | None
    accuracy: float | None
    seconds: float
    examples: list[tuple[str, str, str]]
    warning: str = ""  # set when a damaged model.keras was replaced by the last checkpoint
    note: str = ""  # what a score means here, when it misleads (BLEU on short sentences)
    columns: str = ""  # how the columns of the data file were read, when that needs saying

    def to_dict(self) -> dict[str, Any]:
        return {"pairs": self.pairs, "chrf": round(self.chrf, 2), "bleu": round(self.bleu, 2),
                "exact": round(self.exact, 4), "loss": self.loss, "accuracy": self.accuracy,
                "seconds": round(self.seconds, 2), "examples": self.examples}


def eval_pairs(b: bundle.Bundle, data_path: Path | None,
               notes: list[str] | None = None) -> tuple[list[data.Pair], dict[str, set[str]]]:
    """The pairs to score (a given file, or the bundle's recorded validation split) and every
    reference the corpus has for each source sentence; how a given file's columns were read goes to `notes`.

    A given file is read as a corpus is, English<TAB>French (a reversed model reverses it), unless its lines
    say it is French<TAB>English (`seqtui.decode.text.columns`, which refuses a file whose lines disagree)."""
    cfg = b.meta.config
    if data_path is None and catalog.is_shipped(b.path):
        raise BundleError(f"{b.path} is the shipped model: its validation pairs (Tatoeba) are not on this machine; "
                          "pass --data FILE (pairs to score it on)")
    if data_path is not None:
        written = data.read_corpus(data_path).pairs
        swapped, note = columns(written, languages(False), str(data_path))
        if note and notes is not None:
            notes.append(note)
        pairs = data.select(written, 0, reverse=cfg.reverse != swapped)
        corpus_pairs = pairs
    else:
        from seqtui.train.training import check_same_data, prepare

        _check_run_corpus(cfg)
        prep = prepare(cfg, (b.source, b.target))
        check_same_data(b.meta, prep, b.path, splits=("val",), remedy="to score its validation split, restore it; "
                        "or pass --data FILE to score other pairs")
        pairs, corpus_pairs = prep.val_pairs, prep.train_pairs + prep.val_pairs
    refs: dict[str, set[str]] = {}
    for s, t in corpus_pairs:
        refs.setdefault(s, set()).add(t)
    return pairs, refs


def _check_run_corpus(cfg: Config) -> None:
    """The validation split is re-read from the run's own corpus; say so when it is gone (training's
    advice, to set train_dir, would not help: the run records where its corpus was)."""
    for path in [cfg.train_dir, *([Path(cfg.val_data)] if cfg.val_data else [])]:
        if not path.exists():
            raise CorpusError(f"{path}: no such file or folder, and this run's validation split is read from it; "
                              "put it back, or pass --data FILE to score other pairs")


def evaluate(model_dir: Path, data_path: Path | None = None, settings: Settings | None = None,
             with_loss: bool = True, limit: int = 0) -> Report:
    """Translate the evaluation pairs and score them against their references."""
    import sacrebleu

    b = bundle.load(model_dir)
    notes: list[str] = []
    pairs, refs = eval_pairs(b, data_path, notes)
    if limit:
        pairs = pairs[:limit]
    t0 = time.perf_counter()
    engine = b.engine()
    engine.language = languages(b.meta.config.reverse)[0]
    s = settings or Settings()
    sources = [p[0] for p in pairs]
    if s.beam > 1 or s.temperature > 0:
        hyps = ["".join(engine.decode_stream(x, s)) for x in sources]
    else:
        hyps = engine.translate_batch(sources, max_len=s.max_len)
    gold = [t for _, t in pairs]
    exact = sum(h.strip() in refs.get(src, {ref}) for h, src, ref in zip(hyps, sources, gold, strict=True))
    loss, acc = _masked_loss(b, pairs) if with_loss else (None, None)
    bleu = sacrebleu.corpus_bleu(hyps, [gold]).score
    return Report(len(pairs), sacrebleu.corpus_chrf(hyps, [gold]).score, bleu, exact / max(1, len(pairs)), loss, acc,
                  time.perf_counter() - t0, list(zip(sources, gold, hyps, strict=True))[:5], b.warning,
                  bleu_note(gold, bleu), " ".join(notes))


BLEU_ORDER = 4  # BLEU's longest n-gram: a geometric mean over 1- to 4-word matches


def bleu_note(references: list[str], bleu: float) -> str:
    """Why BLEU reads near 0 when most references are shorter than BLEU's four-word n-grams ("" otherwise)."""
    short = sum(len(r.split()) < BLEU_ORDER for r in references)
    if bleu >= 1.0 or not references or short * 2 < len(references):
        return ""
    return (f"BLEU counts runs of up to {BLEU_ORDER} words and {short} of the {len(references)} references are "
            f"shorter than that, so it stays near 0 even for exact matches; chrF is the score to read here")


def _masked_loss(b: bundle.Bundle, pairs: list[data.Pair]) -> tuple[float, float | None]:
    # Loading the model imports Keras the quiet way (backend.import_keras); feeding imports it plainly,
    # so it comes second, or TensorFlow's C++ start-up logs reach the terminal.
    model = bundle.load_keras_model(b.weights_file(), b.meta.config)
    from seqtui.train.feeding import BucketedBatches, masked_scores, rounding

    loss, accuracy = masked_scores(model, BucketedBatches(Encoded.from_pairs(pairs, b.source, b.target), 64, 0,
                                                          shuffle=False, round_to=rounding(model)))
    return round(loss, 6), None if accuracy is None else round(accuracy, 6)  # None: trained with `metrics = []`


def reference_streams(refs: Sequence[Sequence[str]]) -> list[list[str | None]]:
    """Per-hypothesis references turned into the reference streams sacrebleu takes: stream k holds
    each hypothesis' k-th reference, or None where it has fewer. sacrebleu drops a None reference
    (an empty string it would keep, as a reference nothing matches) and zips the streams, so every
    stream is as long as the hypotheses.

    Raises:
        ValueError: a hypothesis without any reference.
    """
    if any(not r for r in refs):
        raise ValueError("every hypothesis needs at least one reference")
    width = max((len(r) for r in refs), default=0)
    return [[r[k] if k < len(r) else None for r in refs] for k in range(width)]


def multi_reference_scores(hyps: Sequence[str], refs: Sequence[Sequence[str]]) -> tuple[float, float]:
    """Corpus chrF and BLEU of `hyps` where hypothesis i may match any of `refs[i]` (the phrasebook's
    renderings: tu or vous, masculine or feminine): chrF takes the best-matching reference of each
    sentence, BLEU counts n-grams against all of them and the closest reference length.

    Args:
        hyps: the translations.
        refs: for each translation, its references (one or more, as many as it has).
    """
    import sacrebleu

    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} hypotheses but references for {len(refs)}")
    if not hyps:
        return 0.0, 0.0
    streams: Any = reference_streams(refs)  # sacrebleu's hints say str, its code accepts None
    return sacrebleu.corpus_chrf(list(hyps), streams).score, sacrebleu.corpus_bleu(list(hyps), streams).score
