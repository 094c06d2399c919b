"""One normalisation of text, shared by training and by every way of translating.

People type sentences with stray spaces, typographic apostrophes and decomposed accents; a character
model that never saw those reads them as new words. `normalize` puts text in the one form the model
learned from: Unicode NFC, no leading or trailing whitespace, each run of whitespace one space, and,
given the model's vocabulary, each typographic mark replaced by the plain mark the vocabulary holds
(’ by ', “ by ", … by ...): corpora write the plain marks far more often, so a model knows them best.
Training normalises its pairs without a vocabulary (NFC and whitespace only), so the corpus's own
marks, such as French's narrow no-break space before `!`, stay as they are.

A model trained on cased sentences (its vocabulary holds capitals) also gets its input written as a
sentence: text typed without case (all lower case, ALL CAPS or Every Word Capitalised) in sentence case,
with "i" as a word capitalised; a first letter typed in lower case capitalised; and a final "." where the
text ends in a letter or digit, or "?" where it begins as an English or French question does. Those are
the casual forms that cost a cased model most (docs/models.md), and what each becomes is what the user
meant. Text that mixes cases otherwise is kept as typed (names, "NASA"). A space typed before the closing
mark is dropped for a model whose corpus never sets marks off (English), kept for one whose corpus does
(French: its vocabulary holds the narrow no-break space); a "?" added for the latter is set off too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container

from seqtui.data.vocab import Unknown

FINAL_MARKS = ".?!\u2026"  # the marks that close a sentence

# Typographic marks, and the plain marks that stand in for them when a vocabulary lacks the former.
PLAIN_MARKS = {
    "\u2019": "'", "\u2018": "'", "\u201b": "'", "\u02bc": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u2026": "...",
}


def normalize(text: str, known: Container[str] | None = None) -> str:
    """`text` as the model reads it.

    Args:
        text: what was typed or read from a file.
        known: the model's source vocabulary; None (training) keeps every mark and lone whitespace
            character as it is, since the vocabulary is still to be built from them.
    """
    out: list[str] = []
    run = ""
    composed = unicodedata.normalize("NFC", text)
    cased = known is not None and _cased(known)
    source = as_sentence(composed, known) if cased else composed
    body = source.rstrip()
    final = len(body.rstrip(FINAL_MARKS))  # where the closing marks begin ("?", "!", "...")
    for i, ch in enumerate(source):
        if ch.isspace():
            run += ch
            continue
        if run:
            out.append((_before_mark(run, known) if i == final and known is not None else _space(run, known))
                       if out else "")
            run = ""
        out.append(_mark(ch, known))
    if cased and out and out[-1][-1:].isalnum() and known is not None:
        mark = "?" if _asks("".join(out)) else "."
        out.append((" " if mark == "?" and _sets_off(known) else "") + mark if mark in known else "")
    return "".join(out)


# How an English or a French question begins, for a final mark the user left out: the words that open
# a question wherever they stand first (do/does/did only before a subject: "Do it." is an order).
_OPENERS = frozenset({
    "who", "whom", "whose", "what", "which", "where", "when", "why", "how", "is", "are", "am", "was", "were",
    "isn't", "aren't", "wasn't", "weren't", "can", "could", "would", "will", "shall", "should", "may", "might",
    "can't", "couldn't", "won't", "wouldn't", "shouldn't", "où", "quand", "comment", "pourquoi", "combien",
    "qui", "quel", "quelle", "quels", "quelles", "est-ce", "qu'est-ce"})
_SUBJECTS = frozenset({"i", "you", "we", "they", "he", "she"})
_INVERTED = re.compile(r"^\w+-(?:t-)?(?:tu|vous|il|elle|on|ils|elles|je|nous)$")  # French: as-tu, a-t-il


def _asks(text: str) -> bool:
    words = text.lower().replace("\u2019", "'").split()
    if not words:
        return False
    first, second = words[0].strip(",;:"), words[1] if len(words) > 1 else ""
    return (first in _OPENERS or bool(_INVERTED.match(first))
            or (first in ("do", "does", "did", "don't", "doesn't", "didn't") and second in _SUBJECTS))


def as_sentence(text: str, known: Container[str] | None = None) -> str:
    """`text` with sentence case where it was typed without case, and its first letter a capital (one
    `known` holds); each character maps to one, so positions in `text` hold (a letter whose case takes
    two stays as typed)."""
    letters = [ch for ch in text if ch.lower() != ch.upper()]
    if not letters:
        return text
    chars = list(text)
    if (all(ch == ch.lower() for ch in letters) or all(ch == ch.upper() for ch in letters)
            or _title_case(text)):
        chars = [_one(ch, ch.lower()) for ch in chars]
        for m in _LONE_I.finditer("".join(chars)):
            chars[m.start()] = "I"
    first = next(i for i, ch in enumerate(chars) if ch.lower() != ch.upper())
    upper = _one(chars[first], chars[first].upper())
    if known is None or upper in known:
        chars[first] = upper
    return "".join(chars)


# "i" as a word of its own, or before an apostrophe (i'm, i'll): lower case of English's "I".
_LONE_I = re.compile(r"(?<![^\W\d_])i(?=$|['\u2019]|[^\w])")


def _title_case(text: str) -> bool:
    """Every word of two or more begins with a capital, as a phone's keyboard may set them."""
    words = [w for w in text.split() if any(ch.lower() != ch.upper() for ch in w)]
    firsts = [next(ch for ch in w if ch.lower() != ch.upper()) for w in words]
    return len(words) >= 2 and all(ch != ch.lower() for ch in firsts)


def _one(ch: str, changed: str) -> str:
    return changed if len(changed) == 1 else ch


def _cased(known: Container[str]) -> bool:
    """Whether a vocabulary holds capitals: a model trained on lower-cased text gets its input as typed."""
    return any(ch in known for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def unknown(text: str, known: Container[str]) -> list[Unknown]:
    """The characters of `text` the model cannot read even after `normalize`, at their places in `text`
    (in its NFC form, which is `text` itself unless it held decomposed accents)."""
    composed = unicodedata.normalize("NFC", text)
    read = as_sentence(composed, known) if _cased(known) else composed
    return [Unknown(ch, i) for i, (ch, r) in enumerate(zip(composed, read, strict=True))
            if r not in known and not r.isspace() and _mark(r, known) == r]


def unreadable(text: str, known: Container[str]) -> bool:
    """Whether `text` holds something, but nothing the model can read: every character but whitespace is
    unknown (emoji alone, another script). Such text is nothing to translate, not a sentence to guess at."""
    composed = unicodedata.normalize("NFC", text)
    visible = sum(not ch.isspace() for ch in composed)
    return visible > 0 and len(unknown(text, known)) == visible


def _space(run: str, known: Container[str] | None) -> str:
    """One whitespace run: a lone space character the model knows stays (a narrow no-break space in
    French); anything else (tabs, line breaks, runs) is one plain space."""
    if len(run) == 1 and unicodedata.category(run) == "Zs" and (known is None or run in known):
        return run
    return " "


def _before_mark(run: str, known: Container[str]) -> str:
    """The space typed before a sentence's closing mark: kept where the model's corpus sets marks off
    (French), dropped where it never does (English)."""
    return _space(run, known) if _sets_off(known) else ""


def _sets_off(known: Container[str]) -> bool:
    """Whether the model's source corpus sets "?" and "!" off with a space, as French does: its vocabulary
    holds the narrow no-break space French typography puts there. (Tatoeba's French writes a plain space
    there four times as often as the narrow one, so a plain space is what such a model knows best.)"""
    return "\u202f" in known


def _mark(ch: str, known: Container[str] | None) -> str:
    plain = PLAIN_MARKS.get(ch)
    if known is None or plain is None or not all(c in known for c in plain):
        return ch
    return plain
