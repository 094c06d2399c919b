"""One normalisation of text, shared by training and by every way of translating.

People type sentences with stray spaces, typographic apostrophes and decomposed accents; a character
model that never saw those reads them as new words. `normalize` puts text in the one form the model
learned from: Unicode NFC, no leading or trailing whitespace, each run of whitespace one space, and,
given the model's vocabulary, each typographic mark replaced by the plain mark the vocabulary holds
(’ by ', “ by ", … by ...): corpora write the plain marks far more often, so a model knows them best.
Training normalises its pairs without a vocabulary (NFC and whitespace only), so the corpus's own
marks, such as French's narrow no-break space before `!`, stay as they are.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Container

from seqtui.data.vocab import Unknown

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
    for ch in unicodedata.normalize("NFC", text):
        if ch.isspace():
            run += ch
            continue
        if run:
            out.append(_space(run, known) if out else "")
            run = ""
        out.append(_mark(ch, known))
    return "".join(out)


def unknown(text: str, known: Container[str]) -> list[Unknown]:
    """The characters of `text` the model cannot read even after `normalize`, at their places in `text`
    (in its NFC form, which is `text` itself unless it held decomposed accents)."""
    composed = unicodedata.normalize("NFC", text)
    return [Unknown(ch, i) for i, ch in enumerate(composed)
            if ch not in known and not ch.isspace() and _mark(ch, known) == ch]


def _space(run: str, known: Container[str] | None) -> str:
    """One whitespace run: a lone space character the model knows stays (a narrow no-break space in
    French); anything else (tabs, line breaks, runs) is one plain space."""
    if len(run) == 1 and unicodedata.category(run) == "Zs" and (known is None or run in known):
        return run
    return " "


def _mark(ch: str, known: Container[str] | None) -> str:
    plain = PLAIN_MARKS.get(ch)
    if known is None or plain is None or not all(c in known for c in plain):
        return ch
    return plain
