"""The trained weights as plain numpy arrays, read from a live Keras model or straight from `model.keras`.

A `.keras` file is a zip of `config.json` (the layer graph) and `model.weights.h5`. Reading it with
zipfile and h5py lets `translate` and `repl` start without importing TensorFlow. Keras stores each
layer's variables under `layers/<class name in snake case>[_N]/...`, numbered in the order of
`model.layers`, which is also the order of the layers in `config.json`.

A model folder may come from anywhere, so the file is read as data, not trusted: the zip through
`seqtui.safe_zip` (only Keras' three members, stored or deflated, each within its size limit, counted
as it inflates), `config.json` checked against `seqtui.model.allowlist` before anything acts on it, and
the HDF5 weights walked by `seqtui.model.h5_check` before any array is read (a zip or HDF5 bomb inflates
a few kilobytes into gigabytes). `check_keras_file` applies the same checks before Keras loads a file.
The arrays' shapes are checked against the vocabulary before decoding. Whatever goes wrong ends in one
BundleError line.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seqtui import safe_json
from seqtui.errors import BundleError
from seqtui.model import build as names
from seqtui.model.allowlist import check_config
from seqtui.model.h5_check import check_weights
from seqtui.safe_text import escape_controls
from seqtui.safe_zip import Limits, SafeZip

CONFIG, WEIGHTS = "config.json", "model.weights.h5"
# What Keras writes into a `.keras` file (it would add assets/ for layers that own files; ours own none).
MEMBERS = frozenset({"metadata.json", CONFIG, WEIGHTS})
# config.json is ~10 kB whatever the model's size. model.weights.h5 holds the optimizer's state too
# (Adam: twice the weights again), so it grows as 8 x latent_dim^2 x 12 bytes: ~100 MB at latent 1024,
# 256 MiB near latent 1650, 1 GiB near latent 3300 (the shipped configs use 256). Bigger is not ours.
# The same bound holds the arrays the weights file declares (HDF5 compresses too: see h5_check).
MAX_CONFIG_BYTES = 1 << 20
MAX_WEIGHTS_BYTES = 1 << 30
_CHUNK = 1 << 20
# What json and h5py raise on a damaged or hostile file (the archive's own damage is SafeZip's): JSON
# nested past the recursion limit (RecursionError, a RuntimeError), odd HDF5 content.
_READ_ERRORS = (RuntimeError, KeyError, OSError, ValueError, TypeError)


@dataclass(frozen=True)
class Cell:
    """One LSTM's arrays. Gates are in Keras' order: input, forget, cell, output."""

    kernel: np.ndarray
    recurrent: np.ndarray
    bias: np.ndarray

    @property
    def units(self) -> int:
        return int(self.recurrent.shape[0])


@dataclass(frozen=True)
class Weights:
    """Every array the decoder needs.

    `encoder` holds one tuple per stacked layer: (forward,) or, for a bidirectional layer, (forward,
    backward), whose outputs are concatenated in that order. `decoder` holds one cell per layer.
    `residual`: layers from the second on add their input to their output.
    """

    enc_embed: np.ndarray
    encoder: tuple[tuple[Cell, ...], ...]
    dec_embed: np.ndarray
    decoder: tuple[Cell, ...]
    out_kernel: np.ndarray
    out_bias: np.ndarray
    combine_kernel: np.ndarray | None = None
    combine_bias: np.ndarray | None = None
    residual: bool = False

    @property
    def attention(self) -> bool:
        return self.combine_kernel is not None

    @property
    def bidirectional(self) -> bool:
        return len(self.encoder[0]) == 2

    @property
    def layers(self) -> int:
        return len(self.decoder)

    @property
    def latent_dim(self) -> int:
        """The decoder's state width (a bidirectional encoder's two directions together)."""
        return self.decoder[0].units


def _snake(name: str) -> str:
    # The same rule as Keras' naming.to_snake_case for class names like "LSTM" and "InputLayer".
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _by_layer_name(layer_arrays: dict[str, list[np.ndarray]], where: Path | str = "the model") -> Weights:
    def get(name: str, *counts: int) -> list[np.ndarray]:
        if name not in layer_arrays:
            raise BundleError(f"{where} has no layer '{name}': not a seqtui model")
        if len(layer_arrays[name]) not in counts:
            raise BundleError(f"{where}: the model file is damaged: its layer '{name}' holds "
                              f"{len(layer_arrays[name])} arrays where seqtui writes "
                              f"{' or '.join(map(str, counts))}; not a seqtui model")
        return [np.asarray(a, dtype=np.float32) for a in layer_arrays[name]]

    def cells(arrays: list[np.ndarray]) -> tuple[Cell, ...]:
        return tuple(Cell(*arrays[i:i + 3]) for i in range(0, len(arrays), 3))

    (enc_embed,), (dec_embed,) = get(names.ENC_EMBED, 1), get(names.DEC_EMBED, 1)
    depth = 1
    while names.numbered(names.DEC_LSTM, depth) in layer_arrays:
        depth += 1
    # A bidirectional layer holds its forward LSTM's three arrays, then its backward one's.
    encoder = tuple(cells(get(names.numbered(names.ENC_LSTM, k), 3, 6)) for k in range(depth))
    decoder = tuple(cells(get(names.numbered(names.DEC_LSTM, k), 3))[0] for k in range(depth))
    out_k, out_b = get(names.OUTPUT, 2)
    comb_k, comb_b = get(names.COMBINE, 2) if names.COMBINE in layer_arrays else (None, None)
    residual = names.numbered(names.DEC_RESIDUAL, 1) in layer_arrays
    return Weights(enc_embed, encoder, dec_embed, decoder, out_k, out_b, comb_k, comb_b, residual=residual)


def from_model(model: Any) -> Weights:
    """A copy of a live Keras model's weights (a snapshot: training may go on changing the model)."""
    return _by_layer_name({layer.name: layer.get_weights() for layer in model.layers})


def read_keras_file(path: Path) -> Weights:
    """The weights in a `.keras` file, read without Keras or TensorFlow.

    Raises:
        BundleError: the file is missing, truncated, damaged or too large, holds an object seqtui does
            not write, or holds no seqtui model.
    """
    try:
        return _by_layer_name(_file_arrays(path), path)
    except FileNotFoundError:
        raise BundleError(f"{path}: no such model file") from None
    except _READ_ERRORS as e:
        raise BundleError(f"{path}: the model file is damaged ({_one_line(e)}); "
                          "retrain, or restore it from the last checkpoint with `seqtui train --resume`") from None


def layer_arrays(path: Path) -> dict[str, list[np.ndarray]]:
    """Every layer's arrays in a `.keras` file, by layer name, in `layer.get_weights()` order (float32).

    Read with the same limits and checks as `read_keras_file` (BundleError).
    """
    try:
        return {name: [np.asarray(a, np.float32) for a in arrays] for name, arrays in _file_arrays(path).items()}
    except FileNotFoundError:
        raise BundleError(f"{path}: no such model file") from None
    except _READ_ERRORS as e:
        raise BundleError(f"{path}: the model file is damaged ({_one_line(e)})") from None


def open_keras_file(path: Path, opened: Path | None = None) -> SafeZip:
    """A `.keras` file as a `SafeZip` (a context manager): only the members Keras writes, each within its
    limit, stored or deflated, unencrypted. `opened`: the file actually read; messages name `path`."""
    limits = Limits(total=MAX_WEIGHTS_BYTES + 2 * MAX_CONFIG_BYTES, members=len(MEMBERS),
                    each={WEIGHTS: MAX_WEIGHTS_BYTES}, other=MAX_CONFIG_BYTES, names=MEMBERS)
    return SafeZip(opened or path, str(path), limits, BundleError, damaged="the model file is damaged")


def _file_arrays(path: Path) -> dict[str, list[np.ndarray]]:
    import h5py

    with open_keras_file(path) as zf:
        layers = check_config(path, safe_json.loads(zf.read(CONFIG)))
        blob = zf.read(WEIGHTS)
    with h5py.File(io.BytesIO(blob), "r") as h5:
        check_weights_file(path, h5)
        return _read_arrays(h5, layers)


def check_keras_file(path: Path, opened: Path | None = None) -> None:
    """Refuse a `.keras` file before Keras opens it, with the checks of the numpy reader: the archive
    (`open_keras_file`), foreign objects in its config, and the weights file (`check_weights_file`), so
    nothing Keras decompresses can pass the budget (BundleError).

    `opened`: the file actually read (a private copy of `path`, see `private_copy`); messages name `path`.
    """
    import h5py

    try:
        with open_keras_file(path, opened) as zf:
            check_config(path, safe_json.loads(zf.read(CONFIG)))
            blob = zf.read(WEIGHTS)
        with h5py.File(io.BytesIO(blob), "r") as h5:
            check_weights_file(path, h5)
    except FileNotFoundError:
        raise BundleError(f"{path}: no such model file") from None
    except _READ_ERRORS as e:
        raise BundleError(f"{path}: the model file is damaged ({_one_line(e)})") from None


def private_copy(path: Path, folder: Path) -> Path:
    """A copy of `path` in `folder` (a private temporary folder), read once from one open file.

    Checking `path` and then letting Keras open `path` again would load whatever the path holds by
    then; checking and loading the same copy loads what was checked. Refuses a file too large to be a
    model (BundleError).
    """
    copy = folder / "model.keras"
    limit = MAX_WEIGHTS_BYTES + 64 * MAX_CONFIG_BYTES
    try:
        with open(path, "rb") as src, open(copy, "wb") as dst:
            size = 0
            while chunk := src.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise _too_large(path, path.name, limit)
                dst.write(chunk)
    except FileNotFoundError:
        raise BundleError(f"{path}: no such model file") from None
    except OSError as e:  # a folder in its place, no permission, a disk error
        reason = e.strerror or type(e).__name__
        raise BundleError(f"{path}: the model file could not be copied to be checked ({reason})") from None
    return copy


def _too_large(path: Path, name: str, limit: int) -> BundleError:
    return BundleError(f"{path}: {name} is larger than {limit / (1 << 20):g} MiB, more than any seqtui "
                       "model holds; refusing to read it")


def _one_line(error: BaseException, width: int = 200) -> str:
    """An exception as a short, single, terminal-safe line (HDF5 messages can span several)."""
    said = " ".join(str(error).split())
    text = escape_controls(f"{type(error).__name__}: {said}" if said else type(error).__name__)
    return text if len(text) <= width else text[: width - 1] + "…"


def check_weights_file(path: Path, h5: Any) -> None:
    """Refuse an open weights file before any array in it is read (`h5_check.check_weights` within
    MAX_WEIGHTS_BYTES); the one check the numpy reader and Keras' load path both apply (BundleError)."""
    check_weights(path, WEIGHTS, h5, MAX_WEIGHTS_BYTES)


def _read_arrays(h5: Any, layers: list[dict[str, Any]]) -> dict[str, list[np.ndarray]]:
    """Each layer's arrays from the weights file (already checked), by layer name."""
    import h5py

    arrays: dict[str, list[np.ndarray]] = {}
    used: dict[str, int] = {}
    root = _child(h5, "layers", h5py.Group)
    for layer in layers:
        key = _snake(layer["class_name"])
        used[key] = used.get(key, -1) + 1
        key = key if used[key] == 0 else f"{key}_{used[key]}"
        # Operations in the graph (such as the mask's NotEqual) are not layers and own no weights.
        group = _child(root, key, h5py.Group) if key in root else None
        arrays[layer["config"]["name"]] = [] if group is None else _layer_arrays(group)
    return arrays


def _layer_arrays(group: Any) -> list[np.ndarray]:
    import h5py

    # A Bidirectional layer keeps its two LSTMs in sub-groups, forward first as get_weights() lists them.
    if "forward_layer" in group:
        return [a for side in ("forward_layer", "backward_layer")
                for a in _layer_arrays(_child(group, side, h5py.Group))]
    # An LSTM keeps its variables in a 'cell' sub-group; other layers in 'vars'.
    holder = _child(group, "cell", h5py.Group) if "cell" in group else group
    source = _child(holder, "vars", h5py.Group)
    return [_array(_child(source, str(i), h5py.Dataset)) for i in range(len(source))]


def _child(group: Any, name: str, kind: type) -> Any:
    """`group[name]` if it is a `kind` (check_weights has refused every link but a file's own)."""
    if not isinstance(group[name], kind):
        raise ValueError(f"{group.name}/{name} is not an HDF5 {kind.__name__.lower()}")
    return group[name]


def _array(dataset: Any) -> np.ndarray:
    """A dataset's numbers, if they are floating-point weights (check_weights bounded their size)."""
    if dataset.dtype.kind != "f":
        raise ValueError(f"{dataset.name} holds {dataset.dtype} values, not floating-point weights")
    return np.asarray(dataset[()])


# Each array's shape in symbols: S and T are the source and target vocabulary sizes (from vocab.json),
# E and F the embedding widths, H the decoder's latent size, U an encoder LSTM's width (H, or H/2 each
# way when bidirectional), C the attention combine layer's width. "4H": LSTM kernels hold the four
# gates side by side. Without attention the output layer reads H wide.
def _specs(weights: Weights) -> list[tuple[str, np.ndarray, str]]:
    """(what, array, shape in symbols) for every array, the label as an error message names it."""
    out = [("encoder embedding", weights.enc_embed, "S E")]
    enc_width = "2U" if weights.bidirectional else "U"  # what an encoder layer outputs
    for k, layer in enumerate(weights.encoder):
        for side, cell in zip(("", "backward "), layer, strict=False):
            what = f"{side}encoder LSTM{f' {k + 1}' if k else ''}"
            out += [(f"{what}'s kernel", cell.kernel, f"{'E' if k == 0 else enc_width} 4U"),
                    (f"{what}'s recurrent kernel", cell.recurrent, "U 4U"), (f"{what}'s bias", cell.bias, "4U")]
    # The decoder is as wide as the encoder's output; attention's combine layer reads both side by side.
    hidden, gates, both = ("2U", "8U", "4U") if weights.bidirectional else ("U", "4U", "2U")
    out.append(("decoder embedding", weights.dec_embed, "T F"))
    for k, cell in enumerate(weights.decoder):
        what = f"decoder LSTM{f' {k + 1}' if k else ''}"
        out += [(f"{what}'s kernel", cell.kernel, f"{'F' if k == 0 else hidden} {gates}"),
                (f"{what}'s recurrent kernel", cell.recurrent, f"{hidden} {gates}"),
                (f"{what}'s bias", cell.bias, gates)]
    if weights.combine_kernel is not None and weights.combine_bias is not None:
        out += [("attention combine kernel", weights.combine_kernel, f"{both} C"),
                ("attention combine bias", weights.combine_bias, "C"),
                ("output layer's kernel", weights.out_kernel, "C T")]
    else:
        out.append(("output layer's kernel", weights.out_kernel, f"{hidden} T"))
    out.append(("output layer's bias", weights.out_bias, "T"))
    return out


def check_shapes(weights: Weights, source_size: int, target_size: int, where: Path | str = "the model") -> None:
    """Refuse weights that do not fit the vocabularies or each other, before decoding indexes them.

    A vocab.json from another run would otherwise end in an IndexError mid-translation, and a
    malformed LSTM in a numpy broadcasting error.

    Raises:
        BundleError: naming the first array whose shape does not fit.
    """
    if (weights.combine_kernel is None) != (weights.combine_bias is None):
        raise BundleError(f"{where}: the model file is damaged: the attention layer lacks its kernel or bias")
    if any(len(layer) != len(weights.encoder[0]) for layer in weights.encoder):
        raise BundleError(f"{where}: the model file is damaged: its encoder layers are not all one-way or all "
                          "bidirectional; not a seqtui model")
    dims = {"S": source_size, "T": target_size}
    for label, array, spec in _specs(weights):
        shape, symbols = tuple(array.shape), spec.split()
        if len(shape) != len(symbols):
            raise _inconsistent(where, label, shape, symbols, dims)
        for axis, (dim, symbol) in enumerate(zip(shape, symbols, strict=True)):
            if not _fits(dim, symbol, dims):
                if symbol in ("S", "T"):
                    raise _mismatch(where, label, shape, axis, dims[symbol], symbol)
                raise _inconsistent(where, label, shape, symbols, dims)


def _fits(dim: int, symbol: str, dims: dict[str, int]) -> bool:
    """Whether `dim` is `symbol` ("4H": four times H), binding the symbol the first time it is seen."""
    times, base = int(symbol[:-1] or 1), symbol[-1]
    if dim <= 0 or dim % times:
        return False
    dims.setdefault(base, dim // times)
    return dims[base] * times == dim


def _mismatch(where: Path | str, label: str, shape: tuple[int, ...], axis: int, size: int, symbol: str) -> BundleError:
    unit = "entries" if len(shape) == 1 else ("rows", "columns")[axis]
    side = "source" if symbol == "S" else "target"
    return BundleError(f"{where}: model.keras does not match vocab.json: the {label} has "
                       f"{shape[axis]} {unit} for a {side} vocabulary of {size} characters; the two come from "
                       "different runs (retrain with `seqtui train --fresh`)")


def _inconsistent(where: Path | str, label: str, shape: tuple[int, ...], symbols: list[str],
                  dims: dict[str, int]) -> BundleError:
    fitting = ", ".join(str(int(s[:-1] or 1) * dims[s[-1]]) if s[-1] in dims else s for s in symbols)
    return BundleError(f"{where}: the model file is damaged: its weights do not fit each other (the {label} is "
                       f"{shape}, where the other weights need ({fitting})); not a seqtui model")
