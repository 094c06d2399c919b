"""The training split as people type it: casual forms of the sources, and several pairs joined as one.

A corpus such as Tatoeba holds well-formed sentences only, so a model trained on it alone reads
`i'm hungry` or `I'M HUNGRY` as text it never met. With `augment = "casual"`, each epoch shows the
model a seeded share (`augment_rate`) of its training sources written another way: letter case
changed (lower case, ALL CAPS, the capital of the first word lost, Title Case), the final punctuation
dropped, changed, doubled or set off by a space, apostrophes left out. The target side is never
touched. Which pairs change, and how, depends only on (seed, epoch), so a resumed run sees what an
uninterrupted one would. Stray spaces and typographic marks need no such lesson: `normalize` removes
them before a model reads any input. `concat_rate` joins pairs (below); `AugmentedEpochs` makes each
epoch's split from both.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Container
from dataclasses import dataclass

import numpy as np

from seqtui.data.batching import Encoded
from seqtui.data.corpus import MAX_SIDE_CHARS, Pair
from seqtui.data.vocab import END, START, Vocab

FINAL_MARKS = ".!?"


def _sentence_case_lost(text: str) -> str:
    return text[:1].lower() + text[1:]


def _title(text: str) -> str:
    return " ".join(word[:1].upper() + word[1:] for word in text.split(" "))


# How the case of a sentence may change, with weights that follow how often people type so.
CASES: list[tuple[Callable[[str], str], int]] = [
    (str.lower, 6), (str.upper, 2), (_sentence_case_lost, 2), (_title, 1), (lambda t: t, 3)]


def _drop(text: str, mark: str) -> str:
    return text.rstrip(FINAL_MARKS).rstrip()


def _swap(text: str, mark: str) -> str:
    other = {".": "!", "!": ".", "?": "."}.get(mark, ".")
    return text[: len(text) - 1] + other if mark else text + other


def _double(text: str, mark: str) -> str:
    return text + mark * 2 if mark else text


def _spaced(text: str, mark: str) -> str:
    return text[: len(text) - 1].rstrip() + " " + mark if mark else text


# How the end of a sentence may change, with weights.
ENDINGS: list[tuple[Callable[[str, str], str], int]] = [
    (_drop, 5), (_swap, 1), (_double, 1), (_spaced, 1), (lambda t, m: t, 4)]


def casual(text: str, rng: random.Random) -> str:
    """One casual way of typing `text` (never `text` itself, unless nothing about it can change)."""
    for _ in range(4):
        case = rng.choices([f for f, _ in CASES], [w for _, w in CASES])[0]
        ending = rng.choices([f for f, _ in ENDINGS], [w for _, w in ENDINGS])[0]
        mark = text[-1] if text and text[-1] in FINAL_MARKS else ""
        out = ending(case(text), mark)
        if rng.random() < 0.1:
            out = out.replace("'", "")
        if out and out != text:
            return out
    return text


def casual_sources(pairs: list[Pair], rate: float, seed: int, epoch: int,
                   known: Container[str]) -> dict[int, str]:
    """The sources that epoch `epoch` shows in a casual form, by pair index: about `rate` of them.

    A form with a character outside `known` (the source vocabulary, when a run reuses one) is skipped.
    """
    rng = random.Random(f"casual/{seed}/{epoch}")
    chosen: dict[int, str] = {}
    for i, (source, _) in enumerate(pairs):
        if rng.random() >= rate:
            continue
        form = casual(source, rng)
        if form != source and all(ch in known for ch in form):
            chosen[i] = form
    return chosen


def case_forms(texts: list[str]) -> set[str]:
    """Every character of `texts` in lower and upper case: what a vocabulary needs for their casual forms."""
    chars: set[str] = set()
    for text in texts:
        chars.update(text)
    return {c for ch in chars for c in ch.lower() + ch.upper()}


# Concatenation: several pairs as one, as people type two sentences at once. A model that met only single
# short sentences garbles the second of two, so with `concat_rate` each epoch replaces that share of its
# training pairs by the pair joined with one or two others (a space between, on both sides). A join of two
# short statements is made, at CLAUSE_SHARE of the times it can be, one sentence instead: "X, and Y" /
# "X, et Y", so long single sentences are met too. Seeded by (seed, epoch) like the casual forms; the
# validation split is never joined.
CLAUSE_SHARE = 0.3  # of the joins of two short statements whose sides' languages have a conjunction here
SHORT = 60  # characters: a statement this long or shorter (each side) may become a clause
JOINED_MAX = MAX_SIDE_CHARS  # a join whose side would be longer than a corpus side is skipped
CONJUNCTIONS = {"en": "and", "fr": "et"}
PARTS = ((2, 3), (3, 1))  # how many pairs a join holds, with weights


def proper_words(texts: list[str]) -> set[str]:
    """Words that `texts` write with a capital inside a sentence: names (Tom, Paris), I, acronyms."""
    words: set[str] = set()
    for text in texts:
        for word in text.split(" ")[1:]:
            word = word.strip(".,!?;:\"«»()")
            if word[:1].isupper():
                words.add(word)
    return words


def _first_word(text: str) -> str:
    return text.split(" ", 1)[0].strip(".,!?;:\"«»()")


def _lower_start(text: str, proper: set[str]) -> str:
    """`text` with its first letter in lower case, unless its first word looks like a name (or is `I`)."""
    word = _first_word(text)
    if word in proper or word.split("'")[0] == "I" or sum(ch.isupper() for ch in word) > 1:
        return text
    return text[:1].lower() + text[1:]


def _statement(text: str) -> bool:
    return len(text) <= SHORT and text.endswith(".") and not text.endswith("..")


def clause(first: str, second: str, conjunction: str, proper: set[str]) -> str:
    """Two statements as one sentence: `first` without its final period, a comma, `conjunction`, `second`."""
    return f"{first[:-1]}, {conjunction} {_lower_start(second, proper)}"


@dataclass(frozen=True)
class Joining:
    """What concatenation needs to know of a split: each side's conjunction (None: no clause joins for that
    language pair), the words each side writes as names, and each side's vocabulary."""

    conjunctions: tuple[str, str] | None
    proper: tuple[set[str], set[str]]
    known: tuple[Container[str], Container[str]]

    @classmethod
    def of(cls, pairs: list[Pair], languages: tuple[str, str] | None,
           known: tuple[Container[str], Container[str]]) -> Joining:
        """`languages`: the sources' and the targets' (ISO 639-1), or None when they are not known."""
        words = (proper_words([s for s, _ in pairs]), proper_words([t for _, t in pairs]))
        pair = tuple(CONJUNCTIONS.get(lang) for lang in languages) if languages else (None, None)
        return cls(pair if None not in pair else None, words, known)  # type: ignore[arg-type]


def join_pairs(parts: list[Pair], joining: Joining, rng: random.Random) -> Pair | None:
    """`parts` as one pair: a clause join (see `CLAUSE_SHARE`) or sentences after one another; None when the
    vocabularies cannot write it or a side would be too long."""
    joins = [(" ".join(s for s, _ in parts), " ".join(t for _, t in parts))]
    if (len(parts) == 2 and joining.conjunctions and all(_statement(s) and _statement(t) for s, t in parts)
            and rng.random() < CLAUSE_SHARE):
        (s1, t1), (s2, t2) = parts
        joins.insert(0, (clause(s1, s2, joining.conjunctions[0], joining.proper[0]),
                         clause(t1, t2, joining.conjunctions[1], joining.proper[1])))
    for joined in joins:  # a clause the vocabularies cannot write (no comma) falls back to two sentences
        if all(len(side) <= JOINED_MAX and all(ch in known for ch in side)
               for side, known in zip(joined, joining.known, strict=True)):
            return joined
    return None


def joined_pairs(pairs: list[Pair], rate: float, seed: int, epoch: int, joining: Joining) -> dict[int, Pair]:
    """The pairs that epoch `epoch` shows joined with one or two random others, by index: about `rate` of them."""
    rng = random.Random(f"concat/{seed}/{epoch}")
    chosen: dict[int, Pair] = {}
    if len(pairs) < 2:
        return chosen
    for i in range(len(pairs)):
        if rng.random() >= rate:
            continue
        count = rng.choices([n for n, _ in PARTS], [w for _, w in PARTS])[0]
        others = [rng.randrange(len(pairs) - 1) for _ in range(count - 1)]
        parts = [pairs[i], *(pairs[j + (j >= i)] for j in others)]  # any pair but i itself
        joined = join_pairs(parts, joining, rng)
        if joined is not None:
            chosen[i] = joined
    return chosen


class AugmentedEpochs:
    """A training split that changes each epoch: casual sources at `casual_rate`, then joins at
    `concat_rate` (of pairs in their epoch's form); `encoded(epoch)` is that epoch's split, as many pairs as
    the clean one, so an epoch keeps its number of batches."""

    def __init__(self, pairs: list[Pair], clean: Encoded, vocabs: tuple[Vocab, Vocab], casual_rate: float,
                 concat_rate: float, seed: int, languages: tuple[str, str] | None = None) -> None:
        self.pairs, self.clean, self.vocabs, self.seed = pairs, clean, vocabs, seed
        self.casual_rate, self.concat_rate = casual_rate, concat_rate
        self.joining = Joining.of(pairs, languages, vocabs)

    def pairs_of(self, epoch: int) -> list[Pair]:
        """The epoch's pairs as text."""
        pairs = list(self.pairs)
        if self.casual_rate:
            for i, form in casual_sources(self.pairs, self.casual_rate, self.seed, epoch, self.vocabs[0]).items():
                pairs[i] = (form, pairs[i][1])
        if self.concat_rate:
            for i, joined in joined_pairs(pairs, self.concat_rate, self.seed, epoch, self.joining).items():
                pairs[i] = joined
        return pairs

    def encoded(self, epoch: int) -> Encoded:
        """The epoch's split as ids: the clean ids wherever a pair is unchanged (its targets the clean list
        itself when only sources change)."""
        sources = list(self.clean.sources)
        targets = list(self.clean.targets) if self.concat_rate else self.clean.targets
        source, target = self.vocabs
        for i, (pair, now) in enumerate(zip(self.pairs, self.pairs_of(epoch), strict=True)):
            if now[0] != pair[0]:
                sources[i] = source.encode(now[0])
            if now[1] != pair[1]:
                targets[i] = np.concatenate(([START], target.encode(now[1]), [END])).astype(np.int32)
        return Encoded(sources, targets)
