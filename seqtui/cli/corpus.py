"""`seqtui data fetch` and `seqtui data stats`: a thin layer over seqtui.fetch and seqtui.stats that draws
the download bar, the tables and the length histogram with rich.

It takes `handled` and the shared options from seqtui.cli.common; seqtui.cli registers this sub-app.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from seqtui import config
from seqtui.cli.common import ConfigOpt, err, handled, stdout_console
from seqtui.data import corpus as data
from seqtui.safe_text import for_markup
from seqtui.store import rundir

if TYPE_CHECKING:
    from rich.table import Table

    from seqtui.data.stats import CorpusStats

data_app = typer.Typer(no_args_is_help=True, help="Fetch a corpus, and see what a corpus holds.")

BAR_WIDTH = 24

PairArg = Annotated[str, typer.Argument(metavar="PAIR",
                                        help="A manythings.org/anki pair: fra-eng, deu-eng, spa-eng, ...")]
DestOpt = Annotated[Path | None, typer.Option(
    "--dest", metavar="DIR", file_okay=False, show_default=False,
    help="Folder to unpack into (default: the config's train_dir).")]
UrlOpt = Annotated[str | None, typer.Option(
    "--url", metavar="URL", show_default=False,
    help="Download from here instead: a mirror, a file:// URL or a local .zip.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace a corpus file that is already there.")]
PathArg = Annotated[Path | None, typer.Argument(
    show_default=False, help="Corpus file or folder (default: the config's train_dir).")]


@data_app.command()
@handled
def fetch(pair: PairArg = "fra-eng", dest: DestOpt = None, url: UrlOpt = None, force: ForceOpt = False,
          config_path: ConfigOpt = None) -> None:
    """Download a sentence-pair archive from manythings.org/anki and unpack its corpus into train_dir."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from seqtui.data.fetch import fetch as fetch_archive

    cfg = config.load(config_path)
    folder = dest or cfg.train_dir
    rundir.refuse_foreign_write(folder, "--dest", "corpus", folder=True)
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(for_markup(f"{pair}.zip"), total=None)  # the description is markup
        got = fetch_archive(folder, pair, url, force,
                            progress=lambda done, total: bar.update(task, completed=done, total=total))
    out = stdout_console(soft_wrap=True)  # paths and commands stay whole for copying
    out.print(for_markup(f"{got.path}: {got.size:,} bytes, unpacked from {got.url}"))
    others = [f.name for f in data.corpus_files(got.path.parent) if f != got.path]
    if others:
        held = for_markup(f"{got.path.parent} also holds {', '.join(others)}")
        out.print(f"[yellow]note:[/] {held}; training reads every corpus file in the folder")
    stats_cmd, train_cmd = (("seqtui data stats", "seqtui train") if folder == cfg.train_dir else
                            (f"seqtui data stats {folder}", f"seqtui train --train-dir {folder}"))
    out.print(for_markup(f"Next: {stats_cmd}, then {train_cmd} (num_samples picks how many pairs; 0 takes them all)"))


@data_app.command()
@handled
def stats(path: PathArg = None, config_path: ConfigOpt = None) -> None:
    """Pairs, malformed lines, characters, vocabularies and sentence lengths of a corpus."""
    from seqtui.data.stats import corpus_stats

    cfg = config.load(config_path)
    where = path or cfg.train_dir
    found = corpus_stats(where, cfg.num_samples, cfg.sample, cfg.seed,
                         setting="" if path else "train_dir in sequencer.toml, or pass PATH")
    out = stdout_console(soft_wrap=True)  # paths and commands stay whole for copying
    whole, chosen = found.corpus, found.selected
    # the corpus's folder and file names are data: escaped for the terminal and printed literally
    files = f" in {', '.join(f.name for f in found.files)}" if where.is_dir() else ""
    out.print(f"[bold]{for_markup(str(where))}[/]: {whole.pairs:,} pairs, {found.malformed:,} malformed "
              f"line{'s' if found.malformed != 1 else ''}{for_markup(files)}")
    if found.skipped_summary:
        out.print(f"[yellow]{for_markup(found.skipped_summary)}[/]")
    out.print(_sides_table(found), "", _histogram_table(found), "", sep="\n")
    takes = "all" if chosen.pairs == whole.pairs else f"{chosen.pairs:,} of {whole.pairs:,}"
    out.print(f"num_samples = {found.num_samples:,} ({found.sample}) takes {takes} pairs: vocabularies "
              f"{chosen.source.vocab} → {chosen.target.vocab} characters, longest "
              f"{chosen.source.longest} → {chosen.target.longest}")
    if cfg.reverse:
        out.print("reverse = true: training reads the second column as the source")


def _sides_table(found: CorpusStats) -> Table:
    from rich.table import Table

    src, tgt = found.corpus.source, found.corpus.target
    table = Table("", "source (column 1)", "target (column 2)", box=None, pad_edge=False)
    table.add_row("characters", f"{src.chars:,}", f"{tgt.chars:,}")
    table.add_row("vocabulary", f"{src.vocab:,}", f"{tgt.vocab:,}")
    table.add_row("mean length", f"{src.mean_len:.1f}", f"{tgt.mean_len:.1f}")
    table.add_row("longest", f"{src.longest:,}", f"{tgt.longest:,}")
    return table


def _histogram_table(found: CorpusStats) -> Table:
    """Sentence lengths per side as rows of bars, scaled to the fullest bin."""
    from rich.table import Table

    fullest = max((max(b.source, b.target) for b in found.histogram), default=1)
    table = Table("length", "source", "target", box=None, pad_edge=False)
    for b in found.histogram:
        lengths = f"{b.low}-{b.high}" if b.high > b.low else str(b.low)
        table.add_row(lengths, _bar(b.source, fullest), _bar(b.target, fullest))
    return table


def _bar(count: int, fullest: int) -> str:
    bar = "█" * round(BAR_WIDTH * count / fullest) or ("▏" if count else "")
    return f"{bar} {count:,}".lstrip()
