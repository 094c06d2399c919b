"""How `translate` and `repl --plain` read their sentences and print their answers.

Every input is read as UTF-8, strictly: an argument or a line of stdin holding other bytes stops with
the same one-line error a file does in `predict`, instead of being translated as escape garbage
(Python's own stdin turns such bytes into lone surrogates under a C or POSIX locale).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import typer

from seqtui.cli.common import err, stdout_console, usage_error
from seqtui.data.corpus import decode_utf8
from seqtui.data.vocab import describe_unknown
from seqtui.decode.hypotheses import to_json
from seqtui.decode.limits import cut_input
from seqtui.errors import SeqtuiError
from seqtui.safe_text import escape_controls, for_markup, json_line

_ESCAPED = range(0xDC80, 0xDD00)  # how Python's surrogateescape spells the bytes it could not decode


def argument_texts(texts: Iterable[str]) -> list[str]:
    """The arguments as given, all checked first to have come in as UTF-8 (the OS hands over bytes)."""
    texts = list(texts)
    for number, text in enumerate(texts, 1):
        if any(ord(c) in _ESCAPED for c in text):
            decode_utf8(os.fsencode(text), f"argument {number}", line=None)
    return texts


STDIN = "-"
USAGE_HINT = 'usage: seqtui translate "I love you."  or  echo "I love you." | seqtui translate'  # 77 columns


def translate_inputs(texts: list[str]) -> Iterable[str]:
    """What `translate` translates: its arguments, or stdin's lines when it has none or the one argument `-`
    (as Unix filters read). With no argument on a terminal nobody is typing into, one usage line instead.

    Raises:
        UsageError: `-` among other arguments.
        typer.Exit: no argument and stdin is a terminal (exit 2, after the usage line).
    """
    if STDIN in texts and texts != [STDIN]:
        raise usage_error("- reads the sentences from stdin: pass it alone, or pass the sentences themselves")
    if texts == [STDIN]:
        return stdin_lines()
    if texts:
        return argument_texts(texts)
    if sys.stdin.isatty():  # nobody is piping text in: a line that fits any terminal says how
        err.print(USAGE_HINT, soft_wrap=True, markup=False)
        raise typer.Exit(2)
    return stdin_lines()


def stdin_lines() -> Iterator[str]:
    """stdin's lines without their line ends, read as UTF-8 whatever the locale says; each line is
    yielded as soon as it arrives, so a pipe gets each answer before the next line is typed."""
    offset = 0
    for number, raw in enumerate(sys.stdin.buffer, 1):
        yield decode_utf8(raw, "<stdin>", number, offset).rstrip("\r\n")
        offset += len(raw)


class Answerer:
    """Prints one input's translation the way the flags ask: streamed text, or one JSON object; then the
    n-best list and the attention heatmap when asked for (each sentence's), and on stderr a line when the
    model was unsure of a sentence or the input looks written in another model's language (`hint`: how to
    choose that model, "--model {}" or ":model {}")."""

    def __init__(self, tr: Any, *, as_json: bool, nbest: bool, align: bool, hint: str = "--model {}",
                 quiet: bool = False) -> None:
        if align and not tr.engine.attention:
            raise SeqtuiError("--align needs an attention model (architecture = \"attention\"); this one has none")
        tr.engine.prefix_ids(tr.settings.prefix)  # an impossible prefix fails here, before any output
        self.tr, self.as_json, self.nbest, self.align, self.hint = tr, as_json, nbest, align, hint
        self.quiet = quiet  # -q: no notes on stderr (unsure, the language hint), warnings still
        self.nbest_asked = nbest  # --nbest on the command line (the plain REPL's :nbest changes `nbest`)
        self.out = stdout_console()
        self.last: Any = None  # the last streamed decode's Result, for the plain REPL's :align

    def use(self, tr: Any) -> None:
        """Answer with another translator from now on (the plain REPL's `:model`)."""
        if self.align and not tr.engine.attention:
            raise SeqtuiError("--align needs an attention model (architecture = \"attention\"); this one has none")
        self.tr, self.last = tr, None

    def show_attention(self) -> None:
        """The attention heatmap of the last translation, or a line saying there is none to draw."""
        from seqtui.decode.heatmap import attention_map

        if self.last is None or not any(part.result.source for part in self.last.sentences):
            err.print("[yellow]Translate a sentence first; :align then draws where its characters looked.[/]")
        elif not self.tr.engine.attention:
            err.print("[yellow]:align needs an attention model; this one has none[/]")
        else:
            for part in self.last.sentences:
                self.out.print(attention_map(part.result.source, part.result.best, self.out.width), soft_wrap=True)

    def __call__(self, sentence: str) -> None:
        """Translate one input, taken up to its first `limits.MAX_INPUT_CHARS` characters; stderr says when
        it is cut or far too long, before anything is decoded."""
        warning = self.tr.length_warning(sentence)
        if warning:
            err.print(f"[yellow]warning:[/] {for_markup(warning)}", soft_wrap=True)
        sentence = cut_input(sentence).text
        hint = (lambda: "") if self.quiet else language_hint(self.tr, sentence, self.hint)
        if self.as_json:
            result = self.tr.decode(sentence)
            print(json_line(to_json(result, sentence, nbest=self.nbest, align=self.align)), flush=True)
        else:
            result = self.last = stream_line(self.tr, sentence)
            self._extras(result)
        for line in [*([] if self.quiet else notes(result, self.nbest)), hint()]:
            if line:
                err.print(f"[dim]{for_markup(line)}[/]", soft_wrap=True)

    def _extras(self, result: Any) -> None:
        """The n-best list (of a one-sentence input) and each sentence's attention heatmap, on stdout."""
        if self.nbest and len(result.sentences) == 1:
            from seqtui.decode.heatmap import nbest_lines

            self.out.print(nbest_lines(result.nbest), soft_wrap=True)
        if self.align:
            from seqtui.decode.heatmap import attention_map

            for part in result.sentences:
                self.out.print(attention_map(part.result.source, part.result.best, self.out.width), soft_wrap=True)


def notes(result: Any, nbest: bool) -> list[str]:
    """The stderr lines about a decode: the sentences the model was unsure of, and why an n-best list asked
    for a text of several sentences is each sentence's best only."""
    from seqtui.decode.text import UNSURE_BELOW, unsure

    parts = result.sentences
    doubtful = [k for k, part in enumerate(parts, 1) if unsure(part.result.best)]
    out = []
    if doubtful:
        which = "" if len(parts) == 1 else f" of sentence{'s' if len(doubtful) > 1 else ''} " + \
            ", ".join(map(str, doubtful))
        out.append(f"unsure: the model was unsure{which} (mean log-probability under {UNSURE_BELOW:g}); "
                   "check this translation")
    if nbest and len(parts) > 1:
        out.append(f"n-best: this input has {len(parts)} sentences, and the n best of a text cannot be formed "
                   "from its sentences' lists, so each sentence's best is given (--json lists each sentence's "
                   "n best)")
    return out


def language_hint(tr: Any, text: str, how: str) -> Callable[[], str]:
    """Start telling whether `text` looks written in another model's language, off this thread (the
    identifier's first call reads its model); the function returned waits for the line to print, or ''."""
    from seqtui.decode import text as texts

    if len(text.strip()) < texts.HINT_MIN_CHARS:
        return lambda: ""
    found: list[str] = []

    def guess() -> None:
        from seqtui.store import catalog

        shown = texts.hint(text, tr.languages[0], texts.model_languages(list(catalog.shipped())))
        found.append(f"this looks like {shown[0]}: {how.format(shown[1])}" if shown else "")

    def line() -> str:
        worker.join()
        return found[0] if found else ""  # nothing found: the identifier failed, and the hint is only a hint

    worker = threading.Thread(target=guess, daemon=True)
    worker.start()
    return line


def stream_line(tr: Any, sentence: str) -> Any:
    """Stream one translation to stdout, sentence after sentence: escaped on a terminal, where an ESC the model
    decodes would be obeyed; as decoded into a pipe or file, where it is data. Returns the decode's Result."""
    if tr.engine.unreadable(sentence):
        note = f"nothing to translate: the model reads none of {sentence[:40]!r}; left as is"
    else:
        note = describe_unknown(tr.unknown(sentence))
        note = f"{note} (in {sentence[:40]!r})" if note else ""
    if note:
        err.print(for_markup(note), soft_wrap=True)
    shown = escape_controls if sys.stdout.isatty() else str
    stream = tr.pieces(sentence)
    for piece in stream:
        sys.stdout.write(shown(piece.char))
        sys.stdout.flush()
    sys.stdout.write("\n")
    sys.stdout.flush()
    return stream.result
