"""The step-level batch decoder gives what the one-at-a-time searches give: the same text, the same pieces,
the same n-best list, whoever else is in the batch and whenever each decode joined."""

from __future__ import annotations

import time

import numpy as np
import pytest

import seqtui
from seqtui.decode.batcher import Batcher, Job
from seqtui.decode.settings import Settings

SENTENCES = ["I'm hungry.", "Where is the station?", "Go.", "We should leave before it rains.", "Thank you.",
             "My brother plays the guitar every evening.", "Is it far?", "I don't know what to say."]


@pytest.fixture(scope="module")
def translator() -> seqtui.api.Translator:
    return seqtui.load("en-fr")


def job_for(tr: seqtui.api.Translator, text: str, width: int = 1, nbest: int = 1) -> Job:
    engine = tr.engine
    return Job(engine.source.encode(engine.source_of(text)), width, nbest, engine.max_len)


def run(batcher: Batcher, jobs: list[Job], stagger: int = 0) -> dict[int, list[str]]:
    """Step until every job is done, adding job k after k*stagger steps; the characters each step reported."""
    reported: dict[int, list[str]] = {id(j): [] for j in jobs}
    waiting, steps = list(jobs), 0
    while waiting or batcher.busy:
        while waiting and steps >= stagger * (len(jobs) - len(waiting)):
            batcher.add(waiting.pop(0))
        for u in batcher.step():
            reported[id(u.job)].append("".join(p.char for p in u.pieces))
        steps += 1
        assert steps < 10_000
    return reported


@pytest.mark.parametrize("stagger", [0, 3])
def test_greedy_in_a_batch_matches_one_at_a_time_and_streams_each_character(translator, stagger):
    """Catches a row of the batch read for another decode, padding that changes attention, or a greedy decode
    that reports its characters late."""
    batcher = Batcher(translator.engine.net, translator.engine.target, max_rows=5)
    jobs = [job_for(translator, s) for s in SENTENCES]
    reported = run(batcher, jobs, stagger)
    for text, job in zip(SENTENCES, jobs, strict=True):
        alone = translator.decode(text)
        assert job.hypotheses[0].text == alone.best.text
        np.testing.assert_allclose(job.hypotheses[0].probs, alone.best.probs, rtol=1e-4)
        steps = reported[id(job)]
        assert all(len(chars) <= 1 for chars in steps)  # one character a step, as it is chosen
        assert "".join(steps) == alone.best.text


@pytest.mark.parametrize(("width", "nbest"), [(4, 1), (3, 3)])
def test_beam_in_a_batch_matches_the_beam_search_and_its_nbest(translator, width, nbest):
    """Catches a beam step that differs from search.beam (ranking, endings, the length limit) or rows of one
    beam's hypotheses mixed with another's."""
    batcher = Batcher(translator.engine.net, translator.engine.target, max_rows=64)
    jobs = [job_for(translator, s, width, nbest) for s in SENTENCES]
    greedy = job_for(translator, SENTENCES[0])  # a greedy row between the beams
    run(batcher, [*jobs[:3], greedy, *jobs[3:]], stagger=2)
    for text, job in zip(SENTENCES, jobs, strict=True):
        alone = translator.engine.decode(text, Settings(beam=width, nbest=nbest))
        assert [h.text for h in job.hypotheses] == [h.text for h in alone.nbest]
        np.testing.assert_allclose([h.score for h in job.hypotheses], [h.score for h in alone.nbest], rtol=1e-4)
    assert greedy.hypotheses[0].text == translator.translate(SENTENCES[0])


def test_beam_reports_agreed_characters_before_it_ends(translator):
    """Catches a beam search that holds every character back to the end (nothing streamed), or that reports
    a character some hypothesis does not share (it would have to be taken back)."""
    batcher = Batcher(translator.engine.net, translator.engine.target)
    job = job_for(translator, SENTENCES[5], width=4)
    steps = run(batcher, [job])[id(job)]
    assert "".join(steps) == job.hypotheses[0].text
    assert "".join(steps[:-1]), "nothing was reported before the last step"


def test_a_cancelled_decode_leaves_at_the_next_step_and_the_others_go_on(translator):
    """Catches a cancelled decode that keeps its rows, or one that takes the others down with it."""
    batcher = Batcher(translator.engine.net, translator.engine.target)
    gone, kept = job_for(translator, SENTENCES[5]), job_for(translator, SENTENCES[1])
    batcher.add(gone)
    batcher.add(kept)
    batcher.step()
    gone.cancelled = True
    updates = batcher.step()
    assert [u.job for u in updates if u.done] == [gone] and gone.steps == 1
    assert batcher.live == [kept]
    while batcher.busy:
        batcher.step()
    assert kept.hypotheses[0].text == translator.translate(SENTENCES[1])


def test_a_decode_past_its_deadline_ends_expired(translator):
    """Catches a time budget that is never looked at."""
    batcher = Batcher(translator.engine.net, translator.engine.target)
    job = job_for(translator, SENTENCES[5])
    job.deadline = time.monotonic() - 1
    batcher.add(job)
    assert [(u.job, u.done) for u in batcher.step()] == [(job, True)] and job.expired and job.steps == 0


def test_rows_beyond_the_limit_wait_their_turn(translator):
    """Catches admission that overfills the batch (memory and step time unbounded by --batch-limit)."""
    batcher = Batcher(translator.engine.net, translator.engine.target, max_rows=6)
    jobs = [job_for(translator, s, width=4) for s in SENTENCES[:3]]
    for j in jobs:
        batcher.add(j)
    batcher.step()
    assert batcher.live == jobs[:1] and batcher.pending == jobs[1:]


@pytest.mark.parametrize("width", [1, 4])
def test_a_decode_cut_at_the_length_limit_matches_the_search_cut_there(translator, width):
    """Catches the last step's characters dropped (or one step too many) when the length limit ends a decode."""
    engine = translator.engine
    text = SENTENCES[5]
    job = Job(engine.source.encode(engine.source_of(text)), width, 1, limit=6)
    run(Batcher(engine.net, engine.target), [job])
    alone = engine.decode(text, Settings(beam=width, max_len=6)).best
    assert (job.hypotheses[0].text, job.hypotheses[0].ended) == (alone.text, alone.ended) and len(alone.text) == 6
