"""`seqtui config`: every setting in effect, a key a line, aligned, readable at 80 columns.

Each line is `key = value  # where it came from`, under its `[section]`, so the keys read down one
column and the values down another. What each key means, and its default, come with `--explain`
(`-v`), indented under the key: the reference, not the daily look.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Annotated

import typer

from seqtui import config
from seqtui.cli.common import ConfigOpt, stdout_console
from seqtui.safe_text import escape_controls, for_markup

VALUE_COLUMN = 24  # values are padded to this width so their comments line up; longer ones push theirs out
ExplainOpt = Annotated[bool, typer.Option("--explain", "-v", help="Under each key, what it does and its "
                                          "default.")]


def show_config(config_path: ConfigOpt = None, explain: ExplainOpt = False) -> None:
    """Print every setting in effect, the file it was read from, and which keys that file sets."""
    path = config.find(config_path)
    cfg = config.load(path)
    written, source = (config.keys_in(path), path.name) if path else (set(), "")
    out = stdout_console()
    if path:
        head = f"# read from {path.resolve()}; a key it does not set has its default"
    else:
        head = f"# no {config.CONFIG_NAME} in {Path.cwd()} and no --config: every key has its default"
    # a value is the config file's data: an ESC in a path is shown, not obeyed by the terminal
    lines = [escape_controls(head)]
    if not explain:
        lines.append("# seqtui config --explain (-v) says what each key does")
    width = max(len(key) for _, key, _, _ in config.describe())
    section = ""
    for name, key, default, doc in config.describe():
        if name != section:
            lines += ["", f"[{name}]"]
            section = name
        origin = f"set in {source}" if key in written else "default"
        value = escape_controls(str(getattr(cfg, key))) or '""'  # an empty value is seen to be empty
        lines.append(f"{key.ljust(width)} = {value.ljust(VALUE_COLUMN)}  # {origin}")
        if explain:
            lines += _explanation(f"{doc} (default {default})", out.width if out.is_terminal else 0)
    for line in lines:
        out.print(for_markup(line), highlight=False)


def _explanation(text: str, width: int) -> list[str]:
    """A key's description as comment lines under it, wrapped to `width` (0: one line, as in a file)."""
    indent = "#   "
    if not width:
        return [indent + text]
    return textwrap.wrap(text, width=max(40, width - 1), initial_indent=indent, subsequent_indent=indent)
