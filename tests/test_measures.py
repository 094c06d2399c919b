"""What the history's numbers measure: loss and val_loss are the same measure (a mean per target
character), so their curves can be compared; `metrics = []` turns accuracy off without breaking
training or evaluation."""

from pathlib import Path

import pytest

from seqtui import config
from seqtui.data.batching import Encoded
from seqtui.data.vocab import END, Vocab
from seqtui.model.backend import import_keras
from seqtui.store import bundle
from seqtui.train import training
from tests.conftest import TINY_FLAGS, TINY_PAIRS

keras = import_keras()
from seqtui.model import build as model_lib  # noqa: E402
from seqtui.train.feeding import BucketedBatches, masked_scores, train_epochs  # noqa: E402


class LastLogs(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        self.logs = dict(logs or {})


def test_the_training_loss_is_the_mean_per_character_that_val_loss_is():
    cfg = config.merge(config.Config(), {**TINY_FLAGS, "optimizer": "sgd"})
    src, tgt = Vocab.build(s for s, _ in TINY_PAIRS), Vocab.build(t for _, t in TINY_PAIRS)
    model = model_lib.build(cfg, len(src), len(tgt))
    model.jit_compile = False
    model.optimizer.learning_rate = 0.0  # the weights stay put: both measures see one model
    # A model sure of the end symbol: nearly no loss on each sentence's last step, a large one on the
    # others, so a batch of short sentences has a lower loss per character than a batch of long ones.
    output = model.get_layer(model_lib.OUTPUT)
    kernel, bias = output.get_weights()
    bias[END] = 8.0
    output.set_weights([kernel, bias])
    feed = BucketedBatches(Encoded.from_pairs(TINY_PAIRS, src, tgt), 8, 7, shuffle=False, round_to=1)
    seen = LastLogs()
    train_epochs(model, feed, 1, 0, [seen])
    val_loss, _ = masked_scores(model, feed)
    assert seen.logs["loss"] == pytest.approx(val_loss, rel=1e-4)
    # The check can fail: the batches' means, averaged (fit's measure), are another number here.
    batch_means = [float(model.test_on_batch(*feed[i], return_dict=True)["loss"]) for i in range(len(feed))]
    rows = [len(feed[i][1]) for i in range(len(feed))]
    per_batch = sum(m * r for m, r in zip(batch_means, rows, strict=True)) / sum(rows)
    assert abs(per_batch - val_loss) > 20 * 1e-4 * val_loss  # well outside the tolerance above


def test_metrics_off_trains_and_evaluates_without_accuracy(tmp_path: Path, tiny_corpus: Path):
    from seqtui.report.evaluation import evaluate

    cfg = config.load(None, {"train_dir": tiny_corpus, "model_dir": tmp_path / "m", **TINY_FLAGS, "epochs": 1,
                             "latent_dim": 8, "embedding_dim": 4, "metrics": []})
    ended = training.train(cfg)
    assert ended.reason == "finished"
    (record,) = bundle.read_history(cfg.model_dir)
    assert record.loss is not None and record.val_loss is not None
    assert record.accuracy is None and record.val_accuracy is None
    report = evaluate(cfg.model_dir, tiny_corpus, limit=4)
    assert report.loss is not None and report.accuracy is None
