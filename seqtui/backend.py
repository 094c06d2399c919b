"""Importing Keras quietly, and everything that depends on which backend runs it.

This is the one module allowed to touch TensorFlow directly (logging, devices, tf.distribute);
the rest of the core speaks Keras 3 and numpy only, so it also runs with KERAS_BACKEND=jax.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any


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
def _stderr_silenced() -> Any:
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


def name() -> str:
    """The Keras backend in use."""
    return import_keras().backend.backend()


def devices() -> list[str]:
    """The accelerators (or the CPU) training will run on, as short names."""
    keras = import_keras()
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_logical_devices("GPU")
        return [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")][:1]
    if keras.backend.backend() == "jax":
        import jax

        return [str(d) for d in jax.devices()]
    return [keras.backend.backend()]


def strategy_scope(strategy: str) -> tuple[Any, int]:
    """(a context to build and compile the model in, the number of replicas) for `strategy`.

    auto: MirroredStrategy when TensorFlow sees several GPUs, else one device; mirrored: always
    MirroredStrategy (over every GPU, or the logical CPUs); none: one device. On JAX, several
    devices use keras.distribution.DataParallel.
    """
    keras = import_keras()
    if strategy == "none":
        return contextlib.nullcontext(), 1
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_logical_devices("GPU")
        if strategy == "mirrored" or len(gpus) > 1:
            targets = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
            mirrored = tf.distribute.MirroredStrategy(targets)
            return mirrored.scope(), mirrored.num_replicas_in_sync
        return contextlib.nullcontext(), 1
    if keras.backend.backend() == "jax":
        import jax

        if len(jax.devices()) > 1 or strategy == "mirrored":
            keras.distribution.set_distribution(keras.distribution.DataParallel())
            return contextlib.nullcontext(), len(jax.devices())
    return contextlib.nullcontext(), 1
