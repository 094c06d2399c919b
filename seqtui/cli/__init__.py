"""The `seqtui` command: a thin typer layer over the core. TensorFlow is imported only by commands
that train or evaluate, so `--help`, `translate` and `repl` start fast.

Exit codes (docs/commands.md states them): 0 done; 1 seqtui refused or could not do it (one line on stderr);
2 the command line is wrong, out-of-range values and flags that cannot go together included (one line,
see `seqtui.cli.usage`); 130 interrupted.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from seqtui.cli import runs as runs_cli
from seqtui.cli import serve as serve_cli
from seqtui.cli.answers import STDIN, Answerer, translate_inputs
from seqtui.cli.common import (
    AlignOpt,
    BeamOpt,
    ConfigOpt,
    CoordinatorOpt,
    JsonOpt,
    LengthPenaltyOpt,
    MaxLenOpt,
    ModelDirOpt,
    ModelOpt,
    NBestOpt,
    NumProcessesOpt,
    PrefixOpt,
    ProcessIdOpt,
    QuietOpt,
    SeedOpt,
    TempOpt,
    VerboseOpt,
    bounded,
    choose_model,
    err,
    handled,
    load_config,
    model_request,
    open_translator,
    settings_from,
    stdout_console,
    usage_error,
)
from seqtui.cli.config_view import show_config
from seqtui.cli.corpus import data_app
from seqtui.cli.options import with_config_flags
from seqtui.cli.usage import HELP_NAMES, Group
from seqtui.data import corpus as data
from seqtui.decode.settings import Asked
from seqtui.safe_text import escape_controls, for_markup, json_line
from seqtui.store import catalog, rundir
from seqtui.store.resume import closing_line, resume_flags

app = typer.Typer(cls=Group, add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Train and talk to a character-level English→French translator.",
                  context_settings={"help_option_names": HELP_NAMES})


def _print_version(value: bool) -> None:
    if value:
        from seqtui import __version__

        print(f"seqtui {__version__}")
        raise typer.Exit()


@app.callback()
def _top(version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                               help="Print seqtui's version and exit.")] = False) -> None:
    """Train and talk to a character-level English→French translator."""


@app.command()
@handled
@with_config_flags
def train(
    overrides: dict[str, Any],
    config_path: ConfigOpt = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the run saved in model_dir: exactly from its "
                                         "checkpoint, else from its model's weights with a new optimizer; with its "
                                         "own settings, but --epochs, --patience and the like change them.")] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="Discard the run saved in model_dir (only seqtui's own "
                                        "files).")] = False,
    init_from: Annotated[str | None, typer.Option(
        "--init-from", show_default=False, help="Start from another model's weights and vocabulary (a folder, or "
        "a name such as en-fr, the shipped model): fine-tuning on your corpus.")] = None,
    samples: Annotated[bool, typer.Option(help="Print sample translations after each epoch.")] = True,
    coordinator: CoordinatorOpt = None, num_processes: NumProcessesOpt = None, process_id: ProcessIdOpt = None,
) -> None:
    """Train headless, with a progress bar and a row per epoch."""
    from seqtui.cli.progress import TrainPrinter
    from seqtui.train import training

    if resume and fresh:
        raise usage_error("--resume and --fresh contradict each other; pass one")
    cfg = load_config(config_path, overrides)
    if (num_processes or 1) > 1 or coordinator is not None:
        from seqtui.model.backend import join_processes

        join_processes(coordinator, num_processes, process_id)
    out = stdout_console()
    stop = threading.Event()
    printer = TrainPrinter(out, samples)
    signals = _stop_on_signals(stop, printer)
    try:
        origin = catalog.choose(cfg.model_dir, init_from).path if init_from is not None else None
        ended = training.train(cfg, printer, stop=stop, resume=resume, fresh=fresh,
                               init_from=origin, flags=overrides)
    finally:
        _restore_signals(signals)
    # the dashboard prints the same when it closes; it names folders and flags, so it is escaped like data
    line = for_markup(closing_line(ended, resume_flags(config_path, overrides)))
    answers = [for_markup(ended.answers)] if ended.answers else []  # which model answers from now on
    if ended.reason == "stopped":
        for text in [line, *answers]:
            err.print(text, soft_wrap=True)
        raise typer.Exit(130)
    for text in [line, *answers]:
        out.print(text, soft_wrap=True)


def _stop_on_signals(stop: threading.Event, printer: Any) -> dict[int, Any]:
    """First SIGINT/SIGTERM: stop after this batch and save; a second one: stop at once."""
    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        printer.say("Stopping after this batch and saving a checkpoint (press Ctrl-C again to abort)…", err)

    if threading.current_thread() is not threading.main_thread():
        return {}
    return {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}


def _restore_signals(saved: dict[int, Any]) -> None:
    for s, h in saved.items():
        signal.signal(s, h)


@app.command()
@handled
def translate(
    text: Annotated[list[str] | None, typer.Argument(
        help="Sentences to translate, one per argument; none, or -, reads them from stdin, a line each.",
        show_default=False)] = None,
    config_path: ConfigOpt = None, model: ModelOpt = None, model_dir: ModelDirOpt = None, beam: BeamOpt = None,
    temperature: TempOpt = None, seed: SeedOpt = None, max_len: MaxLenOpt = None, nbest: NBestOpt = None,
    length_penalty: LengthPenaltyOpt = None, prefix: PrefixOpt = None, as_json: JsonOpt = False,
    align: AlignOpt = False, verbose: VerboseOpt = False, quiet: QuietOpt = False,
) -> None:
    """Translate each argument, or each line of stdin, printing the translation as it is decoded (stderr says \
which model answers)."""
    sentences = translate_inputs(text or [])
    tr, _, _ = open_translator(config_path, model, model_dir, Asked(
        beam=beam, temperature=temperature, seed=seed, max_len=max_len, nbest=nbest, length_penalty=length_penalty,
        prefix=prefix), verbose, quiet)
    answer = Answerer(tr, as_json=as_json, nbest=nbest is not None, align=align, quiet=quiet)
    for sentence in sentences:
        answer(sentence)


@app.command()
@handled
def repl(
    plain: Annotated[bool, typer.Option("--plain", help="Line mode: read stdin, stream each translation.")] = False,
    config_path: ConfigOpt = None, model: ModelOpt = None, model_dir: ModelDirOpt = None, beam: BeamOpt = None,
    temperature: TempOpt = None, seed: SeedOpt = None, max_len: MaxLenOpt = None, nbest: NBestOpt = None,
    length_penalty: LengthPenaltyOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="With --plain: one JSON object per input line (as "
                                          "`translate --json`).")] = False,
    align: Annotated[bool, typer.Option("--align", help="With --plain: the attention heatmap under each "
                                        "translation (`alignment` with --json).")] = False,
    verbose: VerboseOpt = False, quiet: QuietOpt = False,
) -> None:
    """Translate as you type: full screen, or --plain for pipes and scripts (stderr says which model answers).

    In --plain mode a line `English => French start` forces the translation to begin with the text
    after `=>` (as --prefix does). On a terminal --plain shows a prompt and takes the full-screen REPL's
    :commands (:help lists them; `::` starts a line to translate that begins with `:`); from a pipe every
    line is translated."""
    asked = Asked(beam=beam, temperature=temperature, seed=seed, max_len=max_len, nbest=nbest,
                  length_penalty=length_penalty)
    if not plain:
        if as_json or align:
            raise usage_error("--json and --align go with --plain (the full-screen REPL has :nbest and :align)")
        from seqtui.tui.app import run_repl

        cfg, requested = model_request(config_path, model, model_dir)
        run_repl(cfg, settings_from(cfg, asked), requested)
        return
    from seqtui.cli.plain_repl import run_plain

    tr, cfg, _ = open_translator(config_path, model, model_dir, asked, verbose, quiet)
    run_plain(tr, cfg.model_dir, as_json=as_json, nbest=nbest is not None, align=align, quiet=quiet)


@app.command()
@handled
def predict(
    input_path: Annotated[Path | None, typer.Option("--input", "-i", help="File or folder of sentences, or - for "
                                                    "stdin (default: the config's predict_in).",
                                                    show_default=False)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder for the TSV results, or - to "
                                                "print them on stdout (default: the config's predict_out).",
                                                show_default=False)] = None,
    config_path: ConfigOpt = None, model: ModelOpt = None, model_dir: ModelDirOpt = None, beam: BeamOpt = None,
    temperature: TempOpt = None, seed: SeedOpt = None, max_len: MaxLenOpt = None,
    nbest: Annotated[int | None, typer.Option(
        "--nbest", callback=bounded("nbest"), show_default=False,
        help="Also write the N best hypotheses: extra columns translation_2 … "
        "translation_N, then score_1 … score_N (the normalised log-probability the beam ranks by), after the "
        "reference column if there is one. Widens the beam to at least N.")] = None,
    length_penalty: LengthPenaltyOpt = None, verbose: VerboseOpt = False, quiet: QuietOpt = False,
) -> None:
    """Translate files of sentences into predict_output/<stem>_<timestamp>.tsv (stderr and the file's `model` \
column say which model answered)."""
    tr, cfg, _ = open_translator(config_path, model, model_dir, Asked(
        beam=beam, temperature=temperature, seed=seed, max_len=max_len, nbest=nbest, length_penalty=length_penalty),
        verbose, quiet)
    out_dir = output or cfg.predict_out
    to_stdout = str(out_dir) == STDIN
    if not to_stdout:
        rundir.refuse_foreign_write(out_dir, "--output", "predictions", folder=True)  # before translating, not after
    for name, stem, written in _prediction_inputs(input_path or cfg.predict_in):
        if not written:  # a header-only file would look like a result
            err.print(f"[yellow]warning:[/] {for_markup(name)}: no sentence in it (empty or blank lines only); "
                      "nothing written", soft_wrap=True)
            continue
        sources = _oriented(tr, written, name)
        cut = sum(tr.cut(s.text) for s in sources)
        if cut:  # said before the work starts, which the cut keeps short
            err.print(f"[yellow]warning:[/] {for_markup(name)}: {_count(cut, 'sentence')} cut to the first "
                      f"{tr.engine.source_limit:,} characters ({tr.reads()})", soft_wrap=True)
        if to_stdout:  # the TSV is the output, as it is; the summary goes to stderr
            sys.stdout.write(tr.predictions_text(sources, nbest))
            sys.stdout.flush()
        target = "stdout" if to_stdout else str(tr.predict_sources(sources, out_dir, stem, nbest))
        long = sum(tr.too_long(s.text) for s in sources)
        if long:
            err.print(f"[yellow]warning:[/] {for_markup(name)}: {_count(long, 'sentence')} far longer than any this "
                      "model was trained on; expect poor translations, cut at the length limit", soft_wrap=True)
        unknown = {u.char for s in sources for u in tr.unknown(s.text)}
        note = f"; unknown characters: {' '.join(sorted(unknown))}" if unknown else ""
        # the summary is escaped for the terminal; the TSV keeps the data as it is
        summary = escape_controls(f"{name} → {target} ({_count(len(sources), 'sentence')}{note})")
        print(summary, file=sys.stderr if to_stdout else sys.stdout)


def _oriented(tr: Any, sources: list[data.Source], name: str) -> list[data.Source]:
    """`sources` with their columns the right way round, and a line on stderr when they were swapped."""
    sources, note = tr.oriented(sources, name)
    if note:
        err.print(f"[dim]{for_markup(note)}[/]", soft_wrap=True)
    return sources


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _prediction_inputs(path: Path) -> Iterator[tuple[str, str, list[data.Source]]]:
    """(name shown, stem of the result's name, sentences) for each input: every corpus file at `path`, or
    stdin for `-`, read as strictly as a file."""
    if str(path) == STDIN:
        text = data.decode_utf8(sys.stdin.buffer.read(), "<stdin>")
        yield "<stdin>", "stdin", data.parse_sources(data.split_lines(text))
        return
    for file in data.corpus_files(path, "--input, or predict_in in sequencer.toml"):
        yield str(file), file.stem, data.read_sources(file)


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
    from seqtui.report.evaluation import evaluate as run_eval

    cfg, choice = choose_model(config_path, model, model_dir)
    settings = settings_from(cfg, Asked(beam=beam, temperature=0.0, max_len=max_len))
    if data_path is None and choice.shipped and cfg.train_dir.exists():
        # a shipped model's validation pairs stay where it was trained; the config's corpus is here
        data_path = cfg.train_dir
        err.print(f"[dim]note: {for_markup(choice.label)}'s own validation pairs are not here; scoring it on "
                  f"{for_markup(str(data_path))} (it may know some); --data FILE scores others[/]", soft_wrap=True)
    report = run_eval(choice.path, data_path, settings, limit=limit)
    if report.warning:
        err.print(f"[yellow]warning:[/] {for_markup(report.warning)}", soft_wrap=True)
    if report.note and not as_json:
        err.print(f"[dim]note: {for_markup(report.note)}[/]", soft_wrap=True)
    if report.columns:
        err.print(f"[dim]{for_markup(report.columns)}[/]", soft_wrap=True)
    _record_scores(choice.path, report, data_path, limit, settings.beam)
    if as_json:
        print(json_line(report.to_dict()))
        return
    out = stdout_console()
    out.print(f"pairs {report.pairs}  chrF {report.chrf:.2f}  BLEU {report.bleu:.2f}  exact {report.exact:.2%}  "
              f"loss {report.loss}  accuracy {report.accuracy}  ({report.seconds:.1f}s)")
    for src, ref, hyp in report.examples:
        out.print(f"  {for_markup(src)} → {for_markup(hyp)}  [dim](ref: {for_markup(ref)})[/]")


def _record_scores(model_dir: Path, report: Any, data_path: Path | None, limit: int, beam: int) -> None:
    """Keep the scores in the run's folder, where `seqtui runs` lists them (not in a shipped model's)."""
    from seqtui.report.runs import record_evaluation

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
    resume: Annotated[bool, typer.Option("--resume", help="t continues the run saved in model_dir (as c does), "
                                         "with its own settings but the flags given.")] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="The first t or i replaces the run saved in model_dir "
                                        "(only seqtui's own files) instead of training beside it.")] = False,
    init_from: Annotated[str | None, typer.Option(
        "--init-from", show_default=False, help="What i fine-tunes: a model folder, or a name such as en-fr "
        "(the shipped model, the default).")] = None,
    web: Annotated[bool, typer.Option("--web", help="Serve the dashboard to a browser instead (each tab a "
                                      "process of its own; training runs as seqtui train processes).")] = False,
    host: Annotated[str, typer.Option("--host", help="With --web: the address to listen on (0.0.0.0: every "
                                      "network, with no login).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="With --web: the port.")] = 8000,
    public_url: Annotated[str | None, typer.Option("--public-url", show_default=False, help="With --web: the "
                                                   "URL the browser reaches the server at (behind a proxy).")] = None,
    leave_runs: Annotated[bool, typer.Option("--leave-runs", help="With --web: stopping the server leaves the "
                                             "runs its tabs started training.")] = False,
) -> None:
    """The live training dashboard with a streaming REPL pane; t trains a new run (beside model_dir's run when \
it holds one), c continues that run, i fine-tunes a model."""
    from seqtui.tui.app import run_dashboard
    from seqtui.tui.training.starts import TrainFlags

    if resume and fresh:
        raise usage_error("--resume and --fresh contradict each other; pass one")
    if resume and init_from is not None:
        raise usage_error("--init-from starts a new run from another model; it cannot --resume one")
    cfg = load_config(config_path, overrides)
    origin = catalog.choose(cfg.model_dir, init_from).path if init_from is not None else None
    if web:
        from seqtui.tui.web import serve

        serve(sys.argv[2:], host, port, public_url, leave_runs)
        return
    run_dashboard(cfg, follow=follow, model=model, flags=TrainFlags(resume, fresh, origin, overrides))


app.command("config")(handled(show_config))
app.add_typer(data_app, name="data")
runs_cli.register(app)
serve_cli.register(app)


def main() -> None:
    """Entry point of the `seqtui` console script."""
    app()
