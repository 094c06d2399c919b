"""The decoding engine: greedy streaming, batched greedy, beam search with n-best, sampling, in numpy.

`Engine` is the facade every caller uses (the API, the CLI, the REPL, the trainer's samples): it
cuts the input to what the model can use (`seqtui.decode.limits`), splits it into sentences in the model's
source language (`seqtui.decode.text`), normalises each, checks the settings and a forced prefix (the first
sentence's), and runs a search from `seqtui.decode.search` on the network step of `seqtui.decode.network`
for each sentence, joining their translations with the text's spacing. Calling `model.predict` once per
character instead costs about a hundred times more a step (docs/benchmarks.md).

Every decode also says how sure it was: `Engine.stream` yields a `Piece` per step (the character,
its probability, and on attention models the attention over the source), and its `result` holds the
hypotheses with their scores. All of it comes from the one pass that picks the characters.

The scored results and their text forms live in `seqtui.decode.hypotheses` (re-exported here).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field

import numpy as np

from seqtui.data import normalize as norm
from seqtui.data.sentences import Segment
from seqtui.data.vocab import Unknown, Vocab
from seqtui.decode import limits, search
from seqtui.decode import text as joining
from seqtui.decode.hypotheses import Hypothesis, Piece, Result, Sentence, Stream, normalize, split_prefix, to_json
from seqtui.decode.network import Network
from seqtui.decode.search import UNWRITABLE
from seqtui.decode.settings import Settings
from seqtui.errors import SeqtuiError
from seqtui.model.weights import Weights

__all__ = ["UNWRITABLE", "Engine", "Hypothesis", "Piece", "PrefixError", "Result", "Sentence", "Settings", "Stream",
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
                 longest_source: int = 0, language: str = "en") -> None:
        self.net = Network(weights)
        self.source = source
        self.target = target
        self.max_len = max_len
        self.language = language  # of the sources, which `sentences` splits by (`seqtui.decode.text.languages`)
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

    def sentences(self, text: str) -> list[Segment]:
        """The sentences of `text`'s first `limits.MAX_INPUT_CHARS` characters, each as a `Segment` of it."""
        return joining.split(limits.cut_input(text).text, self.language)

    def unknown(self, text: str) -> list[Unknown]:
        """The characters of `text`, as typed (places in it), that this model cannot read even once normalised,
        in the part of each sentence it reads."""
        segments = self.sentences(text)
        return [Unknown(u.char, u.position + at) for seg, at in zip(segments, joining.offsets(segments), strict=True)
                for u in norm.unknown(self.readable(seg.text).text, self.source)]

    def unreadable(self, text: str) -> bool:
        """Whether `text` holds nothing this model can read (`normalize.unreadable`): it is not translated,
        every way of translating returns it unchanged."""
        return norm.unreadable(text, self.source)

    def stream(self, text: str, settings: Settings | None = None) -> Stream:
        """Decode `text`: iterate the Stream for its pieces, then read its `result`.

        Each sentence is decoded in turn (a forced prefix starts the first), and the whitespace between two
        is streamed between their translations, each character with probability 1. Greedy and sampling yield
        each piece as it is decided; beam search yields a sentence's best hypothesis's pieces once its search
        ends. Empty input decodes nothing (no hypothesis text, no pieces). Only the first
        `limits.MAX_INPUT_CHARS` characters of `text` are read, and of each sentence its first `source_limit`
        (the result says when there were more). Settings out of range raise SettingError, and a prefix the
        model cannot write, or a prefix for an empty text, PrefixError, before anything is decoded.
        """
        s = settings or Settings()
        s.check()  # a field may have been set out of range since the settings were made
        forced = self.prefix_ids(s.prefix)
        segments = self.sentences(text)
        if forced and not any(self.source_of(seg.text) for seg in segments):
            raise PrefixError(f"the prefix {s.prefix!r} has no sentence to continue a translation of")
        return Stream(self._text(text, segments, s, forced))

    def _text(self, text: str, segments: list[Segment], s: Settings,
              forced: list[int]) -> Generator[Piece, None, Result]:
        """Each sentence's pieces, the spacing between them, then the result of the whole text. A sentence's
        end is not the text's: only the last one's is yielded, with the probability of every end (as
        `seqtui.decode.text.joined` scores the whole), and only when every sentence before it ended."""
        parts: list[Sentence] = []
        ends = 1.0
        for k, (seg, at, gap) in enumerate(zip(segments, joining.offsets(segments), joining.gaps(segments),
                                               strict=True)):
            for ch in gap:
                yield Piece(ch, 1.0)
            result = yield from self._pieces(self._sentence(seg.text, s, forced if k == 0 else []),
                                             ends if k == len(segments) - 1 else None)
            parts.append(Sentence(seg, at, result))
            best = result.best
            ends = ends * best.probs[-1] if best.ended and ends else 0.0
        return self._whole(text, parts, s)

    @staticmethod
    def _pieces(steps: Generator[Piece, None, Result], ends: float | None) -> Generator[Piece, None, Result]:
        """The pieces of one sentence's decode; its end piece only as the text's (`ends`: the probability of the
        ends before it, 0 when one of them did not end; None: not the last sentence)."""
        while True:
            try:
                piece = next(steps)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            if piece.char:
                yield piece
            elif ends:
                yield Piece("", piece.prob * ends, piece.attention)

    def _sentence(self, sentence: str, s: Settings, forced: list[int]) -> Generator[Piece, None, Result]:
        read = self.readable(sentence)
        unknown, source = norm.unknown(read.text, self.source), self.source_of(read.text)
        typed = " ".join(read.text.split())
        if self.unreadable(typed):  # nothing to translate: the sentence comes back as it was typed
            return _unchanged(typed, unknown, s)
        return self._search(source, s, forced, unknown, read)

    def _search(self, text: str, s: Settings, forced: list[int], unknown: list[Unknown],
                read: limits.Cut) -> Generator[Piece, None, Result]:
        found = [Hypothesis("", (), False, None, s.length_penalty)]
        if text:
            run = search.beam if s.width > 1 else search.sequential
            found = yield from run(self.net, self.target, self.source.encode(text), s, forced,
                                   s.max_len or self.max_len)
        return Result(found, unknown, text, read.given, len(read.text))

    def _whole(self, text: str, parts: list[Sentence], s: Settings) -> Result:
        """The result of a whole text from its sentences' (see `Result`)."""
        given, dropped = len(text), len(text) - len(limits.cut_input(text).text)
        dropped += sum(p.result.given - p.result.read for p in parts)
        unknown = [Unknown(u.char, u.position + p.offset) for p in parts for u in p.result.unknown]
        if len(parts) == 1:  # read: how far into the text, so that "its first N characters" stays true
            one = parts[0]
            read = one.offset + one.result.read if one.result.cut else given - dropped
            return dataclasses.replace(one.result, unknown=unknown, given=given, read=read, sentences=tuple(parts))
        if not parts:
            return Result([Hypothesis("", (), False, None, s.length_penalty)], [], "", given, given - dropped)
        segments = [p.segment for p in parts]
        best = joining.joined([p.result.best for p in parts], joining.gaps(segments), s.length_penalty)
        source = joining.join(segments, [p.result.source for p in parts])
        return Result([best], unknown, source, given, given - dropped, tuple(parts))

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
        """Greedy translations of many texts at once: every sentence of every text goes into one set of
        batches (sorted by length to limit padding), and each text is joined back from its sentences'.

        `progress(done, total)` is called after each batch, counting sentences.
        """
        split = [self.sentences(t) for t in texts]
        decoded = self._greedy_sentences([seg.text for segments in split for seg in segments], batch_size,
                                         max_len, progress)
        out, at = [], 0
        for segments in split:
            out.append(joining.join(segments, decoded[at:at + len(segments)]))
            at += len(segments)
        return out

    def _greedy_sentences(self, sentences: list[str], batch_size: int, max_len: int,
                          progress: Callable[[int, int], None] | None) -> list[str]:
        unchanged = {i: " ".join(t.split()) for i, t in enumerate(sentences)
                     if self.unreadable(self.readable(t).text)}
        texts = [self.source_of(t) for t in sentences]
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
