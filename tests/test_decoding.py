"""The numpy decoding engine: parity with the trained Keras layers, streaming, batching, beam, sampling."""

import random
import time

import numpy as np
import pytest

from seqtui.data.vocab import START
from seqtui.decode.decoding import Settings
from seqtui.store import bundle
from tests.conftest import TINY_PAIRS


def parity_sentences(n=200, seed=0):
    """Training sentences, then random strings over the training characters (and a few unknown ones)."""
    rng = random.Random(seed)
    chars = sorted({c for s, _ in TINY_PAIRS for c in s}) + ["é", "€"]
    out = [s for s, _ in TINY_PAIRS]
    while len(out) < n:
        out.append("".join(rng.choice(chars) for _ in range(rng.randint(1, 30))))
    return out


def keras_step_probabilities(model, engine, text, ids):
    """Run the trained Keras model with the engine's greedy prefix as decoder input (teacher forcing)."""
    enc = engine.source.encode(text)[None, :]
    dec = np.array([[START] + ids[:-1]], dtype=np.int32)
    return np.asarray(model([enc, dec], training=False))[0]


def check_parity(model_dir, n):
    from seqtui.model.backend import import_keras

    keras = import_keras()
    model = keras.saving.load_model(model_dir / "model.keras")
    engine = bundle.load(model_dir).engine()
    worst = 0.0
    for text in parity_sentences(n):
        ids, probs = engine.greedy_probabilities(text)
        ref = keras_step_probabilities(model, engine, text, ids)
        assert list(ref.argmax(-1)) == ids, text  # Keras' own greedy choice at every step
        worst = max(worst, float(np.abs(ref - probs).max()))
    assert worst < 1e-5


def test_parity_with_keras_layers_seq2seq(trained_bundle):
    check_parity(trained_bundle, 200)


def test_parity_with_keras_layers_attention(attention_bundle):
    check_parity(attention_bundle, 200)


def test_stream_yields_characters_one_by_one(trained_bundle):
    engine = bundle.load(trained_bundle).engine()
    chars = list(engine.decode_stream("Go."))
    assert all(len(c) == 1 for c in chars)
    assert "".join(chars) == engine.translate("Go.").text


def test_batched_greedy_equals_streaming(trained_bundle):
    engine = bundle.load(trained_bundle).engine()
    texts = parity_sentences(60)
    assert engine.translate_batch(texts, batch_size=16) == ["".join(engine.decode_stream(t)) for t in texts]


def test_empty_input_gives_empty_output(trained_bundle):
    engine = bundle.load(trained_bundle).engine()
    assert list(engine.decode_stream("")) == []
    assert engine.translate_batch(["", "Go."])[0] == ""


def test_beam_width_one_is_greedy_and_beam_is_deterministic(trained_bundle):
    engine = bundle.load(trained_bundle).engine()
    for text in ("Go.", "I see.", "Be kind."):
        assert "".join(engine.decode_stream(text, Settings(beam=1))) == engine.translate(text).text
        assert "".join(engine.beam_search(text, 1)) == engine.translate(text).text
        beam4 = "".join(engine.decode_stream(text, Settings(beam=4)))
        assert beam4 == "".join(engine.decode_stream(text, Settings(beam=4)))


def test_sampling_is_seeded(trained_bundle):
    engine = bundle.load(trained_bundle).engine()
    hot = Settings(temperature=1.5, seed=3)
    a = [engine.translate("Help!", hot).text for _ in range(3)]
    assert a == [engine.translate("Help!", Settings(temperature=1.5, seed=3)).text] * 3
    outs = {engine.translate("Help!", Settings(temperature=1.5, seed=s)).text for s in range(8)}
    assert len(outs) > 1


def test_hostile_input_is_bounded_and_reported(trained_bundle):
    engine = bundle.load(trained_bundle).engine()
    for text in ["\x00\x1b[31m\x07", "😀" * 5, "Go. " * 2500]:
        t0 = time.perf_counter()
        result = engine.translate(text)
        assert time.perf_counter() - t0 < 5
        assert len(result.text) <= engine.max_len
    assert [u.char for u in engine.translate("Go 😀!").unknown] == ["😀"]


def test_max_len_caps_output(trained_bundle):
    engine = bundle.load(trained_bundle).engine()
    assert len(engine.translate("Go.", Settings(max_len=2)).text) <= 2


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_damaged_model_file_is_a_clear_error(trained_bundle, tmp_path, damage):
    import shutil

    from seqtui.errors import BundleError

    copy = tmp_path / "m"
    shutil.copytree(trained_bundle, copy)
    shutil.rmtree(copy / "checkpoint")
    raw = (copy / "model.keras").read_bytes()
    (copy / "model.keras").write_bytes(raw[: len(raw) // 2] if damage == "truncate" else b"junk" * 100)
    with pytest.raises(BundleError, match="damaged"):
        bundle.load(copy).engine()
