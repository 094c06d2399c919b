"""Pictures of a decode for a terminal: characters shaded by confidence, and attention heatmaps.

Both are Rich `Text`, so the CLI prints them and the TUI shows them in widgets. Model output and
source text go through `escape_controls` (and, in the heatmap's one-cell columns, an unsafe or wide
character is drawn as a placeholder) so nothing from the data reaches the terminal as a control.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from rich.cells import cell_len
from rich.text import Text

from seqtui.decode.decoding import Hypothesis
from seqtui.safe_text import escape_controls, is_unsafe

# Confidence bands for shaded output: (lowest probability, style, legend label).
CONFIDENCE = [(0.9, "bold green3", "≥90%"), (0.6, "yellow3", "≥60%"), (0.3, "dark_orange", "≥30%"),
              (0.0, "bold red", "<30%")]
# Attention shades: a block glyph and a colour per quarter of weight.
SHADES = [(0.75, "█", "bright_yellow"), (0.5, "▓", "yellow"), (0.25, "▒", "dark_orange3"), (0.05, "░", "grey50"),
          (0.0, "·", "grey42")]
ARGMAX = ("●", "bold bright_red")
END_LABEL = "∎"
LABEL_WIDTH = 3  # the output character's column: " x "


def confidence_style(prob: float) -> str:
    return next(style for low, style, _ in CONFIDENCE if prob >= low)


def shaded(text: str, probs: list[float] | tuple[float, ...]) -> Text:
    """`text` with each character coloured by the probability the model gave it."""
    out = Text()
    for char, prob in zip(text, probs, strict=False):
        out.append(escape_controls(char), style=confidence_style(prob))
    if len(probs) < len(text):  # still streaming or probabilities missing: the rest unshaded
        out.append(escape_controls(text[len(probs):]), style="green")
    return out


def confidence_legend() -> Text:
    out = Text("confidence: ", style="dim")
    for _, style, label in CONFIDENCE:
        out.append("■", style=style).append(f" {label}  ", style="dim")
    return out


def _cell(char: str) -> str:
    """A source or output character drawn in exactly one terminal cell."""
    if char == " ":
        return "␣"
    if is_unsafe(char):
        return "?"
    return char if cell_len(char) == 1 else "□"


def attention_map(source: str, hyp: Hypothesis, width: int = 80) -> Text:
    """The attention of `hyp` over `source`: source characters across, output characters down.

    Each cell is shaded by its weight (block glyph and colour) and the most attended source
    character of each row is marked. When the source is wider than `width` allows, neighbouring
    source characters share a column (the column shows their largest weight), and the caption says so.
    """
    if hyp.attention is None:
        return Text("This model has no attention to show (architecture seq2seq).", style="yellow")
    weights = np.asarray(hyp.attention, np.float64)[:, : len(source)]
    if not len(source) or not len(weights):
        return Text("Nothing to show: no source or no output.", style="dim")
    per = max(1, math.ceil(len(source) / max(1, width - LABEL_WIDTH)))
    cols = math.ceil(len(source) / per)
    pooled = np.stack([weights[:, k * per:(k + 1) * per].max(axis=1) for k in range(cols)], axis=1)
    out = Text(" " * LABEL_WIDTH)
    for k in range(cols):
        out.append(_cell(source[k * per]), style="bold")
    labels = [*hyp.text] + ([END_LABEL] if hyp.ended else [])
    for row, label in enumerate(labels[: len(pooled)]):
        out.append("\n").append(f" {_cell(label)} ", style="bold green")
        top = int(pooled[row].argmax())
        for k, w in enumerate(pooled[row]):
            if k == top:
                out.append(*ARGMAX)
            else:
                glyph, colour = next((g, c) for low, g, c in SHADES if w >= low)
                out.append(glyph, style=colour)
    out.append("\n")
    out.append(attention_legend(per))
    return out


def attention_legend(per: int = 1) -> Text:
    out = Text("weight: ", style="dim")
    for low, glyph, colour in SHADES[:-1]:
        out.append(glyph, style=colour).append(f" ≥{low:.0%}  ", style="dim")
    out.append(ARGMAX[0], style=ARGMAX[1]).append(" most attended", style="dim")
    out.append(f"  {END_LABEL} end", style="dim")
    if per > 1:
        out.append(f"  ({per} source characters a column)", style="dim")
    return out


def nbest_lines(nbest: list[Hypothesis], indent: str = "") -> Text:
    """The n-best list, one hypothesis a line, with its total and normalised log-probability.

    Hypotheses that differ only in their spaces (French writes a narrow no-break space, U+202F, before
    `!` and `?`, and a model learns both) would print as duplicates; in those, every space that is not
    a plain one is written as its escape (`\\u202f`), so the difference shows.
    """
    looks = Counter(_spaces_blanked(h.text) for h in nbest)
    out = Text()
    for k, h in enumerate(nbest, 1):
        if k > 1:
            out.append("\n")
        out.append(f"{indent}{k}. ", style="dim")
        style = "green" if k == 1 else ""
        if looks[_spaces_blanked(h.text)] > 1:
            out.append_text(_spaces_shown(h.text, style))
        else:
            out.append(escape_controls(h.text) or "∅", style=style)
        cut = "" if h.ended else ", cut at the length limit"
        out.append(f"  (score {h.score:.3f}, normalised {h.normalized:.3f}{cut})", style="dim")
    return out


def _spaces_blanked(text: str) -> str:
    return "".join(" " if c.isspace() else c for c in text)


def _spaces_shown(text: str, style: str) -> Text:
    """`text` with each space that is not U+0020 written as its escape, marked."""
    shown = Text()
    for c in text:
        if c.isspace() and c != " ":
            shown.append(f"\\u{ord(c):04x}", style="reverse")
        else:
            shown.append(escape_controls(c), style=style)
    return shown
