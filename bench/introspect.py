"""What looking behind the one-best string costs: milliseconds per output character of greedy streaming
and beam search, plain and with probabilities, attention and n-best, on one model in one run.

The plain figures are the chars-only `decode_stream`. With `--baseline REV` (a git revision, e.g. the
commit before the engine reported probabilities) the engine of that revision is loaded from git and
timed on the same model, sentences and machine in the same run, so "today" and "now" are measured alike.

Sentences: lines 8,001-10,000 of ../shared/data/fra-eng/fra.txt (held out of the shipped model's
training) when present, else the sample corpus in training_files/. Medians of --repeats runs.

usage: python bench/introspect.py [--model en-fr|DIR] [--sentences 200] [--repeats 5] [--baseline REV]
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import FRA, ROOT, machine, median_time, table  # noqa: E402


def sentences(n: int) -> list[str]:
    from seqtui.data import corpus as data

    if FRA.is_file():
        lines = FRA.read_text(encoding="utf-8").splitlines()[8000:10000]
        return [line.split("\t")[0] for line in lines][:n]
    return [source for source, _ in data.read_corpus(ROOT / "training_files").pairs][:n]


def baseline_engine(rev: str, engine: Any) -> Any:
    """The Engine class of `rev`'s seqtui/decoding.py, on `engine`'s weights and vocabularies."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:seqtui/decoding.py"], capture_output=True,
                            text=True, check=True).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location("baseline_decoding", f.name)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module.Engine(_flat_weights(engine.w), engine.source, engine.target, engine.max_len)


def _flat_weights(w: Any) -> Any:
    """A one-layer model's weights under the field names engines before stacked layers read."""
    from types import SimpleNamespace

    if w.layers != 1 or w.bidirectional:
        sys.exit("--baseline needs a one-layer, one-direction model (the engines before had no other)")
    (enc,), dec = w.encoder[0], w.decoder[0]
    return SimpleNamespace(enc_embed=w.enc_embed, enc_kernel=enc.kernel, enc_recurrent=enc.recurrent,
                           enc_bias=enc.bias, dec_embed=w.dec_embed, dec_kernel=dec.kernel,
                           dec_recurrent=dec.recurrent, dec_bias=dec.bias, out_kernel=w.out_kernel,
                           out_bias=w.out_bias, combine_kernel=w.combine_kernel, combine_bias=w.combine_bias,
                           attention=w.attention, latent_dim=w.latent_dim)


def ms_per_char(runs: dict[str, tuple[Callable[[str], int], list[str]]],
                repeats: int) -> dict[str, tuple[float, float, float]]:
    """(median, fastest, slowest) milliseconds per output character of each run (a function returning
    the characters it produced, and its sentences). The runs take turns in a shuffled order in every
    repeat, so a busy spell of the machine falls on all of them alike."""
    chars = {name: sum(run(t) for t in texts) for name, (run, texts) in runs.items()}  # also a warm-up
    times: dict[str, list[float]] = {name: [] for name in runs}
    order, rng = list(runs), random.Random(0)
    for _ in range(repeats):
        rng.shuffle(order)  # a fresh order each repeat: no variant always runs after the same one
        for name in order:
            run, texts = runs[name]
            times[name].append(median_time(lambda run=run, texts=texts: [run(t) for t in texts], 1))
    return {name: (1000 * statistics.median(t) / max(1, chars[name]), 1000 * min(t) / max(1, chars[name]),
                   1000 * max(t) / max(1, chars[name])) for name, t in times.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="en-fr")
    p.add_argument("--sentences", type=int, default=200)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--baseline", default="", help="a git revision whose engine is timed beside this one")
    a = p.parse_args()

    from seqtui.decode.decoding import Settings
    from seqtui.decode.heatmap import attention_map
    from seqtui.store import bundle, catalog

    engine = bundle.load(catalog.choose(Path("models/none"), a.model).path).engine()
    texts = sentences(a.sentences)
    beam_texts = texts[: max(1, len(texts) // 4)]
    greedy, beam4 = Settings(), Settings(beam=4)

    def plain(settings: Settings, eng: Any = engine) -> Callable[[str], int]:
        return lambda t: sum(1 for _ in eng.decode_stream(t, settings))

    def pieces(settings: Settings) -> Callable[[str], int]:
        def run(t: str) -> int:
            stream = engine.stream(t, settings)
            n = sum(1 for p in stream if p.char and p.prob >= 0)  # each piece read, as the REPL reads them
            assert stream.result is not None
            return n
        return run

    def with_map(t: str) -> int:
        best = engine.decode(t).best
        attention_map(t, best, 100)
        return len(best.text)

    runs: dict[str, tuple[Callable[[str], int], list[str]]] = {}
    if a.baseline:
        old = baseline_engine(a.baseline, engine)
        runs[f"greedy stream, {a.baseline}'s engine (chars only)"] = (plain(greedy, old), texts)
    runs["greedy stream, chars only"] = (plain(greedy), texts)
    runs["greedy stream with probabilities and attention"] = (pieces(greedy), texts)
    runs["greedy + attention heatmap drawn"] = (with_map, texts)
    if a.baseline:
        runs[f"beam 4, {a.baseline}'s engine"] = (plain(beam4, old), beam_texts)
    runs["beam 4"] = (plain(beam4), beam_texts)
    runs["beam 4 with the 4-best list and scores"] = (pieces(Settings(beam=4, nbest=4)), beam_texts)
    ms = ms_per_char(runs, a.repeats)
    first = {"greedy": next(v[0] for k, v in ms.items() if k.startswith("greedy")),
             "beam": next(v[0] for k, v in ms.items() if k.startswith("beam"))}
    rows = [(name, f"{m:.4f}", f"{lo:.4f}–{hi:.4f}", f"{m / first[name.split()[0]]:.2f}×")
            for name, (m, lo, hi) in ms.items()]
    print(f"{machine()}; model {a.model} ({'attention' if engine.attention else 'seq2seq'}, latent "
          f"{engine.w.latent_dim}); {len(texts)} sentences greedy, {len(beam_texts)} beam; median of {a.repeats}\n")
    print(table(rows, ("decoding", "ms per output character (median)", "fastest–slowest repeat",
                       "against the first row of its kind")))


if __name__ == "__main__":
    main()
