"""The shipped model: exported weights-only, chosen until the user trains their own, never written into,
and a starting point for fine-tuning (`--init-from`)."""

import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

from seqtui import config
from seqtui.cli import app
from seqtui.events import BatchEnded, TrainingStarted
from seqtui.model import backend
from seqtui.store import bundle, catalog, saved
from seqtui.store.export import export_bundle
from seqtui.train import training
from tests.conftest import TINY_FLAGS, TINY_PAIRS, cli_flags, write_corpus

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def shipped_root(trained_bundle, tmp_path, monkeypatch):
    """A shipped-models folder holding an export of the tiny trained bundle as `en-fr`."""
    root = tmp_path / "shipped"
    export_bundle(trained_bundle, root / "en-fr", "en-fr", "tiny test model")
    monkeypatch.setattr(catalog, "SHIPPED_ROOT", root)
    return root


def tree_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        h.update(str(p.relative_to(folder)).encode() + (p.read_bytes() if p.is_file() else b"/"))
    return h.hexdigest()


# -- export ------------------------------------------------------------------------------------------


def test_export_keeps_the_weights_in_float16_and_drops_the_optimizer(trained_bundle, shipped_root):
    exported = shipped_root / "en-fr"
    with zipfile.ZipFile(exported / "model.keras") as zf:
        assert json.loads(zf.read("config.json"))["compile_config"] is None
        with h5py.File(io.BytesIO(zf.read("model.weights.h5"))) as h5:
            assert "optimizer" not in h5
            kinds = set()
            h5.visititems(lambda k, v: kinds.add(v.dtype) if isinstance(v, h5py.Dataset) else None)
    assert kinds == {np.dtype("float16")}
    assert (exported / "model.keras").stat().st_size < (trained_bundle / "model.keras").stat().st_size / 3
    assert json.loads((exported / "seqtui.json").read_text())["shipped"] is True
    assert "/" not in json.loads((exported / "config.json").read_text())["config"]["train_dir"]  # no local paths
    full, half = bundle.load(trained_bundle).engine(), bundle.load(exported).engine()
    same = sum(full.translate(s).text == half.translate(s).text for s, _ in TINY_PAIRS)
    assert same >= len(TINY_PAIRS) - 2  # float16 rounding may flip a near-tie, not the model


# -- which model answers -------------------------------------------------------------------------------


def test_the_shipped_model_answers_until_the_user_trains_one_that_beats_it(shipped_root, trained_bundle, tmp_path):
    mine = tmp_path / "models" / "my-run"
    cfg = ["--config", str(write_config(tmp_path, mine))]
    first = runner.invoke(app, ["translate", *cfg, "Go."])
    assert first.exit_code == 0, first.output
    assert "model: the shipped en-fr model" in first.stderr and "passed over" not in first.stderr
    shutil.copytree(trained_bundle, mine)  # as `seqtui train` leaves a run, compared with the shipped model
    second = runner.invoke(app, ["translate", *cfg, "Go."])
    compared = saved.read_manifest(mine).compared
    if compared.wins:  # tests/test_which_model.py holds both sides of the rule on fixed scores
        assert f"model: your model in {mine}" in flat(second.stderr)
    else:
        assert "model: the shipped en-fr model" in second.stderr and "not your run" in second.stderr
    named = runner.invoke(app, ["translate", *cfg, "--model", "en-fr", "Go."])
    assert "model: the shipped en-fr model" in named.stderr
    beside = runner.invoke(app, ["translate", *cfg, "--model", "my-run", "Go."])  # a run beside model_dir
    assert f"the model in {mine}" in flat(beside.stderr)


def write_config(folder: Path, model_dir: Path) -> Path:
    path = folder / "sequencer.toml"
    path.write_text(f'[paths]\nmodel_dir = "{model_dir}"\n')
    return path


def test_the_shipped_model_that_answers_follows_the_configs_direction(shipped_root, trained_bundle, tmp_path):
    """With `reverse = true` (French -> English) fr-en answers, not en-fr; and with no fr-en shipped, no
    shipped model answers French in its place: the command says no model is trained yet."""
    reverse = tmp_path / "reverse.toml"
    reverse.write_text(f'[paths]\nmodel_dir = "{tmp_path / "models" / "m"}"\n[training]\nreverse = true\n')
    alone = runner.invoke(app, ["translate", "--config", str(reverse), "Go."])
    assert alone.exit_code == 1 and "no trained model in" in flat(alone.stderr)
    export_bundle(trained_bundle, shipped_root / "fr-en", "fr-en", "tiny test model")
    both = runner.invoke(app, ["translate", "--config", str(reverse), "Go."])
    assert both.exit_code == 0 and "model: the shipped fr-en model" in both.stderr
    forward = runner.invoke(app, ["translate", "--config", str(write_config(tmp_path, tmp_path / "m2")), "Go."])
    assert "model: the shipped en-fr model" in forward.stderr


def test_a_reversed_run_is_compared_with_the_shipped_fr_en_model(shipped_root, trained_bundle, tmp_path,
                                                                 tiny_corpus):
    export_bundle(trained_bundle, shipped_root / "fr-en", "fr-en", "tiny test model")
    cfg = config.load(None, {"train_dir": tiny_corpus, "model_dir": tmp_path / "rev", **TINY_FLAGS, "epochs": 1,
                             "reverse": True})
    training.train(cfg)
    compared = saved.read_manifest(tmp_path / "rev").compared
    assert compared is not None and compared.against == "fr-en"
    choice = catalog.choose(tmp_path / "rev", reverse=True)
    assert choice.path == tmp_path / "rev" if compared.wins else "fr-en" in choice.passed_over


def test_an_unknown_model_name_lists_the_known_ones(shipped_root, tmp_path):
    result = runner.invoke(app, ["translate", "--config", str(write_config(tmp_path, tmp_path / "m")),
                                 "--model", "de-en", "Go."])
    assert result.exit_code == 1 and "no model named 'de-en'" in flat(result.stderr) and "en-fr" in result.stderr


def test_model_and_model_dir_together_is_a_usage_error(shipped_root, tmp_path):
    result = runner.invoke(app, ["translate", "--model", "en-fr", "--model-dir", str(tmp_path), "Go."])
    assert result.exit_code == 2


def test_an_explicit_model_dir_never_falls_back_to_the_shipped_model(shipped_root, tmp_path):
    result = runner.invoke(app, ["translate", "--model-dir", str(tmp_path / "empty"), "Go."])
    assert result.exit_code == 1 and "no trained model in" in flat(result.stderr)


def test_repl_plain_and_predict_use_the_shipped_model_too(shipped_root, tmp_path):
    cfg = ["--config", str(write_config(tmp_path, tmp_path / "models" / "mine"))]
    plain = runner.invoke(app, ["repl", "--plain", *cfg], input="Go.\nHi.\n")
    assert plain.exit_code == 0 and "model: the shipped en-fr model" in plain.stderr
    assert len(plain.stdout.splitlines()) == 2
    sentences = tmp_path / "in.txt"
    sentences.write_text("Go.\n")
    pred = runner.invoke(app, ["predict", *cfg, "--input", str(sentences), "--output", str(tmp_path / "out")])
    assert pred.exit_code == 0, pred.output
    assert len(list((tmp_path / "out").glob("in_*.tsv"))) == 1


# -- never written into ------------------------------------------------------------------------------


def test_training_never_writes_into_a_shipped_bundle(shipped_root, tiny_corpus):
    target = shipped_root / "en-fr"
    before = tree_hash(target)
    for extra in ([], ["--fresh"], ["--resume"]):
        result = runner.invoke(app, ["train", "--train-dir", str(tiny_corpus), "--model-dir", str(target),
                                     *cli_flags(TINY_FLAGS), "--epochs", "1", *extra])
        assert result.exit_code == 1 and "shipped with seqtui" in flat(result.stderr)
    assert tree_hash(target) == before


SHIPPED = sorted(catalog.shipped())
# A sentence each shipped model must get right, and a word its translation must hold: a model exported from
# the wrong run, in the wrong direction or with garbled weights fails these.
# Each sentence with the words a right translation holds (any one of a tuple): "gare" or "station" for
# "station", as French says either; "où" as well, so English echoed back does not pass.
EVERYDAY = {"en-fr": [("I'm hungry.", ["faim"]), ("i'm hungry", ["faim"]), ("Im tired", ["fatigu"]),
                      ("Where is the station?", ["où", ("gare", "station")])],
            "fr-en": [("J'ai faim.", ["hungry"]), ("j'ai faim", ["hungry"]),
                      ("Où est la gare ?", ["where", "station"])]}


def test_both_directions_are_shipped():
    assert {"en-fr", "fr-en"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_each_real_shipped_model_is_small_marked_and_tracked(name):
    folder = catalog.SHIPPED_ROOT / name
    assert (folder / "model.keras").stat().st_size <= 5 * 2**20
    assert json.loads((folder / "seqtui.json").read_text())["shipped"] is True
    if shutil.which("git") and (ROOT / ".git").exists():
        tracked = subprocess.run(["git", "ls-files", "--error-unmatch", str(folder / "model.keras")], cwd=ROOT,
                                 capture_output=True)
        assert tracked.returncode == 0, "a shipped model must be committed"


def test_the_default_model_dir_is_ignored_by_git():
    if shutil.which("git") and (ROOT / ".git").exists():
        ignored = subprocess.run(["git", "check-ignore", "-q", "models/my-run/model.keras"], cwd=ROOT)
        assert ignored.returncode == 0, "the default model_dir must be ignored, so training leaves git clean"


@pytest.mark.parametrize("name", SHIPPED)
def test_each_real_shipped_model_translates_everyday_sentences(name):
    import seqtui

    tr = seqtui.load(name)
    assert name in EVERYDAY, f"add everyday sentences for the shipped {name} model"
    for sentence, words in EVERYDAY[name]:
        said = tr.translate(sentence).lower()
        for word in words:
            assert any(w in said for w in ((word,) if isinstance(word, str) else word)), (sentence, said)


@pytest.mark.parametrize("name", SHIPPED)
def test_training_never_writes_into_a_real_shipped_model(name, tiny_corpus):
    target = catalog.SHIPPED_ROOT / name
    before = tree_hash(target)
    for extra in ([], ["--fresh"], ["--resume"]):
        result = runner.invoke(app, ["train", "--train-dir", str(tiny_corpus), "--model-dir", str(target),
                                     *cli_flags(TINY_FLAGS), "--epochs", "1", *extra])
        assert result.exit_code == 1 and "shipped with seqtui" in flat(result.stderr)
    assert tree_hash(target) == before


# -- fine-tuning ---------------------------------------------------------------------------------------


def test_init_from_starts_from_the_models_weights_and_reports_unknown_characters(shipped_root, tmp_path):
    corpus = write_corpus(tmp_path / "mine.txt", TINY_PAIRS + [("Straße!", "Rue ß !")])
    events = []
    cfg = config.load(None, {"train_dir": corpus, "model_dir": tmp_path / "ft", **TINY_FLAGS, "epochs": 1})
    training.train(cfg, events.append, init_from=shipped_root / "en-fr")
    started = next(e for e in events if isinstance(e, TrainingStarted))
    assert started.start == "init" and "'ß'" in started.note and "source" in started.note
    assert not started.resumed and started.first_epoch == 1  # a new run, numbered from 1
    assert json.loads((tmp_path / "ft" / "vocab.json").read_text()) == \
        json.loads((shipped_root / "en-fr" / "vocab.json").read_text())  # the model's ids, not new ones
    first = next(e for e in events if isinstance(e, BatchEnded))
    scratch = bundle.read_history(shipped_root / "en-fr")[0].loss
    assert first.loss < scratch  # it starts where the model is, not from random weights


def test_init_from_needs_an_empty_folder_or_fresh_and_no_resume(shipped_root, trained_bundle, tmp_path, tiny_corpus):
    m = tmp_path / "m"
    shutil.copytree(trained_bundle, m)
    base = ["train", "--train-dir", str(tiny_corpus), "--model-dir", str(m), *cli_flags(TINY_FLAGS), "--epochs", "1",
            "--init-from", "en-fr"]
    held = runner.invoke(app, base)
    assert held.exit_code == 1 and "already holds a run" in flat(held.stderr)
    both = runner.invoke(app, [*base, "--resume"])
    assert both.exit_code == 1 and "cannot --resume" in flat(both.stderr)
    fresh = runner.invoke(app, [*base, "--fresh"])
    assert fresh.exit_code == 0, fresh.output
    assert "Starting from the weights of" in flat(fresh.output)


# -- defaults ----------------------------------------------------------------------------------------


def test_precision_auto_follows_the_hardware(monkeypatch):
    monkeypatch.setattr(backend, "cpu_flags", lambda: ["avx2", "avx512_bf16"])
    assert backend.precision("auto") == "mixed_bfloat16"
    monkeypatch.setattr(backend, "cpu_flags", lambda: ["avx2"])
    assert backend.precision("auto") == "float32"  # no GPU in the test environment
    assert backend.precision("mixed_bfloat16") == "mixed_bfloat16"


def test_the_shipped_config_and_the_original_one_load():
    best = config.load(ROOT / "sequencer.toml")
    assert (best.architecture, best.optimizer, best.learning_rate, best.monitor, best.beam, best.precision) == \
        ("attention", "adam", 0.002, "val_chrf", 4, "auto")
    original = config.load(ROOT / "configs" / "original.toml")
    assert (original.architecture, original.optimizer, original.epochs, original.monitor, original.patience,
            original.num_samples, original.latent_dim, original.batch_size) == \
        ("seq2seq", "rmsprop", 100, "val_loss", 0, 10000, 256, 64)
