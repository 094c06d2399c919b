"""`translate` and `predict` in pipes: stdin when given no text or `-`, stdout for `predict --output -`,
and JSON lines that carry their source sentence."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import seqtui
from seqtui.cli import app
from tests.on_terminal import run_on_terminal

runner = CliRunner()
GREEDY = ["--model", "en-fr", "--beam", "1"]


def _translations(*sentences: str) -> list[str]:
    tr = seqtui.load("en-fr", beam=1)
    return [tr.translate(s) for s in sentences]


def test_a_dash_reads_the_sentences_from_stdin():
    result = runner.invoke(app, ["translate", *GREEDY, "-"], input="I love you.\nGo.\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == _translations("I love you.", "Go.")


def test_no_text_reads_stdin_from_a_pipe():
    result = runner.invoke(app, ["translate", *GREEDY], input="I love you.\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == _translations("I love you.")


def test_a_dash_among_sentences_is_a_usage_error():
    result = runner.invoke(app, ["translate", *GREEDY, "Go.", "-"], input="I love you.\n")
    assert result.exit_code == 2 and "pass it alone" in result.stderr


def test_no_text_on_a_terminal_is_a_one_line_hint():
    session = run_on_terminal(["translate", *GREEDY], timeout=60)
    assert session.code == 2, session.output
    lines = [line for line in session.output.splitlines() if line.strip()]
    assert lines == ['usage: seqtui translate "I love you."  or  echo "I love you." | seqtui translate']


def test_predict_writes_its_tsv_to_stdout_for_a_dash(tmp_path):
    result = runner.invoke(app, ["predict", *GREEDY, "-i", "-", "-o", "-"], input="I love you.\nGo.\n")
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows[0][:2] == ["source", "translation"]
    assert [r[:2] for r in rows[1:]] == [["I love you.", t] for t in _translations("I love you.")] + \
        [["Go.", _translations("Go.")[0]]]
    assert "<stdin> → stdout (2 sentences)" in result.stderr
    assert not (tmp_path / "-").exists()


def test_json_lines_carry_their_source_sentence():
    result = runner.invoke(app, ["translate", *GREEDY, "--json"], input="I love you.\nGo.\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(d["source"], d["text"]) for d in lines] == list(zip(["I love you.", "Go."],
                                                                  _translations("I love you.", "Go."), strict=True))


def test_the_api_gives_the_same_json_as_the_command():
    result = runner.invoke(app, ["translate", *GREEDY, "--json", "--nbest", "2", "Go."])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == seqtui.load("en-fr", beam=1, nbest=2).to_json("Go.", nbest=True)
    assert printed["source"] == "Go." and len(printed["nbest"]) == 2
