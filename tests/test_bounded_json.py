"""JSON from a run folder or a model file is read within bounds: a FIFO where a file should be, a file
over the size cap and nesting deeper than the depth cap are each one line, never a hang or a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from seqtui import safe_json
from seqtui.store import saved
from seqtui.store.catalog import SHIPPED_ROOT

DEEP = "[" * 100_000 + "]" * 100_000  # far past Python's recursion limit
PATIENCE = 300  # seconds: a hang fails the test instead of hanging the suite; a loaded machine stays well inside


def seqtui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The seqtui command in a fresh process, from a folder without a sequencer.toml."""
    env = {**os.environ, "COLUMNS": "400", "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "seqtui", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=PATIENCE)


@pytest.fixture
def run(tmp_path: Path) -> Path:
    """A copy of the shipped en-fr bundle, as a run folder of the user's own (under tmp_path/runs)."""
    return Path(shutil.copytree(SHIPPED_ROOT / "en-fr", tmp_path / "runs" / "mine"))


def assert_one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "RecursionError" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    for word in words:
        assert word in errors[0]


def listed(done: subprocess.CompletedProcess[str]) -> dict[str, object]:
    """The one run `seqtui runs --json` listed."""
    import json

    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    (only,) = json.loads(done.stdout)
    return only


# -- the reader ------------------------------------------------------------------------------------


def test_loads_refuses_deep_nesting_before_the_decoder_recurses():
    with pytest.raises(safe_json.JsonError, match="nested deeper than 64"):
        safe_json.loads(DEEP)
    with pytest.raises(safe_json.JsonError, match="nested deeper than 64"):
        safe_json.loads(b'{"a": ' * 50_000 + b"1" + b"}" * 50_000)
    at_cap = "[" * safe_json.MAX_DEPTH + "]" * safe_json.MAX_DEPTH
    assert safe_json.loads(at_cap) == safe_json.loads(at_cap.encode())
    with pytest.raises(safe_json.JsonError):
        safe_json.loads("[" + at_cap + "]")


def test_brackets_inside_strings_do_not_count_and_escaped_quotes_stay_inside():
    text = '{"k": "' + "[" * 1000 + '\\"' + "{" * 1000 + '", "j": ["]]]"]}'
    assert safe_json.loads(text) == {"k": "[" * 1000 + '"' + "{" * 1000, "j": ["]]]"]}
    # a quote that opens no complete string leaves what follows counted: never less than the decoder reaches
    with pytest.raises(safe_json.JsonError, match="nested deeper"):
        safe_json.loads('"\\"' + DEEP)


def test_loads_errors_are_one_line_and_value_errors():
    for raw, why in ((b"{\n\n  oops", "not JSON"), (b"\xff\xfe\x00", "not JSON"), ("[1, 2]" * 10, "larger than")):
        with pytest.raises(ValueError) as caught:
            safe_json.loads(raw, limit=40)
        assert why in str(caught.value) and "\n" not in str(caught.value)


def test_read_bytes_refuses_a_fifo_and_a_folder_without_blocking(tmp_path):
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-c", "import sys; from seqtui import safe_json\n"
                           "try: safe_json.load_file(sys.argv[1])\n"
                           "except safe_json.JsonError as e: print(e)", str(fifo)],
                          capture_output=True, text=True, timeout=PATIENCE)
    assert done.stdout.strip() == "not a regular file but a FIFO", done.stderr
    with pytest.raises(safe_json.JsonError, match="a folder"):
        safe_json.read_bytes(tmp_path)


def test_read_bytes_refuses_a_file_over_its_cap(tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(b"[" + b"1," * 20 + b"1]")
    assert safe_json.load_file(path) == [1] * 21
    with pytest.raises(safe_json.JsonError, match="larger than 40 bytes"):
        safe_json.read_bytes(path, limit=40)


# -- a run folder, through the CLI -----------------------------------------------------------------


def test_deep_vocab_is_one_line_from_translate(run, tmp_path):
    (run / saved.VOCAB).write_text(DEEP)
    done = seqtui("translate", "--model-dir", str(run), "Hi.", cwd=tmp_path)
    assert_one_line_error(done, "vocab.json", "nested deeper than 64 levels")


def test_deep_manifest_is_a_damaged_run_and_translate_goes_on(run, tmp_path):
    """A damaged seqtui.json is listed as a damaged run; choosing a model counts it as none (the catalog's rule)."""
    (run / saved.MANIFEST).write_text(DEEP)
    found = listed(seqtui("runs", "--json", str(tmp_path / "runs"), cwd=tmp_path))
    assert found["state"] == "damaged" and "nested deeper than 64 levels" in str(found["problem"])
    done = seqtui("translate", "--model-dir", str(run), "Hi.", cwd=tmp_path)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr


def test_a_deep_history_line_is_skipped_like_a_torn_one(run, tmp_path):
    epochs = len((run / saved.HISTORY).read_text().splitlines())
    with (run / saved.HISTORY).open("a") as f:
        f.write(DEEP + "\n")
    found = listed(seqtui("runs", "--json", str(tmp_path / "runs"), cwd=tmp_path))
    assert found["state"] != "damaged" and found["epochs_done"] == epochs
    done = seqtui("translate", "--model-dir", str(run), "Hi.", cwd=tmp_path)
    assert done.returncode == 0 and f"{epochs} of" in done.stderr, done.stderr


@pytest.mark.parametrize("name", [saved.VOCAB, saved.MANIFEST])
def test_a_fifo_in_a_run_folder_is_refused_promptly(run, tmp_path, name):
    (run / name).unlink()
    os.mkfifo(run / name)
    translated = seqtui("translate", "--model-dir", str(run), "Hi.", cwd=tmp_path)
    listing = seqtui("runs", "--json", str(tmp_path / "runs"), cwd=tmp_path)
    if name == saved.VOCAB:
        assert_one_line_error(translated, "vocab.json", "not a regular file but a FIFO")
        assert listed(listing)["state"] != "damaged"  # the runs table reads no vocabulary
    else:
        assert translated.returncode == 0, translated.stderr
        found = listed(listing)
        assert found["state"] == "damaged" and "not a regular file but a FIFO" in str(found["problem"])


def test_a_vocab_over_the_size_cap_is_refused(run, tmp_path):
    with (run / saved.VOCAB).open("wb") as f:  # sparse: a few bytes on disk, JSON_LIMIT + 1 in size
        f.write(b"{")
        f.truncate(saved.JSON_LIMIT + 1)
    done = seqtui("translate", "--model-dir", str(run), "Hi.", cwd=tmp_path)
    assert_one_line_error(done, "vocab.json", f"larger than {saved.JSON_LIMIT // 2**20} MiB")


def test_a_deep_config_member_in_model_keras_is_one_line(run, tmp_path):
    model = run / saved.MODEL
    with zipfile.ZipFile(model) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    members["config.json"] = DEEP.encode()
    with zipfile.ZipFile(model, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    done = seqtui("translate", "--model-dir", str(run), "Hi.", cwd=tmp_path)
    assert_one_line_error(done, "model.keras", "damaged", "nested deeper than 64 levels")


# -- the config file -------------------------------------------------------------------------------


def test_a_deep_or_fifo_config_file_is_one_line(tmp_path):
    """The config is TOML, read by the same bounded file reader; tomllib recurses once per nested array."""
    deep = tmp_path / "deep.toml"
    deep.write_text("[training]\nmetrics = " + DEEP + "\n")
    assert_one_line_error(seqtui("config", "--config", str(deep), cwd=tmp_path), "deep.toml", "nested too deep")
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    assert_one_line_error(seqtui("config", "--config", str(fifo), cwd=tmp_path), "fifo.toml",
                          "not a regular file but a FIFO")
