"""What a corpus holds: pair and malformed-line counts, characters, vocabularies and sentence lengths.

`corpus_stats` reads through `seqtui.data`, so it sees exactly what training would, and reports the
pairs a run's num_samples would take. It returns data; the CLI draws the tables and histogram.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seqtui.data import corpus as data

HISTOGRAM_BINS = 10


@dataclass(frozen=True)
class SideStats:
    """One side (source or target) of a set of pairs."""

    chars: int
    vocab: int
    mean_len: float
    longest: int
    lengths: list[int] = field(repr=False)

    @classmethod
    def of(cls, texts: Sequence[str]) -> SideStats:
        lengths = [len(t) for t in texts]
        return cls(sum(lengths), len(set().union(*texts)), sum(lengths) / max(1, len(lengths)),
                   max(lengths, default=0), lengths)


@dataclass(frozen=True)
class PairStats:
    """Counts for a set of pairs, side by side."""

    pairs: int
    source: SideStats
    target: SideStats

    @classmethod
    def of(cls, pairs: list[data.Pair]) -> PairStats:
        return cls(len(pairs), SideStats.of([s for s, _ in pairs]), SideStats.of([t for _, t in pairs]))


@dataclass(frozen=True)
class Bin:
    """Sentence lengths from `low` to `high` characters (inclusive), counted per side."""

    low: int
    high: int
    source: int
    target: int


@dataclass(frozen=True)
class CorpusStats:
    """Everything `seqtui data stats` reports about a corpus."""

    files: list[Path]
    malformed: int
    skipped_summary: str
    corpus: PairStats
    histogram: list[Bin]
    num_samples: int
    sample: str
    selected: PairStats


def corpus_stats(path: Path, num_samples: int = 0, sample: str = "first", seed: int = 0,
                 bins: int = HISTOGRAM_BINS, setting: str = "") -> CorpusStats:
    """Read the corpus at `path` and describe it, and the pairs `num_samples` would take from it.

    Args:
        path: a corpus file or a folder of them.
        num_samples, sample, seed: the run's selection settings (see `data.select`).
        bins: the most bins in the length histogram.
        setting: where `path` came from, for the error when it does not exist (see `data.corpus_files`).

    Raises:
        CorpusError: the corpus cannot be read (see `data.read_corpus`).
    """
    corpus = data.read_corpus(path, setting=setting)
    whole = PairStats.of(corpus.pairs)
    selected = data.select(corpus.pairs, num_samples, sample, seed)
    return CorpusStats(corpus.files, len(corpus.skipped), corpus.skipped_summary(), whole,
                       histogram(whole.source.lengths, whole.target.lengths, bins), num_samples, sample,
                       PairStats.of(selected))


def histogram(source: list[int], target: list[int], bins: int = HISTOGRAM_BINS) -> list[Bin]:
    """Both sides' lengths counted in at most `bins` equal-width bins from 1 to the longest."""
    longest = max(source + target, default=0)
    if not longest:
        return []
    width = math.ceil(longest / bins)
    counts = [[0, 0] for _ in range(math.ceil(longest / width))]
    for side, lengths in enumerate((source, target)):
        for n in lengths:
            counts[(n - 1) // width][side] += 1
    return [Bin(i * width + 1, min((i + 1) * width, longest), s, t) for i, (s, t) in enumerate(counts)]
