"""What every `seqtui` command shares: the error console, the one-line error and exit-code handling,
the options several commands take, and opening a translator. `seqtui.cli` and `seqtui.cli.corpus` both
import it, so neither imports the other.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

# typer 0.29 (pinned) carries its own click: its UsageError is what its parser raises and reports.
from typer._click.exceptions import UsageError
from typer._click.globals import get_current_context

from seqtui import config
from seqtui.decode.settings import Asked, SettingError, Settings, check_value, settings_for
from seqtui.errors import ConfigError, SeqtuiError
from seqtui.safe_text import for_markup
from seqtui.store.catalog import ModelChoice, Request

if TYPE_CHECKING:
    from seqtui.api import Translator

err = Console(stderr=True, highlight=False, soft_wrap=True)  # one-line messages: never broken by rich
UNWRAPPED = 100_000  # the width of a console that is not a terminal: its lines are never broken


def stdout_console(soft_wrap: bool = False) -> Console:
    """The console a command prints its output on: the terminal's width on a terminal (lines left whole
    with `soft_wrap`); into a file, a pipe or a pager, lines as long as they are (a pager or an editor
    wraps them itself; a script reads whole records)."""
    if sys.stdout.isatty():
        return Console(highlight=False, soft_wrap=soft_wrap)
    return Console(highlight=False, soft_wrap=True, width=UNWRAPPED)


def bounded(name: str) -> Callable[[Any], Any]:
    """A decode flag's check, run by the parser, against the range `seqtui.decode.settings` gives the
    setting `name`: a value out of it is a usage error (exit 2) naming the flag."""
    def check(value: Any) -> Any:
        if value is None:
            return value
        try:
            return check_value(name, value)
        except SettingError as e:
            raise typer.BadParameter(e.reason) from None

    return check


ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", metavar="FILE", exists=True, dir_okay=False,
                                                 help="Config file (default: ./sequencer.toml).")]
ModelOpt = Annotated[str | None, typer.Option(
    "--model", "-m", metavar="NAME|DIR", show_default=False, help="The model to use: a folder, or a name: en-fr "
    "(the shipped model) or a run beside model_dir. Default: your model in model_dir once you have trained one, "
    "else en-fr.")]
ModelDirOpt = Annotated[Path | None, typer.Option("--model-dir", metavar="DIR", show_default=False,
                                                   help="Model folder (default: the config's model_dir).")]
BeamOpt = Annotated[int | None, typer.Option("--beam", callback=bounded("beam"), metavar="K", show_default=False,
                                             help=f"Beam width (1: greedy; at most {config.MAX_BEAM}).")]
TempOpt = Annotated[float | None, typer.Option(
    "--temperature", callback=bounded("temperature"), show_default=False,
    help=f"Sample at this temperature (0: no sampling; at most {config.MAX_TEMPERATURE:g}).")]
SeedOpt = Annotated[int | None, typer.Option("--seed", callback=bounded("seed"), help="Seed for sampling.")]
MaxLenOpt = Annotated[int | None, typer.Option(
    "--max-len", callback=bounded("max_len"), show_default=False,
    help=f"Longest translation in characters (0: the config's max_output_len; at most {config.MAX_OUTPUT_LEN}).")]
LengthPenaltyOpt = Annotated[float | None, typer.Option(
    "--length-penalty", callback=bounded("length_penalty"), show_default=False,
    help="Beam search ranks by log-probability / length ** A (1, the default: mean per character; 0: the raw "
    f"total, which favours short outputs; at most {config.MAX_LENGTH_PENALTY:g}).")]
NBestOpt = Annotated[int | None, typer.Option(
    "--nbest", callback=bounded("nbest"), show_default=False,
    help="Also show the N best hypotheses with their scores (widens the beam to at least N).")]
PrefixOpt = Annotated[str | None, typer.Option(
    "--prefix", callback=bounded("prefix"), show_default=False,
    help="Force the translation to start with this text; the model continues it.")]
JsonOpt = Annotated[bool, typer.Option(
    "--json", help="One JSON object per input: source (the text as given), text, score (total natural-log "
    "probability, end symbol included), probs (each character's probability, then the end symbol's), ended, "
    "unknown, unsure, sentences (each sentence's part); nbest and alignment with --nbest and --align.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Also say why the model that answers was "
                                          "chosen (why your run was passed over).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Do not say which model answers, nor the notes "
                                        "on an answer (unsure, the language hint); warnings still go to stderr.")]
AlignOpt = Annotated[bool, typer.Option(
    "--align", help="Attention models: show which source character each output character attended to "
                    "(a heatmap on a terminal; `alignment` with --json).")]
# Several processes (JAX backend): the same flags in every process, or Keras' own environment variables.
_PROCESSES = "Several processes (KERAS_BACKEND=jax)"
CoordinatorOpt = Annotated[str | None, typer.Option(
    "--coordinator", envvar="KERAS_DISTRIBUTION_JOB_ADDRESSES", show_default=False, rich_help_panel=_PROCESSES,
    help="host:port where process 0 coordinates a run spread over several processes or machines.")]
NumProcessesOpt = Annotated[int | None, typer.Option(
    "--num-processes", envvar="KERAS_DISTRIBUTION_NUM_PROCESSES", min=1, show_default=False,
    rich_help_panel=_PROCESSES, help="How many processes train together.")]
ProcessIdOpt = Annotated[int | None, typer.Option(
    "--process-id", envvar="KERAS_DISTRIBUTION_PROCESS_ID", min=0, show_default=False,
    rich_help_panel=_PROCESSES, help="This process's number, 0 to --num-processes - 1 (0 coordinates).")]


def usage_error(message: str) -> Exception:
    """The error to raise for a mistake on the command line (flags that cannot go together, a value out of
    range): one line like any parser error, naming where the options are listed, and exit 2."""
    return UsageError(message, get_current_context(silent=True))


def load_config(path: Path | None, overrides: dict[str, Any]) -> config.Config:
    """The config file's settings with the flags' `overrides` merged in: a problem in the file is an
    error (exit 1), one the flags make (bilstm with an odd --latent-dim) a usage error (exit 2)."""
    cfg = config.load(path)
    try:
        return config.merge(cfg, overrides)
    except ConfigError as e:
        raise usage_error(str(e)) from None


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one error line to stderr and return the Exit to raise.

    The message often quotes data (a path, a key, a class name from someone's model file), so it is
    escaped for the terminal and printed literally, never as markup.
    """
    err.print(f"[bold red]error:[/] {for_markup(message)}", soft_wrap=True)
    return typer.Exit(code)


def handled(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn SeqtuiErrors (and any OSError that escaped the core) into one line and exit 1, and Ctrl-C
    into exit 130."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SeqtuiError as e:
            raise fail(str(e)) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            raise typer.Exit(0) from None
        except OSError as e:  # a file the command needed could not be read or written: still one line
            where = f"{e.filename}: " if e.filename else ""
            raise fail(f"{where}{e.strerror or e}") from None

    return wrapper


def settings_from(cfg: config.Config, asked: Asked) -> Settings:
    """The decode settings of a command's flags over the config; flags that do not combine are a usage error."""
    settings = settings_for(cfg, asked)
    if settings.nbest > 1 and settings.temperature > 0:
        raise usage_error("--nbest lists beam-search hypotheses and does not combine with sampling (--temperature "
                          "or the config's temperature); pass one of them")
    return settings


def model_request(cfg_path: Path | None, model: str | None, model_dir: Path | None) -> tuple[config.Config, Request]:
    """The config, and which model was asked for: `--model`, `--model-dir` (never falls back), or neither."""
    if model is not None and model_dir is not None:
        raise usage_error("--model and --model-dir: pass one")
    cfg = config.load(cfg_path, {"model_dir": model_dir})
    return cfg, Request(model, explicit_dir=model_dir is not None, reverse=cfg.reverse)


def choose_model(cfg_path: Path | None, model: str | None,
                 model_dir: Path | None) -> tuple[config.Config, ModelChoice]:
    """The config and the model that answers (see `seqtui.catalog.choose`)."""
    cfg, requested = model_request(cfg_path, model, model_dir)
    return cfg, requested.choose(cfg.model_dir)


def open_translator(cfg_path: Path | None, model: str | None, model_dir: Path | None,
                    asked: Asked, verbose: bool = False,
                    quiet: bool = False) -> tuple[Translator, config.Config, ModelChoice]:
    """The translator for a command's model options, its config and the model chosen. Stderr says which
    model answers in one line (`say_model`); a warning about the model is printed whatever is asked."""
    from seqtui.api import Translator

    cfg, choice = choose_model(cfg_path, model, model_dir)
    translator = Translator.open(choice.path, settings_from(cfg, asked), model=choice.describe())
    if not quiet:
        say_model(choice, verbose)
    if translator.warning:
        err.print(f"[yellow]warning:[/] {for_markup(translator.warning)}", soft_wrap=True)
    return translator, cfg, choice


def say_model(choice: ModelChoice, verbose: bool = False) -> None:
    """One short line on stderr: which model answers, how far it is trained, and whether the user's own run
    was passed over; with `verbose`, why it was (the comparison with the shipped model) and how to choose it."""
    passed = ", not your run (-v says why)" if choice.passed_over and not verbose else ""
    err.print(f"[dim]model: {for_markup(choice.describe())}{passed}[/]", soft_wrap=True)
    if choice.passed_over and verbose:
        err.print(f"[dim]{for_markup(choice.passed_over)}[/]", soft_wrap=True)
