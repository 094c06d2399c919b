"""Which language a text is in, among the few a caller can translate; which column of a corpus is which.

A model of English typed French, or a corpus whose columns stand the other way round, gives nonsense
without an error. `detect` tells the languages apart with py3langid (a naive Bayes model over byte n-grams,
langid.py's, bench/langid.py), choosing only among `candidates`: the languages of the models at hand.
Its model is read once, on the first call, and kept.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqtui.data.corpus import Pair, read_corpus
from seqtui.errors import SeqtuiError

MAX_CHARS = 2000  # the first characters of a text tell its language; a longer one costs time, not accuracy
SAMPLE_LINES = 200  # lines `column_order` reads, spread over the file
MIN_CHARS = 5  # a side shorter than this says little (`Go.`, `OK`), so its line has no vote
AGREEMENT = 0.8  # the share of votes the winning order needs: below it the file is mixed, or one language


class LanguageError(SeqtuiError):
    """A language asked for that the identifier does not know."""

    title = "Unknown language"


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@functools.cache
def _restricted(candidates: tuple[str, ...]) -> Any:
    """An identifier that chooses among `candidates` only (its softmax is over them), made once per set and
    never changed after, so threads may share it."""
    from py3langid.langid import LanguageIdentifier

    full = _identifier()
    identifier = LanguageIdentifier(full.nb_ptc, full.nb_pc, full.nb_classes, full.tk_nextmove, full.tk_output,
                                    norm_probs=True, tk_row=full.tk_row)
    identifier.set_languages(list(candidates))
    return identifier


@functools.cache
def known_languages() -> frozenset[str]:
    """The ISO 639-1 codes `detect` can tell apart."""
    return frozenset(_identifier().labels)


def detect(text: str, candidates: Sequence[str]) -> tuple[str, float]:
    """The language of `text` among `candidates`, and how sure that is.

    Args:
        text: any text; only its first `MAX_CHARS` characters are read.
        candidates: ISO 639-1 codes ("en", "fr"), at least one; the first wins a tie.

    Returns:
        (language, confidence): the confidence is the language's probability among the candidates, from
        1/len(candidates) (no clue, as for "123" or "") to 1.

    Raises:
        LanguageError: a candidate the identifier does not know (or none given).
    """
    wanted = list(dict.fromkeys(candidates))
    if not wanted:
        raise LanguageError("no language to choose from")
    known = known_languages()
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise LanguageError(f"cannot tell {', '.join(map(repr, unknown))} apart from other languages "
                            f"(known: {len(known)} ISO 639-1 codes such as en, fr, de)")
    if len(wanted) == 1:
        return wanted[0], 1.0
    lang, confidence = _restricted(tuple(sorted(wanted))).classify(text[:MAX_CHARS])
    if confidence <= 1.0 / len(wanted) + 1e-9:  # no clue (no letters): the caller's first choice
        return wanted[0], 1.0 / len(wanted)
    return str(lang), float(confidence)


@dataclass(frozen=True)
class ColumnOrder:
    """Which language each column of a corpus holds, as `column_order` decided from its lines.

    `languages` is (first column's, second column's), or None when the lines do not tell (`reason` says
    why); `share` is the part of the voting lines that agreed, `votes` how many lines voted.
    """

    languages: tuple[str, str] | None
    share: float
    votes: int
    reason: str = ""


def column_order(pairs: Sequence[Pair], candidates: Sequence[str] = ("en", "fr"),
                 sample: int = SAMPLE_LINES) -> ColumnOrder:
    """Which of `candidates` each side of `pairs` is written in, from up to `sample` pairs spread over them.

    Each pair whose sides both hold `MIN_CHARS` characters or more votes for the languages `detect` gives its
    two sides, if they differ; the order wins when `AGREEMENT` of the votes agree.
    """
    step = max(1, len(pairs) // max(1, sample))
    votes: Counter[tuple[str, str]] = Counter()
    for first, second in list(pairs[::step])[:sample]:
        if len(first.strip()) >= MIN_CHARS and len(second.strip()) >= MIN_CHARS:
            order = (detect(first, candidates)[0], detect(second, candidates)[0])
            if order[0] != order[1]:
                votes[order] += 1
    total = sum(votes.values())
    if not total:
        return ColumnOrder(None, 0.0, 0, "no line has two sides of different languages long enough to tell")
    order, count = votes.most_common(1)[0]
    share = count / total
    if share < AGREEMENT:
        return ColumnOrder(None, share, total, f"the lines disagree: {order[0]}-{order[1]} in only {share:.0%}")
    return ColumnOrder(order, share, total)


def file_column_order(path: Path, candidates: Sequence[str] = ("en", "fr"),
                      sample: int = SAMPLE_LINES) -> ColumnOrder:
    """`column_order` of a tab-separated corpus file (or folder), read as training reads it.

    Raises:
        CorpusError: the file cannot be read as a corpus.
    """
    return column_order(read_corpus(path).pairs, candidates, sample)
