"""`seqtui repl --plain`: a line at a time, on a terminal or in a pipe.

From a pipe every line is text to translate (a file holding a line `:q` is translated whole). On a
terminal the plain REPL shows a prompt and understands the full-screen REPL's colon commands, parsed
by the same `repl_commands.run` (a UI-free module); `::` starts a line that really begins with `:`.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from seqtui.cli.answers import Answerer, stdin_lines
from seqtui.cli.common import err
from seqtui.decode.decoding import split_prefix
from seqtui.errors import SeqtuiError
from seqtui.safe_text import for_markup, json_line
from seqtui.tui.repl import repl_commands

PROMPT = "> "
ESCAPE = repl_commands.ESCAPE
ON_A_TERMINAL = "Type an English sentence and press Enter; :help lists the commands, :q quits."
# The full-screen REPL's commands that draw on its screen: here they say where to find them.
SCREEN_ONLY = {"clear", "plain", "live"}


@dataclasses.dataclass
class PlainRepl:
    """The translator, how answers are printed, and the decoding state the colon commands change."""

    answer: Answerer
    model_dir: Path
    as_json: bool

    def __post_init__(self) -> None:
        self.state = repl_commands.ReplState(self.answer.tr.settings)

    def run(self, interactive: bool) -> None:
        """Translate every line of stdin; on a terminal, with a prompt and the colon commands."""
        if interactive:
            err.print(f"[dim]{ON_A_TERMINAL}[/]", soft_wrap=True)
        for line in _prompted_lines() if interactive else stdin_lines():
            typed = line.strip()
            if not interactive:
                self.translate(line)
            elif repl_commands.is_command(typed):
                if not self.command(typed):
                    return
            else:
                self.translate(repl_commands.sentence_of(typed))

    def translate(self, line: str) -> None:
        """One line: its translation, or one error line for an impossible prefix (then the next line)."""
        sentence, prefix = split_prefix(line)
        self.answer.tr.settings = dataclasses.replace(self.state.settings, prefix=prefix)
        self.answer.nbest = self.state.settings.nbest > 1 or self.answer.nbest_asked
        try:
            self.answer(sentence)
        except SeqtuiError as e:
            if self.as_json:
                print(json_line({"error": str(e)}), flush=True)
            else:
                err.print(f"[bold red]error:[/] {for_markup(str(e))}", soft_wrap=True)

    def command(self, line: str) -> bool:
        """Apply one `:command`; False when it quits."""
        name = line[1:].strip().partition(" ")[0]
        if name in SCREEN_ONLY:
            err.print(f"[yellow]:{name} is the full-screen REPL's (seqtui repl); here it does nothing[/]")
            return True
        outcome = repl_commands.run(line, self.state)
        if outcome.quit:
            return False
        if outcome.feedback:
            text = f"{outcome.feedback} {ESCAPES}" if name in ("help", "h", "?") else outcome.feedback
            # on the terminal, wrapped at words: the help is a paragraph
            err.print(f"[red]{for_markup(text)}[/]" if outcome.error else for_markup(text), soft_wrap=False)
        if outcome.align:
            self.answer.show_attention()
        if outcome.model:
            self.switch(outcome.model)
        if outcome.list_models:
            from seqtui.store import catalog

            known = ", ".join(catalog.names(self.model_dir)) or "none yet"
            err.print(for_markup(f"Models: {known}, or any model folder. :model NAME chooses one; now answering: "
                                 f"{self.answer.tr.model}."), soft_wrap=True)
        self.state = outcome.state
        return True

    def switch(self, name: str) -> None:
        """Answer with the model `name` (a shipped model, a run beside model_dir, or a folder) from now on."""
        from seqtui.api import Translator
        from seqtui.store import catalog

        try:
            choice = catalog.choose(self.model_dir, name)
            tr = Translator.open(choice.path, self.state.settings, model=choice.describe())
        except SeqtuiError as e:
            err.print(f"[red]{for_markup(str(e))}[/]", soft_wrap=True)
            return
        self.answer.use(tr)
        err.print(for_markup(f"Now answering: {choice.describe()}."), soft_wrap=True)


ESCAPES = (f"To translate a line that starts with :, type one more colon before it ({ESCAPE}-) translates :-)); "
           "from a pipe every line is translated as it is. :plain, :live, :clear and the keys are the full-screen "
           "REPL's.")


def _prompted_lines() -> Iterator[str]:
    """The lines typed at the terminal, each read after a prompt on stderr (stdout keeps the translations)."""
    lines = stdin_lines()
    while True:
        sys.stderr.write(PROMPT)
        sys.stderr.flush()
        line = next(lines, None)
        if line is None:
            sys.stderr.write("\n")
            return
        yield line


def run_plain(tr: Any, model_dir: Path, *, as_json: bool, nbest: bool, align: bool, quiet: bool = False) -> None:
    """`seqtui repl --plain`: a prompt and the colon commands on a terminal, every line translated from a pipe."""
    answer = Answerer(tr, as_json=as_json, nbest=nbest, align=align, hint=":model {}", quiet=quiet)
    PlainRepl(answer, model_dir, as_json).run(interactive=sys.stdin.isatty())
