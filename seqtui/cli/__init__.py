"""The `seqtui` command: a thin typer layer over the core. TensorFlow is imported only by commands
that train or evaluate, so `--help`, `translate` and `repl` start fast.

Exit codes: 0 ok, 1 user error (one line on stderr), 2 usage, 130 interrupted.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from seqtui import bundle, catalog, config, data
from seqtui.cli import runs as runs_cli
from seqtui.cli.common import (
    BeamOpt,
    ConfigOpt,
    CoordinatorOpt,
    MaxLenOpt,
    ModelDirOpt,
    ModelOpt,
    NumProcessesOpt,
    ProcessIdOpt,
    SeedOpt,
    TempOpt,
    choose_model,
    err,
    fail,
    handled,
    model_request,
    open_translator,
    settings_from,
)
from seqtui.cli.corpus import data_app
from seqtui.errors import SeqtuiError
from seqtui.options import with_config_flags
from seqtui.safe_text import escape_controls, for_markup
from seqtui.vocab import describe_unknown

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Train and talk to a character-level English→French translator.",
                  context_settings={"help_option_names": ["-h", "--help"]})
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
    init_from: Annotated[str | None, typer.Option(
        "--init-from", show_default=False, help="Start from another model's weights and vocabulary (a folder, or "
        "a name such as en-fr, the shipped model): fine-tuning on your corpus.")] = None,
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
        origin = catalog.choose(cfg.model_dir, init_from).path if init_from is not None else None
        ended = training.train(cfg, TrainPrinter(out, samples), stop=stop, resume=resume, fresh=fresh,
                               init_from=origin)
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
    config_path: ConfigOpt = None, model: ModelOpt = None, model_dir: ModelDirOpt = None, beam: BeamOpt = None,
    temperature: TempOpt = None, seed: SeedOpt = None, max_len: MaxLenOpt = None,
) -> None:
    """Translate each argument, printing the translation as it is decoded (stderr says which model answers)."""
    tr, _ = open_translator(config_path, model, model_dir, dict(beam=beam, temperature=temperature, seed=seed,
                                                                max_len=max_len), announce=True)
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
    config_path: ConfigOpt = None, model: ModelOpt = None, model_dir: ModelDirOpt = None, beam: BeamOpt = None,
    temperature: TempOpt = None, seed: SeedOpt = None, max_len: MaxLenOpt = None,
) -> None:
    """Translate as you type: full screen, or --plain for pipes and scripts (stderr says which model answers)."""
    settings = dict(beam=beam, temperature=temperature, seed=seed, max_len=max_len)
    if not plain:
        from seqtui.tui.app import run_repl

        cfg, requested = model_request(config_path, model, model_dir)
        run_repl(cfg, settings_from(cfg, **settings), requested)
        return
    tr, _ = open_translator(config_path, model, model_dir, settings, announce=True)
    for line in sys.stdin:
        _stream_line(tr, line.rstrip("\r\n"))


@app.command()
@handled
def predict(
    input_path: Annotated[Path | None, typer.Option("--input", "-i", help="File or folder of sentences "
                                                    "(default: the config's predict_in).", show_default=False)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder for the TSV results "
                                                "(default: the config's predict_out).", show_default=False)] = None,
    config_path: ConfigOpt = None, model: ModelOpt = None, model_dir: ModelDirOpt = None, beam: BeamOpt = None,
    temperature: TempOpt = None, seed: SeedOpt = None, max_len: MaxLenOpt = None,
) -> None:
    """Translate files of sentences into predict_output/<stem>_<timestamp>.tsv."""
    tr, cfg = open_translator(config_path, model, model_dir, dict(beam=beam, temperature=temperature, seed=seed,
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
    config_path: ConfigOpt = None, model: ModelOpt = None, model_dir: ModelDirOpt = None, beam: BeamOpt = None,
    max_len: MaxLenOpt = None,
) -> None:
    """Score the model: chrF, BLEU, exact matches, masked loss and accuracy."""
    from seqtui.evaluation import evaluate as run_eval

    cfg, choice = choose_model(config_path, model, model_dir)
    report = run_eval(choice.path, data_path, settings_from(cfg, beam, 0.0, None, max_len), limit=limit)
    if report.warning:
        err.print(f"[yellow]warning:[/] {report.warning}", soft_wrap=True)
    _record_scores(choice.path, report, data_path, limit, settings_from(cfg, beam, 0.0, None, max_len).beam)
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    out = Console(highlight=False)
    out.print(f"pairs {report.pairs}  chrF {report.chrf:.2f}  BLEU {report.bleu:.2f}  exact {report.exact:.2%}  "
              f"loss {report.loss}  accuracy {report.accuracy}  ({report.seconds:.1f}s)")
    for src, ref, hyp in report.examples:
        out.print(f"  {for_markup(src)} → {for_markup(hyp)}  [dim](ref: {for_markup(ref)})[/]")


def _record_scores(model_dir: Path, report: Any, data_path: Path | None, limit: int, beam: int) -> None:
    """Keep the scores in the run's folder, where `seqtui runs` lists them (not in a shipped model's)."""
    from seqtui.runs import record_evaluation

    scores = {k: v for k, v in report.to_dict().items() if k != "examples"}
    record_evaluation(model_dir, {**scores, "data": str(data_path) if data_path else "validation split",
                                  "limit": limit, "beam": beam, "at": datetime.now().isoformat(timespec="seconds")})


@app.command()
@handled
@with_config_flags
def dashboard(
    overrides: dict[str, Any],
    config_path: ConfigOpt = None,
    follow: Annotated[Path | None, typer.Option("--follow", help="Watch a headless `seqtui train` writing "
                                                "into this model folder.", show_default=False)] = None,
    model: ModelOpt = None,
) -> None:
    """The live training dashboard with a streaming REPL pane."""
    from seqtui.tui.app import run_dashboard

    cfg = config.load(config_path, overrides)
    run_dashboard(cfg, follow=follow, model=model)


@app.command("config")
@handled
def show_config(config_path: ConfigOpt = None) -> None:
    """Print every setting in effect and where it comes from."""
    cfg = config.load(config_path)
    for section, key, default, doc in config.describe():
        print(f"[{section}] {key} = {getattr(cfg, key)!s}    # {doc} (default {default})")


app.add_typer(data_app, name="data")
runs_cli.register(app)


def main() -> None:
    """Entry point of the `seqtui` console script."""
    app()
