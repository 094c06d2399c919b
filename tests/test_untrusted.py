"""A model folder from elsewhere is data, not trust: bombs, damage, mismatched vocabularies and foreign
objects anywhere in config.json all end in one BundleError line, never a traceback or a huge allocation."""

import io
import json
import shutil
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

import seqtui
from seqtui import config
from seqtui.cli import app
from seqtui.errors import BundleError
from seqtui.model import weights
from seqtui.store import bundle

runner = CliRunner()
CONFIG, WEIGHTS = "config.json", "model.weights.h5"


def copy_bundle(src: Path, dst: Path) -> Path:
    """A copy without its checkpoint, so a refused model.keras cannot be replaced by the checkpoint."""
    shutil.copytree(src, dst)
    shutil.rmtree(dst / bundle.CKPT_DIR)
    return dst


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def rewrite(path: Path, changed: dict[str, bytes] | None = None, compression: int = zipfile.ZIP_STORED) -> None:
    """Rewrite the zip at `path` with some members replaced, every member compressed as asked."""
    items = {**members(path), **(changed or {})}
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in items.items():
            zf.writestr(name, data)


def patch_central(path: Path, name: str, field: int, fmt: str, value: int) -> None:
    """Overwrite one field of `name`'s central-directory entry (the record zipfile believes)."""
    raw = bytearray(path.read_bytes())
    at = raw.find(b"PK\x01\x02")  # central entries: a signature, then fields at fixed offsets
    while at >= 0:
        fname_len = struct.unpack_from("<H", raw, at + 28)[0]
        if raw[at + 46:at + 46 + fname_len] == name.encode():
            struct.pack_into(fmt, raw, at + field, value)
            path.write_bytes(bytes(raw))
            return
        at = raw.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"{name} not in {path}")


def data_offset(path: Path, name: str) -> int:
    """Where `name`'s compressed bytes start (after its local header)."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    raw = path.read_bytes()
    fname_len, extra_len = struct.unpack_from("<HH", raw, info.header_offset + 26)
    return info.header_offset + 30 + fname_len + extra_len


def refused(model_dir: Path, match: str) -> BundleError:
    """Both readers (numpy engine and the Keras pre-check) refuse with one line naming `match`."""
    with pytest.raises(BundleError, match=match) as engine_error:
        bundle.load(model_dir).engine().translate("Go.")
    assert "\n" not in str(engine_error.value)
    return engine_error.value


# -- size limits -----------------------------------------------------------------------------------


def test_a_config_bomb_is_refused_by_its_size(trained_bundle, tmp_path):
    """A config.json that inflates past 1 MiB is refused before it is read whole (today: read and parsed)."""
    m = copy_bundle(trained_bundle, tmp_path / "m")
    cfg = json.loads(members(m / bundle.MODEL)[CONFIG])
    bomb = json.dumps({**cfg, "pad": " " * (2 << 20)}).encode()
    rewrite(m / bundle.MODEL, {CONFIG: bomb}, zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(m / bundle.MODEL) as zf:
        assert zf.getinfo(CONFIG).compress_size < 100_000  # the bomb: small on disk, large inflated
    refused(m, r"config\.json.*larger than 1 MiB")
    with pytest.raises(BundleError, match=r"config\.json.*larger than 1 MiB"):
        weights.check_keras_file(m / bundle.MODEL)


def test_a_weights_bomb_is_refused_by_its_size(trained_bundle, tmp_path, monkeypatch):
    """model.weights.h5 inflating past the limit is refused (the limit made small to keep the test fast)."""
    monkeypatch.setattr(weights, "MAX_WEIGHTS_BYTES", 1 << 20, raising=False)
    m = copy_bundle(trained_bundle, tmp_path / "m")
    rewrite(m / bundle.MODEL, {WEIGHTS: members(m / bundle.MODEL)[WEIGHTS] + bytes(4 << 20)}, zipfile.ZIP_DEFLATED)
    refused(m, r"model\.weights\.h5.*larger than 1 MiB")
    with pytest.raises(BundleError, match=r"model\.weights\.h5.*larger than 1 MiB"):
        weights.check_keras_file(m / bundle.MODEL)


def test_the_size_limit_does_not_trust_the_header(trained_bundle, tmp_path):
    """The bound is counted on the bytes actually inflated, not on what the header says: a member stream
    that goes on past its limit is refused as it streams."""
    m = copy_bundle(trained_bundle, tmp_path / "m")
    with weights.open_keras_file(m / bundle.MODEL) as zf, \
            pytest.raises(BundleError, match=r"config\.json.*larger than 1 MiB"):
        list(zf.counted(CONFIG, io.BytesIO(bytes(3 << 20))))


# -- decompression errors --------------------------------------------------------------------------


@pytest.mark.parametrize("member", [CONFIG, WEIGHTS])
def test_a_corrupted_deflate_stream_is_one_line(trained_bundle, tmp_path, member):
    """Flipped bytes in a deflate stream (zlib.error today, a traceback) become a BundleError."""
    m = copy_bundle(trained_bundle, tmp_path / "m")
    rewrite(m / bundle.MODEL, compression=zipfile.ZIP_DEFLATED)
    raw = bytearray((m / bundle.MODEL).read_bytes())
    raw[data_offset(m / bundle.MODEL, member)] = 0x07  # first block header: BTYPE 11, which deflate reserves
    (m / bundle.MODEL).write_bytes(bytes(raw))
    refused(m, "the model file is damaged")
    with pytest.raises(BundleError, match="the model file is damaged"):
        weights.check_keras_file(m / bundle.MODEL) if member == CONFIG else weights.read_keras_file(m / bundle.MODEL)


def _truncated(path: Path) -> None:
    size = members(path)[WEIGHTS]
    for field in (20, 24):  # the sizes run past the end of the file: zipfile raises EOFError
        patch_central(path, WEIGHTS, field, "<I", len(size) + 100_000)


def _unknown_method(path: Path) -> None:
    patch_central(path, WEIGHTS, 10, "<H", 99)  # NotImplementedError today


def _encrypted(path: Path) -> None:
    patch_central(path, CONFIG, 8, "<H", 0x1)  # RuntimeError: password required


def _bzip2(path: Path) -> None:
    rewrite(path, compression=zipfile.ZIP_BZIP2)  # bz2 inflates without a bound per read: never read


@pytest.mark.parametrize("damage", [_truncated, _unknown_method, _encrypted, _bzip2])
def test_unreadable_members_are_one_line(trained_bundle, tmp_path, damage):
    """EOFError, NotImplementedError, RuntimeError (and an unbounded codec) become a BundleError."""
    m = copy_bundle(trained_bundle, tmp_path / "m")
    damage(m / bundle.MODEL)
    error = refused(m, "model.keras")
    assert "damaged" in str(error) or "compress" in str(error) or "encrypted" in str(error)


# -- the weights file ------------------------------------------------------------------------------


def _with_h5(path: Path, mutate: Callable[[h5py.File, Path], None]) -> None:
    """Rewrite model.weights.h5 inside the zip after `mutate(h5, folder)` changed it."""
    out = io.BytesIO()
    with h5py.File(io.BytesIO(members(path)[WEIGHTS]), "r") as old, h5py.File(out, "w") as new:
        for key in old:
            old.copy(key, new)
        mutate(new, path.parent)
    rewrite(path, {WEIGHTS: out.getvalue()})


def _replace(name: str, value: Any) -> Callable[[h5py.File, Path], None]:
    def mutate(h5: h5py.File, folder: Path) -> None:
        if name in h5:
            del h5[name]
        h5[name] = value
    return mutate


def _external(h5: h5py.File, folder: Path) -> None:
    """The output bias's bytes kept in another file on this machine, named by path (HDF5 reads it)."""
    bias = h5["layers/dense/vars/1"][()]
    bias.tofile(folder / "elsewhere.bin")
    del h5["layers/dense/vars/1"]
    h5.create_dataset("layers/dense/vars/1", bias.shape, bias.dtype,
                      external=[(str(folder / "elsewhere.bin"), 0, bias.nbytes)])


def _inflating(h5: h5py.File, folder: Path) -> None:
    del h5["layers/dense/vars/0"]
    h5.create_dataset("layers/dense/vars/0", data=np.zeros((64, 8192), np.float32), compression="gzip")


@pytest.mark.parametrize("mutate, match", [
    (_replace("layers", np.zeros(3)), "damaged"),  # a dataset where a group belongs
    (_replace("layers/dense/vars/0", "hello"), "damaged"),  # text where numbers belong
    (_replace("layers/embedding/vars/1", np.zeros(3)), "damaged"),  # one array too many
    (_replace("layers/lstm_1/cell/vars/1", np.zeros((5, 7), np.float32)), "do not fit each other"),
    (_external, "outside"),
    (_inflating, "larger than 1 MiB"),
])
def test_a_malformed_weights_file_is_one_line(trained_bundle, tmp_path, monkeypatch, mutate, match):
    """Odd HDF5 content (ValueError or a silent read of another file today) becomes a BundleError."""
    monkeypatch.setattr(weights, "MAX_WEIGHTS_BYTES", 1 << 20, raising=False)
    m = copy_bundle(trained_bundle, tmp_path / "m")
    _with_h5(m / bundle.MODEL, mutate)
    refused(m, match)


# -- weights against the vocabulary ----------------------------------------------------------------


def _vocab(model_dir: Path, side: str, change: Callable[[list[str]], list[str]]) -> None:
    path = model_dir / bundle.VOCAB
    vocab = json.loads(path.read_text(encoding="utf-8"))
    vocab[side] = change(vocab[side])
    path.write_text(json.dumps(vocab), encoding="utf-8")


@pytest.mark.parametrize("side, change", [("source", lambda cs: [*cs, "~"]), ("target", lambda cs: cs[:-3])])
def test_a_vocabulary_that_does_not_match_the_weights(trained_bundle, tmp_path, side, change):
    """vocab.json from another run: a BundleError naming both files, not an IndexError mid-translation."""
    m = copy_bundle(trained_bundle, tmp_path / "m")
    _vocab(m, side, change)
    with pytest.raises(BundleError, match=rf"does not match.*{side} vocabulary"):
        seqtui.load(m)
    result = runner.invoke(app, ["translate", "--model-dir", str(m), "~"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "does not match" in result.stderr


def test_check_shapes_accepts_a_trained_model(trained_bundle):
    b = bundle.load(trained_bundle)
    weights.check_shapes(weights.read_keras_file(b.model_file), len(b.source), len(b.target))


# -- the whole config tree -------------------------------------------------------------------------


def _in_layer(class_name: str, key: str, value: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(cfg: dict[str, Any]) -> None:
        layer = next(x for x in cfg["config"]["layers"] if x["class_name"] == class_name)
        layer["config"][key] = value
    return change


LAMBDA = {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
          "config": {"name": "x", "function": {"class_name": "__lambda__", "config": {"code": "b3M="}}}}
WRAPPED = {"module": "keras.layers", "class_name": "TimeDistributed", "registered_name": None,
           "config": {"layer": LAMBDA}}
CUSTOM_POLICY = {"module": "keras", "class_name": "DTypePolicy", "registered_name": "MyPkg>DTypePolicy",
                 "config": {"name": "float32"}}
KERAS_FUNCTION = {"module": "keras.src.saving.serialization_lib", "class_name": "function",
                  "registered_name": "function", "config": "deserialize_keras_object"}


def _foreign_optimizer(cfg: dict[str, Any]) -> None:
    cfg["compile_config"]["optimizer"]["module"] = "evil.optimizers"


def _custom_model(cfg: dict[str, Any]) -> None:
    cfg["registered_name"] = "MyPkg>Translator"


def _not_a_layer(cfg: dict[str, Any]) -> None:
    cfg["config"]["layers"].append("os.system")


@pytest.mark.parametrize("change, what", [
    (_in_layer("Dense", "kernel_initializer", LAMBDA), "Lambda"),
    (_in_layer("Dense", "kernel_initializer", WRAPPED), "TimeDistributed"),
    (_in_layer("Embedding", "dtype", CUSTOM_POLICY), "MyPkg>DTypePolicy"),
    (_in_layer("Dense", "activation", KERAS_FUNCTION), "function"),
    (_foreign_optimizer, "evil.optimizers"),
    (_custom_model, "MyPkg>Translator"),
    (_not_a_layer, "not a layer"),
])
def test_foreign_objects_anywhere_in_the_config_are_refused(trained_bundle, tmp_path, change, what):
    """Not only top-level layers: any object Keras would deserialize must be one seqtui writes."""
    m = copy_bundle(trained_bundle, tmp_path / "m")
    cfg = json.loads(members(m / bundle.MODEL)[CONFIG])
    change(cfg)
    rewrite(m / bundle.MODEL, {CONFIG: json.dumps(cfg).encode()})
    error = refused(m, "refuses to load")
    assert what in str(error)
    with pytest.raises(BundleError, match="refuses to load"):
        weights.check_keras_file(m / bundle.MODEL)


def test_a_config_nested_too_deep_is_one_line(trained_bundle, tmp_path):
    """JSON nested past Python's recursion limit (RecursionError today) becomes a BundleError."""
    m = copy_bundle(trained_bundle, tmp_path / "m")
    rewrite(m / bundle.MODEL, {CONFIG: b"[" * 200_000 + b"]" * 200_000})
    refused(m, "damaged")


@pytest.mark.parametrize("architecture", ["seq2seq", "attention"])
@pytest.mark.parametrize("dropout, precision", [(0.0, "float32"), (0.2, "mixed_bfloat16")])
@pytest.mark.parametrize("shape", [{}, {"encoder": "bilstm", "layers": 3, "residual": True, "label_smoothing": 0.1,
                                        "weight_averaging": "ema"}], ids=["plain", "stacked"])
def test_every_model_seqtui_saves_is_accepted(tmp_path, architecture, dropout, precision, shape):
    """The allow-list is tight, but never refuses what seqtui itself writes."""
    from seqtui.model import build as model

    cfg = config.merge(config.Config(), {"architecture": architecture, "dropout": dropout, "precision": precision,
                                         "latent_dim": 8, "embedding_dim": 4, **shape})
    path = tmp_path / "model.keras"
    bundle.save_model(path, model.build(cfg, 10, 12))
    weights.check_keras_file(path)
    weights.check_shapes(weights.read_keras_file(path), 10, 12)


def test_every_optimizer_seqtui_offers_is_accepted(tmp_path):
    from seqtui.model import build as model

    cfg = config.merge(config.Config(), {"latent_dim": 8, "embedding_dim": 4, "metrics": []})
    built = model.build(cfg, 10, 12)
    for name in config.OPTIMIZERS:
        model.compile_model(built, config.merge(cfg, {"optimizer": name}))
        bundle.save_model(tmp_path / f"{name}.keras", built)
        weights.check_keras_file(tmp_path / f"{name}.keras")


def test_a_trained_bundle_and_its_checkpoint_are_accepted(trained_bundle):
    checkpoint = bundle.read_checkpoint(trained_bundle).path
    for path in (trained_bundle / bundle.MODEL, checkpoint):
        weights.check_keras_file(path)
        weights.read_keras_file(path)
    model = bundle.load_keras_model(checkpoint)  # Keras accepts what the checks accepted, with its optimizer
    assert model.get_layer("output").kernel.shape[-1] == len(bundle.load(trained_bundle).target)
    assert model.optimizer is not None and model.optimizer.iterations.numpy() > 0


def test_keras_loads_the_very_file_that_was_checked(trained_bundle, tmp_path, monkeypatch):
    """Checking a path and then letting Keras open the path again loaded whatever it held by then: here a
    file swapped in right after the check (as another process could) must not be what gets loaded."""
    m = copy_bundle(trained_bundle, tmp_path / "m")
    path = m / bundle.MODEL
    check = weights.check_keras_file

    def check_then_swap(checked: Path, opened: Path | None = None) -> None:
        check(checked, opened)
        path.write_bytes(b"PK\x03\x04 swapped in after the check")

    monkeypatch.setattr(weights, "check_keras_file", check_then_swap)
    model = bundle.load_keras_model(path)
    assert model.get_layer("output").kernel.shape[-1] == len(bundle.load(trained_bundle).target)
    with pytest.raises(BundleError, match="the model file is damaged"):  # the swapped file, checked as itself
        bundle.load_keras_model(path)


def test_a_missing_or_unreadable_model_file_is_one_line(tmp_path):
    with pytest.raises(BundleError, match="no such model file"):
        bundle.load_keras_model(tmp_path / "model.keras")
    (tmp_path / "folder.keras").mkdir()
    with pytest.raises(BundleError, match="could not be copied to be checked"):
        bundle.load_keras_model(tmp_path / "folder.keras")
