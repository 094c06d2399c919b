"""A reduced ablation of the training levers: each alone and all combined, on one split, for one budget.

    python bench/ablate.py [--pairs 10000] [--epochs 4] [--latent-dim 128] [--only NAME,...] [--work DIR]

The split is the full-corpus split's (bench/train.py quality --split full), shrunk: the test block
(lines 8,001-10,000), the validation block (10,001-11,000) and a held-out block of longer sentences
(60,001-61,000) are taken out of ../shared/data/fra-eng/fra.txt; --pairs training pairs are a seeded
random sample of the rest. Every configuration trains the same number of epochs from the same seed (the
attention model, Adam at 0.002, batch 64, the kept epoch chosen by val_chrf on the validation block, no
early stopping), so quality at a fixed epoch budget is the comparison; epoch times are printed too, but
on a shared machine they say as much about the neighbours as about the model. Each finished
configuration leaves a result.json in --work; a second run with the same --work prints those (saying so)
and trains only the missing ones.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import FRA, machine, require_shared, table  # noqa: E402

TEST, VAL, LONG = (8000, 10000), (10000, 11000), (60000, 61000)  # 0-based, end exclusive: lines 8,001-10,000 ...
BASE = {"architecture": "attention", "optimizer": "adam", "learning_rate": 0.002, "batch_size": 64,
        "monitor": "val_chrf", "patience": 0, "precision": "float32", "jit_compile": "false", "num_samples": 0,
        "dropout": 0.0, "encoder": "lstm", "layers": 1, "residual": False, "label_smoothing": 0.0,
        "lr_schedule": "constant", "warmup_steps": 0, "weight_averaging": "none", "seed": 1337}
LEVERS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "label_smoothing 0.1": {"label_smoothing": 0.1},
    "warm-up 200 + decay 0.8": {"warmup_steps": 200, "lr_schedule": "decay", "decay_rate": 0.8},
    "ema 0.995": {"weight_averaging": "ema", "ema_decay": 0.995},
    "bilstm": {"encoder": "bilstm"},
    "2 layers + residual": {"layers": 2, "residual": True},
    "all of the above": {"label_smoothing": 0.1, "warmup_steps": 200, "lr_schedule": "decay", "decay_rate": 0.8,
                         "weight_averaging": "ema", "ema_decay": 0.995, "encoder": "bilstm", "layers": 2,
                         "residual": True},
}


def write_splits(work: Path, pairs: int, seed: int) -> dict[str, Path]:
    lines = FRA.read_text(encoding="utf-8").splitlines(keepends=True)
    held = set(range(*TEST)) | set(range(*VAL)) | set(range(*LONG))
    pool = [line for i, line in enumerate(lines) if i not in held]
    train = random.Random(seed).sample(pool, min(pairs, len(pool)))
    files = {"train": train, "val": lines[slice(*VAL)], "test": lines[slice(*TEST)], "long": lines[slice(*LONG)]}
    out = {}
    for name, chosen in files.items():
        out[name] = work / f"{name}.txt"
        out[name].write_text("".join(chosen), encoding="utf-8")
    return out


def run_one(name: str, lever: dict[str, Any], split: dict[str, Path], a: argparse.Namespace) -> dict[str, Any]:
    from seqtui import config
    from seqtui.decode.decoding import Settings
    from seqtui.events import EpochEnded, TrainingStarted
    from seqtui.report.evaluation import evaluate
    from seqtui.store import bundle
    from seqtui.train import training

    model_dir = a.work / "runs" / name.replace(" ", "_").replace(",", "").replace("+", "and")
    cfg = config.load(None, {**BASE, **lever, "train_dir": split["train"], "val_data": str(split["val"]),
                             "model_dir": model_dir, "epochs": a.epochs, "latent_dim": a.latent_dim})
    marks: list[float] = []
    info: dict[str, Any] = {}

    def listener(event: object) -> None:
        if isinstance(event, TrainingStarted):
            info["parameters"] = event.info.parameters
        if isinstance(event, TrainingStarted | EpochEnded):
            marks.append(time.perf_counter())

    training.train(cfg, listener, fresh=True)
    walls = [b - a_ for a_, b in zip(marks, marks[1:], strict=False)]
    history = bundle.read_history(model_dir)
    best = [r for r in history if r.best][-1]
    scores = {}
    for block in ("test", "long"):
        for beam in (1, 4):
            report = evaluate(model_dir, split[block], Settings(beam=beam), with_loss=False)
            scores[f"{block}_b{beam}"] = {"chrf": round(report.chrf, 2), "bleu": round(report.bleu, 2)}
    return {"name": name, "lever": lever, "epochs": len(history), "best_epoch": best.epoch,
            "val_chrf": best.val_chrf, "epoch_wall_s": round(statistics.median(walls), 1),
            "parameters": info.get("parameters"), "scores": scores, "machine": machine(),
            "load_before": os.getloadavg()[0]}


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    require_shared()
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", type=int, default=10000)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--latent-dim", type=int, default=128)
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--only", default="", help="comma-separated lever names to run (default: all)")
    p.add_argument("--work", type=Path, help="folder for the splits, the runs and their results")
    a = p.parse_args()
    a.work = a.work or Path(tempfile.mkdtemp(prefix="seqtui-ablate-"))
    a.work.mkdir(parents=True, exist_ok=True)
    split = write_splits(a.work, a.pairs, a.seed)
    chosen = [n.strip() for n in a.only.split(",") if n.strip()] or list(LEVERS)
    results, reused = [], []
    for name in chosen:
        path = a.work / "results" / f"{name.replace(' ', '_').replace(',', '')}.json"
        if path.is_file():
            results.append(json.loads(path.read_text()))
            reused.append(name)
            continue
        print(f"training: {name}", file=sys.stderr, flush=True)
        result = run_one(name, LEVERS[name], split, a)
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(result))
        results.append(result)
    rows = [(r["name"], f"{r['best_epoch']}/{r['epochs']}", f"{r['val_chrf']:.2f}",
             *(f"{r['scores'][k]['chrf']:.2f} / {r['scores'][k]['bleu']:.2f}"
               for k in ("test_b1", "test_b4", "long_b1", "long_b4")),
             f"{r['epoch_wall_s']:.0f}", f"{r['parameters']:,}") for r in results]
    print(f"\nAblation, {machine()}; {a.pairs:,} training pairs (seeded sample of fra.txt without lines 8,001-11,000 "
          f"and 60,001-61,000), {a.epochs} epochs each, latent {a.latent_dim}; chrF / BLEU"
          + (f"; reused from {a.work}: {', '.join(reused)}" if reused else "") + "\n")
    print(table(rows, ("configuration", "kept/epochs", "val chrF", "test greedy", "test beam 4", "long greedy",
                       "long beam 4", "epoch wall s", "parameters")))


if __name__ == "__main__":
    main()
