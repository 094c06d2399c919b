"""The numpy decoding engine: parity with the trained Keras layers, streaming, batching, beam, sampling."""

import time

import pytest

from seqtui.decode.decoding import Settings
from seqtui.store import bundle
from tests.parity import CONFIDENT, check_parity, confidence, parity_sentences


def test_parity_with_keras_layers_seq2seq(overfit_bundle):
    assert confidence(overfit_bundle) > CONFIDENT
    check_parity(overfit_bundle, parity_sentences(200))


def test_parity_with_keras_layers_attention(attention_bundle):
    assert confidence(attention_bundle) > CONFIDENT
    check_parity(attention_bundle, parity_sentences(200))


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
        result = engine.decode(text)
        # bounded, not hung: 2,500 one-word sentences take ~3 s on a quiet 2-core machine; the bound leaves
        # room for a loaded one
        assert time.perf_counter() - t0 < 60
        assert all(len(part.result.best.text) <= engine.max_len for part in result.sentences)  # each sentence's
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
