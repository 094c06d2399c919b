"""The architecture options (a bidirectional encoder, stacked layers, residual connections): each trains
(a tiny fit whose loss falls), saves and loads (Keras and the TensorFlow-free reader agree), and
decodes in the numpy engine as the Keras model does (greedy choice identical, probabilities within
1e-5) once trained: on the tiny corpus's sentences and random strings always, and on 200 real sentences
of ../shared's corpus (skipped without it)."""

import numpy as np
import pytest

from seqtui import config
from seqtui.errors import BundleError, ConfigError
from seqtui.model.weights import check_shapes, from_model, read_keras_file
from seqtui.store import bundle
from seqtui.train import training
from tests.conftest import TINY_FLAGS, write_corpus
from tests.parity import CONFIDENT, check_parity, confidence, parity_sentences

pytestmark = pytest.mark.filterwarnings("ignore")

OPTIONS = {
    "bilstm": {"encoder": "bilstm"},
    "2 layers": {"layers": 2},
    "3 layers, residual": {"layers": 3, "residual": True},
    "attention, bilstm, 2 layers, residual": {"architecture": "attention", "encoder": "bilstm", "layers": 2,
                                              "residual": True, "dropout": 0.1},
}


@pytest.fixture(scope="module", params=list(OPTIONS), ids=list(OPTIONS))
def trained(request, tmp_path_factory):
    """(model folder, option, losses) of a run with the option that learnt the tiny corpus (16 epochs of Adam)."""
    root = tmp_path_factory.mktemp("layers")
    corpus = write_corpus(root / "corpus.txt")
    cfg = config.load(None, {"train_dir": corpus, "model_dir": root / "m", **TINY_FLAGS, "epochs": 16,
                             "optimizer": "adam", "learning_rate": 0.05, **OPTIONS[request.param]})
    training.train(cfg)
    return root / "m", request.param, [r.loss for r in bundle.read_history(root / "m")]


def test_the_loss_falls(trained):
    _, _, losses = trained
    assert losses[-1] < 0.9 * losses[0], losses


def test_the_weights_are_the_options(trained):
    model_dir, option, _ = trained
    w = read_keras_file(model_dir / bundle.MODEL)
    cfg = {"encoder": "lstm", "layers": 1, "residual": False, **OPTIONS[option]}
    assert (w.bidirectional, w.layers, w.residual) == (cfg["encoder"] == "bilstm", cfg["layers"], cfg["residual"])
    assert w.latent_dim == 32 and all(len(layer) == (2 if w.bidirectional else 1) for layer in w.encoder)
    assert all(cell.units == (16 if w.bidirectional else 32) for layer in w.encoder for cell in layer)


def test_save_and_load_round_trip(trained):
    """model.keras read by Keras and by seqtui's own reader hold the same arrays, and Keras' reloaded model
    predicts what the numpy reader's arrays were read from."""
    model_dir, _, _ = trained
    saved = bundle.load(model_dir)
    check_shapes(read_keras_file(model_dir / bundle.MODEL), len(saved.source), len(saved.target))
    model = bundle.load_keras_model(model_dir / bundle.MODEL)
    ours, theirs = read_keras_file(model_dir / bundle.MODEL), from_model(model)
    for a, b in zip(flat(ours), flat(theirs), strict=True):
        np.testing.assert_array_equal(a, b)
    resaved = model_dir.parent / "resaved.keras"
    bundle.save_model(resaved, model)
    again = bundle.load_keras_model(resaved)
    x = [np.array([[5, 6, 7, 0]], np.int32), np.array([[1, 5, 0, 0]], np.int32)]
    np.testing.assert_allclose(np.asarray(again(x)), np.asarray(model(x)), rtol=1e-6)


def flat(w):
    cells = [c for layer in w.encoder for c in layer] + list(w.decoder)
    return [w.enc_embed, w.dec_embed, w.out_kernel, w.out_bias,
            *[a for c in cells for a in (c.kernel, c.recurrent, c.bias)]]


def test_engine_parity_with_keras(trained):
    """Greedy choice identical to Keras' at every step (of the first 40), probabilities within 1e-5, on the
    tiny corpus's sentences and random strings, of a model confident enough for a wrong weight to show."""
    model_dir, _, _ = trained
    assert confidence(model_dir) > CONFIDENT
    check_parity(model_dir, parity_sentences(200), max_len=40)


def test_engine_parity_with_keras_on_real_sentences(trained, shared_corpus):
    """The same on 200 real sentences spread over the shared corpus, short to long, full of characters the
    model never saw."""
    from seqtui.data.corpus import read_corpus

    model_dir, _, _ = trained
    pairs = read_corpus(shared_corpus).pairs
    check_parity(model_dir, [s for s, _ in pairs[:: len(pairs) // 200][:200]], max_len=40)


def test_a_stacked_model_with_a_wrong_layer_is_refused(trained):
    import dataclasses

    model_dir, _, _ = trained
    saved = bundle.load(model_dir)
    w = read_keras_file(model_dir / bundle.MODEL)
    last = w.decoder[-1]
    broken = dataclasses.replace(last, recurrent=last.recurrent[:, :-4])
    with pytest.raises(BundleError, match="decoder LSTM.*recurrent kernel"):
        check_shapes(dataclasses.replace(w, decoder=(*w.decoder[:-1], broken)), len(saved.source), len(saved.target))


def test_bilstm_needs_an_even_latent_dim():
    with pytest.raises(ConfigError, match="encoder: bilstm .* must be even, got 33"):
        config.merge(config.Config(), {"encoder": "bilstm", "latent_dim": 33})
    assert config.merge(config.Config(), {"encoder": "bilstm", "latent_dim": 34}).encoder == "bilstm"
