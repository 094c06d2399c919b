"""How much of an input is read: a whole input is cut at `MAX_INPUT_CHARS`, a sentence at what the model
can use (`source_limit`), before any work is spent on the rest.

A character model reads each character with one encoder step, and an attention model looks at all of them
at every output step, so an input's time and memory grow with its length, while characters far past the
longest sentence the model was trained on are of no use to it: its translation stops at the output limit
long before them. So `Engine` reads at most `source_limit` characters of every sentence, on every way of
translating, and its `Result` says when it cut one. A sentence of up to `MIN_SOURCE_CHARS` is never cut,
whatever the model was trained on.

A whole input (a line of `predict`, an argument of `translate`, a line typed at the REPL) is cut first,
at `MAX_INPUT_CHARS`: the bound on what is read at all, before sentences are told apart.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_INPUT_CHARS = 10_000  # of one whole input, before it is split into sentences
MIN_SOURCE_CHARS = 200  # a sentence this long is never cut
SOURCE_FACTOR = 4  # times the longest source sentence the model was trained on


def source_limit(longest_source: int) -> int:
    """The most characters of one sentence a model trained on sources of up to `longest_source` characters
    reads: SOURCE_FACTOR times that, at least MIN_SOURCE_CHARS and at most MAX_INPUT_CHARS."""
    return min(MAX_INPUT_CHARS, max(MIN_SOURCE_CHARS, SOURCE_FACTOR * max(0, longest_source)))


@dataclass(frozen=True)
class Cut:
    """The part of a text that is read, and how long the text was."""

    text: str
    given: int  # characters in the text as given

    @property
    def cut(self) -> bool:
        """Whether characters were left out."""
        return len(self.text) < self.given


def cut(text: str, limit: int) -> Cut:
    """The first `limit` characters of `text`."""
    return Cut(text[:limit], len(text))


def cut_input(text: str) -> Cut:
    """A whole input as it is read: its first MAX_INPUT_CHARS characters."""
    return cut(text, MAX_INPUT_CHARS)


def cut_note(given: int, limit: int) -> str:
    """What to tell a user about an input of `given` characters cut to its first `limit`."""
    return f"the input is {given:,} characters; only its first {limit:,} are translated"
