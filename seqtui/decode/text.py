"""What people type, as the models read it: a text of several sentences, the language it is in, and how sure
a translation is.

The shipped models learned from single short sentences, so `Engine` translates a text one sentence at a
time (`seqtui.data.sentences` cuts it, in the model's source language) and joins the translations with the
text's own spacing between them: two spaces stay two, a line break stays. The whitespace around the whole
text is not kept (a line typed at the REPL or read from a file never had any that mattered), so a text of
one sentence translates exactly as it always did.

A model of English typed French gives nonsense without an error: `hint` says which model to use instead,
when `seqtui.data.language` is sure enough, and `columns` which way round a file of pairs is written. A
translation the model gave a low mean log-probability is often far from right: `unsure` says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from seqtui.data import sentences
from seqtui.data.corpus import Pair
from seqtui.data.sentences import Segment
from seqtui.decode.hypotheses import Hypothesis
from seqtui.errors import CorpusError

# A sentence whose best translation has a mean log-probability per symbol under this is flagged unsure.
# Measured by bench/confidence.py (shipped en-fr, greedy, the 2,000 held-out pairs of lines 8,001-10,000 of
# the shared corpus; 680 answers with chrF under 30, 600 with 60 or more): under -0.25, 20% of the answers
# are flagged, 70% of them have chrF under 30 (a third of the answers overall do), and 2% of the good ones
# are flagged; -0.2 flags 35% at 59% and 9% of the good, -0.3 10% at 77% but misses four bad in five.
UNSURE_BELOW = -0.25
# The language hint is given when the other language wins with at least this confidence on a text of at
# least HINT_MIN_CHARS characters. Measured by bench/confidence.py on both sides of the same lines and of
# lines 1-3,000 (the shortest pairs): from 10 characters at 0.8, no English text is told French nor any
# French one English (0 of 4,618 and 0 of 4,845), while 97-99% of the French texts are told French and
# 95-99% of the English ones English; at 0.6 wrong hints appear (0.2%), and shorter texts (`Merci.` gets
# 0.52) are where the identifier guesses.
HINT_CONFIDENCE = 0.8
HINT_MIN_CHARS = 10
NAMES = {"en": "English", "fr": "French"}


def languages(reverse: bool) -> tuple[str, str]:
    """(source, target) languages of a model trained on the English-French corpus, `reverse`d or not (the
    shipped fr-en model records `reverse = true` too)."""
    return ("fr", "en") if reverse else ("en", "fr")


def split(text: str, lang: str) -> list[Segment]:
    """The sentences of `text` in `lang` (`seqtui.data.sentences.split`): [] for whitespace alone."""
    return sentences.split(text, lang)


def offsets(segments: Sequence[Segment]) -> list[int]:
    """Where each segment's sentence starts in the text they were split from."""
    out, at = [], 0
    for seg in segments:
        out.append(at + len(seg.lead))
        at += len(seg.raw)
    return out


def gaps(segments: Sequence[Segment]) -> list[str]:
    """The whitespace written before each sentence's translation: none before the first, then what stood
    between it and the sentence before it."""
    return ["", *(a.trail + b.lead for a, b in zip(segments, segments[1:], strict=False))][: len(segments)]


def join(segments: Sequence[Segment], translations: Sequence[str]) -> str:
    """`translations`, one per segment, with the spacing between the segments (not around them all)."""
    if len(segments) != len(translations):
        raise ValueError(f"{len(translations)} translations for {len(segments)} sentences")
    return "".join(gap + t for gap, t in zip(gaps(segments), translations, strict=True))


def joined(parts: Sequence[Hypothesis], spacing: Sequence[str], length_penalty: float = 1.0) -> Hypothesis:
    """One hypothesis for a whole text from its sentences' (`spacing[i]` written before part i, each of its
    characters with probability 1): every character's probability, then, when every sentence ended, the
    product of their end symbols', so its score is the sum of theirs. It has no attention: each sentence's
    ran over its own source."""
    text, probs = "", []
    for gap, h in zip(spacing, parts, strict=True):
        text += gap + h.text
        probs += [1.0] * len(gap) + list(h.probs[: len(h.text)])
    ended = bool(parts) and all(h.ended for h in parts)
    if ended:
        probs.append(float(np.prod([h.probs[-1] for h in parts], dtype=np.float64)))
    return Hypothesis(text, tuple(probs), ended, None, length_penalty)


def mean_logprob(h: Hypothesis) -> float:
    """The mean natural-log probability per symbol of `h` (its `score` over its symbols; 0 for none)."""
    return h.score / len(h.probs) if h.probs else 0.0


def unsure(h: Hypothesis) -> bool:
    """Whether the model was unsure of `h`: its mean log-probability is under UNSURE_BELOW."""
    return bool(h.probs) and mean_logprob(h) < UNSURE_BELOW


def hint(text: str, source: str, models: Mapping[str, str]) -> tuple[str, str] | None:
    """(the language `text` looks written in, the model that reads it) when that is not `source`, the model's
    source language, and one of `models` (name: source language) reads it; None otherwise, or when the text is
    too short or the guess not sure enough to be worth a word. The first call reads the identifier's model
    (about a second): call it off a UI thread."""
    readers = {lang: name for name, lang in models.items()}
    if len(text.strip()) < HINT_MIN_CHARS or not any(lang != source for lang in readers):
        return None
    from seqtui.data.language import detect

    lang, confidence = detect(text, [source, *(lang for lang in readers if lang != source)])
    if lang == source or confidence < HINT_CONFIDENCE or lang not in readers:
        return None
    return NAMES.get(lang, lang), readers[lang]


def model_languages(names: Sequence[str]) -> dict[str, str]:
    """The source language of each model named as the shipped ones are (`en-fr`: English)."""
    return {name: name.split("-")[0] for name in names if "-" in name}


def columns(pairs: Sequence[Pair], expected: tuple[str, str], name: str) -> tuple[bool, str]:
    """Whether the two columns of `pairs` (read from the file `name`) stand the other way round from
    `expected` (the languages of the first and second columns), and the one line to tell a user about it.

    Lines too short to tell (`seqtui.data.language.MIN_CHARS`) are read as expected, with a line saying so.

    Raises:
        CorpusError: the lines disagree on which column is which: the file is refused rather than read
            backwards in part.
    """
    from seqtui.data.language import column_order

    first, second = (NAMES.get(lang, lang) for lang in expected)
    order = column_order(pairs, expected)
    if order.languages == expected:
        return False, ""
    if order.languages == expected[::-1]:
        return True, (f"{name}: its first column is {second} and its second {first}; read the other way round, "
                      f"{first}<TAB>{second}")
    if not order.votes:
        return False, f"{name}: its lines are too short to tell which column is which; read as {first}<TAB>{second}"
    raise CorpusError(f"{name}: cannot tell which column is {first} and which {second} ({order.reason}); give a "
                      f"file of {first}<TAB>{second} lines")
