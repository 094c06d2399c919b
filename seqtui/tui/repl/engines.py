"""Which weights the REPL decodes with: the last epoch's snapshot while training, else the saved model.

Used from decoding threads and the UI thread alike, so every access holds a lock, but reading a saved
model does not: the UI thread's calls never wait on a read. The saved model is read lazily and re-read
when `model.keras` changes on disk (a run ended, or a followed run improved).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seqtui.decode.text import languages
from seqtui.store import bundle
from seqtui.store.catalog import ModelChoice, Request

EngineLoader = Callable[[Path], Any]


def load_saved(model_dir: Path) -> Any:
    """The decoding engine of the bundle in `model_dir` (raises BundleError when there is none), reading
    as much of a sentence as the model can use (`Engine.source_limit`), splitting a text into sentences in
    its source language."""
    saved = bundle.load(model_dir)
    engine = saved.engine()
    engine.longest_source = saved.longest_sentence
    engine.language = languages(saved.meta.config.reverse)[0]
    return engine


class EngineSource:
    """Hands out the engine the REPL should use now, with a short label saying which it is."""

    def __init__(self, model_dir: Path, load: EngineLoader = load_saved, request: Request | None = None) -> None:
        self.request = request or Request()
        self._model_dir = Path(model_dir)
        self._load = load
        self._lock = threading.Lock()  # guards the fields below; never held while a model is read
        self._reading = threading.Lock()  # one read of a saved model at a time
        self._snapshot: tuple[Any, str] | None = None
        self._saved: tuple[Any, tuple[Any, ...]] | None = None
        self._named = False  # the user chose a model with :model: it answers, not training's snapshots

    @property
    def model_dir(self) -> Path:
        with self._lock:
            return self._model_dir

    @model_dir.setter
    def model_dir(self, path: Path) -> None:
        with self._lock:
            self._model_dir = Path(path)

    @property
    def loader(self) -> EngineLoader:
        """How this source reads a saved model (a REPL opened on another run reads it the same way)."""
        return self._load

    def use_snapshot(self, engine: Any, epoch: int) -> None:
        """Decode with this epoch's weights until training ends."""
        with self._lock:
            self._snapshot = (engine, f"the epoch {epoch} snapshot")

    def switch(self, name: str) -> ModelChoice:
        """Answer with `name` (a shipped model's name or a folder) from now on, even while training.

        Raises:
            BundleError: there is no such model.
        """
        request = Request(name)
        choice = request.choose(self.model_dir)
        with self._lock:
            self.request, self._named = request, True
        return choice

    def training_over(self) -> None:
        """Go back to the saved model (the best epoch, which training just wrote)."""
        with self._lock:
            self._snapshot = None

    def get(self) -> tuple[Any, str]:
        """(engine, label). Call it from a worker thread: the first call reads the weights file, without
        holding the lock the UI thread takes at each epoch end.

        Raises:
            BundleError: no snapshot and no usable saved model.
        """
        with self._lock:
            if self._snapshot is not None and not self._named:  # no need to queue behind another read
                return self._snapshot
        with self._reading:
            with self._lock:
                if self._snapshot is not None and not self._named:
                    return self._snapshot
                choice = self.request.choose(self._model_dir)
                stamp = (choice.path, *self._stamp(choice.path))
                if self._saved is not None and self._saved[1] == stamp:
                    return self._saved[0], choice.describe()
            engine = self._load(choice.path)
            with self._lock:
                self._saved = (engine, stamp)
            return engine, choice.describe()

    def choice(self) -> ModelChoice:
        """Which saved model answers now (`catalog.choose`: the one asked for, else the run in model_dir once
        it beats the shipped model, else the shipped one)."""
        return self.request.choose(self.model_dir)

    def passed_over(self) -> str:
        """Why the user's run does not answer ("" while a snapshot answers, or when it does)."""
        with self._lock:
            snapshot_answers = self._snapshot is not None and not self._named
        return "" if snapshot_answers else self.choice().passed_over

    @staticmethod
    def _stamp(path: Path) -> tuple[int, int]:
        try:
            st = (path / bundle.MODEL).stat()
        except OSError:
            return (0, 0)
        return (st.st_mtime_ns, st.st_size)
