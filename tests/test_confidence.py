"""An answer the model was unsure of is flagged, per sentence: on stderr by translate and repl --plain, and as
`unsure` in their JSON (UNSURE_BELOW, measured by bench/confidence.py)."""

from __future__ import annotations

import json
import math

from typer.testing import CliRunner

from seqtui.cli import app
from seqtui.decode.hypotheses import Hypothesis
from seqtui.decode.text import UNSURE_BELOW, mean_logprob, unsure

runner = CliRunner()
GREEDY = ["--model", "en-fr", "--beam", "1"]
SURE = "Where is the station?"
DOUBTFUL = "Je suis très fatigué ce soir."  # French to an en-fr model: it makes something up


def test_unsure_is_the_mean_log_probability_under_the_threshold():
    """Caught: the total score compared (any long answer unsure), or the comparison turned round."""
    just_above, just_below = math.exp(UNSURE_BELOW + 0.01), math.exp(UNSURE_BELOW - 0.01)
    assert not unsure(Hypothesis("abcdefghij", (just_above,) * 11, True))
    assert unsure(Hypothesis("ab", (just_below,) * 3, True))
    assert mean_logprob(Hypothesis("ab", (just_below,) * 3, True)) < UNSURE_BELOW
    assert not unsure(Hypothesis("", (), False))  # nothing decoded: nothing to doubt


def test_json_flags_the_unsure_sentence_only():
    """Caught: the flag given to the whole text only, or to every sentence alike."""
    done = runner.invoke(app, ["translate", *GREEDY, "--json", f"{SURE} {DOUBTFUL}"])
    out = json.loads(done.stdout)
    assert [p["unsure"] for p in out["sentences"]] == [False, True] and out["unsure"] is True
    alone = json.loads(runner.invoke(app, ["translate", *GREEDY, "--json", SURE]).stdout)
    assert alone["unsure"] is False and alone["sentences"][0]["unsure"] is False


def test_stderr_says_which_sentence_in_one_line():
    """translate and repl --plain: one short line naming the sentence. Caught: no line, or one for a sure answer."""
    for args, given in ((["translate", *GREEDY, f"{SURE} {DOUBTFUL}"], None),
                        (["repl", "--plain", *GREEDY], f"{SURE} {DOUBTFUL}\n")):
        done = runner.invoke(app, args, input=given)
        lines = [line for line in done.stderr.splitlines() if line.startswith("unsure:")]
        assert len(lines) == 1 and "of sentence 2 " in lines[0], done.stderr
    sure = runner.invoke(app, ["translate", *GREEDY, SURE])
    assert sure.exit_code == 0 and "unsure" not in sure.stderr
