"""Training benchmarks against the reference one-hot implementation, measured in the same run.

    python bench/train.py speed    [--epochs 3] [--no-memory]
        epoch time on the first 10,000 shared pairs (8,000 trained, 2,000 validated), the reference's
        model (seq2seq, RMSprop, latent 256, batch 64); data preparation of all 76k pairs and the peak
        memory of a 76k-pair run (not with --no-memory); each beside the reference. Both sides run the
        same epochs and are timed the same way: the wall time of the whole epoch, from its start to
        the end of everything it does at its end (the reference: fit's validation; seqtui:
        validation, saving model.keras and the checkpoint, the sample translations).
        Medians of epochs 2..E, and the first epoch apart.
    python bench/train.py quality  --split short|full [--architecture seq2seq|attention] [--minutes M] ...
                                   [any other `seqtui train` flag, e.g. --reverse]
        short: the original example's scale: train on lines 1-7,200, validate on 7,201-8,000;
        full: the full corpus: validate on 10,001-11,000, hold out a block of longer sentences
            (60,001-61,000), train on every other line but the test block;
        then greedy (and beam 4) chrF/BLEU on the test pairs, lines 8,001-10,000, and on the full split
        the long block as well (docs/models.md).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import FRA, machine, median_time, require_shared, run_reference, table  # noqa: E402

SEQTUI = [sys.executable, "-m", "seqtui"]


def seqtui_rss(*args: str) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of one `seqtui` process, measured by a fresh wrapper process."""
    code = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code, *SEQTUI, *args], capture_output=True, text=True, check=True)
    rss, secs = out.stdout.split()
    return float(rss), float(secs)


# The reference's model and training, so the epoch times compare the same work; sample probes stay on,
# as in every seqtui run.
SAME_MODEL = {"architecture": "seq2seq", "optimizer": "rmsprop", "learning_rate": 0.0, "latent_dim": 256,
              "batch_size": 64, "val_split": 0.2, "monitor": "val_loss", "patience": 0, "sample": "first"}


def epoch_walls(cfg: object) -> list[float]:
    """Each epoch's wall time, from its start to the end of its epoch-end work, seen from outside the trainer.

    The first epoch starts when training does (TrainingStarted); each EpochEnded comes once the epoch's
    validation, saves and sample translations are done, and the next epoch starts right after it.
    """
    from seqtui.events import EpochEnded, TrainingStarted
    from seqtui.train import training

    marks: list[float] = []

    def listener(event: object) -> None:
        if isinstance(event, TrainingStarted | EpochEnded):
            marks.append(time.perf_counter())

    training.train(cfg, listener, fresh=True)  # type: ignore[arg-type]
    return [b - a for a, b in zip(marks, marks[1:], strict=False)]


def speed(a: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="seqtui-bench-"))
    rows = []
    if a.memory:
        rows += memory_rows(work)
    speed_rows(a, work, rows)


def memory_rows(work: Path) -> list[tuple[str, ...]]:
    """Data preparation of the whole corpus, and the peak memory of a short 76k-pair run, beside the reference's."""
    from seqtui import config
    from seqtui.train import training

    rows = []
    cfg76 = config.load(None, {"train_dir": FRA, "num_samples": 0})
    prep_s = median_time(lambda: training.prepare(cfg76), repeats=3)
    ref_mem = run_reference("--num-samples", "76036", "--epochs", "1", "--decode", "0")
    rows.append(("data preparation, 76,036 pairs, s", f"{prep_s:.2f}", f"{ref_mem['prep_s']:.2f}",
                 f"{prep_s / ref_mem['prep_s']:.2f}×"))
    # Peak memory of a short 76k-pair run.
    rss, _ = seqtui_rss("train", "--train-dir", str(FRA), "--model-dir", str(work / "m76"), "--num-samples", "76036",
                        "--epochs", "1", "--steps-per-epoch", "20", "--no-samples", "--jit-compile", "false")
    rows.append(("peak RSS, 76,036 pairs, 1 epoch × 20 steps, MB", f"{rss:,.0f}",
                 f"{ref_mem['peak_rss_mb']:,.0f} (1 whole epoch; arrays {ref_mem['onehot_bytes'] / 2**20:,.0f})",
                 f"{rss / ref_mem['peak_rss_mb']:.2f}×"))
    return rows


def speed_rows(a: argparse.Namespace, work: Path, rows: list[tuple[str, ...]]) -> None:
    from seqtui import config
    from seqtui.store import bundle

    # Epoch time at 10k pairs: the defaults (float32, no XLA), bfloat16 compute, and XLA.
    ref = run_reference("--num-samples", "10000", "--epochs", str(a.epochs), "--decode", "0")
    ref_first, ref_steady = ref["epoch_s"][0], statistics.median(ref["epoch_s"][1:])
    for label, precision, jit in (("float32", "float32", "false"),
                                  ("precision = mixed_bfloat16", "mixed_bfloat16", "false"),
                                  ("jit_compile = true (XLA)", "float32", "true")):
        model_dir = work / f"m10k-{precision}-{jit}"
        cfg = config.load(None, {"train_dir": FRA, "model_dir": model_dir, "num_samples": 10000, **SAME_MODEL,
                                 "epochs": a.epochs, "jit_compile": jit, "precision": precision})
        walls = epoch_walls(cfg)
        history = bundle.read_history(model_dir)
        steady = statistics.median(walls[1:])
        recorded = statistics.median(r.seconds for r in history[1:])
        rows.append((f"epoch wall time, 10,000 pairs, {label}, median of epochs 2-{a.epochs}, s", f"{steady:.2f}",
                     f"{ref_steady:.2f}", f"{steady / ref_steady:.2f}×"))
        rows.append(("  its first epoch (traces; XLA compiles), s", f"{walls[0]:.2f}", f"{ref_first:.2f}",
                     f"{walls[0] / ref_first:.2f}×"))
        rows.append((f"  history's `seconds` (stops before the saves and samples) / val_loss after epoch {a.epochs}",
                     f"{recorded:.2f} / {history[-1].val_loss:.3f}", f"— / {ref['val_loss'][-1]:.3f}", ""))
    print(f"\nTraining speed and memory, {machine()}; reference: ../shared/reference/onehot_baseline.py, same run\n")
    print(table(rows, ("measure", "seqtui", "reference", "ratio")))


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(lines), encoding="utf-8")
    return path


def quality(a: argparse.Namespace) -> None:
    lines = FRA.read_text(encoding="utf-8").splitlines(keepends=True)
    work = Path(a.work or tempfile.mkdtemp(prefix="seqtui-quality-"))
    work.mkdir(parents=True, exist_ok=True)
    test = write_lines(work / "test.txt", lines[8000:10000])
    held = {"test": test}
    if a.split == "short":
        train, val = write_lines(work / "train.txt", lines[:7200]), write_lines(work / "val.txt", lines[7200:8000])
    else:
        train = write_lines(work / "train.txt", lines[:8000] + lines[11000:60000] + lines[61000:])
        val = write_lines(work / "val.txt", lines[10000:11000])
        held["long"] = write_lines(work / "long.txt", lines[60000:61000])
    model_dir = work / f"model-{a.split}-{a.architecture}"
    flags = ["--train-dir", str(train), "--val-data", str(val), "--model-dir", str(model_dir), "--num-samples", "0",
             "--architecture", a.architecture, "--latent-dim", str(a.latent_dim), "--batch-size", str(a.batch_size),
             "--epochs", str(a.epochs), "--patience", str(a.patience), "--dropout", str(a.dropout), "--no-samples",
             "--optimizer", a.optimizer, "--monitor", a.monitor, "--precision", a.precision,
             "--learning-rate", str(a.learning_rate), "--resume", *a.train_flags]
    t0 = time.perf_counter()
    proc = subprocess.Popen([*SEQTUI, "train", *flags])
    try:
        proc.wait(timeout=a.minutes * 60 if a.minutes else None)
    except subprocess.TimeoutExpired:
        proc.send_signal(2)  # Ctrl-C: saves, keeps the best weights
        proc.wait()
    wall = time.perf_counter() - t0
    results: dict[tuple[str, int], dict] = {}
    for block, path in held.items():
        for beam in (1, 4):
            limit = ["--limit", str(a.beam_limit)] if beam > 1 and a.beam_limit else []
            out = subprocess.run([*SEQTUI, "evaluate", "--model-dir", str(model_dir), "--data", str(path), "--json",
                                  "--beam", str(beam), *limit], capture_output=True, text=True, check=True)
            results[block, beam] = json.loads(out.stdout)
    from seqtui.store import bundle

    history = bundle.read_history(model_dir)
    best = [r for r in history if r.best][-1]
    scores = {f"{block}_{'greedy' if beam == 1 else 'beam4'}": {k: r[k] for k in ("chrf", "bleu", "exact", "pairs")}
              for (block, beam), r in results.items()}
    print(json.dumps({"split": a.split, "architecture": a.architecture, "monitor": a.monitor,
                      "dropout": a.dropout, "optimizer": a.optimizer, "learning_rate": a.learning_rate,
                      "precision": a.precision, "train_flags": a.train_flags, "epochs": len(history),
                      "best_epoch": best.epoch, "best_val_loss": best.val_loss, "best_val_chrf": best.val_chrf,
                      "wall_s": round(wall), "epoch_s_median": round(statistics.median(r.seconds for r in history), 1),
                      **scores, "examples": results["test", 1]["examples"], "machine": machine()},
                     ensure_ascii=False))


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    require_shared()
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("speed")
    s.add_argument("--epochs", type=int, default=3, help="epochs on each side (at least 2)")
    s.add_argument("--no-memory", dest="memory", action="store_false",
                   help="only the epoch times: skip data preparation and peak memory (the reference's one-hot "
                        "epoch of all 76,036 pairs is most of the benchmark's time)")
    q = sub.add_parser("quality")
    q.add_argument("--split", choices=["short", "full"], required=True)
    q.add_argument("--architecture", default="seq2seq")
    q.add_argument("--latent-dim", type=int, default=256)
    q.add_argument("--batch-size", type=int, default=64)
    q.add_argument("--epochs", type=int, default=300)
    q.add_argument("--patience", type=int, default=10)
    q.add_argument("--dropout", type=float, default=0.0)
    q.add_argument("--optimizer", default="rmsprop")
    q.add_argument("--monitor", default="val_loss", choices=["val_loss", "val_chrf"])
    q.add_argument("--learning-rate", type=float, default=0.0)
    q.add_argument("--precision", default="float32", choices=["float32", "mixed_bfloat16"])
    q.add_argument("--minutes", type=float, default=0, help="wall-time budget; then Ctrl-C (best weights kept)")
    q.add_argument("--beam-limit", type=int, default=0, help="score only the first N test pairs with beam 4 (0: all)")
    q.add_argument("--work", help="folder for the split files and the model")
    a, rest = p.parse_known_args()
    if a.cmd == "speed" and rest:
        p.error(f"unrecognized arguments: {' '.join(rest)}")
    if a.cmd == "speed" and a.epochs < 2:
        p.error("--epochs must be at least 2: the first epoch is reported apart")
    a.train_flags = rest  # quality: any other `seqtui train` flags, passed on
    speed(a) if a.cmd == "speed" else quality(a)
    print(f"peak RSS of this driver: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB",
          file=sys.stderr)


if __name__ == "__main__":
    main()
