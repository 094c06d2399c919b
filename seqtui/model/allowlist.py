"""What the `config.json` of a `.keras` file may hold: only the objects seqtui's own models are made of.

Keras rebuilds every object in that tree that names a class (`module` + `class_name`), at any depth:
a Lambda carries Python bytecode, a custom class (`registered_name` such as "MyPkg>MyLayer") runs its
package's code, and a "function" object imports any attribute of any module. So the whole tree is
checked, not only the top-level layers, against the exact pairs `seqtui.model.build` writes: both
architectures, both encoders, stacked and residual layers, with and without dropout, float32 and
mixed_bfloat16, every optimizer seqtui offers, and seqtui's own label-smoothed loss.
A model file is refused before Keras (or our own reader) acts on anything in it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seqtui.errors import BundleError
from seqtui.safe_text import escape_controls

# The model's layers: config["config"]["layers"]. NotEqual is the mask's comparison, an operation node, and
# LogicalOr joins the masks of a residual Add's two inputs.
SAFE_LAYERS = {**dict.fromkeys(["InputLayer", "Embedding", "LSTM", "Bidirectional", "Dense", "Dropout", "Attention",
                                "Concatenate", "Add"], "keras.layers"),
               **dict.fromkeys(["NotEqual", "LogicalOr"], "keras.src.ops.numpy")}
# The root object: a functional model, never a subclassed or sequential one.
SAFE_ROOT = ("keras.src.models.functional", "Functional")
# Everything nested inside: dtype policies, the initializers of Embedding, LSTM and Dense, the two
# LSTMs inside a Bidirectional layer, and the optimizer in compile_config (one per name in
# `seqtui.config.OPTIMIZERS`). Built-in losses and metrics are saved as plain names, activations too.
SAFE_NESTED = frozenset({
    ("keras", "DTypePolicy"), ("keras.layers", "LSTM"),
    *(("keras.initializers", name) for name in ("GlorotUniform", "Orthogonal", "RandomUniform", "Zeros")),
    *(("keras.optimizers", name) for name in ("RMSprop", "Adam", "AdamW", "SGD", "Adagrad", "Adadelta",
                                              "Adamax", "Nadam", "Lion")),
})
# The one class of seqtui's own a model may name (the label-smoothed loss), as Keras registers it.
# The loss's module as saved now, and as saved before the core was grouped into packages.
SAFE_REGISTERED = frozenset({(module, "SmoothedSparseCrossentropy", "seqtui>SmoothedSparseCrossentropy")
                             for module in ("seqtui.model.losses", "seqtui.losses")})
# A reference to another layer's output inside `inbound_nodes`: no module, no code.
KERAS_TENSOR = "__keras_tensor__"


def check_config(path: Path, config: Any) -> list[dict[str, Any]]:
    """The layer list of a `.keras` config, after refusing anything seqtui does not write itself.

    Raises:
        BundleError: a Lambda, a custom or foreign object anywhere in the tree, or no layer list.
    """
    layers = _layers(path, config)
    top = {id(layer) for layer in layers}
    stack: list[tuple[Any, str]] = [(config, "")]
    while stack:  # a loop, not recursion: a hostile file may nest far deeper than Python recurses
        node, where = stack.pop()
        if isinstance(node, dict):
            kind = "root" if node is config else "layer" if id(node) in top else "nested"
            if kind != "nested" or "class_name" in node:
                _check_object(path, node, where, kind)
            stack.extend((value, f"{where}/{key}") for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, f"{where}/{i}") for i, value in enumerate(node))
    return layers


def _layers(path: Path, config: Any) -> list[dict[str, Any]]:
    body = config.get("config") if isinstance(config, dict) else None
    layers = body.get("layers") if isinstance(body, dict) else None
    if not isinstance(layers, list):
        raise BundleError(f"{path}: config.json has no layer list: not a seqtui model")
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict) or not isinstance(layer.get("config"), dict):
            raise BundleError(f"{path}: config.json's entry config/layers/{i} is not a layer, which seqtui "
                              "refuses to load. Only models trained by seqtui can be loaded")
    return layers


def _check_object(path: Path, node: dict[str, Any], where: str, kind: str) -> None:
    module, name, registered = node.get("module"), node.get("class_name"), node.get("registered_name")
    if not all(isinstance(v, str | None) for v in (module, name, registered)):
        ok = False
    elif kind == "layer":
        ok = name in SAFE_LAYERS and SAFE_LAYERS[name] == module
    elif kind == "root":
        ok = (module, name) == SAFE_ROOT
    elif (module, name, registered) in SAFE_REGISTERED:
        return
    else:
        ok = (module, name) in SAFE_NESTED or (module, name, registered) == (None, KERAS_TENSOR, None)
    # Keras writes its own classes' names here (or nothing); anything else names a custom class.
    if ok and registered in (None, name):
        return
    shown = _shown(registered if registered not in (None, name) else name)
    what = f"a {shown} layer" if kind == "layer" else f"a {shown} object at {_shown(where) or '/'}"
    raise BundleError(f"{path}: holds {what} ({_shown(module)}), which seqtui refuses to load: it could run "
                      "code. Only models trained by seqtui can be loaded")


def _shown(value: Any, width: int = 60) -> str:
    """An untrusted value for an error message: one short line that is safe on a terminal."""
    text = escape_controls(str(value))
    return text if len(text) <= width else text[: width - 1] + "…"
