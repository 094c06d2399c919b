"""The `seqtui` command: a thin typer layer over the core. TensorFlow is imported only by commands
that train or evaluate, so `--help`, `translate` and `repl` start fast.

Exit codes: 0 ok, 1 user error (one line on stderr), 2 usage, 130 interrupted.
"""

from __future__ import annotations

import functools
import json
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from seqtui import bundle, config, data
from seqtui.decoding import Settings
from seqtui.errors import SeqtuiError
from seqtui.options import with_config_flags
from seqtui.safe_text import escape_controls, for_markup
from seqtui.vocab import describe_unknown

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Train and talk to a character-level English→French translator.",
                  context_settings={"help_option_names": ["-h", "--help"]})
err = Console(stderr=True, highlight=False)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Config file (default: ./sequencer.toml).",
                                                 exists=True, dir_okay=False)]
ModelDirOpt = Annotated[Path | None, typer.Option("--model-dir", help="Model folder (default: the config's model_dir).",
                                                   show_default=False)]
BeamOpt = Annotated[int | None, typer.Option("--beam", min=1, help="Beam width (1: greedy).", show_default=False)]
TempOpt = Annotated[float | None, typer.Option("--temperature", min=0.0, help="Sample at this temperature.",
                                               show_default=False)]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Seed for sampling.")]
MaxLenOpt = Annotated[int | None, typer.Option("--max-len", min=1, help="Longest translation in characters.",
                                               show_default=False)]
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


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one error line to stderr and return the Exit to raise.

    The message often quotes data (a path, a key, a class name from someone's model file), so it is
    escaped for the terminal and printed literally, never as markup.
    """
    err.print(f"[bold red]error:[/] {for_markup(message)}", soft_wrap=True)
    return typer.Exit(code)


def handled(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn SeqtuiErrors into one line and exit 1, and Ctrl-C into exit 130."""

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

    return wrapper


def settings_from(cfg: config.Config, beam: int | None, temperature: float | None, seed: int | None,
                  max_len: int | None) -> Settings:
    return Settings(beam=beam or cfg.beam, temperature=cfg.temperature if temperature is None else temperature,
                    seed=seed, max_len=max_len or cfg.max_output_len)


def open_translator(cfg_path: Path | None, model_dir: Path | None, settings: dict[str, Any]) -> Any:
    from seqtui.api import Translator

    cfg = config.load(cfg_path, {"model_dir": model_dir})
    translator = Translator.open(cfg.model_dir, settings_from(cfg, **settings))
    if translator.warning:
        err.print(f"[yellow]warning:[/] {for_markup(translator.warning)}", soft_wrap=True)
    return translator, cfg


@app.command()
@handled
@with_config_flags
def train(
    overrides: dict[str, Any],
    config_path: ConfigOpt = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the run saved in model_dir: exactly from its "
                                         "checkpoint, else from its model's weights with a new optimizer.")] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="Discard the run saved in model_dir (only seqtui's own "
                                        "files).")] = False,
    samples: Annotated[bool, typer.Option(help="Print sample translations after each epoch.")] = True,
    coordinator: CoordinatorOpt = None, num_processes: NumProcessesOpt = None, process_id: ProcessIdOpt = None,
) -> None:
    """Train headless, with a progress bar and a row per epoch."""
    from seqtui import training
    from seqtui.progress import TrainPrinter

    if resume and fresh:
        raise fail("--resume and --fresh contradict each other; pass one", 2)
    cfg = config.load(config_path, overrides)
    if (num_processes or 1) > 1 or coordinator is not None:
        from seqtui.backend import join_processes

        join_processes(coordinator, num_processes, process_id)
    out = Console(highlight=False)
    stop = threading.Event()
    signals = _stop_on_signals(stop)
    try:
        ended = training.train(cfg, TrainPrinter(out, samples), stop=stop, resume=resume, fresh=fresh)
    finally:
        _restore_signals(signals)
    if ended.reason == "complete":
        out.print(ended.note)
        return
    if ended.reason == "stopped":
        err.print(f"Stopped after {ended.epochs_done} complete epoch(s); checkpoint saved in {cfg.model_dir}. "
                  f"{ended.best_text()}. Continue with: seqtui train --resume" + _model_dir_hint(cfg.model_dir))
        raise typer.Exit(130)
    why = f"early stopping: {ended.monitor} stopped improving" if ended.reason == "early_stopped" else "done"
    out.print(f"{why}; {ended.best_text()}; model saved in {cfg.model_dir / bundle.MODEL}")


def _model_dir_hint(model_dir: Path) -> str:
    default = config.load(None).model_dir
    return "" if model_dir == default else f" --model-dir {model_dir}"


def _stop_on_signals(stop: threading.Event) -> dict[int, Any]:
    """First SIGINT/SIGTERM: stop after this batch and save; a second one: stop at once."""
    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        err.print("\nStopping after this batch and saving a checkpoint (press Ctrl-C again to abort)…")

    if threading.current_thread() is not threading.main_thread():
        return {}
    return {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}


def _restore_signals(saved: dict[int, Any]) -> None:
    for s, h in saved.items():
        signal.signal(s, h)


@app.command()
@handled
def translate(
    text: Annotated[list[str], typer.Argument(help="Sentences to translate, one per argument.")],
    config_path: ConfigOpt = None, model_dir: ModelDirOpt = None, beam: BeamOpt = None,
    temperature: TempOpt = None, seed: SeedOpt = None, max_len: MaxLenOpt = None,
) -> None:
    """Translate each argument, printing the translation as it is decoded."""
    tr, _ = open_translator(config_path, model_dir, dict(beam=beam, temperature=temperature, seed=seed,
                                                         max_len=max_len))
    for sentence in text:
        _stream_line(tr, sentence)


def _stream_line(tr: Any, sentence: str) -> None:
    """Stream one translation to stdout: escaped on a terminal, where an ESC the model decodes would be
    obeyed; as decoded into a pipe or file, where it is data."""
    note = describe_unknown(tr.unknown(sentence))
    if note:
        err.print(for_markup(f"{note} (in {sentence[:40]!r})"), soft_wrap=True)
    shown = escape_controls if sys.stdout.isatty() else str
    for ch in tr.stream(sentence):
        sys.stdout.write(shown(ch))
        sys.stdout.flush()
    sys.stdout.write("\n")
    sys.stdout.flush()


@app.command()
@handled
def repl(
    plain: Annotated[bool, typer.Option("--plain", help="Line mode: read stdin, stream each translation.")] = False,
    config_path: ConfigOpt = None, model_dir: ModelDirOpt = None, beam: BeamOpt = None,
    temperature: TempOpt = None, seed: SeedOpt = None, max_len: MaxLenOpt = None,
) -> None:
    """Translate as you type: full screen, or --plain for pipes and scripts."""
    settings = dict(beam=beam, temperature=temperature, seed=seed, max_len=max_len)
    if not plain:
        from seqtui.tui.app import run_repl

        cfg = config.load(config_path, {"model_dir": model_dir})
        run_repl(cfg, settings_from(cfg, **settings))
        return
    tr, _ = open_translator(config_path, model_dir, settings)
    for line in sys.stdin:
        _stream_line(tr, line.rstrip("\r\n"))


@app.command()
@handled
def predict(
    input_path: Annotated[Path | None, typer.Option("--input", "-i", help="File or folder of sentences "
                                                    "(default: the config's predict_in).", show_default=False)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder for the TSV results "
                                                "(default: the config's predict_out).", show_default=False)] = None,
    config_path: ConfigOpt = None, model_dir: ModelDirOpt = None, beam: BeamOpt = None,
    temperature: TempOpt = None, seed: SeedOpt = None, max_len: MaxLenOpt = None,
) -> None:
    """Translate files of sentences into predict_output/<stem>_<timestamp>.tsv."""
    tr, cfg = open_translator(config_path, model_dir, dict(beam=beam, temperature=temperature, seed=seed,
                                                           max_len=max_len))
    out_dir = output or cfg.predict_out
    for file in data.corpus_files(input_path or cfg.predict_in):
        sources = data.read_sources(file)
        hyps = tr.translate_many([s.text for s in sources])
        target = _write_predictions(out_dir, file.stem, sources, hyps)
        unknown = {u.char for s in sources for u in tr.unknown(s.text)}
        note = f"; unknown characters: {' '.join(sorted(unknown))}" if unknown else ""
        print(escape_controls(f"{file} → {target} ({len(sources)} sentences{note})"))  # the TSV keeps the data


def _write_predictions(out_dir: Path, stem: str, sources: list[data.Source], hyps: list[str]) -> Path:
    """Write the results to a new `<stem>_<timestamp>[-N].tsv`: the first name no file has yet.

    `write_new` claims the name atomically, so a run in the same second (another terminal, a script
    in a loop) never overwrites this one's result, nor this one its.
    """
    from seqtui import atomic

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    text = _predictions_tsv(sources, hyps)
    n = 0
    while True:
        target = out_dir / (f"{stem}_{stamp}-{n}.tsv" if n else f"{stem}_{stamp}.tsv")
        try:
            atomic.write_new(target, text)
            return target
        except FileExistsError:
            n += 1
        except OSError as e:
            raise SeqtuiError(f"{out_dir}: cannot write predictions ({e.strerror or e})") from None


def _predictions_tsv(sources: list[data.Source], hyps: list[str]) -> str:
    with_ref = any(s.reference for s in sources)
    head = "source\ttranslation" + ("\treference" if with_ref else "")
    rows = [f"{s.text}\t{h}" + (f"\t{s.reference or ''}" if with_ref else "")
            for s, h in zip(sources, hyps, strict=True)]
    return "\n".join([head, *rows]) + "\n"


@app.command()
@handled
def evaluate(
    data_path: Annotated[Path | None, typer.Option("--data", help="Pairs to score (default: the bundle's "
                                                   "validation split).", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Score only the first N pairs (0: all).")] = 0,
    config_path: ConfigOpt = None, model_dir: ModelDirOpt = None, beam: BeamOpt = None,
    max_len: MaxLenOpt = None,
) -> None:
    """Score the model: chrF, BLEU, exact matches, masked loss and accuracy."""
    from seqtui.evaluation import evaluate as run_eval

    cfg = config.load(config_path, {"model_dir": model_dir})
    report = run_eval(cfg.model_dir, data_path, settings_from(cfg, beam, 0.0, None, max_len), limit=limit)
    if report.warning:
        err.print(f"[yellow]warning:[/] {report.warning}", soft_wrap=True)
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    out = Console(highlight=False)
    out.print(f"pairs {report.pairs}  chrF {report.chrf:.2f}  BLEU {report.bleu:.2f}  exact {report.exact:.2%}  "
              f"loss {report.loss}  accuracy {report.accuracy}  ({report.seconds:.1f}s)")
    for src, ref, hyp in report.examples:
        out.print(f"  {for_markup(src)} → {for_markup(hyp)}  [dim](ref: {for_markup(ref)})[/]")


@app.command()
@handled
@with_config_flags
def dashboard(
    overrides: dict[str, Any],
    config_path: ConfigOpt = None,
    follow: Annotated[Path | None, typer.Option("--follow", help="Watch a headless `seqtui train` writing "
                                                "into this model folder.", show_default=False)] = None,
) -> None:
    """The live training dashboard with a streaming REPL pane."""
    from seqtui.tui.app import run_dashboard

    cfg = config.load(config_path, overrides)
    run_dashboard(cfg, follow=follow)


@app.command("config")
@handled
def show_config(config_path: ConfigOpt = None) -> None:
    """Print every setting in effect and where it comes from."""
    cfg = config.load(config_path)
    for section, key, default, doc in config.describe():
        print(f"[{section}] {key} = {getattr(cfg, key)!s}    # {doc} (default {default})")


from seqtui.cli_data import data_app  # noqa: E402  (it borrows `handled` and the options above)

app.add_typer(data_app, name="data")


def main() -> None:
    """Entry point of the `seqtui` console script."""
    app()
