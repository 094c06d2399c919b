"""Decoding benchmark: seqtui's numpy engine against the reference's per-character `model.predict`.

Trains (or reuses) a latent-256 model on the first --num-samples pairs (at most 8,000, so the held-out
test lines 8,001-10,000 stay unseen) of ../shared/data/fra-eng/fra.txt,
runs the reference implementation in the same run for its per-character cost, and prints a Markdown table.

usage: python bench/decode.py [--model-dir DIR] [--num-samples 10000] [--epochs 3] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import FRA, machine, median_time, require_shared, run_reference, table  # noqa: E402


def train_model(model_dir: Path, num_samples: int, epochs: int) -> None:
    from seqtui import bundle, config, training

    if bundle.exists(model_dir):
        return
    num_samples = min(num_samples, 8000)
    cfg = config.load(None, {"train_dir": FRA, "model_dir": model_dir, "num_samples": num_samples,
                             "epochs": epochs, "latent_dim": 256, "batch_size": 64, "patience": 0})
    print(f"training a latent-256 model on {num_samples} pairs for {epochs} epochs…", file=sys.stderr)
    training.train(cfg, fresh=True)


def cli(*args: str, stdin: str | None = None) -> float:
    """Wall time of one `seqtui` process."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "seqtui", *args], input=stdin, capture_output=True, text=True, check=True)
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model-dir", type=Path, default=Path("/tmp/seqtui-bench-decode"))
    p.add_argument("--num-samples", type=int, default=10000)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--sentences", type=int, default=200)
    a = p.parse_args()
    require_shared()
    train_model(a.model_dir, a.num_samples, a.epochs)

    from seqtui import bundle
    from seqtui.data import read_corpus
    from seqtui.decoding import Settings

    b = bundle.load(a.model_dir)
    engine = b.engine()
    # Lines 8,001-10,000: held out by every model the benchmarks train (the example's own test block).
    held_out = [s for s, _ in read_corpus(FRA, limit=10000).pairs[8000:]]
    sents = held_out[: a.sentences]

    def stream_all() -> int:
        return sum(1 for s in sents for _ in engine.decode_stream(s))

    chars = stream_all()
    stream_ms = 1000 * median_time(stream_all, a.repeats) / chars
    first = statistics.median(_first_char(engine, s) for s in sents[:50]) * 1000
    batch_texts = held_out[:2000]
    batch_chars = sum(len(t) for t in engine.translate_batch(batch_texts))
    batch_cps = batch_chars / median_time(lambda: engine.translate_batch(batch_texts), a.repeats)
    beam_sents = sents[:50]
    beam_chars = sum(len("".join(engine.decode_stream(s, Settings(beam=4)))) for s in beam_sents)
    beam_ms = 1000 * median_time(lambda: [list(engine.decode_stream(s, Settings(beam=4))) for s in beam_sents],
                                 max(1, a.repeats // 2)) / max(1, beam_chars)

    md = ["--model-dir", str(a.model_dir)]
    translate_s = statistics.median(cli("translate", *md, "Go.") for _ in range(a.repeats))
    piped = "\n".join(sents) + "\n"
    startup = statistics.median(cli("repl", "--plain", *md, stdin="") for _ in range(3))
    repl_s = statistics.median(cli("repl", "--plain", *md, stdin=piped) for _ in range(3))
    repl_ms = 1000 * (repl_s - startup) / chars

    print(f"running the reference (1 epoch on {a.num_samples} pairs, 20 sentences decoded)…", file=sys.stderr)
    ref = run_reference("--num-samples", str(a.num_samples), "--epochs", "1", "--decode", "20")
    ref_ms = ref["ms_per_char"]
    rows = [
        ("streaming greedy, ms per character", f"{stream_ms:.3f}", f"{ref_ms:.1f}", f"{ref_ms / stream_ms:,.0f}×"),
        ("time to first character, ms", f"{first:.2f}", "", ""),
        ("batched greedy, 2,000 held-out sentences, chars/s", f"{batch_cps:,.0f}", "", ""),
        ("beam search K=4, ms per character", f"{beam_ms:.3f}", "", ""),
        ('`seqtui translate "Go."` whole process, s', f"{translate_s:.2f}", "", ""),
        (f"`seqtui repl --plain`, {len(sents)} sentences piped, s", f"{repl_s:.2f}", "", ""),
        ("`seqtui repl --plain`, ms per character after start-up", f"{repl_ms:.3f}", f"{ref_ms:.1f}",
         f"{ref_ms / repl_ms:,.0f}×"),
    ]
    trained_on = b.meta.get("split", {}).get("train_pairs", "?")
    print(f"\nDecoding, {machine()}; model latent {engine.w.latent_dim} trained on {trained_on} pairs; "
          f"medians of {a.repeats} repeats; "
          f"{chars} characters over {len(sents)} held-out sentences\n")
    print(table(rows, ("measure", "seqtui", "reference", "speed-up")))


def _first_char(engine: object, text: str) -> float:
    t0 = time.perf_counter()
    next(iter(engine.decode_stream(text)), None)  # type: ignore[attr-defined]
    return time.perf_counter() - t0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    main()
