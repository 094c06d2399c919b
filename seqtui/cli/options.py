"""Command-line flags generated from the config's fields, so every key has a flag and the same help text.

`with_config_flags` adds one `--kebab-case` option per config key to a typer command and hands the
command a dict of the values given (None for flags not given), ready for `config.load(...)`.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from seqtui import config
from seqtui.config import FIELDS
from seqtui.errors import ConfigError

_SKIP = {"metrics"}  # a list: set it in the config file
_PLACEHOLDERS = {int: "N", float: "NUMBER", Path: "PATH"}


def _checker(name: str) -> Callable[[Any], Any]:
    """A flag's own check, run by the parser: a value out of range is a usage error (exit 2, naming
    the flag) like a value of the wrong type, not an error found later in the merged config."""
    def check(value: Any) -> Any:
        if value is not None:
            try:
                config.merge(config.Config(), {name: value})
            except ConfigError as e:
                raise typer.BadParameter(str(e).removeprefix("command line: ").removeprefix(f"{name}: ")) from None
        return value

    return check


def _flag(name: str) -> inspect.Parameter:
    f = FIELDS[name]
    default = f.default if f.default is not dataclasses.MISSING else None
    kind: Any = Path if isinstance(default, Path) else type(default)
    flag = "--" + name.replace("_", "-")
    decls = [f"{flag}/--no-{flag[2:]}"] if kind is bool else [flag]
    choices = f.metadata.get("choices")
    listed = "|".join(choices or ())
    metavar = "" if kind is bool else listed if 0 < len(listed) <= 20 else "NAME" if choices else \
        _PLACEHOLDERS.get(kind, "TEXT")
    help_text = f.metadata["doc"] + (f" [{listed}]" if len(listed) > 20 else "")
    option = typer.Option(*decls, help=help_text, metavar=metavar, show_default=False,
                          callback=_checker(name), rich_help_panel="Config overrides")
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None,
                             annotation=Annotated[kind | None, option])


def with_config_flags(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give `func` a flag for every config key; it receives them as `overrides: dict[str, Any]`."""
    names = [n for n in FIELDS if n not in _SKIP]
    hints = typing.get_type_hints(func, include_extras=True)  # the annotations are strings until resolved
    own = [p.replace(annotation=hints.get(p.name, p.annotation))
           for p in inspect.signature(func).parameters.values() if p.name != "overrides"]

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        overrides = {n: kwargs.pop(n) for n in names if n in kwargs}
        return func(overrides=overrides, **kwargs)

    params = own + [_flag(n) for n in names]
    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return wrapper
