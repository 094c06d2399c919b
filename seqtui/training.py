"""Training: prepare the data, build or resume the model, fit, and keep the bundle and checkpoints current.

`train(cfg, listener, stop, pause)` is the one entry point; the CLI and the dashboard both call it.
It reports through events (see `seqtui.events`) and stops or pauses through `threading.Event`s.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqtui import atomic, bundle, data, lock
from seqtui.batching import Encoded
from seqtui.config import Config
from seqtui.errors import BundleError, SeqtuiError, TrainingFailed
from seqtui.events import CheckpointSaved, EpochEnded, Listener, TrainingEnded, TrainingStarted, ignore
from seqtui.vocab import Vocab

SAMPLE_COUNT = 4
RESUME_KEEPS = ("epochs", "patience", "steps_per_epoch", "checkpoint_every", "strategy")


@dataclass
class Prepared:
    """The run's data: both splits as pairs and as ids, the vocabularies, and what was skipped."""

    train_pairs: list[data.Pair]
    val_pairs: list[data.Pair]
    source: Vocab
    target: Vocab
    train: Encoded
    val: Encoded
    skipped: str
    files: list[Path]
    seconds: float

    @functools.cached_property
    def max_target_len(self) -> int:
        return max(len(t) for _, t in self.train_pairs + self.val_pairs)


def prepare(cfg: Config, vocabs: tuple[Vocab, Vocab] | None = None) -> Prepared:
    """Read the corpus, pick the pairs and the validation split, and encode them as ids.

    Args:
        cfg: the run's config.
        vocabs: (source, target) vocabularies to reuse (a resumed run); None builds them from the pairs.
    """
    t0 = time.perf_counter()
    limit = cfg.num_samples if cfg.sample == "first" else 0
    corpus = data.read_corpus(cfg.train_dir, limit=limit)
    pairs = data.select(corpus.pairs, cfg.num_samples, cfg.sample, cfg.seed, cfg.reverse)
    if cfg.val_data:
        val_corpus = data.read_corpus(Path(cfg.val_data))
        train_pairs, val_pairs = pairs, data.select(val_corpus.pairs, 0, reverse=cfg.reverse)
    else:
        train_pairs, val_pairs = data.split(pairs, cfg.val_split)
    if not val_pairs:
        raise SeqtuiError(f"only {len(pairs)} pairs: none left for validation (raise num_samples or val_split)")
    if vocabs is None:
        vocabs = (Vocab.build(s for s, _ in pairs), Vocab.build(t for _, t in pairs))
    source, target = vocabs
    return Prepared(train_pairs, val_pairs, source, target,
                    Encoded.from_pairs(train_pairs, source, target), Encoded.from_pairs(val_pairs, source, target),
                    corpus.skipped_summary(), corpus.files, time.perf_counter() - t0)


def train(cfg: Config, listener: Listener = ignore, stop: threading.Event | None = None,
          pause: threading.Event | None = None, resume: bool = False, fresh: bool = False) -> TrainingEnded:
    """Train a model into cfg.model_dir, reporting events to `listener`.

    Args:
        cfg: the run's config.
        listener: receives TrainingStarted, BatchEnded, EpochEnded, CheckpointSaved and TrainingEnded.
        stop: set it to stop after the current batch (a checkpoint is saved first).
        pause: while set, training waits between batches.
        resume: continue from the checkpoint in model_dir (a new run if there is none).
        fresh: discard a previous run in model_dir.

    Raises:
        SeqtuiError: bad config or data, a busy or occupied model folder, or a NaN loss.
    """
    model_dir = _usable_dir(cfg.model_dir)
    with lock.hold(model_dir):
        return _Run(cfg, listener, stop or threading.Event(), pause or threading.Event()).start(
            resume, fresh)


def _usable_dir(model_dir: Path) -> Path:
    if model_dir.exists() and not model_dir.is_dir():
        raise BundleError(f"{model_dir}: model_dir is a file, not a folder")
    try:
        model_dir.mkdir(parents=True, exist_ok=True)
        probe = model_dir / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise BundleError(f"{model_dir}: cannot write to the model folder ({e.strerror or e})") from None
    return model_dir


VAL_BATCHES = 4  # a validation batch holds this many training batches' rows


class _Run:
    """One training run's state: the model, its history, and the files it keeps current."""

    def __init__(self, cfg: Config, listener: Listener, stop: threading.Event, pause: threading.Event) -> None:
        self.cfg, self.listener, self.stop, self.pause = cfg, listener, stop, pause
        self.dir = cfg.model_dir
        self.history: list[dict[str, Any]] = []
        self.best: dict[str, Any] | None = None
        self.reason = "finished"
        self.model: Any = None

    def start(self, resume: bool, fresh: bool) -> TrainingEnded:
        for folder in (self.dir, self.dir / bundle.CKPT_DIR):  # we hold the lock: no writer is alive
            atomic.remove_stale(folder)
        checkpoint = bundle.read_checkpoint(self.dir) if not fresh else None
        if not resume and not fresh and (checkpoint or bundle.exists(self.dir)):
            held = " and ".join(n for n, ok in [(bundle.MODEL, bundle.exists(self.dir)),
                                               ("a checkpoint", checkpoint)] if ok)
            raise SeqtuiError(f"{self.dir} already holds {held}; pass --resume to continue that run "
                              "or --fresh to discard it")
        if fresh or (resume and checkpoint is None):
            bundle.clear(self.dir)
        state: dict[str, Any] = checkpoint[1] if checkpoint else {}
        vocabs = None
        if checkpoint:
            saved = bundle.load_meta(self.dir)
            self.cfg = _resumed_config(saved.meta, self.cfg)
            vocabs = (saved.source, saved.target)
            self.history = list(state.get("history", []))
            self.best = _best(self.history, self.cfg.monitor)
            if state["epoch"] >= self.cfg.epochs and not state.get("batch"):
                return self._ended("complete", state["epoch"])
        prep = prepare(self.cfg, vocabs)
        return self._fit(prep, checkpoint[0] if checkpoint else None, state)

    def _fit(self, prep: Prepared, checkpoint: Path | None, state: dict[str, Any]) -> TrainingEnded:
        from seqtui.backend import import_keras, strategy_scope

        import_keras()  # before feeding, which subclasses Keras classes
        from seqtui import model as model_lib
        from seqtui.feeding import Reporter

        place = strategy_scope(self.cfg.strategy)
        first_epoch = int(state.get("epoch", 0))
        _same_start(place, first_epoch, int(state.get("batch", 0)))
        with place.scope:  # JAX's DataParallel must be current while fitting too, not only while building
            if checkpoint is not None:
                self.model = bundle.load_keras_model(checkpoint)
            else:
                self.model = model_lib.build(self.cfg, len(prep.source), len(prep.target))
            if not place.xla:
                self.model.jit_compile = False
            if not bundle.exists(self.dir) or checkpoint is None:
                bundle.write_meta(self.dir, prep.source, prep.target, self._meta(prep))
            feed, val_feed = self._feeds(prep, place, first_epoch)
            self.prep, self.probes = prep, _probes(prep.val_pairs)
            self.listener(TrainingStarted(self._info(prep, place), first_epoch + 1, self.cfg.epochs, len(feed),
                                          resumed=checkpoint is not None))
            reporter = Reporter(feed, self.listener, self._epoch_done, self.stop, self.pause,
                                self._maybe_checkpoint, val_feed)
            self._run_fit(feed, first_epoch, reporter, place.replicas)
        done = len(self.history) and self.history[-1]["epoch"]
        if reporter.bad_loss is not None:
            raise TrainingFailed(f"the loss became {reporter.bad_loss} in epoch {reporter.epoch + 1}, batch "
                                 f"{reporter.batches_done + 1}; training stopped. The last good checkpoint "
                                 f"(epoch {done}) and model are kept in {self.dir}")
        if not reporter.epoch_complete:
            self._checkpoint(done, reporter.batches_done)
            self.reason = "stopped"
        elif reporter.stopped:
            self.reason = "stopped"
        return self._ended(self.reason, done)

    def _run_fit(self, feed: Any, first_epoch: int, reporter: Any, replicas: int) -> None:
        from seqtui.feeding import train_epochs

        try:
            if replicas == 1:
                train_epochs(self.model, feed, self.cfg.epochs, first_epoch, reporter)
            else:  # fit spreads each batch over the replicas
                self.model.fit(feed, epochs=self.cfg.epochs, initial_epoch=first_epoch, verbose=0,
                               callbacks=[reporter])
        except SeqtuiError:
            raise
        except Exception as e:
            # With NaN weights TensorFlow's sparse optimizer updates can fail before a loss is reported.
            if not _finite(self.model):
                reporter.bad_loss = math.nan
            else:
                first_line = (str(e).strip().splitlines() or [""])[0]
                raise TrainingFailed(f"{type(e).__name__} in epoch {reporter.epoch + 1}: {first_line}. The last "
                                     f"good checkpoint and model are kept in {self.dir}") from e

    def _feeds(self, prep: Prepared, place: Any, first_epoch: int) -> tuple[Any, Any]:
        """The training and validation batches, each global batch holding batch_size rows per replica."""
        from seqtui.feeding import BucketedBatches, rounding

        # batch_size is per replica, as tf.distribute's and Keras' guides scale it: the global batch grows with
        # the devices, so each device does a single-device step's work and an epoch takes fewer steps.
        size, split = self.cfg.batch_size * place.replicas, {"replicas": place.replicas,
                                                             "shard": (place.process, place.processes),
                                                             "round_to": rounding(self.model)}
        return (BucketedBatches(prep.train, size, self.cfg.seed, first_epoch, steps=self.cfg.steps_per_epoch,
                                for_fit=place.replicas > 1, **split),  # see _run_fit
                # Validation only runs forward, where bigger batches cost nothing in memory worth counting
                # and cut the steps: 4x batch_size took 10k pairs' validation from 0.40 s to 0.31 s.
                BucketedBatches(prep.val, VAL_BATCHES * size, self.cfg.seed, shuffle=False, **split))

    def _epoch_done(self, epoch: int, logs: dict[str, float], seconds: float, chars: int) -> None:
        record = {"epoch": epoch + 1, "loss": logs.get("loss"),
                  "accuracy": logs.get("sparse_categorical_accuracy"), "val_loss": logs.get("val_loss"),
                  "val_accuracy": logs.get("val_sparse_categorical_accuracy"), "seconds": round(seconds, 3),
                  "chars_per_second": round(chars / seconds, 1) if seconds > 0 else 0.0}
        record = {k: (round(float(v), 6) if isinstance(v, float) else v) for k, v in record.items()}
        engine = self._snapshot()
        if self.cfg.monitor == "val_chrf":
            record["val_chrf"] = round(_chrf(engine, self.prep.val_pairs), 3)
        improved = _better(record, self.best, self.cfg.monitor)
        if improved:
            self.best = record
            bundle.save_model(self.dir / bundle.MODEL, self.model)
        record["best"] = improved
        self.history.append(record)
        bundle.write_history(self.dir, self.history)
        self._checkpoint(epoch + 1, 0)
        samples = list(zip([s for s, _ in self.probes], [t for _, t in self.probes],
                           engine.translate_batch([s for s, _ in self.probes]), strict=True))
        self.listener(EpochEnded(record, improved, samples, engine))
        if self.cfg.patience and self.best and epoch + 1 - self.best["epoch"] >= self.cfg.patience:
            self.reason = "early_stopped"
            self.model.stop_training = True

    def _snapshot(self) -> Any:
        from seqtui.decoding import Engine
        from seqtui.weights import from_model

        max_len = self.cfg.max_output_len or 2 * self.prep.max_target_len
        return Engine(from_model(self.model), self.prep.source, self.prep.target, max_len)

    def _maybe_checkpoint(self, epoch: int, batch: int) -> None:
        every = self.cfg.checkpoint_every
        if every and batch % every == 0:
            self._checkpoint(epoch, batch)

    def _checkpoint(self, epoch: int, batch: int) -> None:
        state = {"epoch": epoch, "batch": batch, "history": self.history,
                 "best_epoch": self.best["epoch"] if self.best else None}
        path = bundle.write_checkpoint(self.dir, self.model, state)
        if not bundle.exists(self.dir):  # before the first epoch ends: let translate work already
            bundle.save_model(self.dir / bundle.MODEL, self.model)
        self.listener(CheckpointSaved(str(path), epoch, batch))

    def _ended(self, reason: str, epochs_done: int) -> TrainingEnded:
        event = TrainingEnded(reason, epochs_done, self.best["epoch"] if self.best else None,
                              self.best["val_loss"] if self.best else None, str(self.dir))
        self.listener(event)
        return event

    def _meta(self, prep: Prepared) -> dict[str, Any]:
        return {"config": self.cfg.to_dict(), "max_target_len": prep.max_target_len,
                "split": {"files": [str(f) for f in prep.files], "train_pairs": len(prep.train_pairs),
                          "val_pairs": len(prep.val_pairs), "val_data": self.cfg.val_data,
                          "val_split": self.cfg.val_split, "num_samples": self.cfg.num_samples,
                          "sample": self.cfg.sample, "reverse": self.cfg.reverse}}

    def _info(self, prep: Prepared, place: Any) -> dict[str, Any]:
        from seqtui.backend import name

        return {"data": ", ".join(f.name for f in prep.files), "train_pairs": len(prep.train_pairs),
                "val_pairs": len(prep.val_pairs), "source_vocab": len(prep.source),
                "target_vocab": len(prep.target), "architecture": self.cfg.architecture,
                "latent_dim": self.cfg.latent_dim, "batch_size": self.cfg.batch_size,
                "global_batch_size": self.cfg.batch_size * place.replicas,
                "parameters": int(self.model.count_params()), "optimizer": self.cfg.optimizer,
                "backend": name(), "devices": place.devices, "replicas": place.replicas,
                "distribution": place.engine, "process": place.process, "processes": place.processes,
                "skipped": prep.skipped, "prepare_seconds": round(prep.seconds, 3),
                "model_dir": str(self.dir)}


def _finite(model: Any) -> bool:
    import numpy as np

    return all(bool(np.isfinite(w).all()) for w in model.get_weights())


def _better(record: dict[str, Any], best: dict[str, Any] | None, monitor: str) -> bool:
    """Whether `record` beats `best` on `monitor` (lower val_loss, or higher val_chrf)."""
    value = record.get(monitor)
    if value is None or not math.isfinite(value):
        return False
    if best is None or best.get(monitor) is None:
        return True
    return value < best[monitor] if monitor == "val_loss" else value > best[monitor]


def _best(history: list[dict[str, Any]], monitor: str) -> dict[str, Any] | None:
    best = None
    for record in history:
        if _better(record, best, monitor):
            best = record
    return best


def _chrf(engine: Any, pairs: list[data.Pair], most: int = 1000) -> float:
    """chrF of greedy translations of (up to `most`, evenly spread) validation pairs."""
    import sacrebleu

    chosen = pairs[:: max(1, len(pairs) // most)][:most]
    hyps = engine.translate_batch([s for s, _ in chosen])
    return float(sacrebleu.corpus_chrf(hyps, [[t for _, t in chosen]]).score)


def _probes(val_pairs: list[data.Pair]) -> list[data.Pair]:
    step = max(1, len(val_pairs) // SAMPLE_COUNT)
    return val_pairs[::step][:SAMPLE_COUNT]


def _resumed_config(meta: dict[str, Any], current: Config) -> Config:
    """The saved run's config, with only the settings that may change between sessions taken from now."""
    from seqtui import config as config_lib

    saved = dict(meta.get("config", {}))
    saved.update({k: getattr(current, k) for k in RESUME_KEEPS})
    try:
        return config_lib.merge(current, saved)
    except SeqtuiError as e:
        raise BundleError(f"the saved run's config cannot be used: {e}") from None


def _same_start(place: Any, epoch: int, batch: int) -> None:
    """Processes that train together must start from the same point: each resumes from its own model_dir."""
    from seqtui.backend import every_process

    if place.processes == 1:
        return
    starts = every_process(epoch, batch)
    if len(set(starts)) > 1:
        where = ", ".join(f"process {i} at epoch {e} batch {b}" for i, (e, b) in enumerate(starts))
        raise SeqtuiError(f"the processes would start from different checkpoints ({where}); each one resumes "
                          "from its own --model-dir, so give them copies of the same run, or pass --fresh")
