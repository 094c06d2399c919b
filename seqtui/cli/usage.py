"""How `seqtui` reports a wrong command line, and how its help names values.

Click reports a usage error in a box and exits 2, while seqtui's own errors are one line. Here a
usage error is one line too, with the command's help to look at, and still exits 2, so every
mistake on the command line (an unknown flag, a value of the wrong type or out of range, flags that
cannot go together) reads and exits the same way.

Typer's help shows each value's Python type (`<bool>` beside a flag, `<list[Path]>` beside an
argument); here a flag shows nothing and a value a placeholder (N, NUMBER, PATH, TEXT).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, get_args

import typer.core

# typer 0.29 (pinned) carries its own click; its exceptions and Context live there.
from typer import _click

from seqtui.cli.common import err
from seqtui.safe_text import for_markup

USAGE_EXIT = 2
HELP_NAMES = ["-h", "--help"]


def _placeholder(param: Any) -> str:
    kind = param.type_descriptor
    if kind.is_choice:
        return "|".join(str(c) for c in kind.choices or ())
    if kind.is_path:
        return "PATH"
    element = get_args(kind.annotation)[0] if kind.is_list else kind.annotation
    return {int: "N", float: "NUMBER"}.get(element, "TEXT")


def _name_values(command: Any) -> None:
    """Give every parameter of `command` (and of its subcommands) a placeholder instead of a type."""
    help_option = command.get_help_option(_click.Context(command, help_option_names=HELP_NAMES))
    for param in [*command.params, *([help_option] if help_option else [])]:
        if type(param) is typer.core.TyperArgument:
            param.__class__ = _Argument
        if param.metavar is not None:
            continue
        if isinstance(param, typer.core.TyperOption) and param.is_flag:
            param.metavar = ""
        elif isinstance(param, typer.core.TyperArgument):
            param.metavar = (param.name or "value").upper()
        else:
            param.metavar = _placeholder(param)
    for sub in getattr(command, "commands", {}).values():
        _name_values(sub)


class _Argument(typer.core.TyperArgument):
    """An argument shown by its placeholder alone: typer adds its type (`<list[Path]>`) and braces."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
        return name + ("..." if self.nargs != 1 else "")


# What a value of the wrong type is, in seqtui's words: typer's parser reports it in its validation
# library's ("Input should be a valid integer, unable to parse string as an integer").
WRONG_TYPE = {"int_parsing": "a whole number", "int_from_float": "a whole number", "int_type": "a whole number",
              "float_parsing": "a number", "float_type": "a number", "bool_parsing": "true or false"}


def usage_line(error: _click.exceptions.UsageError) -> str:
    """One line: what is wrong with the command line, and where its options are listed."""
    path = error.ctx.command_path if error.ctx else "seqtui"
    if isinstance(error, _click.exceptions.BadParameter):
        error.message = _in_our_words(error)
    return f"{error.format_message()} ({path} --help lists the options)"


def _in_our_words(error: _click.exceptions.BadParameter) -> str:
    """The message of a value that did not parse, as `'abc' is not a whole number`; others as they are."""
    errors = getattr(error.__cause__, "errors", None)
    found = errors()[0] if callable(errors) and errors() else {}
    wanted = WRONG_TYPE.get(found.get("type", ""))
    if wanted is None:
        return error.message
    return f"{str(found.get('input', ''))!r} is not {wanted}"


class Group(typer.core.TyperGroup):
    """The `seqtui` command group: placeholders in help, and usage errors as one line, exit 2."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        _name_values(self)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, windows_expand_args: bool = True,
             **extra: Any) -> Any:
        extra = {"windows_expand_args": windows_expand_args, **extra}
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            # Not standalone, so click hands the errors over instead of drawing them; a typer.Exit
            # (and Ctrl-C, which typer turns into one) comes back as its exit code.
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _click.exceptions.NoArgsIsHelpError:
            sys.exit(USAGE_EXIT)  # the help is already on the screen
        except _click.exceptions.UsageError as e:
            _error(usage_line(e))
            sys.exit(USAGE_EXIT)
        except _click.exceptions.ClickException as e:
            _error(e.format_message())
            sys.exit(e.exit_code)
        except typer.Abort:
            _error("aborted")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _error(message: str) -> None:
    err.print(f"[bold red]error:[/] {for_markup(message)}", soft_wrap=True)
