"""Export a trained bundle for shipping: the weights only (no optimizer state), in float16.

A training bundle's model.keras carries the optimizer's moments too (three times the weights with
Adam); a shipped model needs none of that. The numpy engine reads float16 arrays as float32, and
Keras casts them when it loads the file (for `--init-from` and `evaluate`'s loss). The export is
marked `"shipped": true` in its manifest, so no training ever writes into it.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from seqtui import atomic, safe_json
from seqtui.store import bundle, rundir
from seqtui.store.saved import Manifest


def export_bundle(src: Path, dst: Path, name: str, credit: str) -> int:
    """Write `src`'s bundle into `dst` as a shipped model; returns the size of the new model.keras.

    Raises:
        BundleError: `src` holds no model or a model file it refuses to read, or `dst` holds files that are
            not a bundle's, or a training run.
        SeqtuiError: `dst` lies in a run's folder.
    """
    src, dst = Path(src), Path(dst)
    saved = bundle.load(src)
    rundir.refuse_replacing(dst, "destination", "export")
    dst.mkdir(parents=True, exist_ok=True)
    atomic.write_with(dst / bundle.MODEL, lambda tmp: tmp.write_bytes(_checked_weights(src / bundle.MODEL)),
                      suffix=".keras")
    bundle.write_meta(dst, saved.source, saved.target, _portable(saved.meta.to_dict()))
    bundle.write_history(dst, bundle.read_history(src))
    atomic.write_json(dst / rundir.MANIFEST, Manifest(shipped=True, name=name, credit=credit).to_dict())
    return (dst / bundle.MODEL).stat().st_size


def _checked_weights(path: Path) -> bytes:
    """`_weights_only` of a private copy of `path`, checked first as loading checks it (bombs, foreign
    objects, damage: BundleError), so what is checked is what is read."""
    from seqtui.model.weights import check_keras_file, private_copy

    with tempfile.TemporaryDirectory(prefix="seqtui-export-") as private:
        copy = private_copy(path, Path(private))
        check_keras_file(path, opened=copy)
        return _weights_only(path, copy)


def _weights_only(path: Path, copy: Path) -> bytes:
    """The checked `copy` of `path` without its optimizer state, its arrays in float16, re-zipped."""
    import h5py

    from seqtui.model.weights import open_keras_file

    with open_keras_file(path, opened=copy) as zf:  # the same limits the check applied, counted again
        config = safe_json.loads(zf.read("config.json"))
        metadata = zf.read("metadata.json")
        weights = zf.read("model.weights.h5")
    config["compile_config"] = None  # nothing to restore: the importer compiles with its own optimizer
    out = io.BytesIO()
    with h5py.File(io.BytesIO(weights), "r") as full, h5py.File(out, "w") as slim:
        full.visititems(lambda key, item: _copy_half(key, item, slim) if key.startswith("layers") else None)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", metadata)
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", out.getvalue())
    return packed.getvalue()


def _copy_half(key: str, item: Any, slim: Any) -> None:
    import h5py

    if isinstance(item, h5py.Group):
        slim.require_group(key)
    else:
        slim.create_dataset(key, data=np.asarray(item[()], dtype=np.float16))


def _portable(meta: dict[str, Any]) -> dict[str, Any]:
    """The bundle's metadata without the paths of the machine it was trained on (file names stay)."""
    out: dict[str, Any] = json.loads(json.dumps(meta))
    cfg = out.get("config", {})
    for key in ("train_dir", "model_dir", "predict_in", "predict_out", "val_data"):
        if cfg.get(key):
            cfg[key] = Path(str(cfg[key])).name
    for entry in out.get("data", {}).get("files", []):
        entry["path"] = Path(entry["path"]).name
    if "split" in out:
        out["split"]["files"] = [Path(f).name for f in out["split"].get("files", [])]
        if out["split"].get("val_data"):
            out["split"]["val_data"] = Path(out["split"]["val_data"]).name
    return out
