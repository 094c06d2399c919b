"""Text from corpora, references, model files and model output, made safe to show on a terminal.

Such text is data: a line of a downloaded corpus, a translation, a class name in someone's model
file. Written to a terminal as is, an ESC starts an escape sequence (recolour, retitle, clear the
screen, on some terminals even answer back), and a bidi override (U+202E) makes the text that
follows read backwards. So every place that shows such text to a person escapes these characters to
their Python notation (`\\x1b`, `\\u202e`); files keep the data as it is.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

# Control (Cc: C0, DEL, C1), format (Cf: bidi overrides and isolates, BOM, tag characters),
# lone surrogates (Cs: they cannot even be encoded for the terminal) and the Unicode line and
# paragraph separators, which some terminals treat as line breaks.
_UNSAFE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Zero-width (non-)joiners are format characters too, but emoji sequences and several scripts
# (Persian, Indic) need them, and they move nothing on the screen.
_KEEP = frozenset({"\u200c", "\u200d"})


def is_unsafe(char: str) -> bool:
    """Whether a single character must not reach a terminal as is."""
    return char not in _KEEP and unicodedata.category(char) in _UNSAFE


def _notation(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape_controls(text: str, keep: str = "") -> str:
    """`text` with every unsafe character written as its escape (ESC becomes the four characters
    `\\x1b`); printable text, accents and emoji are left as they are.

    Args:
        text: the text to show.
        keep: characters to leave alone all the same ("\\n" where a widget lays out our own
            multi-line notes; a widget never passes a newline on to the terminal).
    """
    if text.isprintable():  # the common case, checked in C; it is False for more than we escape
        return text
    return "".join(_notation(c) if c not in keep and is_unsafe(c) else c for c in text)


def for_markup(text: str) -> str:
    """`text` escaped for a terminal and for Rich markup, so `[bold]` in data prints literally."""
    from rich.markup import escape

    return escape(escape_controls(text))


def json_line(obj: Any) -> str:
    """`obj` as one line of JSON that is safe on a terminal too.

    Accents and emoji stay readable (no `ensure_ascii`); JSON already escapes C0 controls, and every
    other unsafe character (DEL, C1, bidi overrides, lone surrogates, line separators) is written as
    a `\\uXXXX` escape, which `json.loads` reads back as the same character.
    """
    text = json.dumps(obj, ensure_ascii=False)
    if text.isprintable():
        return text
    return "".join(_json_escape(c) if is_unsafe(c) else c for c in text)


def _json_escape(char: str) -> str:
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # outside the BMP, JSON spells a character as its UTF-16 surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
