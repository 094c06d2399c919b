"""augment = "casual": the training sources as people type them, seeded by (seed, epoch), targets untouched."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
from conftest import TINY_PAIRS, write_corpus
from tui_fakes import tiny_config

from seqtui.data.augment import FINAL_MARKS, AugmentedEpochs, casual, casual_sources
from seqtui.data.batching import Encoded
from seqtui.data.vocab import Vocab
from seqtui.train import training

PAIRS = [(f"I'm hungry {i}.", f"J'ai faim {i}.") for i in range(400)] + TINY_PAIRS
KNOWN = Vocab(ch for s, _ in PAIRS for c in s for ch in c.lower() + c.upper())


def skeleton(text: str) -> str:
    """What a casual form keeps of its sentence: the words, whatever their case, apostrophes or final marks."""
    return re.sub(rf"[\s{re.escape(FINAL_MARKS)}]+$", "", text.lower().replace("'", ""))


def test_a_casual_form_changes_only_case_final_punctuation_and_apostrophes() -> None:
    rng = random.Random(0)
    for source, _ in PAIRS:
        form = casual(source, rng)
        assert form != source  # every chosen pair is shown another way
        assert skeleton(form) == skeleton(source)  # never another sentence


def test_the_forms_cover_what_people_type() -> None:
    rng = random.Random(1)
    forms = [casual("I'm hungry.", rng) for _ in range(300)]
    assert "i'm hungry" in forms  # lower case, final punctuation dropped
    assert any(f.isupper() for f in forms)  # ALL CAPS
    assert "i'm hungry." in forms  # the capital lost
    assert any(f.endswith(" .") or f.endswith("..") or f.endswith("!") for f in forms)  # another ending
    assert any("'" not in f for f in forms)  # the apostrophe left out


def test_the_choice_is_seeded_by_seed_and_epoch_at_the_rate_asked() -> None:
    first = casual_sources(PAIRS, 0.3, seed=7, epoch=2, known=KNOWN)
    assert first == casual_sources(PAIRS, 0.3, seed=7, epoch=2, known=KNOWN)  # a resumed run sees the same
    assert first != casual_sources(PAIRS, 0.3, seed=7, epoch=3, known=KNOWN)  # another epoch, other forms
    assert first != casual_sources(PAIRS, 0.3, seed=8, epoch=2, known=KNOWN)
    assert 0.2 * len(PAIRS) < len(first) < 0.4 * len(PAIRS)
    assert casual_sources(PAIRS, 0.0, seed=7, epoch=2, known=KNOWN) == {}


def test_a_form_the_vocabulary_cannot_write_is_skipped() -> None:
    lower_only = Vocab(ch for s, _ in PAIRS for ch in s.lower() + s)  # no capitals but the corpus's own
    for form in casual_sources(PAIRS, 1.0, seed=1, epoch=0, known=lower_only).values():
        assert all(ch in lower_only for ch in form)


def test_each_epoch_changes_sources_only() -> None:
    source, target = KNOWN, Vocab.build(t for _, t in PAIRS)
    clean = Encoded.from_pairs(PAIRS, source, target)
    epochs = AugmentedEpochs(PAIRS, clean, (source, target), 0.3, 0.0, seed=3)
    one = epochs.encoded(1)
    assert one.targets is clean.targets  # the French side stays as the corpus has it
    changed = [i for i, (a, b) in enumerate(zip(one.sources, clean.sources, strict=True)) if not np.array_equal(a, b)]
    assert set(changed) == set(casual_sources(PAIRS, 0.3, 3, 1, source))
    assert all(np.array_equal(a, b) for a, b in zip(epochs.encoded(1).sources, one.sources, strict=True))


@pytest.mark.parametrize("augment, has_capitals", [("casual", True), ("none", False)])
def test_the_source_vocabulary_holds_both_cases_when_augmenting(tmp_path, augment: str, has_capitals: bool) -> None:
    corpus = write_corpus(tmp_path / "c.txt", [("go now.", "Va maintenant."), ("stop it.", "Arrête.")])
    prep = training.prepare(tiny_config(train_dir=corpus, augment=augment, val_split=0.5))
    assert ("G" in prep.source and "T" in prep.source) is has_capitals
    assert "ê" in prep.target and "Ê" not in prep.target  # the target side is never widened


def test_the_feed_trains_each_epoch_on_that_epochs_forms() -> None:
    from seqtui.train.feeding import BucketedBatches

    source, target = KNOWN, Vocab.build(t for _, t in PAIRS)
    clean = Encoded.from_pairs(PAIRS, source, target)
    epochs = AugmentedEpochs(PAIRS, clean, (source, target), 0.5, 0.0, seed=3)
    feed = BucketedBatches(clean, 16, seed=3, epoch=0, variants=epochs.encoded)
    resumed = BucketedBatches(clean, 16, seed=3, epoch=1, variants=epochs.encoded)
    feed.on_epoch_end()
    assert feed.data.sources is not clean.sources
    for k in range(len(feed)):  # an uninterrupted run and a run resumed at epoch 1 see the same batches
        (a, _), _ = feed[k]
        (b, _), _ = resumed[k]
        assert np.array_equal(a, b)
