"""Keras-facing adapters: the length-bucketed batch feed, a batch loop that stands in for `fit`, and
the masked validation scores.

Imported only once Keras is (see `seqtui.model.backend.import_keras`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from seqtui.data.batching import ROUND, Encoded, make_batch, plan_batches, shape_of
from seqtui.data.vocab import PAD


class BucketedBatches(keras.utils.PyDataset):
    """Length-grouped batches of one split, re-planned every epoch.

    Keras' TensorFlow adapter, which `fit` reads a feed through, infers the batch signature from batches
    0 and 1, fixing any dimension in which they agree. So every batch is padded to the full batch size,
    and with `for_fit` batch 1 is made to differ from batch 0 in both lengths (extra padding is masked,
    so it changes nothing); plain `train_on_batch`/`test_on_batch` calls need no such padding.

    `batch_size` is the global batch: every replica's rows together. With several processes
    (`shard` = (this process, processes)) each one plans the same global batches and yields only its
    own equal share of their rows, padded to the global batch's lengths, as JAX wants.

    `round_to`: lengths are padded up to multiples of this (see `rounding`).

    `variants(epoch)`, when given, is the split an epoch trains on instead of `data` (casual forms of
    its sources, `seqtui.data.augment`); it depends only on the epoch, as the plan does.
    """

    def __init__(self, data: Encoded, batch_size: int, seed: int, epoch: int = 0, shuffle: bool = True,
                 steps: int = 0, replicas: int = 1, shard: tuple[int, int] = (0, 1), round_to: int = ROUND,
                 for_fit: bool = False, variants: Callable[[int], Encoded] | None = None) -> None:
        super().__init__()
        self.data, self.batch_size, self.seed, self.shuffle = data, batch_size, seed, shuffle
        self.variants = variants
        self.steps, self.replicas, self.shard, self.round_to = steps, replicas, shard, round_to
        self.for_fit = for_fit
        self.set_epoch(epoch)

    def set_epoch(self, epoch: int) -> None:
        """Plan the batches of `epoch` (0-based); the plan depends only on (seed, epoch)."""
        self.epoch = epoch
        if self.variants is not None:
            self.data = self.variants(epoch)
        plan = plan_batches(self.data, self.batch_size, self.seed, epoch if self.shuffle else 0, self.round_to)
        if not self.shuffle:
            plan.sort(key=lambda idx: int(idx.min()))
        self.plan = plan[: self.steps] if self.steps else plan
        self.chars = [int(sum(len(self.data.sources[i]) + len(self.data.targets[i]) - 1 for i in idx))
                      for idx in self.plan]

    def __len__(self) -> int:
        return len(self.plan)

    def __getitem__(self, index: int) -> Any:
        batch = make_batch(self.data, self.plan[index], self.batch_size, replicas=self.replicas,
                           round_to=self.round_to)
        if index == 1 and self.for_fit:
            first = shape_of(make_batch(self.data, self.plan[0], self.batch_size, round_to=self.round_to))
            here = shape_of(batch)
            want = tuple(h + ROUND if h == f else h for h, f in zip(here, first, strict=True))
            batch = make_batch(self.data, self.plan[index], self.batch_size, min_shape=want,  # type: ignore[arg-type]
                               replicas=self.replicas, round_to=self.round_to)
        return self._own_rows(batch)

    def _own_rows(self, batch: Any) -> Any:
        process, processes = self.shard
        if processes == 1:
            return batch
        (enc, dec), out = batch
        rows = slice(process * len(out) // processes, (process + 1) * len(out) // processes)
        return (enc[rows], dec[rows]), out[rows]

    def on_epoch_end(self) -> None:
        self.set_epoch(self.epoch + 1)


ACCURACY = "sparse_categorical_accuracy"
TRAINING_SCORES = ("loss", ACCURACY)


def rounding(model: Any) -> int:
    """How to round batch lengths for `model`: to `ROUND` where its step is compiled per shape (XLA),
    else not at all, since TensorFlow's graphs take any length and rounding only adds padded steps
    (docs/benchmarks.md)."""
    return ROUND if getattr(model, "jit_compile", False) else 1


def train_epochs(model: Any, feed: BucketedBatches, epochs: int, initial_epoch: int,
                 callbacks: list[keras.callbacks.Callback]) -> None:
    """What `model.fit(feed, callbacks=...)` does for one device, with `train_on_batch` calls batch by batch.

    On TensorFlow, fit's tf.data pipeline sometimes stalled for seconds at the start of an epoch; plain
    calls never do (docs/benchmarks.md). The callbacks get the epoch's running means per target character
    (the measure of val_loss, so the two curves compare), and one shared logs dict at each epoch's end, as
    Keras' CallbackList hands them.
    """
    hooks = keras.callbacks.CallbackList(callbacks, model=model)
    model.stop_training = False
    hooks.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        hooks.on_epoch_begin(epoch)
        if model.stop_training:  # a stop asked between epochs: the last epoch's checkpoint is where a resume starts
            break
        sums: dict[str, float] = {}
        chars = 0.0
        logs: dict[str, float] = {}
        for index in range(len(feed)):
            x, y = feed[index]
            hooks.on_train_batch_begin(index)
            scores = model.train_on_batch(x, y, return_dict=True)
            # Each batch's scores are means per target character; weighted by its characters, the epoch's are
            # too, the measure `masked_scores` gives val_loss (fit's mean per row would weigh a bucket of
            # short sentences as much as one of long ones).
            real = float((y != PAD).sum())
            for key in TRAINING_SCORES:
                if key in scores:  # accuracy only when the config's metrics ask for it
                    sums[key] = sums.get(key, 0.0) + float(scores[key]) * real
            chars += real
            logs = {key: total / max(chars, 1.0) for key, total in sums.items()}
            hooks.on_train_batch_end(index, logs)
            if model.stop_training:
                break
        hooks.on_epoch_end(epoch, logs)
        feed.on_epoch_end()
        if model.stop_training:
            break
    hooks.on_train_end()


def masked_scores(model: Any, feed: BucketedBatches,
                  progress: Callable[[int, int], None] | None = None) -> tuple[float, float | None]:
    """(loss, accuracy) over every real target character of `feed`, batch by batch (accuracy None when
    the model was compiled without it).

    `progress(done, total)` is called after each batch.

    Not `fit(validation_data=...)` nor `evaluate`: on TensorFlow their tf.data pipelines left the next
    training epoch intermittently twice as slow (docs/benchmarks.md); plain `test_on_batch` calls do not.
    """
    total_loss = total_acc = weight = 0.0
    accuracy = True
    for index in range(len(feed)):
        x, y = feed[index]
        scores = model.test_on_batch(x, y, return_dict=True)
        real = float((y != PAD).sum())
        total_loss += float(scores["loss"]) * real
        accuracy = accuracy and ACCURACY in scores  # `metrics = []` compiles no accuracy
        total_acc += float(scores.get(ACCURACY, 0.0)) * real
        weight += real
        if progress is not None:
            progress(index + 1, len(feed))
    return total_loss / max(weight, 1.0), total_acc / max(weight, 1.0) if accuracy else None
