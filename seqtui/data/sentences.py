"""Splitting typed text into sentences, and joining their translations back with the text's own spacing.

The models learned from single short sentences, so a text of several is translated one sentence at a
time. `split` cuts with sentencex (a maintained rule-based segmenter, bench/segmenters.py) and then fixes
the cuts it gets wrong on such text at little cost: it keeps a sentence whole after abbreviations it does
not know (French `M.`, `c.-à-d.`, `J.-C.`, initials), and cuts where a sentence ends in `!!`, `?!` or a
French spaced `?` before a lower-case start, in an ellipsis or `etc.` before a capital, or (English) in
`a.m.`/`p.m.` before a capital. A line break always ends a sentence: the models never read one.

Each `Segment` keeps the whitespace around its sentence, so `join` rebuilds the text's spacing exactly
(two spaces stay two, line breaks stay): `"".join(s.raw for s in split(text, lang)) == text` for any text
that is not only whitespace.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Words ending in "." that a sentence goes on after, case as written. sentencex knows most English ones;
# these are the ones it cuts after in our texts, and the French titles and shortenings it does not know.
ABBREVIATIONS: dict[str, frozenset[str]] = {
    "en": frozenset({"Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", "St.", "Mt.", "Jr.", "Sr.", "vs.", "e.g.", "i.e."}),
    "fr": frozenset({"M.", "MM.", "Mme.", "Mlle.", "Dr.", "Pr.", "St.", "Ste.", "p.", "ex.", "c.-à-d.", "av.",
                     "apr.", "J.-C.", "cf.", "env.", "éd."}),
}
# Words ending in "." that a number follows ("No. 12", "chap. 3"); before a word they may end a sentence
# ("Yes. No. Maybe.").
BEFORE_NUMBERS = frozenset({"No.", "no.", "Nos.", "pp.", "chap.", "vol.", "fig.", "art.", "n."})
_CAPITAL = "A-ZÀ-ÖØ-Þ"
_INITIAL = re.compile(rf"(?:^|[\s(])[{_CAPITAL}]\.$")  # "J." of "J. K. Rowling": a name goes on
# Where a sentence ends although sentencex goes on: after a run of ?/! (a French one set off by a space)
# before any letter; after an ellipsis or `etc.` before a capital.
_CUTS = [re.compile(r"[?!]+\s+(?=[^\W\d_])"), re.compile(rf"(?:\.\.\.|…)\s+(?=[{_CAPITAL}])"),
         re.compile(rf"\betc\.\s+(?=[{_CAPITAL}])")]
_CUTS_BY_LANG = {"en": [re.compile(rf"\b[ap]\.m\.\s+(?=[{_CAPITAL}])")]}


@dataclass(frozen=True)
class Segment:
    """One sentence of a text: `text`, with the whitespace before (`lead`) and after (`trail`) it."""

    lead: str
    text: str
    trail: str

    @property
    def raw(self) -> str:
        """The segment as the input had it."""
        return self.lead + self.text + self.trail


def split(text: str, lang: str) -> list[Segment]:
    """The sentences of `text`, in order, each with the whitespace around it.

    Args:
        text: what was typed; any length the caller allows (the work is linear in it).
        lang: the text's language, an ISO 639-1 code ("en", "fr"); others get sentencex's own rules.

    Returns:
        One `Segment` per sentence, whose `raw` forms concatenate to `text`; [] when `text` holds only
        whitespace. A line break ends a sentence; blank lines and spaces go to the sentence before them.
    """
    pieces: list[str] = []
    for line in text.splitlines(keepends=True):
        pieces += _cut(_merged(_segment(line, lang), lang), lang)
    return _segments(pieces)


def join(segments: Sequence[Segment], sentences: Sequence[str]) -> str:
    """`sentences` (one per segment, e.g. their translations) with the segments' own spacing around them."""
    if len(segments) != len(sentences):
        raise ValueError(f"{len(sentences)} sentences for {len(segments)} segments")
    return "".join(seg.lead + sentence + seg.trail for seg, sentence in zip(segments, sentences, strict=True))


def _segment(line: str, lang: str) -> list[str]:
    """sentencex's cut of one line, as raw pieces (the line itself if its pieces did not rebuild it)."""
    from sentencex import segment  # here, not at the top: `import seqtui.data` stays free of it

    pieces = [p for p in segment(lang, line) if p]
    return pieces if "".join(pieces) == line else [line]


def _merged(pieces: list[str], lang: str) -> list[str]:
    """`pieces` with each one that ends in an abbreviation (or an initial) joined to the next."""
    known = ABBREVIATIONS.get(lang, frozenset())
    out: list[str] = []
    for piece in pieces:
        if out and (_goes_on(out[-1], piece, known) or piece.lstrip().startswith("-")):
            out[-1] += piece
        else:
            out.append(piece)
    return out


def _goes_on(piece: str, after: str, known: frozenset[str]) -> bool:
    """Whether the sentence of `piece` goes on into `after`, the piece that follows it."""
    body = piece.rstrip()
    words = body.split()
    if not words or body == piece:  # no whitespace after it: the line's last piece, nothing follows
        return False
    last = words[-1].lstrip("(\"'«")
    if last in BEFORE_NUMBERS:
        return after.lstrip()[:1].isdigit()
    return last in known or bool(_INITIAL.search(body))


def _cut(pieces: list[str], lang: str) -> list[str]:
    """`pieces` with a cut wherever one of `_CUTS` matches inside a piece (after its whitespace)."""
    rules = _CUTS + _CUTS_BY_LANG.get(lang, [])
    out: list[str] = []
    for piece in pieces:
        ends = sorted({m.end() for rule in rules for m in rule.finditer(piece) if m.end() < len(piece)})
        starts = [0, *ends]
        out += [piece[a:b] for a, b in zip(starts, [*ends, len(piece)], strict=True)]
    return out


def _segments(pieces: list[str]) -> list[Segment]:
    """Raw pieces as Segments; a piece of whitespace alone goes to the trail of the one before it."""
    out: list[Segment] = []
    lead = ""
    for piece in pieces:
        body = piece.strip()
        if not body:
            if out:
                last = out[-1]
                out[-1] = Segment(last.lead, last.text, last.trail + piece)
            else:
                lead += piece
            continue
        start = len(piece) - len(piece.lstrip())
        end = len(piece.rstrip())
        out.append(Segment(lead + piece[:start], piece[start:end], piece[end:]))
        lead = ""
    return out
