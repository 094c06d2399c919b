"""The bounds of decoding: each decode setting's range, the same from a flag, a REPL command, the config and
the Python API, with every value inside it decoding; and how much of an input is read (a sentence up to what
the model can use, a whole input up to MAX_INPUT_CHARS, a corpus side skipped before it is normalised, the
first screen's count of pairs)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from textual.widgets import Input, Static
from tui_fakes import tiny_config
from tui_pilot import until
from typer.testing import CliRunner

import seqtui
from seqtui import config
from seqtui.cli import app
from seqtui.data import corpus as data
from seqtui.decode import limits
from seqtui.decode.decoding import Engine
from seqtui.decode.network import Network
from seqtui.decode.settings import BOUNDS, MAX_PREFIX, Asked, SettingError, Settings, settings_for
from seqtui.errors import ConfigError, SeqtuiError
from seqtui.tui.app import make_app
from seqtui.tui.messages import TranslateRequest, TranslationEnded
from seqtui.tui.repl import repl_commands
from seqtui.tui.repl.transcript import Transcript
from seqtui.tui.training import run_settings

runner = CliRunner()
SENTENCE = "I am hungry."
LONG_LINE = "I am here, " * 9091  # 100,001 characters, one sentence

# Just outside each flag's range, both sides.
OUTSIDE = [("--beam", "0"), ("--beam", str(config.MAX_BEAM + 1)), ("--nbest", "0"),
           ("--nbest", str(config.MAX_BEAM + 1)), ("--temperature", "-0.001"), ("--temperature", "10.001"),
           ("--temperature", "1e400"), ("--length-penalty", "-0.5"), ("--length-penalty", "1000"),
           ("--max-len", "-1"), ("--max-len", str(config.MAX_OUTPUT_LEN + 1)), ("--seed", "-1"),
           ("--seed", str(2**32)), ("--prefix", "a" * (MAX_PREFIX + 1))]


@pytest.fixture(scope="module")
def shipped() -> seqtui.Translator:
    return seqtui.load("en-fr")


@pytest.fixture
def encoded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of every source the real network encodes while the test runs."""
    lengths: list[int] = []
    real = Network.encode_batch

    def recording(self: Network, id_rows: list) -> tuple:
        lengths.extend(len(row) for row in id_rows)
        return real(self, id_rows)

    monkeypatch.setattr(Network, "encode_batch", recording)
    return lengths


def one_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    return lines[0]


# -- decode settings: one range, everywhere ----------------------------------------------------------


@pytest.mark.parametrize(("flag", "value"), OUTSIDE, ids=[f"{f} {v[:12]}" for f, v in OUTSIDE])
def test_a_translate_flag_outside_its_range_is_one_usage_line(flag: str, value: str) -> None:
    result = runner.invoke(app, ["translate", "--model", "en-fr", flag, value, SENTENCE])
    assert result.exit_code == 2 and result.stdout == ""
    line = one_line(result.stderr)
    assert line.startswith(f"error: Invalid value for '{flag}': ") and "translate --help lists the options)" in line
    assert any(reason in line for reason in ("must be at least", "must be at most", "expected a finite number"))


@pytest.mark.parametrize("command", [["repl", "--plain"], ["predict", "-i", "-"]])
@pytest.mark.parametrize(("flag", "value"), [("--length-penalty", "1000"), ("--temperature", "11"),
                                             ("--beam", "257"), ("--nbest", "257")])
def test_repl_plain_and_predict_bound_the_same_flags(command: list[str], flag: str, value: str) -> None:
    result = runner.invoke(app, [*command, "--model", "en-fr", flag, value], input="Go.\n")
    assert result.exit_code == 2
    assert f"Invalid value for '{flag}': must be at most" in one_line(result.stderr)


def test_the_config_file_and_the_generated_flags_keep_the_same_ranges(tmp_path: Path) -> None:
    toml = tmp_path / "seq.toml"
    toml.write_text("[decoding]\nlength_penalty = 1000\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="length_penalty: must be at most 10"):
        config.load(toml)
    from_file = runner.invoke(app, ["translate", "--config", str(toml), "--model", "en-fr", SENTENCE])
    assert from_file.exit_code == 1 and "length_penalty: must be at most 10" in one_line(from_file.stderr)
    train = runner.invoke(app, ["train", "--temperature", "11", "--model-dir", str(tmp_path / "m")])
    assert train.exit_code == 2 and "Invalid value for '--temperature'" in one_line(train.stderr)
    assert (BOUNDS["temperature"].high, BOUNDS["length_penalty"].high) == (config.MAX_TEMPERATURE,
                                                                           config.MAX_LENGTH_PENALTY) == (10, 10)


@pytest.mark.parametrize(("command", "message"), [
    (":lp 1000", "length penalty: must be at most 10, got 1000"),
    (":lp -0.1", "length penalty: must be at least 0, got -0.1"),
    (":temp 11", "temperature: must be at most 10, got 11"),
    (":temp inf", "temperature: expected a finite number, got inf"),
    (":beam 257", "beam width: must be at most 256, got 257"),
    (":nbest 0", "n-best size: must be at least 1, got 0"),
    (":seed -1", "seed: must be at least 0, got -1"),
    (":beam 2.5", "beam width: expected a number, got '2.5'"),
])
def test_a_repl_command_outside_its_range_says_so_and_keeps_the_settings(command: str, message: str) -> None:
    state = repl_commands.ReplState(Settings(beam=3, length_penalty=0.5, temperature=0.2, seed=4))
    outcome = repl_commands.run(command, state)
    assert outcome.error and outcome.feedback == message and "\n" not in outcome.feedback
    assert outcome.state == state


def test_repl_commands_at_the_edges_of_the_ranges_are_taken() -> None:
    state = repl_commands.ReplState(Settings())
    for command, field, value in [(":lp 10", "length_penalty", 10.0), (":lp 0", "length_penalty", 0.0),
                                  (":temp 10", "temperature", 10.0), (":temp 5e-324", "temperature", 5e-324),
                                  (":beam 256", "beam", 256), (":nbest 256", "nbest", 256),
                                  (":seed 4294967295", "seed", 2**32 - 1)]:
        outcome = repl_commands.run(command, state)
        assert not outcome.error and getattr(outcome.state.settings, field) == value, command


async def test_the_full_screen_repl_refuses_a_length_penalty_out_of_range() -> None:
    """`:lp 1000` typed at the REPL is one red line; the status line keeps the settings it had."""
    from tui_fakes import FakeEngine
    from tui_pilot import type_line

    from seqtui.tui.repl.repl_pane import ReplPane

    app_ = make_app(tiny_config(model_dir=Path("/nonexistent/models")), mode="repl",
                    load_engine=lambda _: FakeEngine())
    async with app_.run_test(size=(120, 40)) as pilot:
        pane = app_.screen.query_one(ReplPane)
        await until(pilot, lambda: len(pane.query_one(Transcript).children) >= 1, what="the model note")
        await type_line(pilot, ":lp 1000")
        note = pane.query_one(Transcript).query(Static).last()
        assert "length penalty: must be at most 10, got 1000" in str(note.render())
        assert pane.state.settings.length_penalty == 1.0


def test_the_api_raises_a_setting_error_that_is_a_value_error_too(shipped: seqtui.Translator) -> None:
    for settings, message in [({"length_penalty": 1000}, "length penalty: must be at most 10, got 1000"),
                              ({"temperature": math.nan}, "temperature: expected a finite number, got nan"),
                              ({"beam": True}, "beam width: expected a whole number, got True"),
                              ({"beam": 2.0}, "beam width: expected a whole number, got 2.0"),
                              ({"prefix": 7}, "prefix: expected text, got 7")]:
        with pytest.raises(SettingError) as raised:
            seqtui.load("en-fr", **settings)
        assert str(raised.value) == message
        assert isinstance(raised.value, ValueError) and isinstance(raised.value, SeqtuiError)
    tr = seqtui.load("en-fr")
    tr.settings.beam = config.MAX_BEAM + 1  # set after the settings were made: the engine checks again
    with pytest.raises(SettingError, match="beam width: must be at most 256, got 257"):
        tr.translate(SENTENCE)
    with pytest.raises(SettingError):
        settings_for(config.Config(), Asked(length_penalty=-1))


@pytest.mark.parametrize("settings", [
    Settings(beam=2, length_penalty=config.MAX_LENGTH_PENALTY), Settings(beam=2, length_penalty=0.0),
    Settings(temperature=config.MAX_TEMPERATURE, seed=2**32 - 1), Settings(temperature=5e-324, seed=0),
    Settings(temperature=1e-320, seed=1), Settings(beam=config.MAX_BEAM), Settings(nbest=config.MAX_BEAM),
    Settings(max_len=config.MAX_OUTPUT_LEN), Settings(max_len=1, beam=3),
], ids=repr)
def test_values_at_the_edges_of_the_ranges_decode(shipped: seqtui.Translator, settings: Settings) -> None:
    result = shipped.engine.decode(SENTENCE, settings)
    assert result.best.text and all(0 < p <= 1 for p in result.best.probs)
    assert all(math.isfinite(h.score) and math.isfinite(h.normalized) for h in result.nbest)
    if settings.temperature and settings.temperature < 1e-300:  # as good as greedy, not nan
        assert result.best.text == shipped.engine.decode(SENTENCE).best.text


def test_a_prefix_as_long_as_allowed_is_fed_whole(shipped: seqtui.Translator) -> None:
    prefix = "a" * MAX_PREFIX
    result = shipped.engine.decode(SENTENCE, Settings(prefix=prefix, max_len=1))
    assert result.best.text.startswith(prefix) and len(result.best.probs) >= MAX_PREFIX


def test_edge_values_decode_from_the_command_line_too() -> None:
    result = runner.invoke(app, ["translate", "--model", "en-fr", "--beam", "2", "--length-penalty", "10",
                                 "--temperature", "1e-320", SENTENCE])
    assert result.exit_code == 0 and result.stdout.strip()


# -- how much of an input is read ---------------------------------------------------------------------


def test_a_sentence_is_never_cut_under_200_characters_whatever_the_model() -> None:
    for longest in (0, 1, 30, 50, 76, 1000, 10**9):
        assert limits.MIN_SOURCE_CHARS <= limits.source_limit(longest) <= limits.MAX_INPUT_CHARS
    assert limits.source_limit(76) == 304 and limits.source_limit(30) == limits.MIN_SOURCE_CHARS == 200


@pytest.mark.parametrize("length", [31, 80, 200, 312])
def test_a_sentence_within_the_limit_is_read_whole(shipped: seqtui.Translator, length: int) -> None:
    text = ("I saw a cat in the garden, " * 20)[:length]
    result = shipped.engine.decode(text)
    assert not result.cut and result.read == result.given == length
    assert result.source == shipped.engine.normalize(text) and not shipped.cut(text)
    limit = shipped.engine.source_limit  # 4x the longest source it was trained on, at least 200
    assert shipped.engine.decode(text + "x").cut is (length == limit)  # one more than the limit is too many


def test_a_100_kb_line_to_predict_is_cut_before_it_is_encoded(tmp_path: Path, shipped: seqtui.Translator,
                                                             encoded: list[int]) -> None:
    result = runner.invoke(app, ["predict", "--model", "en-fr", "--beam", "1", "-i", "-", "-o", str(tmp_path)],
                           input=f"Go.\n{LONG_LINE}\n")
    assert result.exit_code == 0
    limit = shipped.engine.source_limit
    assert sorted(encoded) == [len(shipped.engine.source_of("Go.")), len(shipped.engine.source_of(LONG_LINE))]
    # the limit's characters, plus the final mark normalising may add
    assert max(encoded) <= limit + 1 and limit == limits.source_limit(shipped.longest_sentence)
    assert (f"warning: <stdin>: 1 sentence cut to the first {limit} characters (this model reads at most "
            f"{limit} characters of a sentence") in " ".join(result.stderr.split())
    (tsv,) = tmp_path.glob("stdin_*.tsv")
    rows = tsv.read_text(encoding="utf-8").splitlines()[1:]
    assert [len(r.split("\t")[0]) for r in rows] == [3, limits.MAX_INPUT_CHARS]  # the whole-input cap


def test_a_100_kb_argument_to_translate_is_cut_and_said_so(encoded: list[int], shipped: seqtui.Translator,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    handed: list[int] = []  # what the engine is given: the whole input, taken up to MAX_INPUT_CHARS
    real = Engine.stream
    monkeypatch.setattr(Engine, "stream", lambda self, text, s=None: handed.append(len(text)) or real(self, text, s))
    result = runner.invoke(app, ["translate", "--model", "en-fr", "--beam", "4", LONG_LINE])
    assert result.exit_code == 0 and result.stdout.strip()
    limit = shipped.engine.source_limit
    assert f"warning: the input is 100,001 characters; only its first {limit} are translated" in result.stderr
    assert handed == [limits.MAX_INPUT_CHARS] and encoded == [len(shipped.engine.source_of(LONG_LINE))]
    assert encoded[0] <= limit + 1  # the limit's characters, plus the final mark normalising may add


def test_the_engine_reports_the_cut_on_every_way_of_translating(shipped: seqtui.Translator) -> None:
    engine = shipped.engine
    limit = engine.source_limit
    for settings in (Settings(), Settings(beam=3), Settings(temperature=0.5, seed=1)):
        result = engine.decode(LONG_LINE, settings)
        assert result.cut and (result.read, result.given) == (limit, len(LONG_LINE))
        assert result.source == engine.normalize(LONG_LINE[:limit])
    unread = "☃" + "a" * (limit + 100) + "☃"
    assert [u.position for u in engine.unknown(unread)] == [0]  # the unread part is not looked at
    batch = engine.translate_batch([LONG_LINE, LONG_LINE[:limit]])
    assert batch[0] == batch[1]  # the same characters read
    assert len(engine.source_of("…" * (limit + 100))) == 3 * limit  # normalising lengthens … to ..., at most 3x


async def test_a_cut_line_in_the_repl_gets_a_note() -> None:
    """The full-screen REPL on the shipped model: a 323-character line is translated from its first 312 (4x the
    longest sentence the shipped en-fr was trained on)."""
    app_ = make_app(tiny_config(model_dir=Path("/nonexistent/models")), mode="repl")
    messages: list = []
    async with app_.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        transcript = app_.screen.query_one(Transcript)
        await until(pilot, lambda: len(transcript.children) >= 1, what="the model note")
        app_.screen.query_one("#repl-input", Input).value = "I saw a cat in the garden, " * 12  # stripped: 323
        await pilot.press("enter")
        await until(pilot, lambda: any(isinstance(m, TranslationEnded) for m in messages), what="the end")
        await pilot.pause()
        text = " ".join(str(transcript.query(Static).last().render()).split())
        limit = seqtui.load("en-fr").engine.source_limit
        assert f"only the first {limit} of 323 characters translated" in text


async def test_a_line_pasted_into_the_repl_is_taken_up_to_the_whole_input_cap() -> None:
    from tui_fakes import FakeEngine

    app_ = make_app(tiny_config(model_dir=Path("/nonexistent/models")), mode="repl",
                    load_engine=lambda _: FakeEngine())
    messages: list = []
    async with app_.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        app_.screen.query_one("#repl-input", Input).value = "a" * (limits.MAX_INPUT_CHARS + 500)
        await pilot.press("enter")
        await until(pilot, lambda: any(isinstance(m, TranslateRequest) for m in messages), what="the request")
        assert {len(m.text) for m in messages if isinstance(m, TranslateRequest)} == {limits.MAX_INPUT_CHARS}


# -- corpus sides and the first screen's count ----------------------------------------------------------


def test_a_million_character_corpus_side_is_skipped_without_being_normalised(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = data.normalize

    def counting(text: str, known: object = None) -> str:
        seen.append(len(text))
        return real(text, known)  # type: ignore[arg-type]

    monkeypatch.setattr(data, "normalize", counting)
    spaced = "a" + " " * 1400 + "b"  # over 1,000 as written, "a b" once normalised: still read
    path = tmp_path / "c.txt"
    path.write_text(f"Go.\tVa !\n{'x' * 1_000_000}\tJunk.\nHi.\t{'y' * 1_000_000}\n{spaced}\tAb.\n",
                    encoding="utf-8")
    corpus = data.read_corpus(path)
    assert corpus.pairs == [("Go.", "Va !"), ("a b", "Ab.")]
    assert [(s.line, s.reason) for s in corpus.skipped] == [(2, "longer than 1000 characters"),
                                                            (3, "longer than 1000 characters")]
    assert max(seen) == len(spaced) <= data.MAX_RAW_SIDE_CHARS


def test_a_corpus_read_with_a_limit_reads_no_further(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_bytes(b"Go.\tVa !\n" * 150 + b"\xff\tbad\n")
    assert len(data.read_corpus(path, limit=150).pairs) == 150  # the bad byte after them is never decoded
    with pytest.raises(SeqtuiError, match=r"c.txt:151: bytes that are not UTF-8 \(byte 1350\)"):
        data.read_corpus(path)


def test_the_first_screen_counts_a_big_corpus_only_up_to_its_bound(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"Go.\tVa !\n" * (run_settings.COUNTED_PAIRS + 50) + b"\xff\tbad\n")
    everything = tiny_config(train_dir=path, num_samples=0)
    assert run_settings.corpus_pairs(everything) == f"over {run_settings.COUNTED_PAIRS:,}"
    some = tiny_config(train_dir=path, num_samples=100)
    assert run_settings.corpus_pairs(some) == "80 train + 20 val (num_samples 100)"
    path.write_bytes(b"Go.\tVa !\n" * 30)
    assert run_settings.corpus_pairs(everything) == "24 train + 6 val"
