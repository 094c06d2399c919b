"""What the dashboard's t, c and i start, as `seqtui dashboard`'s copies of train's flags set it.

t and i always start a new run: in model_dir while it holds none (or the first one --fresh asks to
replace), else in a new folder beside it (`rundir.free_folder`). Only c, or t under --resume, continues
the run in model_dir. The dashboard asks `Starts` and runs what it answers; nothing here touches a widget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqtui.store import rundir


@dataclass(frozen=True)
class TrainFlags:
    """`seqtui train`'s own flags, given to `seqtui dashboard`.

    Attributes:
        resume: t continues the run in model_dir (as c does) instead of starting a new one.
        fresh: the first new run (t or i) replaces the run in model_dir instead of going beside it.
        init_from: the model i starts from (None: the shipped en-fr model).
        settings: the config flags given (None: not given); a resumed run changes only these of its own.
    """

    resume: bool = False
    fresh: bool = False
    init_from: Path | None = None
    settings: dict[str, Any] = field(default_factory=dict)


# A fine-tune starts from a model that already translates: a few epochs move it to the new corpus, and a
# short patience stops it once they stop helping (the settings' 100 epochs and patience 10 are a new
# model's). Flags given to the dashboard win.
FINE_TUNE = {"epochs": 10, "patience": 3}


@dataclass(frozen=True)
class Start:
    """One training session to start: the folder it trains in, the trainer's start arguments, and the
    settings this kind of run changes in the config (a fine-tune's length and patience)."""

    model_dir: Path
    args: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)


class Starts:
    """Decides each session the dashboard starts; --fresh is spent on the first new run."""

    def __init__(self, flags: TrainFlags) -> None:
        self.flags = flags
        self.fresh_pending = flags.fresh

    def continued(self, model_dir: Path) -> Start:
        """c: the run in model_dir, by `seqtui train --resume`'s policy and with its own settings."""
        return Start(model_dir, {"resume": True, "flags": self.flags.settings})

    def new(self, model_dir: Path, init_from: Path | None = None) -> Start:
        """t or i: a new run (from `init_from`'s weights when given) where it touches no other run."""
        args: dict[str, Any] = {"flags": self.flags.settings}
        settings: dict[str, Any] = {}
        if init_from is not None:
            args["init_from"] = init_from
            settings = {k: v for k, v in FINE_TUNE.items() if self.flags.settings.get(k) is None}
        if self.fresh_pending:
            self.fresh_pending = False
            return Start(model_dir, {**args, "fresh": True}, settings)
        return Start(rundir.free_folder(model_dir), args, settings)

    def train(self, model_dir: Path) -> Start:
        """t: a new run, or with --resume the run in model_dir continued."""
        return self.continued(model_dir) if self.flags.resume else self.new(model_dir)

    def keys(self, model_dir: Path, origin: str) -> str:
        """What t, c and i do while model_dir holds a run."""
        if self.flags.resume:
            return "t or c continues it (--resume)."
        if self.fresh_pending:
            return f"c continues it; t replaces it with a new run, i with one from {origin} (--fresh)."
        return (f"c continues it; t starts a new run, i one from {origin}, in {rundir.free_folder(model_dir)} "
                "(beside it).")
