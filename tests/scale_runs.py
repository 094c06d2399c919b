"""Training runs for tests/test_scale.py that need a process of their own, because the devices must be set
up before TensorFlow or JAX starts.

    python tests/scale_runs.py CASE FOLDER

trains on the tiny corpus in FOLDER and prints one JSON object: for each run, the devices it used, its
number of batches per epoch, its history and its saved bundle's translation of "Go.".

    tf-mirrored   TensorFlow on two logical CPUs: strategy none at batch 16, then mirrored at batch 8 per
                  replica (the same global batches), asking for XLA.
    jax-parallel  JAX on the devices XLA_FLAGS gives it (two, in the tests): strategy none at batch 16,
                  then auto (keras.distribution.DataParallel) at batch 8 per replica.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def two_logical_cpus() -> None:
    """Split TensorFlow's one CPU into two logical devices, as Keras' own distribution tests do."""
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)


def run(folder: Path, name: str, strategy: str, batch_size: int, jit_compile: str = "false") -> dict[str, Any]:
    from seqtui import config
    from seqtui.events import TrainingStarted
    from seqtui.store import bundle
    from seqtui.train import training
    from tests.conftest import TINY_FLAGS, write_corpus

    corpus = write_corpus(folder / "tiny.txt")
    cfg = config.load(None, {"train_dir": corpus, "model_dir": folder / name, **TINY_FLAGS,
                             "batch_size": batch_size, "strategy": strategy, "jit_compile": jit_compile})
    events: list[Any] = []
    training.train(cfg, events.append)
    started = next(e for e in events if isinstance(e, TrainingStarted))
    info = {k: getattr(started.info, k) for k in ("backend", "devices", "replicas", "global_batch_size",
                                                  "distribution")}
    history = [r.to_dict() for r in bundle.read_history(folder / name)]
    return {"info": info, "batches": started.batches, "history": history,
            "translation": bundle.load(folder / name).engine().translate("Go.").text}


def main(case: str, folder: Path) -> None:
    sys.path.insert(0, str(ROOT))
    if case == "tf-mirrored":
        two_logical_cpus()
        # The mirrored run asks for XLA, the shipped default, which a several-replica MirroredStrategy must turn off.
        runs = {"single": run(folder, "single", "none", 16),
                "parallel": run(folder, "parallel", "mirrored", 8, jit_compile="true")}
    elif case == "jax-parallel":
        # jax.jit compiles a tiny model in a second or two and then runs it ~3x faster than eagerly.
        runs = {"single": run(folder, "single", "none", 16, jit_compile="true"),
                "parallel": run(folder, "parallel", "auto", 8, jit_compile="true")}
    else:
        raise SystemExit(f"unknown case {case!r}")
    print(json.dumps(runs))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
