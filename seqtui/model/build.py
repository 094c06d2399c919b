"""The translator: Chollet's LSTM encoder-decoder, fed character ids, optionally with attention.

The encoder LSTM's final (h, c) seeds the decoder LSTM, which is trained by teacher forcing and ends
in a softmax over target characters. Ids go through learned embeddings instead of one-hot vectors,
and id 0 (padding) is masked, so padding changes neither the states nor the loss.

With `architecture = "attention"`, each decoder output also attends (Luong dot-product) over the
encoder's outputs; the context and the decoder output are combined by a tanh layer before the softmax.

`layers = N` stacks N LSTMs on each side; encoder layer k's final state seeds decoder layer k, and
attention reads the top layers. With `residual = true` each layer from the second on adds its input to
its output. `encoder = "bilstm"` runs each encoder layer both ways with latent_dim/2 units per
direction and concatenates them (forward first), so its outputs and states are latent_dim wide as a
one-way encoder's are: they seed the decoder and feed attention with no projection layer to learn.

Only Keras 3 APIs are used, so the model trains on the TensorFlow and the JAX backend alike.
"""

from __future__ import annotations

from typing import Any

from seqtui.config import Config
from seqtui.model.backend import precision

# Layer names: the decoding engine finds the trained weights by these. Stacked layers after the first
# are named with their 1-based number (`encoder_lstm_2`), so one-layer models keep their old names.
ENC_INPUT, DEC_INPUT = "encoder_ids", "decoder_ids"
ENC_EMBED, DEC_EMBED = "encoder_embedding", "decoder_embedding"
ENC_LSTM, DEC_LSTM = "encoder_lstm", "decoder_lstm"
ENC_RESIDUAL, DEC_RESIDUAL = "encoder_residual", "decoder_residual"
ATTENTION, COMBINE, OUTPUT = "attention", "attention_combine", "output"


def numbered(name: str, layer: int) -> str:
    """The name of stacked layer `layer` (0-based): the plain name for the first, `name_2` on."""
    return name if layer == 0 else f"{name}_{layer + 1}"


def build(cfg: Config, source_size: int, target_size: int) -> Any:
    """A compiled Keras model mapping (encoder ids, decoder ids) to next-character probabilities."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(cfg.seed)
    attention = cfg.architecture == "attention"
    # Every layer computes in the config's precision (weights stay float32 either way), except the
    # softmax and so the loss, which stay float32 as Keras' mixed-precision guide advises.
    dt = precision(cfg.precision)
    enc_ids = keras.Input((None,), dtype="int32", name=ENC_INPUT)
    x = layers.Embedding(source_size, cfg.embedding_dim, mask_zero=True, name=ENC_EMBED, dtype=dt)(enc_ids)
    x = _dropout(cfg, x, "encoder_dropout")
    enc_out, states = _encoder(cfg, x, attention, dt)
    dec_ids = keras.Input((None,), dtype="int32", name=DEC_INPUT)
    y = layers.Embedding(target_size, cfg.embedding_dim, mask_zero=True, name=DEC_EMBED, dtype=dt)(dec_ids)
    y = _dropout(cfg, y, "decoder_dropout")
    for k in range(cfg.layers):
        if k:
            y = _dropout(cfg, y, numbered("decoder_layer_dropout", k))
        out = layers.LSTM(cfg.latent_dim, return_sequences=True, name=numbered(DEC_LSTM, k),
                          dtype=dt)(y, initial_state=states[k])
        y = layers.Add(name=numbered(DEC_RESIDUAL, k), dtype=dt)([y, out]) if cfg.residual and k else out
    if attention:
        context = layers.Attention(name=ATTENTION, dtype=dt)([y, enc_out])
        y = layers.Concatenate(name="attention_concat", dtype=dt)([y, context])
        y = layers.Dense(cfg.latent_dim, activation="tanh", name=COMBINE, dtype=dt)(y)
    y = _dropout(cfg, y, "output_dropout")
    probs = layers.Dense(target_size, activation="softmax", name=OUTPUT, dtype="float32")(y)
    model = keras.Model([enc_ids, dec_ids], probs, name=f"seqtui_{cfg.architecture}")
    compile_model(model, cfg)
    return model


def _encoder(cfg: Config, x: Any, attention: bool, dt: str) -> tuple[Any, list[list[Any]]]:
    """The stacked encoder: its top layer's outputs (None unless attention reads them) and each layer's [h, c]."""
    from keras import layers

    states = []
    for k in range(cfg.layers):
        if k:
            x = _dropout(cfg, x, numbered("encoder_layer_dropout", k))
        sequences = attention or k < cfg.layers - 1  # the top layer's outputs only feed attention
        if cfg.encoder == "bilstm":
            cell = layers.LSTM(cfg.latent_dim // 2, return_sequences=sequences, return_state=True, dtype=dt)
            out, h_fwd, c_fwd, h_bwd, c_bwd = layers.Bidirectional(cell, name=numbered(ENC_LSTM, k), dtype=dt)(x)
            h = layers.Concatenate(name=numbered("encoder_h", k), dtype=dt)([h_fwd, h_bwd])
            c = layers.Concatenate(name=numbered("encoder_c", k), dtype=dt)([c_fwd, c_bwd])
        else:
            out, h, c = layers.LSTM(cfg.latent_dim, return_sequences=sequences, return_state=True,
                                    name=numbered(ENC_LSTM, k), dtype=dt)(x)
        if cfg.residual and k and sequences:
            out = layers.Add(name=numbered(ENC_RESIDUAL, k), dtype=dt)([x, out])
        states.append([h, c])
        x = out
    return (x if attention else None), states


def compile_model(model: Any, cfg: Config) -> None:
    """Compile with the config's optimizer; the loss works on ids (sparse), whatever its name says.

    `weight_averaging = "ema"` uses the optimizer's own moving average (Keras' `use_ema`), which lives
    among the optimizer's variables, so every checkpoint holds it beside the raw weights.
    """
    import keras

    opt = keras.optimizers.get(cfg.optimizer if cfg.weight_averaging != "ema" else {
        "class_name": cfg.optimizer, "config": {"use_ema": True, "ema_momentum": cfg.ema_decay}})
    if cfg.learning_rate:
        opt.learning_rate = cfg.learning_rate
    # "auto": on for JAX, whose eager mode is slow and whose jit is its normal path; off for TensorFlow,
    # where XLA compiles a shape per bucket and its epochs were no faster than TensorFlow's own graphs
    # (bench/train.py; the figures are in docs/benchmarks.md).
    jit = cfg.jit_compile == "true" or (cfg.jit_compile == "auto" and keras.backend.backend() == "jax")
    # "categorical_crossentropy" in the config means the same loss computed on ids: identical values,
    # without the one-hot targets.
    loss: Any = "sparse_categorical_crossentropy"
    if cfg.label_smoothing:
        from seqtui.model.losses import SmoothedSparseCrossentropy

        loss = SmoothedSparseCrossentropy(cfg.label_smoothing)
    model.compile(optimizer=opt, loss=loss,
                  weighted_metrics=["sparse_categorical_accuracy"] if cfg.metrics else [],
                  jit_compile=jit)


def base_learning_rate(cfg: Config) -> float:
    """The rate the schedule scales: the config's, or the optimizer's default when it says 0."""
    import keras

    if cfg.learning_rate:
        return cfg.learning_rate
    return float(keras.ops.convert_to_numpy(keras.optimizers.get(cfg.optimizer).learning_rate))


def _dropout(cfg: Config, x: Any, name: str) -> Any:
    from keras import layers

    return layers.Dropout(cfg.dropout, name=name, dtype=precision(cfg.precision))(x) if cfg.dropout > 0 else x
