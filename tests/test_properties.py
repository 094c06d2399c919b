"""Property-based tests: any text at all for the translator, any bytes at all for the corpus reader."""

import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seqtui.data import corpus as data
from seqtui.data.normalize import normalize
from seqtui.errors import CorpusError
from seqtui.store import bundle

ANY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def engine(trained_bundle):
    return bundle.load(trained_bundle).engine()


@ANY_SETTINGS
@given(text=st.text(max_size=300))
def test_any_text_translates_within_bounds(engine, text):
    result = engine.translate(text)
    # a text is translated sentence by sentence: each one's translation is bounded, and between two the
    # text's own spacing is written; a sentence the model reads none of comes back as it was typed
    for part in engine.decode(text).sentences:
        if engine.unreadable(part.segment.text):
            assert part.result.best.text == " ".join(part.segment.text.split())
        else:
            assert len(part.result.best.text) <= engine.max_len
            assert set(part.result.best.text) <= set(engine.target.chars)
    # Reported: what was typed (NFC), where it was typed, once for each character the decoder is given and
    # cannot read. A report that skipped a character the decoder was given, named one it reads (whitespace,
    # a mark with a plain stand-in, a capital read as a small letter), or misplaced one fails this.
    typed = unicodedata.normalize("NFC", text)
    assert all(typed[u.position] == u.char for u in result.unknown)
    assert [u.position for u in result.unknown] == sorted({u.position for u in result.unknown})
    assert len(result.unknown) == sum(c not in engine.source for c in engine.normalize(text))


@ANY_SETTINGS
@given(texts=st.lists(st.text(max_size=40), max_size=12))
def test_batch_translation_matches_one_by_one(engine, texts):
    assert engine.translate_batch(texts, batch_size=5) == [engine.translate(t).text for t in texts]


@settings(max_examples=300, deadline=None)
@given(line=st.text())
def test_parse_pair_never_raises_and_strips(line):
    parsed = data.parse_pair(line)
    if isinstance(parsed, tuple):
        # the first two columns (not the attribution column), each in the form translating reads text in
        source, target = parsed
        assert source and target and parsed == tuple(normalize(column) for column in line.split("\t")[:2])
    else:
        assert parsed in {"binary data", "no tab", "empty side", f"longer than {data.MAX_SIDE_CHARS} characters"}


@ANY_SETTINGS
@given(raw=st.binary(max_size=400))
def test_corpus_reader_either_reads_or_says_what_is_wrong(tmp_path: Path, raw):
    path = tmp_path / "c.txt"
    path.write_bytes(raw)
    try:
        corpus = data.read_corpus(path)
    except CorpusError as e:
        assert str(e).startswith(str(path)) and "\n" not in str(e)
    else:
        assert corpus.pairs and all(s and t for s, t in corpus.pairs)
