"""The label-smoothed loss on character ids, which Keras 3 offers only for one-hot targets.

Keras' `SparseCategoricalCrossentropy` has no `label_smoothing`; `CategoricalCrossentropy` has, but
wants one-hot targets, which the feed does not build (ids are what keeps a batch small). This loss
computes the same value from ids: with V characters and smoothing e, Keras spreads the target as
`y * (1 - e) + e / V`, so the loss is `(1 - e) * -log p[y] + e * mean(-log p)`. Probabilities are
normalised and clipped as Keras' own crossentropy clips them. Padding is masked by Keras' `Loss`
machinery, exactly as for the built-in loss (the mask travels with the model's output).

Imported only once Keras is (see `seqtui.model.backend.import_keras`); registered, so a saved model names
it (`seqtui>SmoothedSparseCrossentropy`) and `seqtui.model.allowlist` lets exactly that through.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="seqtui")
class SmoothedSparseCrossentropy(keras.losses.Loss):
    """Crossentropy between integer targets and probabilities, with label smoothing."""

    def __init__(self, label_smoothing: float = 0.0, name: str = "smoothed_sparse_crossentropy",
                 **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        probs = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
        eps = keras.config.epsilon()
        log_p = ops.log(ops.clip(probs, eps, 1.0 - eps))
        ids = ops.expand_dims(ops.cast(y_true, "int32"), -1)
        picked = -ops.squeeze(ops.take_along_axis(log_p, ids, axis=-1), -1)
        spread = -ops.mean(log_p, axis=-1)
        e = self.label_smoothing
        return (1.0 - e) * picked + e * spread

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "label_smoothing": self.label_smoothing}
