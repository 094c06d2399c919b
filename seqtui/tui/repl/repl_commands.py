"""The REPL's colon commands: change how it decodes without leaving the input line."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from seqtui.decode.decoding import Settings
from seqtui.decode.settings import BOUNDS

HELP = ("Type a sentence and press Enter; `sentence => début` makes the translation start with "
        "début. Commands: :model NAME (which model answers: a shipped model, a run or a folder; :model alone "
        "lists them) · :greedy · "
        ":beam K · :nbest N (the N best with scores; 1: off) · :lp A (length "
        "penalty: beam ranks by log-probability / length ** A) · :temp T (0: off) · :seed N · :align (attention "
        "heatmap of the last translation) · :plain (confidence shading on/off) · :live (translate as you type, "
        "on/off) · :clear · :help · :q (quit). Up and Down recall earlier lines; PageUp and PageDown scroll.")


@dataclass(frozen=True)
class ReplState:
    """What the REPL decodes with, and whether it translates as you type."""

    settings: Settings
    live: bool = False
    shade: bool = True  # characters coloured by the probability the model gave them

    def describe(self) -> str:
        """A short summary for the status line, e.g. "beam 4 · 3-best · live"."""
        s = self.settings
        mode = f"beam {s.width}" if s.width > 1 else "greedy"
        if s.nbest > 1:
            mode += f" · {s.nbest}-best"
        if s.width > 1 and s.length_penalty != 1.0:
            mode += f" · length penalty {s.length_penalty:g}"
        if s.temperature > 0 and s.width > 1:
            mode += " (beam ignores temperature)"
        elif s.temperature > 0:
            seed = f" (seed {s.seed})" if s.seed is not None else ""
            mode = f"sampling at temperature {s.temperature:g}{seed}"
        return mode + (" · live" if self.live else "")


@dataclass(frozen=True)
class Outcome:
    """A command's result: the new state, a line to show, and whether to clear the history."""

    state: ReplState
    feedback: str
    clear: bool = False
    error: bool = False
    align: bool = False  # draw the attention of the last translation
    model: str = ""  # answer with this model from now on (a shipped model's name or a folder)
    list_models: bool = False  # show the models `:model NAME` accepts
    quit: bool = False


ESCAPE = "::"  # a line that starts with `::` is text that starts with `:`, not a command


def is_command(line: str) -> bool:
    """Whether a typed line (stripped) is a `:command`; `::` escapes a colon that begins a sentence."""
    return line.startswith(":") and not line.startswith(ESCAPE)


def sentence_of(line: str) -> str:
    """The text a line that is no command translates: the line, less the escaping colon of `::`."""
    return line[1:] if line.startswith(ESCAPE) else line


def run(line: str, state: ReplState) -> Outcome:
    """Apply one `:command` to `state`."""
    name, _, arg = line[1:].strip().partition(" ")
    arg = arg.strip()
    settings = state.settings
    try:
        if name == "greedy":
            new = _with(state, beam=1, nbest=1, temperature=0.0)
        elif name == "beam":
            new = _with(state, beam=BOUNDS["beam"].parse(arg))
        elif name == "nbest":
            new = _with(state, nbest=BOUNDS["nbest"].parse(arg))
        elif name in ("lp", "length-penalty"):
            new = _with(state, length_penalty=BOUNDS["length_penalty"].parse(arg))
        elif name == "model":
            return Outcome(state, "", model=arg, list_models=not arg)
        elif name == "align":
            return Outcome(state, "", align=True)
        elif name == "plain":
            plain = ReplState(settings, state.live, not state.shade)
            return Outcome(plain, f"confidence shading: {'on' if plain.shade else 'off'}")
        elif name in ("temp", "temperature"):
            new = _with(state, temperature=BOUNDS["temperature"].parse(arg))
        elif name == "seed":
            new = _with(state, seed=None if arg in ("", "none") else BOUNDS["seed"].parse(arg))
        elif name == "live":
            live = {"on": True, "off": False, "": not state.live}.get(arg)
            if live is None:
                raise ValueError(":live takes on or off")
            new = ReplState(settings, live, state.shade)
        elif name in ("q", "quit", "exit"):
            return Outcome(state, "", quit=True)
        elif name == "clear":
            return Outcome(state, "", clear=True)
        elif name in ("help", "h", "?"):
            return Outcome(state, HELP)
        else:
            raise ValueError(f"unknown command :{name}. {HELP}")
    except ValueError as e:  # a SettingError too: a value out of its range (`seqtui.decode.settings`)
        return Outcome(state, str(e), error=True)
    return Outcome(new, f"decoding: {new.describe()}" if name != "live" else
                   f"translate as you type: {'on' if new.live else 'off'}")


def _with(state: ReplState, **changes: Any) -> ReplState:
    return dataclasses.replace(state, settings=dataclasses.replace(state.settings, **changes))

