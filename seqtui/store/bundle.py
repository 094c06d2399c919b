"""The model bundle on disk, and the checkpoints beside it.

    model_dir/
      model.keras        best weights so far (what `translate` loads)
      vocab.json         source and target characters (ids follow the reserved ones)
      config.json        the resolved config, the data split and the decoding limits
      history.jsonl      one JSON object per finished epoch
      checkpoint/        latest.json -> ckpt-<epoch>-<batch>.keras (weights and optimizer state)
      seqtui.json        the manifest that marks the folder as seqtui's (see `seqtui.rundir`)
      samples.json       the last epoch's sample translations (what `dashboard --follow` shows)
      evaluation.json    the last `seqtui evaluate` scores (what `seqtui runs` lists)
      events.out.tfevents.*  TensorBoard's event files, with `tensorboard = true`

Every file is written to a temporary name and renamed, and a checkpoint is only pointed at once it
is complete, so an interruption at any moment leaves the last good files loadable. This module knows
the files' formats; `seqtui.rundir` decides which folders may be written and when a run resumes.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqtui import atomic
from seqtui.data.vocab import RESERVED, Vocab
from seqtui.errors import BundleError
from seqtui.records import EpochRecord
from seqtui.store import saved
from seqtui.store.saved import (
    CKPT_DIR,
    CKPT_POINTER,
    EVALUATION,
    FORMAT,
    HISTORY,
    JSON_LIMIT,
    META,
    MODEL,
    SAMPLES,
    VOCAB,
    Checkpoint,
    RunMeta,
    TrainingState,
    read_checkpoint,
    read_history,
    read_json,
)

__all__ = ["CKPT_DIR", "CKPT_POINTER", "EVALUATION", "FORMAT", "HISTORY", "JSON_LIMIT", "META", "MODEL", "SAMPLES",
           "TB_EVENTS", "VOCAB", "Bundle", "Checkpoint", "RunMeta", "TrainingState", "checkpoint_name", "exists",
           "load", "load_keras_model", "load_meta", "read_checkpoint", "read_history", "read_json", "read_samples",
           "save_model", "write_checkpoint", "write_history", "write_meta", "write_samples"]

TB_EVENTS = re.compile(r"events\.out\.tfevents\.\d+\.[\w.-]+")  # the names tf.summary gives its event files


@dataclass
class Bundle:
    """A trained model's metadata and vocabularies (the weights are read on demand)."""

    path: Path
    source: Vocab
    target: Vocab
    meta: RunMeta
    warning: str = ""

    @property
    def model_file(self) -> Path:
        return self.path / MODEL

    @property
    def max_len(self) -> int:
        """The longest translation decoding allows: the config's max_output_len, else 2 x longest target."""
        return self.meta.max_len

    @property
    def longest_sentence(self) -> int:
        """The longest source sentence of the run's data (runs before it was recorded: the longest
        target, the nearest figure they kept)."""
        return self.meta.max_source_len or self.meta.max_target_len

    def engine(self, weights: Any = None) -> Any:
        """A decoding engine on this bundle's weights (read from model.keras unless given).

        If model.keras is damaged but a good checkpoint exists, its weights are used instead and
        `self.warning` says so.
        """
        from seqtui.decode.decoding import Engine
        from seqtui.model.weights import check_shapes, read_keras_file

        if weights is None:
            try:
                weights = read_keras_file(self.model_file)
            except BundleError as damaged:
                weights = read_keras_file(self._fallback(damaged))
        check_shapes(weights, len(self.source), len(self.target), self.path)  # before decoding indexes them
        return Engine(weights, self.source, self.target, self.max_len)

    def weights_file(self) -> Path:
        """model.keras, or the last checkpoint when model.keras is damaged (then `self.warning` says so)."""
        from seqtui.model.weights import read_keras_file

        try:
            read_keras_file(self.model_file)
            return self.model_file
        except BundleError as damaged:
            return self._fallback(damaged)

    def _fallback(self, damaged: BundleError) -> Path:
        checkpoint = read_checkpoint(self.path) if (self.path / CKPT_DIR).is_dir() else None
        if checkpoint is None:
            raise damaged
        self.warning = (f"{damaged}. Using the last checkpoint ({checkpoint.path.name}) instead; "
                        "`seqtui train --resume` rewrites model.keras")
        return checkpoint.path


def exists(model_dir: Path) -> bool:
    """Whether `model_dir` holds a saved model."""
    return (Path(model_dir) / MODEL).is_file()


def load(model_dir: Path) -> Bundle:
    """Read a bundle's vocabularies and metadata.

    Raises:
        BundleError: no model there, or its files are damaged.
    """
    model_dir = Path(model_dir)
    if not exists(model_dir):
        raise BundleError(f"no trained model in {model_dir} (looked for {MODEL}); train one into it with "
                          f"`seqtui train --model-dir {model_dir}`, or choose another model (--model)")
    return load_meta(model_dir)


def load_meta(model_dir: Path) -> Bundle:
    """Read a bundle's vocabularies and metadata, whether or not model.keras exists yet (BundleError)."""
    model_dir = Path(model_dir)
    source, target = saved.read_vocabs(model_dir)
    return Bundle(model_dir, source, target, saved.read_meta(model_dir))


def write_meta(model_dir: Path, source: Vocab, target: Vocab, meta: RunMeta | dict[str, Any]) -> None:
    """Write vocab.json and config.json (atomically); `meta` as `saved.read_meta` reads it back."""
    meta = meta.to_dict() if isinstance(meta, RunMeta) else meta
    atomic.write_json(Path(model_dir) / VOCAB, {"format": FORMAT, "reserved": list(RESERVED),
                                                 "source": source.to_list(), "target": target.to_list()})
    atomic.write_json(Path(model_dir) / META, {"format": FORMAT, **meta})


def save_model(path: Path, model: Any) -> None:
    """Save a Keras model (with its optimizer state) atomically; Keras wants a `.keras` name."""
    atomic.write_with(Path(path), lambda tmp: model.save(tmp), suffix=".keras")


def load_keras_model(path: Path, compile_with: Any = None) -> Any:
    """Load a `.keras` file with Keras, in safe mode, after refusing foreign layers (BundleError).

    A weights-only file (a shipped model) comes back uncompiled; it is compiled with `compile_with`
    (a Config; the defaults when None), so it can be trained or scored at once.
    """
    from seqtui.model.backend import import_keras
    from seqtui.model.weights import check_keras_file, private_copy

    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="seqtui-load-") as private:
        copy = private_copy(path, Path(private))  # what is checked is what Keras loads
        check_keras_file(path, opened=copy)
        keras = import_keras()
        import seqtui.model.losses  # noqa: F401  (registers the label-smoothed loss a model may have been compiled with)

        try:
            model = keras.saving.load_model(copy, safe_mode=True)
        except Exception as e:  # Keras raises many kinds for a damaged file; all mean the same to a user
            raise BundleError(f"{path}: the model file is damaged ({type(e).__name__}); retrain with --fresh") from None
    if getattr(model, "optimizer", None) is None:
        from seqtui.config import Config
        from seqtui.model import build as model_lib

        model_lib.compile_model(model, compile_with or Config())
    return model


def write_history(model_dir: Path, records: list[EpochRecord]) -> None:
    atomic.write_text(Path(model_dir) / HISTORY, "".join(json.dumps(r.to_dict()) + "\n" for r in records))


def write_samples(model_dir: Path, epoch: int, samples: list[tuple[str, str, str]]) -> None:
    """Record an epoch's sample translations (source, reference, hypothesis), replacing the last ones."""
    atomic.write_json(Path(model_dir) / SAMPLES, {"epoch": epoch, "samples": [list(s) for s in samples]})


def read_samples(model_dir: Path) -> tuple[int, list[tuple[str, str, str]]]:
    """(epoch, samples) as `write_samples` left them; (0, []) when there are none or the file is not ours."""
    raw = saved.read_json_object(Path(model_dir) / SAMPLES)
    if raw is None:
        return 0, []
    try:
        epoch, rows = raw["epoch"], raw["samples"]
        samples = [(a, b, c) for a, b, c in rows[:64]]
    except (ValueError, KeyError, TypeError):
        return 0, []
    texts = all(isinstance(t, str) and len(t) <= saved.MAX_TEXT for row in samples for t in row)
    ok = texts and isinstance(epoch, int) and not isinstance(epoch, bool) and epoch > 0
    return (epoch, samples) if ok else (0, [])


# -- checkpoints ---------------------------------------------------------------------------------


def checkpoint_name(epoch: int, batch: int) -> str:
    """The file name of the checkpoint after `epoch` epochs and `batch` batches of the next."""
    return f"ckpt-{epoch:05d}-{batch:06d}.keras"


def write_checkpoint(model_dir: Path, model: Any, state: TrainingState, keep: frozenset[str] = frozenset()) -> Path:
    """Save weights and optimizer state, then point latest.json at them, then drop older ones but `keep`."""
    folder = Path(model_dir) / CKPT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    name = checkpoint_name(state.epoch, state.batch)
    save_model(folder / name, model)
    atomic.write_json(folder / CKPT_POINTER, state.pointer(name))
    for old in folder.glob("ckpt-*.keras"):
        if old.name != name and old.name not in keep:
            old.unlink(missing_ok=True)
    return folder / name


