"""Casual forms of the training sources: the sentences as people type them.

A corpus such as Tatoeba holds well-formed sentences only, so a model trained on it alone reads
`i'm hungry` or `I'M HUNGRY` as text it never met. With `augment = "casual"`, each epoch shows the
model a seeded share (`augment_rate`) of its training sources written another way: letter case
changed (lower case, ALL CAPS, the capital of the first word lost, Title Case), the final punctuation
dropped, changed, doubled or set off by a space, apostrophes left out. The target side is never
touched. Which pairs change, and how, depends only on (seed, epoch), so a resumed run sees what an
uninterrupted one would. Stray spaces and typographic marks need no such lesson: `normalize` removes
them before a model reads any input.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Container

from seqtui.data.batching import Encoded
from seqtui.data.corpus import Pair
from seqtui.data.vocab import Vocab

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


class CasualEpochs:
    """A training split whose sources change form each epoch: `encoded(epoch)` is that epoch's split."""

    def __init__(self, pairs: list[Pair], clean: Encoded, source: Vocab, rate: float, seed: int) -> None:
        self.pairs, self.clean, self.source, self.rate, self.seed = pairs, clean, source, rate, seed

    def encoded(self, epoch: int) -> Encoded:
        sources = list(self.clean.sources)
        for i, form in casual_sources(self.pairs, self.rate, self.seed, epoch, self.source).items():
            sources[i] = self.source.encode(form)
        return Encoded(sources, self.clean.targets)
