"""Importing Keras quietly, and everything that depends on which backend runs it.

This is the one module allowed to touch TensorFlow directly (logging, devices, tf.distribute);
the rest of the core speaks Keras 3 and numpy only, so it also runs with KERAS_BACKEND=jax.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np

from seqtui.errors import SeqtuiError


def import_keras() -> Any:
    """Import Keras with TensorFlow's start-up chatter silenced (it writes to fd 2 from C++)."""
    if "keras" in sys.modules:
        return sys.modules["keras"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")
    with _stderr_silenced():
        import keras
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.get_logger().setLevel("ERROR")
            tf.autograph.set_verbosity(0)
    return keras


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, ValueError, OSError):
        fd = -1
    if fd < 0:  # not a real file (a test runner's capture; Textual's, whose fileno() is -1)
        yield
        return
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stderr.flush()
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def sync_state(model: Any) -> None:
    """Let a callback change a variable mid-epoch: JAX's fit carries the variables in its own state between
    batches and writes them back only at the epoch's end, unless asked (a no-op on TensorFlow)."""
    sync = getattr(model, "jax_state_sync", None)
    if sync is not None:
        sync()


BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def precision(setting: str) -> str:
    """The Keras dtype policy for the config's `precision`: `auto` is mixed_bfloat16 where the hardware
    computes bfloat16 natively (a CPU with AVX512-BF16 or AMX, or a GPU), else float32, since emulated
    bfloat16 is slower than float32."""
    if setting != "auto":
        return setting
    if any(flag in cpu_flags() for flag in BF16_CPU_FLAGS):
        return "mixed_bfloat16"
    keras = import_keras()
    if keras.backend.backend() == "jax":
        import jax

        return "mixed_bfloat16" if any(d.platform == "gpu" for d in jax.devices()) else "float32"
    import tensorflow as tf

    return "mixed_bfloat16" if tf.config.list_physical_devices("GPU") else "float32"


def cpu_flags() -> list[str]:
    """The CPU's feature flags as Linux reports them ([] elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return []


def name() -> str:
    """The Keras backend in use."""
    return str(import_keras().backend.backend())


@dataclass(frozen=True)
class Placement:
    """Where a run trains: the context to build, compile and fit the model in, and what it spreads over.

    Attributes:
        scope: a context manager; the model is built, compiled and fitted inside it.
        replicas: model copies kept in sync, over every process; each gets `batch_size` rows a step.
        devices: short names of the devices those replicas run on.
        engine: what spreads the work, in words (for the run's header).
        process: this process's index (0 unless training with several processes).
        processes: how many processes train together; each feeds its own share of every batch.
        xla: whether the training step may be compiled with XLA here.
    """

    scope: AbstractContextManager[Any]
    replicas: int
    devices: list[str]
    engine: str
    process: int = 0
    processes: int = 1
    xla: bool = True


def strategy_scope(strategy: str) -> Placement:
    """Where to train for the config's `strategy` (auto, mirrored or none), on the backend in use.

    TensorFlow: `auto` is tf.distribute.MirroredStrategy when several GPUs are visible, else one device;
    `mirrored` is MirroredStrategy always (over every GPU, else over the logical CPUs: one replica on a
    plain machine); `none` is the default device. JAX: `auto` and `mirrored` use
    keras.distribution.DataParallel over every device of every process when there are several
    (`mirrored` also with one); `none` the first device.

    Raises:
        SeqtuiError: `none` in a run of several processes, which all must share the work.
    """
    keras = import_keras()
    if keras.backend.backend() == "tensorflow":
        return _tensorflow_placement(strategy)
    if keras.backend.backend() == "jax":
        return _jax_placement(keras, strategy)
    return Placement(contextlib.nullcontext(), 1, [keras.backend.backend()], "one device")


def _tensorflow_placement(strategy: str) -> Placement:
    import tensorflow as tf

    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
    if strategy == "mirrored" or (strategy == "auto" and len(gpus) > 1):
        mirrored = tf.distribute.MirroredStrategy(gpus or cpus)
        # An XLA-compiled step fails to read the other replicas' variables (TF 2.21, two logical CPUs:
        # "Trying to access resource .../replica_1 located in device CPU:1 from device CPU:0", XLA's known
        # issue "tf.Variable on a different device"), so mirrored runs keep XLA off.
        replicas = mirrored.num_replicas_in_sync
        return Placement(mirrored.scope(), replicas, [_short(d) for d in mirrored.extended.worker_devices],
                         "tf.distribute.MirroredStrategy", xla=replicas == 1)
    return Placement(contextlib.nullcontext(), 1, [_short((gpus or cpus)[0])], "one device")


def _short(tf_device: str) -> str:
    """'/job:localhost/replica:0/task:0/device:GPU:1' -> 'GPU:1'."""
    return tf_device.rsplit("device:", 1)[-1]


def _jax_placement(keras: Any, strategy: str) -> Placement:
    import jax

    every = jax.devices()
    multi = jax.process_count() > 1

    def label(d: Any) -> str:
        return f"{d.platform}:{d.id}" + (f"/process {d.process_index}" if multi else "")

    if strategy == "none":
        if multi:
            raise SeqtuiError("strategy 'none' trains on one device, but this run has "
                              f"{jax.process_count()} processes; use strategy auto or mirrored")
        return Placement(contextlib.nullcontext(), 1, [label(every[0])], "one device")
    if strategy == "mirrored" or len(every) > 1:
        # Each process feeds its own rows of every batch (see feeding.BucketedBatches), so Keras must not
        # try to shard the data again (it only knows how to shard a tf.data.Dataset).
        parallel = keras.distribution.DataParallel(devices=every, auto_shard_dataset=False)
        return Placement(parallel.scope(), len(every), [label(d) for d in every],
                         "keras.distribution.DataParallel", jax.process_index(), jax.process_count())
    return Placement(contextlib.nullcontext(), 1, [label(every[0])], "one device")


def join_processes(coordinator: str | None, num_processes: int | None, process_id: int | None) -> None:
    """Join a training run spread over several processes (on one machine or several).

    Every process runs the same `seqtui train` with the same data and config; process 0 also hosts the
    coordinator at `coordinator` (host:port). Only the JAX backend can do this: TensorFlow's
    MultiWorkerMirroredStrategy fails inside Keras 3's fit (keras-team/keras#20585).

    Raises:
        SeqtuiError: not the JAX backend, a missing or inconsistent setting, or the coordinator unreachable.
    """
    keras = import_keras()
    if keras.backend.backend() != "jax":
        raise SeqtuiError("training with several processes needs the JAX backend (KERAS_BACKEND=jax): "
                          "TensorFlow's MultiWorkerMirroredStrategy fails inside Keras 3 fit "
                          "(keras-team/keras#20585)")
    if coordinator is None or num_processes is None or process_id is None:
        raise SeqtuiError("training with several processes needs --coordinator, --num-processes and "
                          "--process-id, in every process")
    if not 0 <= process_id < num_processes:
        raise SeqtuiError(f"--process-id {process_id} is out of range for --num-processes {num_processes} "
                          f"(0 to {num_processes - 1})")
    try:
        keras.distribution.initialize(coordinator, num_processes, process_id)
    except Exception as e:  # JAX raises plain RuntimeErrors/XlaRuntimeErrors for every kind of failure
        raise SeqtuiError(f"process {process_id} could not join the run coordinated at {coordinator} "
                          f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})") from None


def every_process(*values: int) -> list[tuple[int, ...]]:
    """`values` as each process of the run has them, in process order (one process: `[values]`).

    A collective: every process of the run must call it at the same point.
    """
    if name() != "jax":
        return [values]
    import jax

    if jax.process_count() == 1:
        return [values]
    from jax.experimental import multihost_utils

    gathered = multihost_utils.process_allgather(np.asarray(values, dtype=np.int32))
    return [tuple(int(v) for v in row) for row in np.asarray(gathered).reshape(jax.process_count(), -1)]


def any_process(flag: bool) -> bool:
    """Whether `flag` holds in any process of the run (a collective, like `every_process`).

    Processes must stop after the same batch, or the others would wait forever in the next step's
    gradient exchange; so a stop asked of one process (Ctrl-C, the dashboard) stops them all.
    """
    return any(row[0] for row in every_process(int(flag)))


class ScalarWriter:
    """TensorBoard event files in `folder` (tf.summary's `events.out.tfevents.*`): scalars by name and step."""

    def __init__(self, folder: str) -> None:
        import tensorflow as tf

        self._summary = tf.summary
        self._writer = tf.summary.create_file_writer(folder)

    def write(self, scalars: dict[str, float], step: int) -> None:
        """Write one step's scalars and flush them, so a reader sees each step as it ends."""
        with self._writer.as_default():
            for name, value in scalars.items():
                self._summary.scalar(name, value, step=step)
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()
