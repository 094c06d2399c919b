"""Hostile archives from outside: zips (corpus downloads, `.keras` model files, exports) and the HDF5 weights
inside a model, each refused in one line before anything is inflated, whichever path opens it.

Loads that a missing guard would turn into gigabytes run in a subprocess under an address-space limit, so a
broken guard ends in a MemoryError there (and a failed assertion here), never in a swapping machine.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

from seqtui.cli import app
from seqtui.data import fetch
from seqtui.errors import BundleError, FetchError
from seqtui.model import weights
from seqtui.safe_zip import Limits, SafeZip
from seqtui.store import bundle
from tests.conftest import TINY_FLAGS, cli_flags, write_corpus

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
CORPUS = b"Go.\tVa !\nHi.\tSalut !\n"
WEIGHTS = "model.weights.h5"
TWO_GIB = 2 << 30
# What a subprocess may map: the interpreter with numpy and h5py (or TensorFlow, for the Keras path) and
# room to spare, but not the 2 GiB array a missing guard would allocate.
NUMPY_AS, KERAS_AS = 1536 << 20, 3584 << 20


def make_zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    return buf.getvalue()


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def one_line(text: str) -> str:
    assert "Traceback" not in text and "\x1b" not in text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


# -- zip: methods, damage, names, counts (corpus downloads and model files) ----------------------------


@pytest.mark.parametrize("method, name", [(zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "LZMA")])
def test_fetch_refuses_bzip2_and_lzma_members_unread(tmp_path: Path, method: int, name: str) -> None:
    """bzip2 and LZMA inflate a whole block per read (a 1,281-byte zip reached 3.2 GB): refused by method."""
    archive = tmp_path / "fra-eng.zip"
    archive.write_bytes(make_zip({"fra.txt": CORPUS}, method))
    dest = tmp_path / "corpus"
    with pytest.raises(FetchError, match=rf"'fra\.txt' is compressed with {name}"):
        fetch.fetch(dest, url=str(archive))
    assert leftovers(dest) == []


@pytest.mark.parametrize("method, name", [(zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "LZMA")])
def test_a_model_file_with_bzip2_or_lzma_members_is_refused(trained_bundle: Path, tmp_path: Path, method: int,
                                                            name: str) -> None:
    path = tmp_path / "model.keras"
    path.write_bytes(make_zip(members(trained_bundle / bundle.MODEL), method))
    for load in (weights.check_keras_file, weights.read_keras_file, bundle.load_keras_model):
        with pytest.raises(BundleError, match=rf"model\.keras: refused: '[a-z.0-9]+' is compressed with {name}"):
            load(path)


def damaged_lzma() -> bytes:
    """A zip whose LZMA member has its compressed bytes flipped halfway (LZMAError when inflated)."""
    raw = bytearray(make_zip({"fra.txt": CORPUS * 200}, zipfile.ZIP_LZMA))
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as zf:
        info = zf.getinfo("fra.txt")
    start = info.header_offset + 30 + len(info.filename)
    for i in range(start + 8, start + info.compress_size - 4):
        raw[i] ^= 0x5A
    return bytes(raw)


def test_cli_fetch_of_a_damaged_lzma_member_is_one_line(tmp_path: Path) -> None:
    """A damaged LZMA member ended in an LZMAError traceback; now it is one line, naming member and method."""
    archive = tmp_path / "fra-eng.zip"
    archive.write_bytes(damaged_lzma())
    result = runner.invoke(app, ["data", "fetch", "--dest", str(tmp_path / "corpus"), "--url", str(archive)])
    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert "'fra.txt' is compressed with LZMA" in line and str(archive.name) in line
    assert leftovers(tmp_path / "corpus") == []


HOSTILE_NAMES = ["\x1b]0;owned\x07fra.txt", "fra\x1b[2J.txt", "fra\u202etxt.txt", "../x", "../x.txt"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_cli_fetch_refuses_a_hostile_member_name_and_echoes_it_escaped(tmp_path: Path, name: str) -> None:
    """A name with ESC/OSC sequences became a file in train_dir and was echoed raw; it is refused, shown escaped."""
    archive = tmp_path / "fra-eng.zip"
    archive.write_bytes(make_zip({"_about.txt": b"about\n", name: CORPUS}))
    dest = tmp_path / "a" / "corpus"
    result = runner.invoke(app, ["data", "fetch", "--dest", str(dest), "--url", str(archive)])
    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert "refused: the archive's member" in line
    assert "\x07" not in line and "\u202e" not in line
    assert ("\\x1b" in line) == ("\x1b" in name)
    assert leftovers(tmp_path / "a") == []


def test_cli_fetch_echoes_what_it_wrote_escaped(tmp_path: Path) -> None:
    """The folder it names comes from the command line and may hold controls too: shown as escapes."""
    archive = tmp_path / "fra-eng.zip"
    archive.write_bytes(make_zip({"fra.txt": CORPUS}))
    dest = tmp_path / "a\x1b[2Jb"
    result = runner.invoke(app, ["data", "fetch", "--dest", str(dest), "--url", str(archive)])
    assert result.exit_code == 0, result.output
    assert "a\\x1b[2Jb" in result.stdout and "\x1b" not in result.stdout
    assert leftovers(dest) == ["fra.txt"]


def test_a_model_member_named_with_an_escape_is_refused_escaped(trained_bundle: Path, tmp_path: Path) -> None:
    """The message names the member as its escapes, so printing it cannot retitle or clear the terminal."""
    path = tmp_path / "model.keras"
    inside = members(trained_bundle / bundle.MODEL)
    inside["\x1b]0;owned\x07"] = inside.pop("metadata.json")
    path.write_bytes(make_zip(inside))
    with pytest.raises(BundleError) as error:
        bundle.load_keras_model(path)
    text = str(error.value)
    assert "\\x1b]0;owned\\x07" in text and "\x1b" not in text and "\n" not in text


def test_fetch_refuses_too_many_members(tmp_path: Path) -> None:
    archive = tmp_path / "fra-eng.zip"
    archive.write_bytes(make_zip({"fra.txt": CORPUS, **{f"_{i}.txt": b"" for i in range(fetch.MAX_MEMBERS)}}))
    with pytest.raises(FetchError, match=rf"holds {fetch.MAX_MEMBERS + 1} or more members"):
        fetch.fetch(tmp_path / "corpus", url=str(archive))


def test_the_central_directory_size_is_bounded_before_zipfile_parses_it(tmp_path: Path) -> None:
    """zipfile turns the whole central directory into objects before anyone can count them: its size, as the
    end record declares it, is checked first (a directory declared at 10 MB here; zipfile alone says 'damaged')."""
    raw = bytearray(make_zip({"fra.txt": CORPUS}))
    end = raw.rindex(b"PK\x05\x06")
    struct.pack_into("<HHI", raw, end + 8, 0xFFFF, 0xFFFF, 10_000_000)  # members here, in all, directory bytes
    with pytest.raises(FetchError, match="holds 65,535 or more members"), \
            SafeZip(io.BytesIO(bytes(raw)), "x.zip", Limits(total=1 << 20), FetchError):
        pass


def test_fetch_refuses_an_encrypted_member(tmp_path: Path) -> None:
    raw = bytearray(make_zip({"fra.txt": CORPUS}))
    central = raw.rindex(b"PK\x01\x02")
    struct.pack_into("<H", raw, central + 8, 0x1)  # the flag zipfile reads: encrypted
    archive = tmp_path / "fra-eng.zip"
    archive.write_bytes(bytes(raw))
    with pytest.raises(FetchError, match="'fra.txt' is encrypted"):
        fetch.fetch(tmp_path / "corpus", url=str(archive))


def test_inflated_bytes_are_counted_across_members() -> None:
    """The archive's total is counted on what its members actually stream, not only on what they declare."""
    with SafeZip(io.BytesIO(make_zip({"a.txt": b"a", "b.txt": b"b"})), "x.zip", Limits(total=1000),
                 FetchError) as zf:
        assert sum(map(len, zf.counted("a.txt", io.BytesIO(bytes(600))))) == 600
        with pytest.raises(FetchError, match="the archive is larger than 1,000 bytes as it unpacks"):
            list(zf.counted("b.txt", io.BytesIO(bytes(600))))


# -- the download's deadline -----------------------------------------------------------------------------


@pytest.fixture
def trickling_server() -> Iterator[str]:
    """A server on 127.0.0.1 that promises 100 kB, then sends 2 bytes every half second (for 30 s at most)."""
    done = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            ends = time.monotonic() + 30
            try:
                while time.monotonic() < ends and not done.wait(0.5):
                    self.wfile.write(b"PK")
                    self.wfile.flush()
            except OSError:  # the client gave up
                pass

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/fra-eng.zip"
    done.set()
    httpd.shutdown()
    httpd.server_close()


def test_a_trickling_download_stops_at_its_deadline(trickling_server: str, tmp_path: Path) -> None:
    """Each read brings bytes within the timeout, so only a deadline on the whole download ends it (it stayed in
    its first read for more than 40 s). The bound here is generous; the server gives up after 30 s."""
    start = time.monotonic()
    with pytest.raises(FetchError, match=r"took more than 2 s in all") as error:
        fetch.fetch(tmp_path / "corpus", url=trickling_server, timeout=1, deadline=2)
    assert time.monotonic() - start < 15
    assert "\n" not in str(error.value)
    assert leftovers(tmp_path / "corpus") == []


# -- the HDF5 weights inside a model file ----------------------------------------------------------------


def copy_bundle(src: Path, dst: Path) -> Path:
    """A copy without its checkpoint, so a refused model.keras cannot be replaced by the checkpoint."""
    shutil.copytree(src, dst)
    shutil.rmtree(dst / bundle.CKPT_DIR)
    return dst


def with_h5(path: Path, mutate: Callable[[h5py.File, Path], None]) -> None:
    """Rewrite model.weights.h5 inside the (deflated) zip after `mutate(h5, folder)` changed it."""
    out = io.BytesIO()
    old_members = members(path)
    with h5py.File(io.BytesIO(old_members[WEIGHTS]), "r") as old, h5py.File(out, "w") as new:
        for key in old:
            old.copy(key, new)
        mutate(new, path.parent)
    path.write_bytes(make_zip({**old_members, WEIGHTS: out.getvalue()}))


def gzip_bomb(h5: h5py.File, folder: Path) -> None:
    """The output kernel as a gzip-chunked float32 array declaring 2 GiB; one chunk written, a few kB in all."""
    del h5["layers/dense/vars/0"]
    ds = h5.create_dataset("layers/dense/vars/0", shape=(TWO_GIB // 4,), dtype="f4", chunks=(1 << 20,),
                           compression="gzip")
    ds.id.write_direct_chunk((0,), zlib.compress(bytes(4 << 20), 9))


def lying_chunk(h5: h5py.File, folder: Path) -> None:
    """A 4 kB gzip chunk whose stream inflates to 64 MiB: HDF5 inflates all of it, whatever the chunk declares."""
    del h5["layers/dense/vars/0"]
    ds = h5.create_dataset("layers/dense/vars/0", shape=(1024,), dtype="f4", chunks=(1024,), compression="gzip")
    ds.id.write_direct_chunk((0,), zlib.compress(bytes(64 << 20), 9))


def hostile_model(trained_bundle: Path, folder: Path, mutate: Callable[[h5py.File, Path], None]) -> Path:
    m = copy_bundle(trained_bundle, folder)
    with_h5(m / bundle.MODEL, mutate)
    return m


def run_limited(code: str, address_space: int, timeout: float = 180) -> str:
    """Run `code` in a fresh interpreter that may map at most `address_space` bytes; its output."""
    limit = f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({address_space}, {address_space}))\n"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", limit + code], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env)
    return done.stdout + done.stderr


REPORT = """
import resource
try:
    {call}
    print("loaded")
except Exception as e:
    print(type(e).__name__, str(e).replace(chr(10), " "))
print("maxrss_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_the_2_gib_gzip_array_is_refused_by_every_numpy_reader(trained_bundle: Path, tmp_path: Path) -> None:
    """`translate`'s engine, `weights_file`, `layer_arrays` and export read the arrays with numpy: each refuses
    the array by its declared size, before HDF5 inflates a byte of it (under a 1.5 GiB address space)."""
    m = hostile_model(trained_bundle, tmp_path / "m", gzip_bomb)
    assert (m / bundle.MODEL).stat().st_size < 1 << 20
    calls = [f"bundle.load({str(m)!r}).engine()", f"weights.layer_arrays(Path({str(m / bundle.MODEL)!r}))",
             f"export.export_bundle(Path({str(m)!r}), Path({str(tmp_path / 'out')!r}), 'x', 'nobody')"]
    for call in calls:
        code = ("from pathlib import Path\nfrom seqtui.model import weights\nfrom seqtui.store import bundle, export\n"
                + REPORT.format(call=call))
        out = run_limited(code, NUMPY_AS)
        assert "BundleError" in out and "model.weights.h5's arrays are larger than 1024 MiB" in out, (call, out)
    assert not (tmp_path / "out" / bundle.MODEL).exists()


def test_keras_loads_refuse_the_2_gib_gzip_array(trained_bundle: Path, tmp_path: Path) -> None:
    """Keras' load path (`--init-from`, `--resume`, evaluate) ran 3 minutes at 17.8 GB before failing: it now
    walks the same check before Keras opens the file (under a 3.5 GiB address space, TensorFlow included)."""
    m = hostile_model(trained_bundle, tmp_path / "m", gzip_bomb)
    out = run_limited("from seqtui.store import bundle\n"
                      + REPORT.format(call=f"bundle.load_keras_model({str(m / bundle.MODEL)!r})"), KERAS_AS)
    assert "BundleError" in out and "model.weights.h5's arrays are larger than 1024 MiB" in out, out


@pytest.mark.parametrize("how", ["init-from", "resume"])
def test_cli_train_from_a_hostile_model_is_one_line(trained_bundle: Path, tmp_path: Path, how: str) -> None:
    """`seqtui train --init-from DIR`, and `--resume` of a copied folder whose checkpoint holds the array."""
    corpus = write_corpus(tmp_path / "tiny.txt")
    # One epoch past the 3 the run holds, so that --resume has an epoch to train.
    flags = [*cli_flags({**TINY_FLAGS, "epochs": 4}), "--train-dir", str(corpus)]
    if how == "init-from":
        m = hostile_model(trained_bundle, tmp_path / "m", gzip_bomb)
        args = ["train", "--init-from", str(m), "--model-dir", str(tmp_path / "new"), *flags]
    else:
        m = tmp_path / "m"
        shutil.copytree(trained_bundle, m)
        with_h5(bundle.read_checkpoint(m).path, gzip_bomb)
        args = ["train", "--resume", "--model-dir", str(m), *flags]
    code = f"import sys\nfrom seqtui.cli import main\nsys.argv = ['seqtui', *{args!r}]\nmain()"
    out = run_limited(code, KERAS_AS)
    assert one_line(out).startswith("error: ") and "model.weights.h5's arrays are larger than 1024 MiB" in out, out


def test_a_chunk_that_inflates_past_its_declared_size_is_refused(trained_bundle: Path, tmp_path: Path) -> None:
    """Declared sizes alone do not bound HDF5's gzip filter: filtered datasets (never written by seqtui or Keras)
    are refused, by the numpy reader and by the check before Keras."""
    m = hostile_model(trained_bundle, tmp_path / "m", lying_chunk)
    for load in (lambda: bundle.load(m).engine(), lambda: weights.check_keras_file(m / bundle.MODEL)):
        with pytest.raises(BundleError, match=r"compresses /layers/dense/vars/0 inside the file \(gzip\)"):
            load()


def soft_link(h5: h5py.File, folder: Path) -> None:
    h5["layers/dense/vars/extra"] = h5py.SoftLink("/layers/dense/vars/0")


def external_link(h5: h5py.File, folder: Path) -> None:
    with h5py.File(folder / "other.h5", "w") as other:
        other["x"] = np.zeros(3, np.float32)
    h5["layers/dense/vars/extra"] = h5py.ExternalLink(str(folder / "other.h5"), "/x")


def external_storage(h5: h5py.File, folder: Path) -> None:
    bias = h5["layers/dense/vars/1"][()]
    bias.tofile(folder / "elsewhere.bin")
    del h5["layers/dense/vars/1"]
    h5.create_dataset("layers/dense/vars/1", bias.shape, bias.dtype,
                      external=[(str(folder / "elsewhere.bin"), 0, bias.nbytes)])


def virtual_dataset(h5: h5py.File, folder: Path) -> None:
    with h5py.File(folder / "source.h5", "w") as other:
        other["x"] = np.zeros(3, np.float32)
    layout = h5py.VirtualLayout(shape=(3,), dtype="f4")
    layout[:] = h5py.VirtualSource(str(folder / "source.h5"), "x", shape=(3,))
    h5.create_virtual_dataset("layers/dense/vars/extra", layout)


@pytest.mark.parametrize("mutate, match", [
    (soft_link, "links /layers/dense/vars/extra to another place"),
    (external_link, "links /layers/dense/vars/extra to another place"),
    (external_storage, "in files outside the model file"),
    (virtual_dataset, "in files outside the model file"),
])
def test_keras_path_refuses_links_and_outside_storage(trained_bundle: Path, tmp_path: Path,
                                                      mutate: Callable[[h5py.File, Path], None], match: str) -> None:
    """Keras would follow these into other files; the check before it refuses them, as the numpy reader does."""
    m = hostile_model(trained_bundle, tmp_path / "m", mutate)
    for load in (lambda: weights.check_keras_file(m / bundle.MODEL), lambda: bundle.load(m).engine()):
        with pytest.raises(BundleError, match=match):
            load()


def test_a_checked_model_still_loads_everywhere(trained_bundle: Path, tmp_path: Path) -> None:
    """The checks refuse none of what seqtui writes: the model, its checkpoint, and an export of it."""
    from seqtui.store.export import export_bundle

    for path in (trained_bundle / bundle.MODEL, bundle.read_checkpoint(trained_bundle).path):
        weights.check_keras_file(path)
    export_bundle(trained_bundle, tmp_path / "out", "x", "nobody")
    weights.check_keras_file(tmp_path / "out" / bundle.MODEL)
    bundle.load_keras_model(tmp_path / "out" / bundle.MODEL)
    full, half = bundle.load(trained_bundle).engine(), bundle.load(tmp_path / "out").engine()
    assert half.translate("Go.") == full.translate("Go.")
