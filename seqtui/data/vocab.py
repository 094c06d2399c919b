"""Character vocabularies with reserved ids for padding, start, end and unknown.

A vocabulary is built once from the training pairs and saved in the bundle; translating always
loads it from there (the original project rebuilt it from the prediction input, so ids drifted).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

PAD, START, END, UNK = 0, 1, 2, 3
RESERVED = ("<pad>", "<start>", "<end>", "<unk>")


@dataclass(frozen=True)
class Unknown:
    """A character of the input that the model never saw, and where it stood."""

    char: str
    position: int


class Vocab:
    """Maps characters to ids and back; ids 0-3 are reserved."""

    def __init__(self, chars: Iterable[str]) -> None:
        self.chars: list[str] = sorted(set(chars))
        self._ids = {c: i + len(RESERVED) for i, c in enumerate(self.chars)}

    @classmethod
    def build(cls, texts: Iterable[str]) -> Vocab:
        """The vocabulary of every character in `texts`."""
        seen: set[str] = set()
        for t in texts:
            seen.update(t)
        return cls(seen)

    def __len__(self) -> int:
        return len(self.chars) + len(RESERVED)

    def __contains__(self, char: object) -> bool:
        return char in self._ids

    def encode(self, text: str) -> np.ndarray:
        """Ids of `text`'s characters; unknown characters become UNK."""
        get = self._ids.get
        return np.fromiter((get(c, UNK) for c in text), dtype=np.int32, count=len(text))

    def unknown(self, text: str) -> list[Unknown]:
        """The characters of `text` that are not in the vocabulary, with their positions."""
        return [Unknown(c, i) for i, c in enumerate(text) if c not in self._ids]

    def char(self, index: int) -> str:
        """The character of a (non-reserved) id; reserved ids give ''."""
        return self.chars[index - len(RESERVED)] if index >= len(RESERVED) else ""

    def decode(self, ids: Iterable[int]) -> str:
        """The text of `ids`, stopping at END and skipping other reserved ids."""
        out = []
        for i in ids:
            if i == END:
                break
            out.append(self.char(int(i)))
        return "".join(out)

    def to_list(self) -> list[str]:
        """The characters in id order (after the reserved ids), for vocab.json."""
        return list(self.chars)


def describe_unknown(unknown: list[Unknown], limit: int = 8) -> str:
    """A short note such as "unknown characters: '€' at 3, '😀' at 10"."""
    if not unknown:
        return ""
    shown = ", ".join(f"{u.char!r} at {u.position}" for u in unknown[:limit])
    more = f" and {len(unknown) - limit} more" if len(unknown) > limit else ""
    return f"unknown character{'s' if len(unknown) > 1 else ''}: {shown}{more}"
