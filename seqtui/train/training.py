"""Training: prepare the data, start where the run folder's policy says, and run the batch loop.

`train(cfg, listener, stop, pause, resume, fresh)` is the one entry point; the CLI, the dashboard and
the Python API all call it. Which folder may be written is `seqtui.store.rundir`'s to decide, where a
run resumes `seqtui.store.resume`'s; each job done during training is one callback in
`seqtui.train.callbacks`. It reports through events (see `seqtui.events`) and stops or pauses through
`threading.Event`s.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqtui.config import Config
from seqtui.data import corpus as data
from seqtui.data.augment import AugmentedEpochs, case_forms
from seqtui.data.batching import Encoded
from seqtui.data.vocab import Vocab
from seqtui.decode.decoding import Engine
from seqtui.errors import BundleError, SeqtuiError, TrainingFailed
from seqtui.events import Listener, TrainingEnded, TrainingStarted, ignore
from seqtui.model import build as model_lib
from seqtui.model.backend import Placement, every_process, import_keras, name, strategy_scope
from seqtui.model.weights import from_model
from seqtui.records import EpochRecord, Monitor, Reason, RunInfo
from seqtui.store import bundle, catalog
from seqtui.store.resume import StartPlan, ended_note
from seqtui.store.rundir import RunDir
from seqtui.store.saved import RunMeta, Split

SAMPLE_COUNT = 4


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

    @functools.cached_property
    def max_source_len(self) -> int:
        return max(len(s) for s, _ in self.train_pairs + self.val_pairs)

    @functools.cached_property
    def fingerprint(self) -> data.Fingerprint:
        return data.fingerprint(self.files, self.train_pairs, self.val_pairs)


def prepare(cfg: Config, vocabs: tuple[Vocab, Vocab] | None = None) -> Prepared:
    """Read the corpus, pick the pairs and the validation split, and encode them as ids.

    Args:
        cfg: the run's config.
        vocabs: (source, target) vocabularies to reuse (a resumed run); None builds them from the pairs.
    """
    t0 = time.perf_counter()
    limit = cfg.num_samples if cfg.sample == "first" else 0
    corpus = data.read_corpus(cfg.train_dir, limit=limit, setting=TRAIN_DIR_SETTING)
    pairs = data.select(corpus.pairs, cfg.num_samples, cfg.sample, cfg.seed, cfg.reverse)
    if cfg.val_data:
        val_corpus = data.read_corpus(Path(cfg.val_data), setting=VAL_DATA_SETTING)
        train_pairs, val_pairs = pairs, data.select(val_corpus.pairs, 0, reverse=cfg.reverse)
    else:
        train_pairs, val_pairs = data.split(pairs, cfg.val_split)
    if not val_pairs:
        skipped = corpus.skipped_summary()
        raise SeqtuiError(f"{cfg.train_dir}: only {len(pairs)} pair{'' if len(pairs) == 1 else 's'}, none left for "
                          f"validation (raise num_samples or val_split){f'; {skipped}' if skipped else ''}")
    if vocabs is None:
        sources = [s for s, _ in pairs]
        # Casual forms change letter case, so the source vocabulary holds both cases of its letters.
        vocabs = (Vocab(case_forms(sources)) if cfg.augment == "casual" else Vocab.build(sources),
                  Vocab.build(t for _, t in pairs))
    source, target = vocabs
    return Prepared(train_pairs, val_pairs, source, target,
                    Encoded.from_pairs(train_pairs, source, target), Encoded.from_pairs(val_pairs, source, target),
                    corpus.skipped_summary(), corpus.files, time.perf_counter() - t0)


class DataChanged(SeqtuiError):
    """The corpus no longer holds the pairs a run was trained on."""

    title = "Data changed"


RESUME_REMEDY = ("to resume, restore it or point --train-dir at the run's files; or train a new run with --fresh "
                 "or another --model-dir")
TRAIN_DIR_SETTING = "train_dir in sequencer.toml, or --train-dir"
VAL_DATA_SETTING = "val_data in sequencer.toml, or --val-data"


def check_same_data(meta: RunMeta, prep: Prepared, model_dir: Path, splits: tuple[str, ...] = ("train", "val"),
                    remedy: str = RESUME_REMEDY) -> None:
    """Stop when `prep` holds other pairs than the run recorded (runs from before fingerprints pass).

    Args:
        remedy: what to do about it, in the words (and flags) of the command that checks.

    Raises:
        DataChanged: naming what changed.
    """
    change = data.data_change(meta.data, prep.fingerprint, splits) if meta.data is not None else ""
    if change:
        raise DataChanged(f"{model_dir}: the data is not what this run was trained on ({change}); {remedy}")


def train(cfg: Config, listener: Listener = ignore, stop: threading.Event | None = None,
          pause: threading.Event | None = None, resume: bool = False, fresh: bool = False,
          init_from: Path | None = None, flags: dict[str, Any] | None = None) -> TrainingEnded:
    """Train a model into cfg.model_dir, reporting events to `listener`.

    Args:
        cfg: the run's config.
        listener: receives TrainingStarted, BatchEnded, EpochEnded, CheckpointSaved and TrainingEnded.
        stop: set it to stop after the current batch (a checkpoint is saved first).
        pause: while set, training waits between batches.
        resume: continue the run in model_dir: exactly from its checkpoint, else from its model's weights
            with a new optimizer, else a new run (see `seqtui.store.resume`).
        fresh: discard the run in model_dir first (only its own files).
        init_from: start a new run from this bundle's weights and vocabularies (fine-tuning); its
            architecture settings are taken with them, characters it does not know are reported.
        flags: the command's flags (None values: not given). A resumed run keeps its own settings, but
            those of `seqtui.store.resume.RESUME_FLAGS` given here (the note says so); without `flags`, cfg's.

    Raises:
        SeqtuiError: bad config or data, a busy, foreign or occupied model folder, changed data, or
            training that went non-finite (the last good files are kept).
    """
    run = RunDir(cfg.model_dir)
    run.open_for_writing()
    try:
        with run.lock() as seen:  # the folder read once, under the lock: the plan and the session use that
            plan = run.plan(cfg, resume, fresh, init_from, flags, seen)
            return _Run(plan.cfg or cfg, run, listener, stop or threading.Event(),
                        pause or threading.Event()).start(plan)
    except OSError as e:  # claiming the folder, writing its metadata: a full disk, a folder made read-only
        where = e.filename or cfg.model_dir
        raise BundleError(f"{where}: cannot write the run's files ({e.strerror or e}); the files already "
                          "written are kept") from None


VAL_BATCHES = 4  # a validation batch holds this many training batches' rows


class _Run:
    """One training session: the config it resolves to, the model, and the callbacks that do the work."""

    def __init__(self, cfg: Config, run: RunDir, listener: Listener, stop: threading.Event,
                 pause: threading.Event) -> None:
        self.cfg, self.run, self.listener, self.stop, self.pause = cfg, run, listener, stop, pause
        self.dir = run.path

    def start(self, plan: StartPlan) -> TrainingEnded:
        vocabs = plan.vocabs  # as the plan read them: the run's own, or the bundle a new run starts from
        if plan.start == "init" and plan.meta is not None:
            self.cfg = _shaped_like(plan.meta, self.cfg)
        if plan.complete:  # nothing to train; a run from before comparisons is compared now
            best = Monitor.of(self.cfg.monitor).best_of(plan.history)
            return self._ended("complete", plan.history, note=ended_note(plan, self.cfg, self.dir),
                               answers=self._compare(lambda: prepare(self.cfg, vocabs).val_pairs, best))
        prep = prepare(self.cfg, vocabs)
        if plan.start in ("checkpoint", "model") and plan.meta is not None:
            check_same_data(plan.meta, prep, self.dir)
        else:
            if plan.start == "init":
                plan = dataclasses.replace(plan, note=" ".join(filter(None, [plan.note, unknown_note(prep)])))
            self.run.claim()
            bundle.write_meta(self.dir, prep.source, prep.target, self._meta(prep))
        self.run.mark_started(plan.epoch, self.cfg.epochs)
        return self._fit(prep, plan)

    def _fit(self, prep: Prepared, plan: StartPlan) -> TrainingEnded:
        import_keras()  # before the Keras-facing modules, which subclass Keras classes
        from seqtui.train import callbacks as cb
        from seqtui.train.jobs import session_jobs

        place = strategy_scope(self.cfg.strategy)
        _same_start(place, plan.epoch, plan.batch)
        log = cb.RunLog(Monitor.of(self.cfg.monitor), list(plan.history))
        with place.scope:  # JAX's DataParallel must be current while fitting too, not only while building
            model = self._model(prep, plan, place.xla)
            feed, val_feed = self._feeds(prep, place, plan.epoch, model)
            clock = cb.EpochClock(feed)
            jobs = session_jobs(self.cfg, self.dir, clock, log, val_feed, prep.val_pairs, _probes(prep.val_pairs),
                                lambda model: self._snapshot(model, prep), plan.epoch, self.listener, self.stop,
                                self.pause)
            self.listener(TrainingStarted(self._info(prep, place, model), plan.epoch + 1, self.cfg.epochs,
                                          len(feed), resumed=plan.start in ("checkpoint", "model"), start=plan.start,
                                          note=plan.note))
            try:
                self._run_fit(model, feed, plan.epoch, jobs, place.replicas, clock)
            except cb.NonFiniteWeights as e:
                raise TrainingFailed(f"the weights became non-finite (inf or NaN) in epoch {clock.epoch + 1}; "
                                     f"{e} was not saved and training stopped. {self._kept()}") from None
        if clock.bad_loss is not None:
            raise TrainingFailed(f"the loss became {clock.bad_loss} in epoch {clock.epoch + 1}, batch "
                                 f"{clock.batches_done + 1}; training stopped. {self._kept()}")
        stopped = next(j for j in jobs if isinstance(j, cb.PauseStop)).stopped
        if not clock.complete and clock.batches_done:  # stopped mid-epoch: keep the batches done
            next(j for j in jobs if isinstance(j, cb.Checkpointer)).save(log.epochs_done, clock.batches_done)
        reason: Reason = "stopped" if stopped or not clock.complete else log.reason
        if reason != "stopped":
            self.run.mark_ended(reason, log.epochs_done)
        return self._ended(reason, log.records, log.best, answers=self._compare(lambda: prep.val_pairs, log.best))

    def _compare(self, val_pairs: Callable[[], list[data.Pair]], best: EpochRecord | None) -> str:
        """Which model answers now: the saved model compared with the shipped one (once per best epoch)."""
        from seqtui.train.compare import compare_with_shipped

        found = self.run.manifest().compared
        if best is not None and (found is None or found.epoch != best.epoch):
            found = compare_with_shipped(self.run, val_pairs(), best, self.cfg.reverse)
        return catalog.verdict(self.dir, found) if found is not None and best is not None else ""

    def _model(self, prep: Prepared, plan: StartPlan, xla: bool) -> Any:
        # Before loading as before building: a loaded model's dropout layers draw their seeds from the global
        # generators, so unseeded they would differ between two runs of one config (fine-tuning included).
        import_keras().utils.set_random_seed(self.cfg.seed)
        if plan.weights is None:
            model = model_lib.build(self.cfg, len(prep.source), len(prep.target))
        else:
            model = bundle.load_keras_model(plan.weights, self.cfg)
            if plan.start in ("model", "init"):  # weights only: a new optimizer, whatever the file holds
                model_lib.compile_model(model, self.cfg)
        if not xla:  # e.g. under a MirroredStrategy, whose compiled step cannot reach the other replicas
            model.jit_compile = False
        return model

    def _run_fit(self, model: Any, feed: Any, first_epoch: int, jobs: list[Any], replicas: int, clock: Any) -> None:
        from seqtui.train.callbacks import NonFiniteWeights, finite
        from seqtui.train.feeding import train_epochs

        try:
            if replicas == 1:
                train_epochs(model, feed, self.cfg.epochs, first_epoch, jobs)
            else:  # fit spreads each batch over the replicas
                model.fit(feed, epochs=self.cfg.epochs, initial_epoch=first_epoch, verbose=0, callbacks=jobs)
        except (SeqtuiError, NonFiniteWeights):
            raise
        except Exception as e:
            # With NaN weights TensorFlow's sparse optimizer updates can fail before a loss is reported.
            if not finite(model):
                raise NonFiniteWeights("the next checkpoint") from None
            first_line = (str(e).strip().splitlines() or [""])[0]
            raise TrainingFailed(f"{type(e).__name__} in epoch {clock.epoch + 1}: {first_line}. "
                                 f"{self._kept()}") from e

    def _kept(self) -> str:
        """What is still on disk after a failure, read from the disk itself."""
        checkpoint = bundle.read_checkpoint(self.dir)
        if checkpoint is None:
            return f"Nothing had been saved yet in {self.dir}"
        at = f"epoch {checkpoint.epoch}" + (f", batch {checkpoint.batch}" if checkpoint.batch else "")
        return f"The last good checkpoint ({at}) and model are kept in {self.dir}"

    def _feeds(self, prep: Prepared, place: Any, first_epoch: int, model: Any) -> tuple[Any, Any]:
        """The training and validation batches, each global batch holding batch_size rows per replica."""
        from seqtui.train.feeding import BucketedBatches, rounding

        # batch_size is per replica, as tf.distribute's and Keras' guides scale it: the global batch grows with
        # the devices, so each device does a single-device step's work and an epoch takes fewer steps.
        size, split = self.cfg.batch_size * place.replicas, {"replicas": place.replicas,
                                                             "shard": (place.process, place.processes),
                                                             "round_to": rounding(model)}
        variants = train_variants(self.cfg, prep)
        return (BucketedBatches(prep.train, size, self.cfg.seed, first_epoch, steps=self.cfg.steps_per_epoch,
                                for_fit=place.replicas > 1, variants=variants.encoded if variants else None,
                                **split),  # see _run_fit
                # Validation only runs forward, where bigger batches cost nothing in memory worth counting
                # and cut the steps (docs/benchmarks.md).
                BucketedBatches(prep.val, VAL_BATCHES * size, self.cfg.seed, shuffle=False, **split))

    def _snapshot(self, model: Any, prep: Prepared) -> Any:
        max_len = self.cfg.max_output_len or 2 * prep.max_target_len
        return Engine(from_model(model), prep.source, prep.target, max_len)

    def _ended(self, reason: Reason, history: list[EpochRecord], best: EpochRecord | None = None,
               note: str = "", answers: str = "") -> TrainingEnded:
        monitor = Monitor.of(self.cfg.monitor)
        best = best or monitor.best_of(history)
        event = TrainingEnded(reason, history[-1].epoch if history else 0, best.epoch if best else None,
                              monitor.name, monitor.score(best) if best else None, str(self.dir), note, answers)
        self.listener(event)
        return event

    def _meta(self, prep: Prepared) -> RunMeta:
        c = self.cfg
        return RunMeta(c, prep.max_target_len, prep.fingerprint,
                       Split(tuple(str(f) for f in prep.files), len(prep.train_pairs), len(prep.val_pairs), c.val_data,
                             c.val_split, c.num_samples, c.sample, c.reverse), prep.max_source_len)

    def _info(self, prep: Prepared, place: Any, model: Any) -> RunInfo:
        return RunInfo(", ".join(f.name for f in prep.files), len(prep.train_pairs), len(prep.val_pairs),
                       len(prep.source), len(prep.target), self.cfg.architecture, self.cfg.latent_dim,
                       self.cfg.batch_size, self.cfg.batch_size * place.replicas, int(model.count_params()),
                       self.cfg.optimizer, name(), list(place.devices), place.replicas, place.engine, place.process,
                       place.processes, prep.skipped, round(prep.seconds, 3), str(self.dir), self.cfg.monitor)


def train_variants(cfg: Config, prep: Prepared) -> AugmentedEpochs | None:
    """How the training split changes each epoch (casual sources, joined pairs), or None when it does not.
    The validation split never does."""
    casual = cfg.augment_rate if cfg.augment == "casual" else 0.0
    if not casual and not cfg.concat_rate:
        return None
    languages = None
    if cfg.concat_rate:  # clause joins need each side's conjunction
        from seqtui.data.language import column_order

        languages = column_order(prep.train_pairs).languages
    return AugmentedEpochs(prep.train_pairs, prep.train, (prep.source, prep.target), casual, cfg.concat_rate,
                           cfg.seed, languages)


ARCHITECTURE_KEYS = ("architecture", "latent_dim", "embedding_dim", "dropout", "precision", "encoder", "layers",
                     "residual")
"""The settings that shape the weights: a run started from another bundle takes them from it."""


def _shaped_like(origin: RunMeta, cfg: Config) -> Config:
    return cfg.replace(**{k: getattr(origin.config, k) for k in ARCHITECTURE_KEYS})


def unknown_note(prep: Prepared) -> str:
    """Which characters of the corpus the (borrowed) vocabularies do not know, as translate reports them."""
    notes = []
    for side, vocab, texts in (("source", prep.source, [s for s, _ in prep.train_pairs + prep.val_pairs]),
                               ("target", prep.target, [t for _, t in prep.train_pairs + prep.val_pairs])):
        counts: dict[str, int] = {}
        for text in texts:
            for u in vocab.unknown(text):
                counts[u.char] = counts.get(u.char, 0) + 1
        if counts:
            shown = ", ".join(f"{c!r} ×{n}" for c, n in sorted(counts.items(), key=lambda kv: -kv[1])[:8])
            more = f" and {len(counts) - 8} more" if len(counts) > 8 else ""
            notes.append(f"{side} {shown}{more}")
    if not notes:
        return ""
    return ("Characters the model's vocabulary does not know are read as <unk> (target ones it cannot write): "
            + "; ".join(notes) + ".")


def _probes(val_pairs: list[data.Pair]) -> list[data.Pair]:
    step = max(1, len(val_pairs) // SAMPLE_COUNT)
    return val_pairs[::step][:SAMPLE_COUNT]


def _same_start(place: Placement, epoch: int, batch: int) -> None:
    """Processes that train together must start from the same point: each resumes from its own model_dir."""
    if place.processes == 1:
        return
    starts = every_process(epoch, batch)
    if len(set(starts)) > 1:
        where = ", ".join(f"process {i} at epoch {e} batch {b}" for i, (e, b) in enumerate(starts))
        raise SeqtuiError(f"the processes would start from different checkpoints ({where}); each one resumes "
                          "from its own --model-dir, so give them copies of the same run, or pass --fresh")
