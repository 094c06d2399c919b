"""Epoch time and loss of one training setup spread in different ways, measured side by side.

    python bench/scale.py [--data FILE] [--pairs 10000] [--latent 256] [--batch 64] [--epochs 3]
                          [--steps 0] [--cases tf-one,tf-mirrored,jax-one,jax-parallel,jax-processes]

Every case trains the same pairs with the same global batch (`--batch`) in a fresh process, since the
devices must be set up before TensorFlow or JAX starts:

    tf-one         TensorFlow, strategy none, batch B
    tf-mirrored    TensorFlow, MirroredStrategy over two logical CPUs (GPUs if there are several), B/2 each
    jax-one        JAX, strategy none, batch B
    jax-parallel   JAX, DataParallel over two devices (XLA host devices on a CPU machine), B/2 each
    jax-processes  JAX, two processes on 127.0.0.1 joined by jax.distributed, one device and B/2 each

It prints a table: the median epoch time after the first (which compiles), its ratio to the first
case's, and the last epoch's loss and val_loss. Settings are the config's defaults (jit_compile auto:
XLA on for JAX, off for TensorFlow); --no-xla turns it off everywhere. JAX cases are
skipped when jax is not installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CASES = ("tf-one", "tf-mirrored", "jax-one", "jax-parallel", "jax-processes")


def child(args: argparse.Namespace) -> None:
    """Train one case in this process and print its history as JSON."""
    sys.path.insert(0, str(ROOT))
    if args.case == "tf-mirrored":
        import tensorflow as tf

        if len(tf.config.list_physical_devices("GPU")) < 2:
            cpu = tf.config.list_physical_devices("CPU")[0]
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from seqtui import config
    from seqtui.model.backend import join_processes
    from seqtui.store import bundle
    from seqtui.train import training

    if args.process_id is not None:
        join_processes(f"127.0.0.1:{args.port}", 2, args.process_id)
    split = args.case != "tf-one" and args.case != "jax-one"
    flags = {"train_dir": Path(args.data), "model_dir": Path(args.out), "num_samples": args.pairs,
             "latent_dim": args.latent, "batch_size": args.batch // 2 if split else args.batch,
             "epochs": args.epochs, "steps_per_epoch": args.steps, "patience": 0,
             "strategy": "none" if args.case.endswith("-one") else "mirrored"}
    if args.no_xla:
        flags["jit_compile"] = "false"
    training.train(config.load(None, flags), fresh=True)
    print(json.dumps([r.to_dict() for r in bundle.read_history(Path(args.out))]))


def run_case(case: str, args: argparse.Namespace, folder: Path) -> list[dict[str, Any]]:
    base = [sys.executable, __file__, "--child", case, "--data", args.data, "--pairs", str(args.pairs),
            "--latent", str(args.latent), "--batch", str(args.batch), "--epochs", str(args.epochs),
            "--steps", str(args.steps)] + (["--no-xla"] if args.no_xla else [])
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": case.split("-")[0].replace("tf", "tensorflow")}
    if case == "jax-parallel":
        env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    if case != "jax-processes":
        done = subprocess.run(base + ["--out", str(folder / case)], env=env, capture_output=True, text=True)
        return _history(done.returncode, done.stdout, done.stderr, case)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = [subprocess.Popen(base + ["--out", str(folder / f"{case}-{i}"), "--port", str(port), "--process-id",
                                      str(i)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(2)]
    results = [(p, *p.communicate()) for p in procs]
    return [_history(p.returncode, out, err, case) for p, out, err in results][0]


def _history(code: int, out: str, err: str, case: str) -> list[dict[str, Any]]:
    if code != 0:
        raise SystemExit(f"{case} failed:\n{err[-3000:]}")
    return json.loads(out.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "fra-eng" / "fra.txt"))
    parser.add_argument("--pairs", type=int, default=10000)
    parser.add_argument("--latent", type=int, default=256)
    parser.add_argument("--batch", type=int, default=64, help="global batch (each of two replicas gets half)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=0, help="batches per epoch (0: all)")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--no-xla", action="store_true", help="jit_compile off (a mirrored TF run has it off anyway)")
    parser.add_argument("--child", dest="case", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--process-id", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        child(args)
        return
    has_jax = importlib.util.find_spec("jax") is not None
    print(f"{args.pairs} pairs of {Path(args.data).name}, latent {args.latent}, global batch {args.batch}, "
          f"{args.epochs} epochs" + (f" of {args.steps} steps" if args.steps else ""))
    print(f"{'case':<14} {'epoch s':>8} {'ratio':>6} {'loss':>8} {'val_loss':>8}")
    first = None
    with tempfile.TemporaryDirectory() as tmp:
        for case in args.cases.split(","):
            if case.startswith("jax") and not has_jax:
                print(f"{case:<14} skipped: jax is not installed")
                continue
            history = run_case(case, args, Path(tmp))
            seconds = statistics.median(r["seconds"] for r in history[1:] or history)
            first = first or seconds
            last = history[-1]
            print(f"{case:<14} {seconds:>8.2f} {seconds / first:>6.2f} {last['loss']:>8.4f} {last['val_loss']:>8.4f}",
                  flush=True)


if __name__ == "__main__":
    main()
