"""`repl --plain`: on a terminal a prompt and the full-screen REPL's commands; from a pipe every line is text."""

from __future__ import annotations

from typer.testing import CliRunner

import seqtui
from seqtui.cli import app
from seqtui.tui.repl import repl_commands
from tests.on_terminal import run_on_terminal

runner = CliRunner()
GREEDY = ["--model", "en-fr", "--beam", "1"]


def _plain_on_terminal(*typed: str) -> str:
    session = run_on_terminal(["repl", "--plain", *GREEDY], list(typed), wait_for="> ", timeout=90)
    assert session.code == 0, session.output  # it quit (a timeout leaves None)
    return session.output


def test_on_a_terminal_it_prompts_and_help_is_a_command_not_a_sentence():
    output = _plain_on_terminal(":help", ":q")
    en_fr = seqtui.load("en-fr", beam=1)
    assert output.count("> ") >= 2
    said = " ".join(output.split())  # the help is wrapped at words to the terminal's width
    assert "Commands: :model NAME" in said and "type one more colon before it" in said
    for line in (":help", ":q"):
        assert en_fr.translate(line) not in output


def test_commands_change_the_decoding_and_the_model():
    output = _plain_on_terminal(":beam 3", "I love you.", ":model fr-en", "Je t'aime.", ":q")
    assert "decoding: beam 3" in output
    assert seqtui.load("en-fr", beam=3).translate("I love you.") in output
    assert "Now answering: the shipped fr-en model" in output
    assert seqtui.load("fr-en", beam=3).translate("Je t'aime.") in output


def test_a_doubled_colon_translates_a_line_that_starts_with_one():
    output = _plain_on_terminal("::I love you.", ":q")
    assert seqtui.load("en-fr", beam=1).translate(":I love you.") in output
    assert "unknown command" not in output


def test_from_a_pipe_every_line_is_text_to_translate():
    lines = [":q", ":help", "Go."]
    result = runner.invoke(app, ["repl", "--plain", *GREEDY], input="".join(f"{line}\n" for line in lines))
    assert result.exit_code == 0, result.output
    en_fr = seqtui.load("en-fr", beam=1)
    assert result.stdout.splitlines() == [en_fr.translate(line) for line in lines]


def test_the_escape_is_parsed_once_for_both_repls():
    assert repl_commands.is_command(":q") and not repl_commands.is_command("::q")
    assert repl_commands.sentence_of("::-)") == ":-)" and repl_commands.sentence_of("Go.") == "Go."
