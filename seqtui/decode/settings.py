"""How to decode, the range of each decode setting, and the one place a decode's settings are built from the
config and a caller's choices.

`Settings` checks itself whenever one is made (`dataclasses.replace` makes one too), against `BOUNDS`, so
the CLI's flags, the REPL's commands, the config and the Python API take the same values and say the same
thing about one out of range: a `SettingError`. The config's decoding keys keep their bounds in their field
metadata (a config file is checked when it is read, and the config sits below this layer); the bounds here
are read from there, so each number is written once.

The CLI's commands, the REPL and the dashboard all start from `settings_for(cfg, Asked(...))`, so a config
key means the same thing to each of them.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

from seqtui.config import FIELDS, MAX_BEAM, MAX_OUTPUT_LEN, Config
from seqtui.errors import ConfigError


class SettingError(ConfigError, ValueError):
    """A decode setting of the wrong type or out of its range.

    A SeqtuiError, so the CLI and the TUI show it as one line; a ValueError too, as Python code that passes
    `seqtui.load(beam=0)` expects of a bad argument value.
    """

    title = "Decode setting"

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"{what}: {reason}")
        self.what, self.reason = what, reason


@dataclass(frozen=True)
class Bound:
    """The values one decode setting may take: numbers of `kind` from `low` to `high`, both included."""

    what: str  # how a message names the setting
    kind: type[int] | type[float]
    low: float
    high: float

    def check(self, value: Any) -> Any:
        """`value` if it is in range (an int given for a float setting becomes a float); else SettingError."""
        if not _is_number(value, self.kind):
            raise SettingError(self.what, f"expected {'a whole number' if self.kind is int else 'a number'}, "
                                          f"got {value!r}")
        number = self.kind(value)
        if not math.isfinite(number):
            raise SettingError(self.what, f"expected a finite number, got {value!r}")
        if number < self.low:  # worded as the config words its own ranges
            raise SettingError(self.what, f"must be at least {_shown(self.low)}, got {_shown(number)}")
        if number > self.high:
            raise SettingError(self.what, f"must be at most {_shown(self.high)}, got {_shown(number)}")
        return number

    def parse(self, text: str) -> Any:
        """The value typed as `text` (a REPL command's argument), checked."""
        try:
            value = self.kind(text)
        except ValueError:
            raise SettingError(self.what, f"expected a number, got {text or 'nothing'!r}") from None
        return self.check(value)


def _is_number(value: Any, kind: type) -> bool:
    """Whether `value` is a number of `kind` (numpy's too; never a bool, which Python counts as an int)."""
    return not isinstance(value, bool) and isinstance(value, numbers.Integral if kind is int else numbers.Real)


def _shown(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def _of_key(key: str, what: str) -> Bound:
    """The bound a config key's field states (its type, `min` and `max`)."""
    f = FIELDS[key]
    return Bound(what, int if isinstance(f.default, int) else float, f.metadata["min"], f.metadata["max"])


# The range of each numeric field of `Settings` (a seed may also be None, for a fresh one each decode).
BOUNDS: dict[str, Bound] = {
    "beam": _of_key("beam", "beam width"),
    "nbest": Bound("n-best size", int, 1, MAX_BEAM),  # beam search widens to it
    "temperature": _of_key("temperature", "temperature"),
    "length_penalty": _of_key("length_penalty", "length penalty"),
    "max_len": _of_key("max_output_len", "longest translation"),  # 0: the engine's default
    "seed": _of_key("seed", "seed"),
}
MAX_PREFIX = MAX_OUTPUT_LEN  # a forced prefix is fed whole, one step a character, whatever max_len says


def check_value(name: str, value: Any) -> Any:
    """`value` for the `Settings` field `name` if it is in the field's range, else SettingError."""
    if name == "prefix":
        if not isinstance(value, str):
            raise SettingError("prefix", f"expected text, got {value!r}")
        if len(value) > MAX_PREFIX:
            raise SettingError("prefix", f"must be at most {MAX_PREFIX:,} characters, got {len(value):,}")
        return value
    if name == "seed" and value is None:
        return value
    return BOUNDS[name].check(value)


@dataclass
class Settings:
    """How to decode: greedy (beam 1, temperature 0), beam search, or sampling; what to report.

    Raises:
        SettingError: a value out of its range (`BOUNDS`), when made and at each `check`.
    """

    beam: int = 1
    temperature: float = 0.0
    seed: int | None = None
    max_len: int = 0  # 0: the engine's default
    nbest: int = 1  # hypotheses to keep (beam search widens to at least this many)
    length_penalty: float = 1.0  # see `seqtui.decode.hypotheses.normalize`
    prefix: str = ""  # forced start of the output

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Check every field against its range (again: a field may have been set since)."""
        for name in (*BOUNDS, "prefix"):
            setattr(self, name, check_value(name, getattr(self, name)))

    @property
    def width(self) -> int:
        return max(self.beam, self.nbest)


@dataclass(frozen=True)
class Asked:
    """What a caller asked for (a command's flags); None, or 0 for the sizes, leaves the config's value."""

    beam: int | None = None
    temperature: float | None = None
    seed: int | None = None
    max_len: int | None = None
    nbest: int | None = None
    length_penalty: float | None = None
    prefix: str | None = None


def settings_for(cfg: Config, asked: Asked | None = None) -> Settings:
    """The decode settings of `cfg`'s decoding keys, overridden by what was `asked` (SettingError when a
    value asked for is out of range)."""
    a = asked or Asked()
    return Settings(beam=a.beam or cfg.beam, temperature=cfg.temperature if a.temperature is None else a.temperature,
                    seed=a.seed, max_len=a.max_len or cfg.max_output_len, nbest=a.nbest or 1,
                    length_penalty=cfg.length_penalty if a.length_penalty is None else a.length_penalty,
                    prefix=a.prefix or "")
