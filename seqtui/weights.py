"""The trained weights as plain numpy arrays, read from a live Keras model or straight from `model.keras`.

A `.keras` file is a zip of `config.json` (the layer graph) and `model.weights.h5`. Reading it with
zipfile and h5py lets `translate` and `repl` start without importing TensorFlow. Keras stores each
layer's variables under `layers/<class name in snake case>[_N]/...`, numbered in the order of
`model.layers`, which is also the order of the layers in `config.json`.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seqtui import model as names
from seqtui.errors import BundleError


@dataclass(frozen=True)
class Weights:
    """Every array the decoder needs. LSTM gates are in Keras' order: input, forget, cell, output."""

    enc_embed: np.ndarray
    enc_kernel: np.ndarray
    enc_recurrent: np.ndarray
    enc_bias: np.ndarray
    dec_embed: np.ndarray
    dec_kernel: np.ndarray
    dec_recurrent: np.ndarray
    dec_bias: np.ndarray
    out_kernel: np.ndarray
    out_bias: np.ndarray
    combine_kernel: np.ndarray | None = None
    combine_bias: np.ndarray | None = None

    @property
    def attention(self) -> bool:
        return self.combine_kernel is not None

    @property
    def latent_dim(self) -> int:
        return int(self.enc_recurrent.shape[0])


def _snake(name: str) -> str:
    # The same rule as Keras' naming.to_snake_case for class names like "LSTM" and "InputLayer".
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _by_layer_name(layer_arrays: dict[str, list[np.ndarray]]) -> Weights:
    def get(name: str) -> list[np.ndarray]:
        if name not in layer_arrays:
            raise BundleError(f"the model has no layer '{name}': not a seqtui model")
        return [np.asarray(a, dtype=np.float32) for a in layer_arrays[name]]

    (enc_embed,), (dec_embed,) = get(names.ENC_EMBED), get(names.DEC_EMBED)
    enc_k, enc_r, enc_b = get(names.ENC_LSTM)
    dec_k, dec_r, dec_b = get(names.DEC_LSTM)
    out_k, out_b = get(names.OUTPUT)
    comb = get(names.COMBINE) if names.COMBINE in layer_arrays else [None, None]
    return Weights(enc_embed, enc_k, enc_r, enc_b, dec_embed, dec_k, dec_r, dec_b, out_k, out_b, *comb)


def from_model(model: Any) -> Weights:
    """A copy of a live Keras model's weights (a snapshot: training may go on changing the model)."""
    return _by_layer_name({layer.name: layer.get_weights() for layer in model.layers})


def read_keras_file(path: Path) -> Weights:
    """The weights in a `.keras` file, read without Keras or TensorFlow.

    Raises:
        BundleError: the file is missing, truncated or damaged, or holds no seqtui model.
    """
    import h5py

    try:
        with zipfile.ZipFile(path) as zf:
            config = json.loads(zf.read("config.json"))
            blob = zf.read("model.weights.h5")
        layers = check_layers(path, config)
        arrays: dict[str, list[np.ndarray]] = {}
        used: dict[str, int] = {}
        with h5py.File(io.BytesIO(blob), "r") as h5:
            for layer in layers:
                key = _snake(layer["class_name"])
                used[key] = used.get(key, -1) + 1
                key = key if used[key] == 0 else f"{key}_{used[key]}"
                # Operations in the graph (such as the mask's NotEqual) are not layers and own no weights.
                arrays[layer["config"]["name"]] = _layer_arrays(h5["layers"][key]) if key in h5["layers"] else []
    except FileNotFoundError:
        raise BundleError(f"{path}: no such model file") from None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, json.JSONDecodeError) as e:
        raise BundleError(f"{path}: the model file is damaged ({type(e).__name__}: {e}); "
                          "retrain, or restore it from the last checkpoint with `seqtui train --resume`") from None
    return _by_layer_name(arrays)


# Everything a seqtui model is made of. Anything else (a Lambda, a custom class) could run code when
# Keras rebuilds it, so such a file is refused before Keras ever sees it.
SAFE_LAYERS = {**dict.fromkeys(["InputLayer", "Embedding", "LSTM", "Dense", "Dropout", "Attention", "Concatenate"],
                               "keras.layers"), "NotEqual": "keras.src.ops.numpy"}


def check_layers(path: Path, config: dict[str, Any]) -> list[dict[str, Any]]:
    """The layer list of a `.keras` config, after refusing any layer seqtui does not build itself.

    Raises:
        BundleError: a Lambda, custom or otherwise foreign layer.
    """
    layers = config["config"]["layers"]
    for layer in layers:
        kind = layer.get("class_name")
        if SAFE_LAYERS.get(kind, "") != layer.get("module"):
            raise BundleError(f"{path}: holds a {kind} layer ({layer.get('module')}), which seqtui refuses to load: "
                              "it could run code. Only models trained by seqtui can be loaded")
    return layers


def check_keras_file(path: Path) -> None:
    """Refuse a `.keras` file with foreign layers, or one too damaged to read (BundleError)."""
    try:
        with zipfile.ZipFile(path) as zf:
            check_layers(path, json.loads(zf.read("config.json")))
    except FileNotFoundError:
        raise BundleError(f"{path}: no such model file") from None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as e:
        raise BundleError(f"{path}: the model file is damaged ({type(e).__name__}: {e})") from None


def _layer_arrays(group: Any) -> list[np.ndarray]:
    # An LSTM keeps its variables in a 'cell' sub-group; other layers in 'vars'.
    source = group["cell"]["vars"] if "cell" in group else group["vars"]
    return [source[str(i)][()] for i in range(len(source))]
