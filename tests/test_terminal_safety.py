"""Control characters and markup in corpora, references and model output reach a person escaped, on the
CLI's terminal output and in the TUI; files and piped output keep the data as it is."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
import tui_fakes
from textual.widgets import Input, Static
from tui_fakes import FakeEngine, scripted_trainer, tiny_config
from tui_pilot import until
from typer.testing import CliRunner

from seqtui.cli import app
from seqtui.safe_text import escape_controls, for_markup
from seqtui.tui.app import make_app
from seqtui.tui.repl.transcript import Transcript
from seqtui.tui.training.run_settings import RunSettings
from seqtui.tui.training.samples_panel import SamplesPanel
from tests.conftest import TINY_FLAGS, TINY_PAIRS, cli_flags, write_corpus

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
RED, BEL = "\x1b[31m", "\x07"
SHOWN_RED, SHOWN_BEL = "\\x1b[31m", "\\x07"
REPLY = f"{RED}Va{BEL} [bold]!"  # what the patched engine "translates" every sentence to
WIDE = {"COLUMNS": "400"}  # rich wraps at 80 columns when it is not on a terminal


def test_escape_controls_escapes_what_drives_a_terminal_and_keeps_text():
    assert escape_controls(f"{RED}rouge{BEL}") == f"{SHOWN_RED}rouge{SHOWN_BEL}"
    assert escape_controls("\x7f\x9b\x00\t\n") == "\\x7f\\x9b\\x00\\x09\\x0a"  # DEL, C1 CSI, NUL, tab, newline
    assert escape_controls("abc\u202edef\u2066") == "abc\\u202edef\\u2066"  # bidi override and isolate
    assert escape_controls("\U000e0041\ufeff\u2028") == "\\U000e0041\\ufeff\\u2028"  # tag, BOM, line separator
    assert escape_controls("x\ud800") == "x\\ud800"  # a lone surrogate cannot even be encoded for the terminal
    text = "Ça alors ! À l'aide. 日本語 😀 👨\u200d👩\u200d👧 e\u0301 \u00a0"
    assert escape_controls(text) == text  # accents, CJK, emoji with joiners, combining marks, NBSP
    assert escape_controls("a\nb", keep="\n") == "a\nb"
    assert for_markup("[bold]x\x1b") == "\\[bold]x\\x1b"


# -- the CLI ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def control_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A model trained (one epoch) on pairs whose sources start with ESC[31m and whose targets end in
    BEL and `[bold]`, and what `seqtui train` printed while training it."""
    root = tmp_path_factory.mktemp("control")
    corpus = write_corpus(root / "controls.txt", [(f"{RED}{s}", f"{t}{BEL} [bold]") for s, t in TINY_PAIRS])
    result = runner.invoke(app, ["train", "--train-dir", str(corpus), "--model-dir", str(root / "m"),
                                 *cli_flags(TINY_FLAGS), "--epochs", "1"], env=WIDE)
    assert result.exit_code == 0, result.output
    return root / "m", result.output


def test_train_prints_sample_translations_escaped(control_run):
    """The per-epoch samples show the corpus's ESC and BEL as text, and its `[bold]` literally."""
    _, output = control_run
    samples = [line for line in output.splitlines() if "(ref: " in line]
    assert samples and all(SHOWN_RED in line and f"{SHOWN_BEL} [bold])" in line for line in samples)
    assert RED not in output and BEL not in output


def test_evaluate_prints_examples_escaped(control_run, tmp_path):
    """evaluate's examples: sources, references and translations escaped, markup printed literally."""
    model_dir, _ = control_run
    data = write_corpus(tmp_path / "eval.txt", [(f"{RED}Go.", f"Va{BEL} [bold]!"), (f"{RED}Hi.", "Salut [red]!")])
    result = runner.invoke(app, ["evaluate", "--model-dir", str(model_dir), "--data", str(data)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert f"{SHOWN_RED}Go. → " in result.stdout and f"(ref: Va{SHOWN_BEL} [bold]!)" in result.stdout
    assert "(ref: Salut [red]!)" in result.stdout
    assert RED not in result.stdout and BEL not in result.stdout


def test_translate_notes_unknown_characters_escaped(trained_bundle):
    """The unknown-character note on stderr shows ESC as text and `[bold]` literally."""
    result = runner.invoke(app, ["translate", "--model-dir", str(trained_bundle), f"{RED}Go [bold]now[/bold]"],
                           env=WIDE)
    assert result.exit_code == 0, result.output
    assert "'\\x1b' at 0" in result.stderr and "[bold]now[/bold]" in result.stderr
    assert RED not in result.stderr


def test_error_lines_print_brackets_and_control_characters_literally(tmp_path):
    """An error quoting data is not markup: `[modle]` in a config error printed as nothing before."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[modle]\nlatent_dim = 8\n", encoding="utf-8")
    result = runner.invoke(app, ["config", "--config", str(bad)])
    assert result.exit_code == 1 and "unknown table [modle]" in result.stderr
    result = runner.invoke(app, ["translate", "--model-dir", str(tmp_path / f"{RED}[bold]m"), "Go."])
    assert result.exit_code == 1 and f"{SHOWN_RED}[bold]m" in result.stderr and RED not in result.stderr


def test_config_prints_the_files_values_escaped(tmp_path):
    """`seqtui config` echoes the file's values: a path holding ESC sequences reached the terminal raw."""
    cfg = tmp_path / "ctl.toml"
    cfg.write_text('[paths]\nmodel_dir = "m\\u001b[2Jx"\n', encoding="utf-8")
    result = runner.invoke(app, ["config", "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stdout.splitlines() if line.split(" = ")[0].strip() == "model_dir")
    assert "\x1b" not in result.stdout and "m\\x1b[2Jx" in line


# An `Engine.stream` stand-in that decodes every sentence as `reply` (probability 0.5 a character); source
# text, because the terminal tests run it in a child process too.
SPELLED_STREAM = """
from seqtui.decode.decoding import Hypothesis, Piece, Result, Stream


def spelled_stream(reply):
    def stream(self, text, settings=None):
        def steps():
            yield from (Piece(ch, 0.5) for ch in reply)
            return Result([Hypothesis(reply, (0.5,) * len(reply), False)], [])
        return Stream(steps())
    return stream
"""
_defined: dict = {}
exec(SPELLED_STREAM, _defined)
spelled_stream = _defined["spelled_stream"]


def patch_engine(monkeypatch):
    from seqtui.decode import decoding

    monkeypatch.setattr(decoding.Engine, "stream", spelled_stream(REPLY))


def test_translate_piped_keeps_the_model_output_as_data(trained_bundle, monkeypatch):
    """stdout that is not a terminal is data: the translation is written exactly as decoded."""
    patch_engine(monkeypatch)
    result = runner.invoke(app, ["translate", "--model-dir", str(trained_bundle), "Go."])
    assert result.exit_code == 0 and result.stdout == REPLY + "\n"


# Runs the CLI with the engine patched to decode every sentence as REPLY (a real model's output is not
# something a test can choose).
PATCHED_CLI = """
import sys
from seqtui.decode import decoding
{spelled}
decoding.Engine.stream = spelled_stream({reply!r})
from seqtui.cli import app
app(args=sys.argv[1:], prog_name="seqtui")
"""


def in_terminal(args: list[str], stdin: str = "") -> tuple[str, str]:
    """(stdout, stderr) of the patched CLI with its stdout on a pseudo-terminal and stdin piped."""
    leader, follower = pty.openpty()
    script = PATCHED_CLI.format(reply=REPLY, spelled=SPELLED_STREAM)
    proc = subprocess.Popen([sys.executable, "-c", script, *args], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=follower, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    os.close(follower)
    _, err = proc.communicate(stdin.encode(), timeout=60)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the terminal's other side is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.returncode == 0, err.decode()
    return b"".join(chunks).decode().replace("\r\n", "\n"), err.decode()


@pytest.mark.parametrize("command, stdin", [(["translate", "Go."], ""), (["repl", "--plain"], "Go.\n")])
def test_translation_on_a_terminal_is_escaped(trained_bundle, command, stdin):
    """translate and repl --plain stream each character escaped when stdout is a terminal."""
    out, _ = in_terminal([*command, "--model-dir", str(trained_bundle)], stdin)
    assert out == f"{SHOWN_RED}Va{SHOWN_BEL} [bold]!\n"


def test_predict_summary_escapes_and_the_file_keeps_the_data(trained_bundle, tmp_path):
    """predict names unknown characters escaped on stdout, and writes every character as is to the TSV."""
    inp = tmp_path / "in.txt"
    inp.write_text(f"{RED}Go.{BEL}\tVa [bold]{BEL}\n", encoding="utf-8")
    result = runner.invoke(app, ["predict", "--model-dir", str(trained_bundle), "--input", str(inp),
                                 "--output", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "unknown characters: \\x07 \\x1b" in result.stdout and RED not in result.stdout
    assert BEL not in result.stdout
    (tsv,) = (tmp_path / "out").glob("in_*.tsv")
    row = tsv.read_text(encoding="utf-8").splitlines()[1].split("\t")
    assert row[0] == f"{RED}Go.{BEL}" and row[2] == f"Va [bold]{BEL}"


# -- the TUI ---------------------------------------------------------------------------------------

SIZE = (120, 40)
NO_MODEL = tiny_config(model_dir=Path("/nonexistent/models"))


async def test_the_transcript_shows_control_characters_escaped() -> None:
    """An ESC in the sentence and in the translation appears as the text \\x1b in the REPL history."""
    app_ = make_app(NO_MODEL, mode="repl", load_engine=lambda _: FakeEngine(REPLY))
    async with app_.run_test(size=SIZE) as pilot:
        transcript = app_.screen.query_one(Transcript)
        await until(pilot, lambda: len(transcript.children) == 1, what="the ready note")
        app_.screen.query_one(Input).value = f"{RED}Go."
        await pilot.press("enter")
        await until(pilot, lambda: transcript.output(1) == REPLY, what="the translation")
        shown = str(transcript.query(Static).last().render())
        assert f"› {SHOWN_RED}Go." in shown and f"{SHOWN_RED}Va{SHOWN_BEL} [bold]!" in shown
        assert "\x1b" not in shown and BEL not in shown


async def test_the_samples_panel_shows_control_characters_escaped(monkeypatch) -> None:
    """Samples from a corpus with ESC and BEL show them as text, and `[bold]` literally."""
    monkeypatch.setattr(tui_fakes, "SAMPLES", [(f"{RED}Go.", f"Va{BEL} [bold]", f"{RED}Va [bold]")])
    app_ = make_app(NO_MODEL, trainer=scripted_trainer(epochs=1))
    async with app_.run_test(size=SIZE) as pilot:
        panel = app_.screen.query_one(SamplesPanel)
        await pilot.press("t")
        await until(pilot, lambda: panel.border_title == "Samples · epoch 1", what="the samples")
        shown = str(panel.render())
        assert f"{SHOWN_RED}Go." in shown and f"Va{SHOWN_BEL} [bold]" in shown and f"{SHOWN_RED}Va [bold]" in shown
        assert "\x1b" not in shown and BEL not in shown


# -- names from outside: corpus files and folders --------------------------------------------------

ESC_NAME = f"{RED}[bold]x"  # an ESC sequence and markup in a file or folder name
SHOWN_NAME = f"{SHOWN_RED}[bold]x"


def test_data_stats_shows_file_and_folder_names_escaped(tmp_path):
    """`data stats` names the corpus folder, its files and the malformed lines' files: an ESC in a name
    reached the terminal raw, and `[bold]` in one was taken as markup."""
    folder = tmp_path / f"c{ESC_NAME}"
    folder.mkdir()
    write_corpus(folder / f"{ESC_NAME}.txt", [*TINY_PAIRS, ("no tab here", "")])
    result = runner.invoke(app, ["data", "stats", str(folder)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert f"c{SHOWN_NAME}" in result.stdout and f"in {SHOWN_NAME}.txt" in result.stdout
    assert f"({SHOWN_NAME}.txt:" in result.stdout  # the malformed line's file
    assert "\x1b" not in result.stdout


async def test_the_dashboard_header_shows_folder_names_escaped(tmp_path) -> None:
    """The run panel at the top names train_dir and model_dir: Rich and Textual pass an ESC in them on."""
    corpus = write_corpus(tmp_path / f"{ESC_NAME}.txt")
    cfg = tiny_config(train_dir=corpus, model_dir=tmp_path / f"m{ESC_NAME}")
    app_ = make_app(cfg, trainer=scripted_trainer(epochs=1))
    async with app_.run_test(size=SIZE) as pilot:
        header = app_.screen.query_one(RunSettings)
        await until(pilot, lambda: "data " in str(header.render()), what="the run's settings")
        shown = str(header.render())
        assert f"{SHOWN_NAME}.txt" in shown and f"m{SHOWN_NAME}" in shown and "\x1b" not in shown


async def test_following_a_folder_names_it_escaped(tmp_path) -> None:
    """Following a headless run: the progress line and the run panel name the folder, escaped."""
    from seqtui.tui.training.epoch_progress import EpochProgress

    folder = tmp_path / f"m{ESC_NAME}"
    app_ = make_app(tiny_config(model_dir=tmp_path / "unused"), follow=folder)
    async with app_.run_test(size=SIZE) as pilot:
        progress, header = app_.screen.query_one(EpochProgress), app_.screen.query_one(RunSettings)
        await until(pilot, lambda: "Following" in str(header.render()), what="the follow note")
        shown = str(progress.render()) + str(header.render())
        assert f"m{SHOWN_NAME}" in shown and "\x1b" not in shown


async def test_a_failed_trainer_is_notified_escaped(tmp_path) -> None:
    """A worker's error names a folder: the notification shows its ESC as text (Textual passes it on)."""
    from seqtui.errors import BundleError

    def broken(*args, **kwargs):
        raise BundleError(f"{tmp_path / ESC_NAME}: cannot be read")

    app_ = make_app(tiny_config(model_dir=tmp_path / "m"), trainer=broken)
    async with app_.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("t")
        await until(pilot, lambda: any("cannot be read" in n.message for n in app_._notifications),
                    what="the error's notification")
        (note,) = [n.message for n in app_._notifications if "cannot be read" in n.message]
        assert SHOWN_NAME in note and "\x1b" not in note
