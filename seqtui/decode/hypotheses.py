"""What a decode produces: a `Piece` per step, scored `Hypothesis`es, the `Result` of a decode and the
`Stream` that yields the pieces; the length normalisation beam search ranks by; and the two text forms
of a decode, the REPL's prefix syntax and the JSON of `--json`.

Scores are natural-log probabilities. A hypothesis's `score` is the sum of the log-probabilities of
its characters and of the end symbol when it emitted one; beam search ranks by
`normalized = score / n ** length_penalty`, n being that count of symbols: a length penalty of 1
(the default) ranks by mean log-probability per symbol, 0 by the raw total, which favours short
outputs; values between trade one for the other.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from seqtui.data.sentences import Segment
from seqtui.data.vocab import Unknown


def normalize(score: float, symbols: int, length_penalty: float) -> float:
    """The score beam search ranks by: `score / symbols ** length_penalty`."""
    return score / float(max(1, symbols) ** length_penalty)


@dataclass(frozen=True, slots=True)
class Piece:
    """One decoding step: the character written ('' for the end symbol), the probability the model
    gave it, and (attention models) the attention weights over the source's characters."""

    char: str
    prob: float
    attention: np.ndarray | None = None

    @property
    def end(self) -> bool:
        return self.char == ""


@dataclass(frozen=True)
class Hypothesis:
    """A decoded output with the probability of each of its symbols."""

    text: str
    probs: tuple[float, ...]  # one per character, then the end symbol's when `ended`
    ended: bool  # the end symbol was emitted (False: cut at the length limit, or empty input, not decoded)
    attention: np.ndarray | None = None  # (len(probs), source length); None without attention
    length_penalty: float = 1.0

    @classmethod
    def of(cls, pieces: list[Piece], length_penalty: float) -> Hypothesis:
        rows = [p.attention for p in pieces if p.attention is not None]
        attention = np.stack(rows) if rows and len(rows) == len(pieces) else None
        return cls("".join(p.char for p in pieces), tuple(p.prob for p in pieces), bool(pieces) and pieces[-1].end,
                   attention, length_penalty)

    @property
    def score(self) -> float:
        """Total natural-log probability: the characters', and the end symbol's when emitted."""
        return float(np.log(np.asarray(self.probs, np.float64)).sum())

    @property
    def normalized(self) -> float:
        return normalize(self.score, len(self.probs), self.length_penalty)

    def alignment(self) -> list[int]:
        """For each output character, the index of the source character it attended to most."""
        if self.attention is None:
            return []
        return [int(i) for i in self.attention[: len(self.text)].argmax(axis=-1)]


@dataclass(frozen=True)
class Sentence:
    """One sentence of a text as it was decoded: its `segment` of the text (with the spacing around it),
    where its sentence starts in the text (`offset`), and its own `result` (unknown places within it)."""

    segment: Segment
    offset: int
    result: Result


@dataclass(frozen=True)
class Result:
    """What a decode found: its hypotheses, best first, the source's unknown characters (places as typed),
    the source as the model read it (normalised; the text its attention weights run over), and how many
    characters of the input as given it read (see `seqtui.decode.limits`).

    A text of several sentences is decoded one sentence at a time (`seqtui.decode.text`): `sentences` holds
    each one's decode; `nbest` is then the one joined hypothesis (no attention: see each sentence's), and
    `source` the sentences as read, spaced as the text was. A text of one sentence has one `Sentence` whose
    result is this one's but for the unknown places, which it counts from the sentence's start."""

    nbest: list[Hypothesis]
    unknown: list[Unknown]
    source: str = ""
    given: int = 0  # characters in the input as given
    read: int = 0  # of them, the ones read: fewer when the input was longer than the model can use
    sentences: tuple[Sentence, ...] = ()

    @property
    def best(self) -> Hypothesis:
        return self.nbest[0]

    @property
    def cut(self) -> bool:
        """Whether the input was cut to what the model can use."""
        return self.read < self.given


class Stream:
    """A decode in progress: iterate it for its pieces (greedy and sampling stream them as they are
    decided, beam search once it is done); `result` is set when the iteration ends."""

    def __init__(self, steps: Generator[Piece, None, Result]) -> None:
        self._steps = steps
        self.result: Result | None = None

    def __iter__(self) -> Iterator[Piece]:
        self.result = yield from self._steps

    def finish(self) -> Result:
        """Run the decode to its end (pieces not yet read are dropped) and return its result."""
        for _ in self:
            pass
        assert self.result is not None
        return self.result


PREFIX_MARK = "=>"


def split_prefix(line: str) -> tuple[str, str]:
    """`"I'm hungry. => J'ai"` → ("I'm hungry.", "J'ai"): the REPL's way of forcing a prefix.

    The last `=>` splits the line; one space on each side of it belongs to the syntax.
    """
    sentence, mark, prefix = line.rpartition(PREFIX_MARK)
    if not mark:
        return line, ""
    return sentence.removesuffix(" "), prefix.removeprefix(" ")


def to_json(result: Result, source: str, *, nbest: bool = False, align: bool = False) -> dict[str, Any]:
    """The machine-readable form of a decode, the one schema of a translation (`translate --json`,
    `repl --plain --json`, `Translator.to_json`): the whole text's translation (`source`, `text`, `score`,
    `probs`, `ended`, `unknown`, `unsure`), and `sentences`, each sentence's part of it with its own `nbest`
    and `alignment` when asked for. The top-level `nbest` and `alignment` are the text's: for a text of
    several sentences, its one joined hypothesis and no alignment.

    Args:
        result: the decode.
        source: the text as it was given (not normalised), so that each answer can be joined back to its
            input; each sentence's `source` is the sentence as the model read it.
        nbest: add the n-best lists.
        align: add, for each output character, the source character it attended to most.
    """
    from seqtui.decode.text import unsure

    best = result.best
    parts = [_sentence_json(part, nbest, align) for part in result.sentences]
    out: dict[str, Any] = {
        "source": source, "text": best.text, "score": best.score, "probs": list(best.probs), "ended": best.ended,
        "unknown": [{"char": u.char, "position": u.position} for u in result.unknown],
        "unsure": any(p["unsure"] for p in parts) if parts else unsure(best),
        "sentences": parts,
    }
    if nbest:
        out["nbest"] = _nbest_json(result.nbest)
    if align:
        out["alignment"] = best.alignment()
    return out


def _sentence_json(part: Sentence, nbest: bool, align: bool) -> dict[str, Any]:
    from seqtui.decode.text import unsure

    best = part.result.best
    out: dict[str, Any] = {"source": part.result.source, "text": best.text, "score": best.score,
                           "probs": list(best.probs), "ended": best.ended, "unsure": unsure(best),
                           "offset": part.offset}
    if nbest:
        out["nbest"] = _nbest_json(part.result.nbest)
    if align:
        out["alignment"] = best.alignment()
    return out


def _nbest_json(hyps: list[Hypothesis]) -> list[dict[str, Any]]:
    return [{"text": h.text, "score": h.score, "normalized": h.normalized, "ended": h.ended} for h in hyps]
