"""Keep keys answered within a tenth of a second while TensorFlow loads and trains in this process.

CPython's full (generation 2) collections hold the GIL while they walk every tracked object. With
TensorFlow and a Keras model loaded that is hundreds of thousands of objects, a tenth of a second or
more a collection, and no key is handled meanwhile.
So the import runs with collection paused, and what is loaded once (modules, the built model) is
frozen: full collections then skip it. Frozen objects are never freed, so a new run's start thaws
the previous run's before it freezes its own.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading


def lower_thread_priority(niceness: int = 10) -> None:
    """Make the calling thread (and the threads it starts, such as TensorFlow's pools) yield to the UI.

    On Linux niceness is per thread and inherited by new threads; raising it needs no privilege.
    """
    if hasattr(os, "setpriority") and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, max(os.getpriority(os.PRIO_PROCESS, tid), niceness))


def import_tensorflow() -> None:
    """Import Keras (and TensorFlow) with collection paused, then freeze what was imported."""
    if "keras" in sys.modules:
        return
    from seqtui.model.backend import import_keras

    gc.disable()
    try:
        import_keras()
    finally:
        gc.enable()
        gc.freeze()


def freeze_loaded() -> None:
    """Freeze what exists now (call it once a run's model is built) so full collections skip it.

    What an earlier call froze is thawed and collected first: a frozen object is never freed, so
    freezing at each run's start would keep every earlier run's model, optimizer and data for good.
    That one full collection costs a pause at the start of a run, not one per collection after it.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
