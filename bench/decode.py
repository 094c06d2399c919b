"""Decoding benchmark: seqtui's numpy engine against the reference's per-character `model.predict`.

Trains a fresh latent-256 model (sequencer.toml's settings, with the architecture flags given here) on
the first 8,000 pairs of ../shared/data/fra-eng/fra.txt, of which the last 20% validate: it trains on
lines 1-6,400, validates on 6,401-8,000, and the held-out test lines 8,001-10,000 stay unseen. With
--model-dir DIR holding a model, that model is measured instead (and the table's header says what it
was trained on, read from its config.json). Runs the reference implementation in the same run for its
per-character cost, and prints a Markdown table.

usage: python bench/decode.py [--model-dir DIR] [--epochs 3] [--repeats 5] [--architecture A] [--encoder E]
                              [--layers N] [--residual]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import FRA, machine, median_time, require_shared, run_reference, table  # noqa: E402

if TYPE_CHECKING:
    from seqtui.store.saved import RunMeta

TRAIN_PAIRS = 8000  # lines 1-8,000: 6,400 trained, 1,600 validated; 8,001-10,000 are the test block


def train_model(model_dir: Path, epochs: int, shape: dict[str, object]) -> None:
    from seqtui import config
    from seqtui.train import training

    cfg = config.load(None, {"train_dir": FRA, "model_dir": model_dir, "num_samples": TRAIN_PAIRS, "sample": "first",
                             "val_split": 0.2, "epochs": epochs, "latent_dim": 256, "batch_size": 64, "patience": 0,
                             **shape})
    print(f"training a latent-256 {cfg.architecture} model on lines 1-6,400 for {epochs} epochs…", file=sys.stderr)
    training.train(cfg, fresh=True)


def described(meta: RunMeta) -> str:
    """What the measured model is and what it was trained on, from its own config.json."""
    cfg, split = meta.config, meta.split
    shape = f"{cfg.architecture}, encoder {cfg.encoder}, {cfg.layers} layer(s)" + (", residual" if cfg.residual else "")
    if split is None:
        return f"model: {shape}, latent {cfg.latent_dim}"
    return (f"model: {shape}, latent {cfg.latent_dim}, trained on {split.train_pairs} pairs "
            f"({'all' if not split.num_samples else 'the first ' + str(split.num_samples)} pairs of "
            f"{', '.join(Path(f).name for f in split.files)}, the last {split.val_split} validating)")


def cli(*args: str, stdin: str | None = None) -> float:
    """Wall time of one `seqtui` process."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "seqtui", *args], input=stdin, capture_output=True, text=True, check=True)
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model-dir", type=Path, help="measure the model already in DIR (default: train a fresh one)")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--architecture", choices=["seq2seq", "attention"])
    p.add_argument("--encoder", choices=["lstm", "bilstm"])
    p.add_argument("--layers", type=int)
    p.add_argument("--residual", action="store_true", default=None)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--sentences", type=int, default=200)
    a = p.parse_args()
    require_shared()
    from seqtui.store import bundle

    reused = a.model_dir is not None and bundle.exists(a.model_dir)
    if not reused:
        a.model_dir = a.model_dir or Path(tempfile.mkdtemp(prefix="seqtui-bench-decode-"))
        shape = {k: v for k, v in vars(a).items() if k in ("architecture", "encoder", "layers", "residual") and v}
        train_model(a.model_dir, a.epochs, shape)

    from seqtui.data.corpus import read_corpus
    from seqtui.decode.decoding import Settings

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

    print(f"running the reference (1 epoch on {TRAIN_PAIRS} pairs, 20 sentences decoded)…", file=sys.stderr)
    ref = run_reference("--num-samples", str(TRAIN_PAIRS), "--epochs", "1", "--decode", "20")
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
    print(f"\nDecoding, {machine()}; {described(b.meta)}{' (reused from ' + str(a.model_dir) + ')' if reused else ''};"
          f" medians of {a.repeats} repeats; {chars} characters over {len(sents)} held-out sentences\n")
    print(table(rows, ("measure", "seqtui", "reference", "speed-up")))


def _first_char(engine: object, text: str) -> float:
    t0 = time.perf_counter()
    next(iter(engine.decode_stream(text)), None)  # type: ignore[attr-defined]
    return time.perf_counter() - t0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    main()
