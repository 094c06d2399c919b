"""What of a request's text is translated: its sentences, each alone (the models learned from single
sentences), with the text's own spacing kept around them; in HTML, only the text between the tags.

A text becomes `Part`s: literal pieces returned as they are (spacing, tags, a sentence holding nothing the
model can read) and sentences to translate. `join` puts the translations back in their places.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from seqtui.data import sentences

# A tag, a comment or a declaration; the text of script and style elements is never translated.
_MARKUP = re.compile(r"<!--.*?-->|<script\b.*?</script\s*>|<style\b.*?</style\s*>|<[^>]*>", re.S | re.I)


@dataclass(frozen=True)
class Part:
    """A piece of a text: `literal`, returned as it is, or a `sentence` to translate (escaped back when the
    text is HTML)."""

    literal: str = ""
    sentence: str = ""
    escape: bool = False


def parts(text: str, lang: str, readable: Callable[[str], bool], is_html: bool = False) -> list[Part]:
    """`text` cut into literal parts and the sentences to translate, in order.

    Args:
        text: one `q`.
        lang: its language (how sentences are told apart).
        readable: whether the model can read anything of a sentence; one it cannot is kept as it is.
        is_html: translate only the text between tags, its entities decoded, and escape the translation.
    """
    if not is_html:
        return _sentences(text, lang, readable, escape=False)
    out: list[Part] = []
    at = 0
    for m in _MARKUP.finditer(text):
        out += _sentences(html.unescape(text[at:m.start()]), lang, readable, escape=True)
        out.append(Part(literal=m.group()))
        at = m.end()
    return out + _sentences(html.unescape(text[at:]), lang, readable, escape=True)


def _sentences(text: str, lang: str, readable: Callable[[str], bool], escape: bool) -> list[Part]:
    segments = sentences.split(text, lang)
    if not segments:  # only whitespace
        return [Part(literal=html.escape(text, quote=False) if escape else text)] if text else []
    out: list[Part] = []
    for seg in segments:
        lead, trail = (html.escape(s, quote=False) for s in (seg.lead, seg.trail)) if escape else (seg.lead, seg.trail)
        body = (Part(sentence=seg.text, escape=escape) if readable(seg.text)
                else Part(literal=html.escape(seg.text, quote=False) if escape else seg.text))
        out += [p for p in (Part(literal=lead), body, Part(literal=trail)) if p.literal or p.sentence]
    return out


def shown(part: Part, translation: str) -> str:
    """How a part's translation appears in the answer."""
    if not part.sentence:
        return part.literal
    return html.escape(translation, quote=False) if part.escape else translation


def join(text_parts: Sequence[Part], translations: Sequence[str]) -> str:
    """The answer: each sentence replaced by its translation (`translations`, one per sentence part)."""
    it = iter(translations)
    return "".join(shown(p, next(it)) if p.sentence else p.literal for p in text_parts)
