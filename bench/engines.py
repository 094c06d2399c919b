"""The numpy engine's cost per output character on several models, beside a reference model, in one run.

    python bench/engines.py NAME=DIR|en-fr [NAME=DIR ...] [--sentences 100] [--max-len 60] [--repeats 7]

Each model streams greedy translations (chars only, as `seqtui repl` reads them) of the same sentences,
each output cut at --max-len characters (the test block's English sources, lines 8,001-10,000 of
../shared/data/fra-eng/fra.txt, when present, else the sample corpus; its French side for a model
trained --reverse); then beam 4 on a quarter of them. The models take turns in a shuffled order in
every repeat, so a busy spell of the machine falls on all of them alike. Medians, the fastest and
slowest repeat, and the ratio to the first model, which is the reference ("today's speed"). Run it
with OPENBLAS_NUM_THREADS=1 for one-thread figures.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import FRA, machine, table  # noqa: E402
from bench.introspect import ms_per_char, sentences  # noqa: E402


def held_out_pairs() -> list[tuple[str, str]]:
    """(English, French) of the test block, lines 8,001-10,000, or nothing without ../shared."""
    if not FRA.is_file():
        return []
    lines = FRA.read_text(encoding="utf-8").splitlines()[8000:10000]
    return [(parts[0], parts[1]) for parts in (line.split("\t") for line in lines) if len(parts) > 1]


def describe(engine: Any) -> str:
    w = engine.w
    parts = ["attention" if engine.attention else "seq2seq", f"latent {w.latent_dim}"]
    if w.bidirectional:
        parts.append("bilstm")
    if w.layers > 1:
        parts.append(f"{w.layers} layers" + (" + residual" if w.residual else ""))
    return ", ".join(parts)


def parameters(w: Any) -> int:
    """How many numbers the engine multiplies with (embeddings, every LSTM, the output and attention layers)."""
    cells = [cell for layer in w.encoder for cell in layer] + list(w.decoder)
    arrays = [w.enc_embed, w.dec_embed, w.out_kernel, w.out_bias, w.combine_kernel, w.combine_bias]
    arrays += [a for cell in cells for a in (cell.kernel, cell.recurrent, cell.bias)]
    return sum(int(a.size) for a in arrays if a is not None)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="+", help="NAME=DIR (or a bare en-fr / DIR); the first is the reference")
    p.add_argument("--sentences", type=int, default=100)
    p.add_argument("--max-len", type=int, default=60)
    p.add_argument("--repeats", type=int, default=7)
    a = p.parse_args()

    from seqtui.decode.decoding import Settings
    from seqtui.store import bundle, catalog

    engines: dict[str, Any] = {}
    inputs: dict[str, list[str]] = {}
    pairs = held_out_pairs()[: a.sentences]  # one read of the corpus for both sides
    english = [source for source, _ in pairs] or sentences(a.sentences)
    french = [target for _, target in pairs]
    for spec in a.models:
        name, _, where = spec.partition("=") if "=" in spec else ("", "", spec)
        name = name or where
        if name in engines:
            p.error(f"two models are named {name!r}")
        b = bundle.load(catalog.choose(Path("models/none"), where).path)
        engines[name] = b.engine()
        reverse = b.meta.config.reverse  # a French->English model reads French
        inputs[name] = french if reverse and french else english

    def plain(engine: Any, settings: Settings) -> Callable[[str], int]:
        return lambda t: sum(1 for _ in engine.decode_stream(t, settings))

    runs: dict[str, tuple[Callable[[str], int], list[str]]] = {}
    for name, engine in engines.items():
        runs[f"greedy|{name}"] = (plain(engine, Settings(max_len=a.max_len)), inputs[name])
    for name, engine in engines.items():
        runs[f"beam 4|{name}"] = (plain(engine, Settings(beam=4, max_len=a.max_len)),
                                  inputs[name][: max(1, len(inputs[name]) // 4)])
    ms = ms_per_char(runs, a.repeats)
    first = next(iter(engines))
    rows = []
    for key, (m, lo, hi) in ms.items():
        kind, name = key.split("|", 1)
        ref = ms[f"{kind}|{first}"][0]
        rows.append((kind, name, describe(engines[name]), f"{parameters(engines[name].w):,}", f"{m:.3f}",
                     f"{lo:.3f}–{hi:.3f}", f"{m / ref:.2f}×"))
    n = len(english)
    print(f"{machine()}; {n} sentences greedy, {max(1, n // 4)} beam 4 (French ones for a French->English model), "
          f"outputs cut at {a.max_len} characters; median of {a.repeats}\n")
    print(table(rows, ("decoding", "model", "architecture", "parameters", "ms per character (median)",
                       "fastest–slowest", f"against {first}")))


if __name__ == "__main__":
    main()
