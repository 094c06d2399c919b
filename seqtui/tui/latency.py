"""Keep keys answered within a tenth of a second while TensorFlow loads and trains in this process.

CPython's full (generation 2) collections hold the GIL while they walk every tracked object. With
TensorFlow and a Keras model loaded that is ~400k objects, 100-350 ms a collection, and no key is
handled meanwhile (measured: 337 ms on the UI thread, 120-180 ms several times during the import).
So the import runs with collection paused, and what is loaded once (modules, the built model) is
frozen: full collections then skip it. Frozen objects are never freed, which suits things that
live as long as the app.
"""

from __future__ import annotations

import gc
import sys


def import_tensorflow() -> None:
    """Import Keras (and TensorFlow) with collection paused, then freeze what was imported."""
    if "keras" in sys.modules:
        return
    from seqtui.backend import import_keras

    gc.disable()
    try:
        import_keras()
    finally:
        gc.enable()
        gc.freeze()


def freeze_loaded() -> None:
    """Freeze what exists now (call it once the model is built) so full collections skip it."""
    gc.freeze()
