"""Looking behind the one-best string: scores, per-character probabilities, n-best lists, attention,
forced prefixes, and the `--json` contract of `translate` and `repl --plain`."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from seqtui.cli import app
from seqtui.data.vocab import END, START, UNK
from seqtui.decode.decoding import UNWRITABLE, Hypothesis, PrefixError, Settings, normalize, split_prefix
from seqtui.store import bundle, catalog

runner = CliRunner()
SHIPPED = catalog.SHIPPED_ROOT / catalog.DEFAULT  # a real attention model, committed with the package
SENTENCES = ["We're too busy.", "I'm hungry.", "Tom is reading a book.", "Where is the station?", "Go.",
             "She didn't want to tell him what had happened yesterday."]


@pytest.fixture(scope="module")
def shipped():
    return bundle.load(SHIPPED).engine()


def keras_probabilities(model_dir, engine, text, ids):
    """The Keras model's next-character probabilities along `ids` (teacher forcing)."""
    from seqtui.model.backend import import_keras

    model = import_keras().saving.load_model(model_dir / "model.keras")
    enc = engine.source.encode(text)[None, :]
    dec = np.array([[START] + ids[:-1]], dtype=np.int32)
    return np.asarray(model([enc, dec], training=False))[0]


def test_greedy_probs_are_the_keras_models_and_score_is_their_log_sum(attention_bundle):
    """Catches: probabilities of the wrong id, an off-by-one between characters and steps, a score that
    leaves out the end symbol or is not a natural log."""
    engine = bundle.load(attention_bundle).engine()
    for text in ["Go.", "I see.", "Be calm.", "Thanks."]:
        best = engine.decode(text).best
        ids = [int(i) for i in engine.target.encode(best.text)] + ([END] if best.ended else [])
        assert len(best.probs) == len(best.text) + best.ended
        ref = keras_probabilities(attention_bundle, engine, text, ids)
        expected = [max(float(ref[k, i]), 1e-30) for k, i in enumerate(ids)]
        assert np.allclose(best.probs, expected, atol=1e-5), text
        assert math.isclose(best.score, float(np.log(np.asarray(best.probs, np.float64)).sum()))


def test_a_stream_yields_the_pieces_its_result_holds(shipped):
    """Catches: streamed characters or probabilities that differ from the reported hypothesis."""
    for settings in (Settings(), Settings(beam=4), Settings(temperature=0.8, seed=3)):
        stream = shipped.stream("I'm hungry.", settings)
        pieces = list(stream)
        best = stream.result.best
        assert "".join(p.char for p in pieces) == best.text and tuple(p.prob for p in pieces) == best.probs
        assert best.ended and pieces[-1].end and len(best.probs) == len(best.text) + 1


def test_nbest_is_distinct_sorted_and_led_by_the_beam_result(shipped):
    """Catches: duplicate hypotheses, an unsorted list, a first entry other than what --beam prints, a
    `normalized` that is not score / length ** length_penalty."""
    for text in SENTENCES:
        for lp in (1.0, 0.5, 0.0):
            result = shipped.decode(text, Settings(beam=4, nbest=4, length_penalty=lp))
            texts = [h.text for h in result.nbest]
            assert len(texts) == 4 and len(set(texts)) == 4, texts
            ranks = [h.normalized for h in result.nbest]
            assert ranks == sorted(ranks, reverse=True)
            beam = "".join(shipped.decode_stream(text, Settings(beam=4, length_penalty=lp)))
            assert texts[0] == beam
            for h in result.nbest:
                assert math.isclose(h.normalized, h.score / len(h.probs) ** lp)


def test_nbest_widens_the_beam_to_n(shipped):
    """Catches: --nbest 6 with beam 1 returning fewer than six, or searching greedily."""
    result = shipped.decode("We're too busy.", Settings(beam=1, nbest=6))
    assert len({h.text for h in result.nbest}) == 6


def test_length_penalty_zero_prefers_short_outputs_over_mean_ranking(shipped):
    """Catches: a length penalty that is ignored (rankings identical whatever its value)."""
    changed = 0
    for text in SENTENCES:
        mean = shipped.decode(text, Settings(beam=6, nbest=6, length_penalty=1.0)).nbest
        total = shipped.decode(text, Settings(beam=6, nbest=6, length_penalty=0.0)).nbest
        assert [h.score for h in total] == sorted((h.score for h in total), reverse=True)
        changed += [h.text for h in mean] != [h.text for h in total]
    assert changed, "rankings by mean and by total log-probability never differed"
    assert normalize(-6.0, 3, 1.0) == -2.0 and normalize(-6.0, 3, 0.0) == -6.0


def test_attention_rows_sum_to_one_and_the_alignment_indexes_the_source(shipped):
    """Catches: attention over padding or the wrong axis, an alignment longer than the output or
    pointing past the source."""
    for text in SENTENCES:
        for settings in (Settings(), Settings(beam=4)):
            best = shipped.decode(text, settings).best
            assert best.attention.shape == (len(best.probs), len(text))
            assert np.allclose(best.attention.sum(axis=1), 1.0, atol=1e-5)
            align = best.alignment()
            assert len(align) == len(best.text) and all(0 <= i < len(text) for i in align)
            assert align == [int(i) for i in best.attention[: len(best.text)].argmax(axis=1)]


def test_seq2seq_models_report_no_attention(trained_bundle):
    best = bundle.load(trained_bundle).engine().decode("Go.").best
    assert best.attention is None and best.alignment() == []


def test_a_forced_prefix_is_kept_verbatim_and_scored_as_the_model_would(shipped):
    """Catches: a prefix dropped or re-decoded, and prefix probabilities that differ from the model's own
    (forcing the start of the greedy output must reproduce the greedy probabilities exactly)."""
    free = shipped.decode("I'm hungry.").best
    for k in (1, 4, len(free.text)):
        forced = shipped.decode("I'm hungry.", Settings(prefix=free.text[:k])).best
        assert forced.text == free.text and np.allclose(forced.probs, free.probs, atol=1e-7)
    for settings in (Settings(prefix="Je suis"), Settings(prefix="Je suis", beam=4, nbest=3)):
        result = shipped.decode("I'm hungry.", settings)
        assert all(h.text.startswith("Je suis") for h in result.nbest)


def test_an_impossible_prefix_is_reported_before_decoding(shipped):
    """Catches: a crash (KeyError, IndexError) or a silently dropped character instead of an error."""
    with pytest.raises(PrefixError, match="never writes '€' at 2"):
        shipped.stream("I'm hungry.", Settings(prefix="J'€"))


def test_ids_nothing_was_trained_to_write_are_never_chosen(trained_bundle):
    """Catches: an output id (unknown, start, pad) that prints as nothing, leaving probs longer than text."""
    engine = bundle.load(trained_bundle).engine()
    bias = engine.w.out_bias.copy()
    bias[UNK] += 50.0  # the model now rates <unk> far above any character
    engine.w = dataclasses.replace(engine.w, out_bias=bias)
    for settings in (Settings(max_len=12), Settings(beam=3, nbest=3, max_len=12)):
        for h in engine.decode("Go.", settings).nbest:
            assert len(h.probs) == len(h.text) + h.ended and all(p < 0.5 for p in h.probs[:3])
    assert engine.translate_batch(["Go."], max_len=12) == ["".join(engine.decode_stream("Go.", Settings(max_len=12)))]
    assert UNK in UNWRITABLE


def test_split_prefix():
    assert split_prefix("I'm hungry. => J'ai") == ("I'm hungry.", "J'ai")
    assert split_prefix("a => b => c") == ("a => b", "c")
    assert split_prefix("I'm hungry.") == ("I'm hungry.", "")
    assert split_prefix("Go.=>Va") == ("Go.", "Va")


def test_hypothesis_of_no_pieces_is_empty():
    h = Hypothesis.of([], 1.0)
    assert (h.text, h.probs, h.ended, h.score) == ("", (), False, 0.0)


# -- the command line -----------------------------------------------------------------------------


def check_contract(obj: dict, source: str, nbest: int = 0, align: bool = False) -> None:
    assert set(obj) >= {"text", "score", "probs", "unknown", "ended"}
    assert len(obj["probs"]) == len(obj["text"]) + obj["ended"]
    assert math.isclose(obj["score"], sum(math.log(p) for p in obj["probs"]), rel_tol=1e-9, abs_tol=1e-9)
    assert obj["unknown"] == [{"char": c, "position": i} for i, c in enumerate(source) if c not in KNOWN]
    if nbest:
        texts = [h["text"] for h in obj["nbest"]]
        assert texts[0] == obj["text"] and len(set(texts)) == len(texts) == nbest
        ranks = [h["normalized"] for h in obj["nbest"]]
        assert ranks == sorted(ranks, reverse=True)
    if align:
        assert len(obj["alignment"]) == len(obj["text"]) and all(0 <= i < len(source) for i in obj["alignment"])


KNOWN = set(bundle.load(SHIPPED).engine().source.chars)


def test_translate_json_nbest_align_prints_the_contract():
    """docs/decoder.md's example command: one JSON object with text, score, probs, unknown, nbest, alignment."""
    result = runner.invoke(app, ["translate", "--model", "en-fr", "--json", "--nbest", "3", "--align",
                                 "We're too busy."])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    check_contract(json.loads(lines[0]), "We're too busy.", nbest=3, align=True)


def test_json_lines_parse_for_hostile_input():
    """Control characters, a bidi override, emoji and a 10,000-character line: every line parses, nothing
    unsafe reaches stdout raw, and `unknown` names the characters the model never saw."""
    hostile = ["\x1b[31mred\x1b[0m\x07", "a\u202eb\x7f\x9b", "😀 I'm 🙂 hungry.", "Go. " * 2500]
    result = runner.invoke(app, ["repl", "--plain", "--json", "--model", "en-fr", "--max-len", "40"],
                           input="\n".join(hostile) + "\n")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(hostile)
    for line, source in zip(lines, hostile, strict=True):
        assert not any(c in line for c in "\x1b\x07\x7f\x9b\u202e")
        check_contract(json.loads(line), source)


def test_translate_nbest_and_align_on_a_terminal_show_the_list_and_the_heatmap():
    result = runner.invoke(app, ["translate", "--model", "en-fr", "--nbest", "2", "--align", "Go."])
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    assert out[1].startswith("1. " + out[0]) and out[2].startswith("2. ")
    assert "most attended" in result.stdout and "●" in result.stdout


def test_align_needs_an_attention_model(trained_bundle):
    result = runner.invoke(app, ["translate", "--model-dir", str(trained_bundle), "--align", "Go."])
    assert result.exit_code == 1 and "--align needs an attention model" in result.stderr
    assert "Traceback" not in result.output


def test_an_impossible_prefix_is_one_error_line_not_a_traceback():
    result = runner.invoke(app, ["translate", "--model", "en-fr", "--prefix", "J'€", "I'm hungry."])
    assert result.exit_code == 1 and "never writes '€'" in result.stderr and result.stdout == ""
    assert "Traceback" not in result.output


def test_repl_plain_forces_a_prefix_per_line_and_goes_on_after_an_impossible_one():
    result = runner.invoke(app, ["repl", "--plain", "--json", "--model", "en-fr"],
                           input="I'm hungry. => Je suis\nGo. => €\nGo.\n")
    assert result.exit_code == 0, result.output
    first, bad, last = (json.loads(line) for line in result.stdout.splitlines())
    assert first["text"].startswith("Je suis") and "never writes '€'" in bad["error"] and last["text"]


def test_predict_nbest_writes_the_extra_columns(tmp_path):
    (tmp_path / "in.txt").write_text("Go.\nI'm hungry.\n", encoding="utf-8")
    result = runner.invoke(app, ["predict", "--model", "en-fr", "--nbest", "3", "-i", str(tmp_path / "in.txt"),
                                 "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    rows = [r.split("\t") for r in next((tmp_path / "out").iterdir()).read_text(encoding="utf-8").splitlines()]
    assert rows[0] == ["source", "translation", "translation_2", "translation_3", "score_1", "score_2", "score_3",
                       "model"]
    for row in rows[1:]:
        assert len(row) == 8 and len({row[1], row[2], row[3]}) == 3 and row[7].startswith("the shipped en-fr")
        scores = [float(x) for x in row[4:7]]
        assert scores == sorted(scores, reverse=True)


def test_the_api_opens_a_shipped_model_by_name(tmp_path, monkeypatch):
    """Catches: docs/python-api.md's `seqtui.load("en-fr")` failing; a user's folder named en-fr not preferred."""
    import seqtui

    monkeypatch.chdir(tmp_path)
    assert seqtui.load("en-fr").engine.w.latent_dim == bundle.load(SHIPPED).engine().w.latent_dim
    (tmp_path / "en-fr").mkdir()  # the user's own folder of that name wins (and holds no model)
    with pytest.raises(bundle.BundleError):
        seqtui.load("en-fr")


def test_the_heatmap_fits_its_width_and_escapes_the_source(shipped):
    """Catches: rows wider than the pane, a lost argmax when columns are pooled, control characters
    or wide characters drawn raw in the one-cell header."""
    from seqtui.decode.heatmap import LABEL_WIDTH, attention_map

    source = "The \x1b[31mcat\x1b[0m 😀 sat on the mat, and then it went to sleep by the warm fire."
    best = shipped.decode(source).best
    for width in (30, 60, 200):
        lines = str(attention_map(source, best, width)).splitlines()
        grid = lines[: 1 + len(best.probs)]
        per = -(-len(source) // (width - LABEL_WIDTH))
        assert all(len(row) == LABEL_WIDTH + -(-len(source) // per) <= width for row in grid)
        assert all(row[LABEL_WIDTH:].count("●") == 1 for row in grid[1:])
        assert "\x1b" not in "".join(lines) and "😀" not in grid[0]
        assert (f"({per} source characters a column)" in lines[-1]) == (per > 1)
    pooled = str(attention_map(source, best, 30)).splitlines()[1:1 + len(best.probs)]
    per = -(-len(source) // (30 - LABEL_WIDTH))
    assert per > 1
    for row, weights in zip(pooled, best.attention, strict=True):  # the marked column holds the row's argmax
        assert row[LABEL_WIDTH:].index("●") == int(weights.argmax()) // per


def test_nbest_stays_sorted_and_led_by_the_beam_result_when_the_length_limit_cuts(shipped):
    """Catches: cut-off hypotheses appended after the ended ones out of order (the review found
    'Vous êtes bienvenue.' cut at 20 characters ranked above the ended ones but listed last)."""
    for text in ["You're welcome.", "Do you know why?", "He made her cry.", "I'm hungry."]:
        result = shipped.decode(text, Settings(beam=3, nbest=3, max_len=20))
        ranks = [h.normalized for h in result.nbest]
        assert ranks == sorted(ranks, reverse=True)
        assert result.best.text == "".join(shipped.decode_stream(text, Settings(beam=3, max_len=20)))
        ended = [h.ended for h in result.nbest]
        assert all(ended) or not any(ended)  # cut-off ones only when nothing ended


def test_a_prefix_longer_than_the_length_limit_is_kept_whole(shipped):
    best = shipped.decode("I'm hungry.", Settings(prefix="J'ai très faim", max_len=3)).best
    assert best.text == "J'ai très faim" and not best.ended and len(best.probs) == len(best.text)


def test_a_prefix_for_an_empty_sentence_is_an_error_not_a_silent_drop(shipped):
    with pytest.raises(PrefixError, match="no sentence"):
        shipped.stream("", Settings(prefix="Je"))
    empty = shipped.decode("").best
    assert (empty.text, empty.probs, empty.ended) == ("", (), False)


def test_translator_pieces_stream_probabilities(tmp_path):
    import seqtui

    tr = seqtui.load("en-fr")
    stream = tr.pieces("Go.")
    pieces = list(stream)
    assert "".join(p.char for p in pieces) == tr.translate("Go.") and pieces[-1].end
    assert [p.prob for p in pieces] == list(stream.result.best.probs)


def test_cli_prefix_length_penalty_and_config_key(tmp_path):
    """Catches: --prefix not reaching the engine, --length-penalty or the config key ignored."""
    forced = runner.invoke(app, ["translate", "--model", "en-fr", "--prefix", "Je suis", "I'm hungry."])
    assert forced.exit_code == 0 and forced.stdout.startswith("Je suis")
    args = ["translate", "--model", "en-fr", "--json", "--nbest", "4", "We're too busy."]
    flag = json.loads(runner.invoke(app, [*args, "--length-penalty", "0"]).stdout)
    cfg = tmp_path / "lp.toml"
    cfg.write_text("[decoding]\nlength_penalty = 0.0\n", encoding="utf-8")
    keyed = json.loads(runner.invoke(app, [*args, "--config", str(cfg)]).stdout)
    for obj in (flag, keyed):
        assert all(h["normalized"] == h["score"] for h in obj["nbest"])  # A = 0: the raw total
    assert flag["nbest"] == keyed["nbest"]
    default = json.loads(runner.invoke(app, args).stdout)
    assert all(math.isclose(h["normalized"], h["score"] / (len(h["text"]) + h["ended"])) for h in default["nbest"])


def test_cli_refuses_what_does_not_combine():
    nbest_sampling = runner.invoke(app, ["translate", "--model", "en-fr", "--nbest", "3", "--temperature", "0.8",
                                         "Go."])
    assert nbest_sampling.exit_code == 2 and "does not combine with sampling" in nbest_sampling.stderr
    full_screen_json = runner.invoke(app, ["repl", "--json", "--model", "en-fr"])
    assert full_screen_json.exit_code == 2 and "go with --plain" in full_screen_json.stderr
    empty_prefix = runner.invoke(app, ["repl", "--plain", "--json", "--model", "en-fr"], input="=> Je\n")
    assert empty_prefix.exit_code == 0 and "no sentence" in json.loads(empty_prefix.stdout)["error"]


def test_repl_plain_align_draws_a_heatmap_per_line_and_json_keeps_emoji_literal():
    drawn = runner.invoke(app, ["repl", "--plain", "--align", "--model", "en-fr"], input="Go.\nI see.\n")
    assert drawn.exit_code == 0 and drawn.stdout.count("most attended") == 2
    emoji = runner.invoke(app, ["repl", "--plain", "--json", "--model", "en-fr"], input="I ❤ you 😀\n")
    line = emoji.stdout.strip()
    assert "😀" in line and "❤" in line and "\\ud83d" not in line  # readable, not \u-escaped
    assert [u["char"] for u in json.loads(line)["unknown"]] == ["❤", "😀"]


def test_repl_commands_lp_nbest_greedy_and_plain():
    from seqtui.tui.repl import repl_commands

    state = repl_commands.ReplState(Settings())
    state = repl_commands.run(":nbest 3", state).state
    assert state.settings.width == 3 and "3-best" in state.describe()
    state = repl_commands.run(":lp 0.5", state).state
    assert state.settings.length_penalty == 0.5 and "length penalty 0.5" in state.describe()
    assert repl_commands.run(":lp nan", state).error and repl_commands.run(":lp -1", state).error
    sampled = repl_commands.run(":temp 0.8", state).state
    assert "beam ignores temperature" in sampled.describe()  # nbest keeps beam search; say so
    greedy = repl_commands.run(":greedy", state).state
    assert greedy.settings.width == 1 and greedy.describe() == "greedy"
    assert repl_commands.run(":plain", state).state.shade is False
    assert repl_commands.run(":align", state).align


def test_the_trainer_hands_each_samples_own_decode_to_the_dashboard(tmp_path, tiny_corpus):
    """Catches: sample heatmaps from a second decode (or none): the decoded hypotheses must be the ones
    whose text the samples show, with attention over each source."""
    from seqtui import config
    from seqtui.train import training
    from tests.conftest import TINY_FLAGS

    seen = []
    cfg = config.load(None, {"train_dir": tiny_corpus, "model_dir": tmp_path / "m", **TINY_FLAGS, "epochs": 1,
                             "architecture": "attention"})
    training.train(cfg, lambda e: seen.append(e) if type(e).__name__ == "EpochEnded" else None)
    (epoch,) = seen
    assert [h.text for h in epoch.decoded] == [hyp for _, _, hyp in epoch.samples] and epoch.samples
    for (source, _, _), h in zip(epoch.samples, epoch.decoded, strict=True):
        assert h.attention.shape == (len(h.probs), len(source))
