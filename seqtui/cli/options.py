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

from seqtui.config import FIELDS

_SKIP = {"metrics"}  # a list: set it in the config file


def _flag(name: str) -> inspect.Parameter:
    f = FIELDS[name]
    default = f.default if f.default is not dataclasses.MISSING else None
    kind: Any = Path if isinstance(default, Path) else type(default)
    flag = "--" + name.replace("_", "-")
    decls = [f"{flag}/--no-{flag[2:]}"] if kind is bool else [flag]
    choices = f.metadata.get("choices")
    help_text = f.metadata["doc"] + (f" [{'|'.join(choices)}]" if choices else "")
    option = typer.Option(*decls, help=help_text, show_default=False, rich_help_panel="Config overrides")
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None,
                             annotation=Annotated[kind | None, option])  # type: ignore[valid-type]


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
