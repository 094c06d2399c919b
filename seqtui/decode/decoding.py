"""The decoding engine: greedy streaming, batched greedy, beam search with n-best, sampling, in numpy.

`Engine` is the facade every caller uses (the API, the CLI, the REPL, the trainer's samples): it
cuts the input to what the model can use (`seqtui.decode.limits`), normalises it, checks the settings and
a forced prefix, and runs a search from `seqtui.decode.search` on the
network step of `seqtui.decode.network`. Calling `model.predict` once per character instead costs
about a hundred times more a step (README, Benchmarks).

Every decode also says how sure it was: `Engine.stream` yields a `Piece` per step (the character,
its probability, and on attention models the attention over the source), and its `result` holds the
hypotheses with their scores. All of it comes from the one pass that picks the characters.

The scored results and their text forms live in `seqtui.decode.hypotheses` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field

import numpy as np

from seqtui.data import normalize as norm
from seqtui.data.vocab import Unknown, Vocab
from seqtui.decode import limits, search
from seqtui.decode.hypotheses import Hypothesis, Piece, Result, Stream, normalize, split_prefix, to_json
from seqtui.decode.network import Network
from seqtui.decode.search import UNWRITABLE
from seqtui.decode.settings import Settings
from seqtui.errors import SeqtuiError
from seqtui.model.weights import Weights

__all__ = ["UNWRITABLE", "Engine", "Hypothesis", "Piece", "PrefixError", "Result", "Settings", "Stream",
           "Translation", "normalize", "split_prefix", "to_json"]


class PrefixError(SeqtuiError):
    """A forced prefix holds characters the model cannot write."""

    title = "Prefix error"


@dataclass
class Translation:
    """A finished translation and the input characters the model did not know."""

    text: str
    unknown: list[Unknown] = field(default_factory=list)


class Engine:
    """Translates with a trained model's weights; never touches Keras."""

    def __init__(self, weights: Weights, source: Vocab, target: Vocab, max_len: int = 200,
                 longest_source: int = 0) -> None:
        self.net = Network(weights)
        self.source = source
        self.target = target
        self.max_len = max_len
        # The longest source sentence the model was trained on (0: unknown, and half of max_len, by default
        # twice the longest target, stands in): what `source_limit` is a multiple of.
        self.longest_source = longest_source

    @property
    def w(self) -> Weights:
        return self.net.w

    @w.setter
    def w(self, weights: Weights) -> None:
        self.net = Network(weights)

    @property
    def attention(self) -> bool:
        return self.net.attention

    @property
    def source_limit(self) -> int:
        """The most characters of a sentence this model reads (`seqtui.decode.limits.source_limit`)."""
        return limits.source_limit(self.longest_source or self.max_len // 2)

    def readable(self, text: str) -> limits.Cut:
        """The part of `text`, as given, that this model reads: its first `source_limit` characters."""
        return limits.cut(text, self.source_limit)

    def normalize(self, text: str) -> str:
        """`text` as this model reads it (see `seqtui.data.normalize`)."""
        return norm.normalize(text, self.source)

    def source_of(self, text: str) -> str:
        """What this model encodes of `text`: its readable part, normalised (every entry point decodes this).
        Normalising lengthens a text only by … becoming ... and a final mark added, so this stays within
        three times `source_limit` and two characters."""
        return self.normalize(self.readable(text).text)

    def unknown(self, text: str) -> list[Unknown]:
        """The characters of `text`'s readable part, as typed, that this model cannot read even once
        normalised."""
        return norm.unknown(self.readable(text).text, self.source)

    def unreadable(self, text: str) -> bool:
        """Whether `text` holds nothing this model can read (`normalize.unreadable`): it is not translated,
        every way of translating returns it unchanged."""
        return norm.unreadable(text, self.source)

    def stream(self, text: str, settings: Settings | None = None) -> Stream:
        """Decode `text`: iterate the Stream for its pieces, then read its `result`.

        Greedy and sampling yield each piece as it is decided; beam search yields the best
        hypothesis's pieces once the search ends. Empty input decodes nothing (no hypothesis text,
        no pieces). Only the first `source_limit` characters of `text` are read (the result says when
        there were more). Settings out of range raise SettingError, and a prefix the model cannot
        write, or a prefix for an empty sentence, PrefixError, before anything is decoded.
        """
        s = settings or Settings()
        s.check()  # a field may have been set out of range since the settings were made
        forced = self.prefix_ids(s.prefix)
        read = self.readable(text)
        unknown, source = norm.unknown(read.text, self.source), self.source_of(read.text)
        if forced and not source:
            raise PrefixError(f"the prefix {s.prefix!r} has no sentence to continue a translation of")
        typed = " ".join(read.text.split())
        if self.unreadable(typed):
            return Stream(_unchanged(typed, unknown, s))
        return Stream(self._search(source, s, forced, unknown, read))

    def _search(self, text: str, s: Settings, forced: list[int], unknown: list[Unknown],
                read: limits.Cut) -> Generator[Piece, None, Result]:
        found = [Hypothesis("", (), False, None, s.length_penalty)]
        if text:
            run = search.beam if s.width > 1 else search.sequential
            found = yield from run(self.net, self.target, self.source.encode(text), s, forced,
                                   s.max_len or self.max_len)
        return Result(found, unknown, text, read.given, len(read.text))

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
        unchanged = {i: " ".join(t.split()) for i, t in enumerate(texts) if self.unreadable(self.readable(t).text)}
        texts = [self.source_of(t) for t in texts]
        out = [unchanged.get(i, "") for i in range(len(texts))]
        order = sorted((i for i, t in enumerate(texts) if t and i not in unchanged), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            rows = search.greedy_rows(self.net, self.target, [self.source.encode(texts[i]) for i in chunk],
                                      max_len or self.max_len)
            for i, text in zip(chunk, rows, strict=True):
                out[i] = text
            if progress is not None:
                progress(min(start + batch_size, len(order)), len(order))
        return out

    def greedy_probabilities(self, text: str, max_len: int = 0) -> tuple[list[int], np.ndarray]:
        """The argmax ids (END included) and each step's probability vector of `text` exactly as given (not
        normalised), for parity checks against Keras."""
        return search.greedy_probabilities(self.net, self.source.encode(text), max_len or self.max_len)

    def beam_search(self, text: str, beam: int = 4, max_len: int = 0) -> Iterator[str]:
        """Yield the best beam hypothesis for `text`, ranked by mean log-probability."""
        return self.decode_stream(text, Settings(beam=beam, max_len=max_len))


def _unchanged(text: str, unknown: list[Unknown], s: Settings) -> Generator[Piece, None, Result]:
    """Text the model cannot read, handed back as it came (whitespace runs as one space, so it stays one
    line): its characters as pieces, no score (probability 1, nothing was guessed), not ended (the model
    wrote none of it)."""
    pieces = [Piece(ch, 1.0) for ch in text]
    yield from pieces
    return Result([Hypothesis(text, tuple(p.prob for p in pieces), False, None, s.length_penalty)], unknown, "")
