"""The REPL's engine source between threads: reading a saved model never makes the UI thread wait, and
a new run's start lets go of the previous run's objects."""

import gc
import threading
import weakref
from pathlib import Path

from seqtui.store import bundle
from seqtui.tui import latency
from seqtui.tui.repl.engines import EngineSource


def test_a_slow_model_read_does_not_block_the_ui_threads_calls(tmp_path: Path) -> None:
    (tmp_path / bundle.MODEL).write_bytes(b"weights")
    reading, release = threading.Event(), threading.Event()

    def slow_load(path: Path) -> str:  # a large model.keras takes seconds to read
        reading.set()
        release.wait(10)
        return "saved engine"

    engines = EngineSource(tmp_path, slow_load)
    got: list[tuple] = []
    reader = threading.Thread(target=lambda: got.append(engines.get()))
    reader.start()
    assert reading.wait(5)
    ui = threading.Thread(target=lambda: (engines.use_snapshot("snapshot", 3), engines.training_over(),
                                          setattr(engines, "model_dir", tmp_path)))
    ui.start()
    ui.join(2)
    stuck = ui.is_alive()
    release.set()
    reader.join(5)
    assert not stuck, "the epoch-end calls waited for the model read"
    assert got and got[0][0] == "saved engine"


class _Cycle:
    """An object in a reference cycle, as a Keras model, its optimizer and their layers are."""

    def __init__(self) -> None:
        self.me = self


def test_a_new_runs_freeze_frees_the_previous_runs_objects() -> None:
    previous = _Cycle()
    gone = weakref.ref(previous)
    latency.freeze_loaded()  # the first run's model is built
    del previous  # that run ended: nothing refers to its model any more
    latency.freeze_loaded()  # the next run's model is built
    gc.collect()
    try:
        assert gone() is None, "the first run's objects stayed frozen, never to be freed"
    finally:
        gc.unfreeze()
