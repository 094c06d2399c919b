"""How to decode, and the one place a decode's settings are built from the config and a caller's choices.

The CLI's commands, the REPL and the dashboard all start from `settings_for(cfg, Asked(...))`, so a config
key means the same thing to each of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from seqtui.config import Config


@dataclass
class Settings:
    """How to decode: greedy (beam 1, temperature 0), beam search, or sampling; what to report."""

    beam: int = 1
    temperature: float = 0.0
    seed: int | None = None
    max_len: int = 0  # 0: the engine's default
    nbest: int = 1  # hypotheses to keep (beam search widens to at least this many)
    length_penalty: float = 1.0  # see `seqtui.decode.hypotheses.normalize`
    prefix: str = ""  # forced start of the output

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
    """The decode settings of `cfg`'s decoding keys, overridden by what was `asked`."""
    a = asked or Asked()
    return Settings(beam=a.beam or cfg.beam, temperature=cfg.temperature if a.temperature is None else a.temperature,
                    seed=a.seed, max_len=a.max_len or cfg.max_output_len, nbest=a.nbest or 1,
                    length_penalty=cfg.length_penalty if a.length_penalty is None else a.length_penalty,
                    prefix=a.prefix or "")
