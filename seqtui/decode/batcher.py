"""Continuous batching: many decodes (greedy and beam) advanced together, one network step at a time.

A server's clients each want one sentence decoded, at different moments. Decoding them one after the other
wastes the matrix products a step could share; waiting to gather a batch delays everyone. So, as Orca and
vLLM do, `Batcher.step` runs one network step over the rows of every decode in progress: a greedy decode is
one row, a beam search one row per live hypothesis. A decode added between steps joins at the next one; a
finished or cancelled one leaves at once, so the batch's rows change from step to step.

Each decode keeps its own encoder outputs; a step pads them to the longest in the batch with the mask off,
which attention then weighs exactly zero, so a decode's choices are those of the one-at-a-time searches of
`seqtui.decode.search` (`tests/test_batcher.py` holds them to the same outputs). Greedy reports every
character as it is chosen; beam search reports the characters every live and finished hypothesis agrees
on as soon as they agree (nothing later can change them), and the rest of the best one when it ends.

The batcher is not thread-safe: one thread owns it and calls `add` and `step` (the server's engine thread).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from seqtui.data.vocab import END, START, Vocab
from seqtui.decode.hypotheses import Hypothesis, Piece
from seqtui.decode.network import Network
from seqtui.decode.search import TINY, UNWRITABLE, _piece, _pieces, _row, pick


@dataclass(eq=False)
class Job:
    """One decode: the source's ids and how to search; filled in as it runs.

    Attributes:
        source_ids: the encoded source (never empty).
        width: 1 for greedy, else the beam width (at least `nbest`).
        nbest: hypotheses to keep (beam search).
        limit: the most steps (the longest output).
        length_penalty: what beam search ranks by (`seqtui.decode.hypotheses.normalize`).
        deadline: a `time.monotonic()` past which the decode stops, `expired`; None: no budget.
        cancelled: set (from any thread) to stop the decode at the next step.
    """

    source_ids: np.ndarray
    width: int = 1
    nbest: int = 1
    limit: int = 200
    length_penalty: float = 1.0
    deadline: float | None = None
    cancelled: bool = False
    # What the decode has produced: the pieces reported so far, its hypotheses (best first) once done.
    emitted: list[Piece] = field(default_factory=list)
    hypotheses: list[Hypothesis] = field(default_factory=list)
    done: bool = False
    expired: bool = False
    error: str = ""  # why the decode failed (set by the thread that steps it; "" when it did not)
    steps: int = 0
    # The search's state, between steps.
    _h: np.ndarray | None = None
    _c: np.ndarray | None = None
    _enc: np.ndarray | None = None
    _mask: np.ndarray | None = None
    _prev: list[int] = field(default_factory=lambda: [START])
    _beams: list[list[Piece]] = field(default_factory=lambda: [[]])
    _totals: np.ndarray = field(default_factory=lambda: np.zeros(1))
    _finished: list[list[Piece]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """The rows this decode takes in the next step."""
        return len(self._prev)


@dataclass(frozen=True)
class Update:
    """What one step did for one decode: the pieces it newly reported, and whether it is over."""

    job: Job
    pieces: list[Piece]
    done: bool


class Batcher:
    """Decodes that step together on one model's network (see the module's docstring)."""

    def __init__(self, net: Network, target: Vocab, max_rows: int = 256) -> None:
        self.net = net
        self.target = target
        self.max_rows = max(1, max_rows)
        self.pending: list[Job] = []
        self.live: list[Job] = []

    def add(self, job: Job) -> None:
        """Queue `job`; it joins the batch at the next step that has rows for it."""
        self.pending.append(job)

    @property
    def busy(self) -> bool:
        return bool(self.pending or self.live)

    def step(self) -> list[Update]:
        """Admit what fits, run one network step over every live decode's rows, and say what changed."""
        updates = self._drop_stopped()
        self._admit()
        if not self.live:
            return updates
        jobs = self.live
        t_max = max(j._enc.shape[1] for j in jobs)  # type: ignore[union-attr]
        rows = sum(j.rows for j in jobs)
        enc = np.zeros((rows, t_max, jobs[0]._enc.shape[2]), np.float32)  # type: ignore[union-attr]
        mask = np.zeros((rows, t_max), bool)
        at = 0
        for j in jobs:
            t = j._enc.shape[1]  # type: ignore[union-attr]
            enc[at:at + j.rows, :t], mask[at:at + j.rows, :t] = j._enc, j._mask
            at += j.rows
        prev = np.array([p for j in jobs for p in j._prev])
        h = np.concatenate([j._h for j in jobs])
        c = np.concatenate([j._c for j in jobs])
        probs, h, c, weights = self.net.step(prev, h, c, enc, mask)
        at = 0
        for j in jobs:
            part = slice(at, at + j.rows)
            t = j._enc.shape[1]  # type: ignore[union-attr]
            w = None if weights is None else weights[part, :t]
            at += j.rows
            updates.append(self._advance(j, probs[part], h[part], c[part], w))
        self.live = [j for j in jobs if not j.done]
        return updates

    def _drop_stopped(self) -> list[Update]:
        """Cancelled decodes leave without a word; ones past their deadline end, `expired`."""
        now = time.monotonic()
        out = []
        for j in self.live + self.pending:
            if j.cancelled or (j.deadline is not None and now > j.deadline):
                j.expired, j.done = not j.cancelled, True
                out.append(Update(j, [], True))
        self.live = [j for j in self.live if not j.done]
        self.pending = [j for j in self.pending if not j.done]
        return out

    def _admit(self) -> None:
        """Encode, together, the pending decodes whose rows fit beside the live ones (first come first)."""
        room = self.max_rows - sum(j.rows for j in self.live)
        joining: list[Job] = []
        while self.pending and (self.pending[0].width <= room or not (self.live or joining)):
            job = self.pending.pop(0)
            room -= job.width
            joining.append(job)
        if not joining:
            return
        h, c, enc, mask = self.net.encode_batch([j.source_ids for j in joining])
        for k, j in enumerate(joining):
            t = max(1, len(j.source_ids))
            j._h, j._c, j._enc, j._mask = h[k:k + 1], c[k:k + 1], enc[k:k + 1, :t], mask[k:k + 1, :t]
        self.live += joining

    def _advance(self, j: Job, probs: np.ndarray, h: np.ndarray, c: np.ndarray, w: np.ndarray | None) -> Update:
        j.steps += 1
        return self._greedy(j, probs, h, c, w) if j.width == 1 else self._beam(j, probs, h, c, w)

    def _greedy(self, j: Job, probs: np.ndarray, h: np.ndarray, c: np.ndarray, w: np.ndarray | None) -> Update:
        """`search.sequential` at temperature 0, one step."""
        token = pick(probs[0], 0.0, _NO_RNG)
        piece = _piece(self.target, probs[0], token, _row(w, 0))
        j.emitted.append(piece)
        j._h, j._c, j._prev = h, c, [token]
        if token == END or j.steps >= j.limit:
            j.done = True
            j.hypotheses = [Hypothesis.of(j.emitted, j.length_penalty)]
        return Update(j, [piece], j.done)

    def _beam(self, j: Job, probs: np.ndarray, h: np.ndarray, c: np.ndarray, w: np.ndarray | None) -> Update:
        """`search.beam`'s loop body, one step, then the characters its hypotheses now agree on."""
        total = j._totals[:, None] + np.log(np.maximum(probs, TINY))
        total[:, UNWRITABLE] = -np.inf
        keep: list[tuple[int, int]] = []
        for rank, idx in enumerate(np.argsort(total, axis=None)[::-1][: j.width * 2]):
            row, token = divmod(int(idx), total.shape[1])
            if total[row, token] == -np.inf:
                break
            if token == END:
                if rank < j.width:
                    j._finished.append(j._beams[row] + [_piece(self.target, probs[row], END, _row(w, row))])
            elif len(keep) < j.width:
                keep.append((row, token))
        if len(j._finished) >= j.width or not keep or j.steps >= j.limit:
            if keep and not (len(j._finished) >= j.width):  # cut at the limit: the step's extensions count
                j._beams = [j._beams[r] + [_piece(self.target, probs[r], t, _row(w, r))] for r, t in keep]
            return self._finish(j)
        j._beams = [j._beams[r] + [_piece(self.target, probs[r], t, _row(w, r))] for r, t in keep]
        j._prev = [t for _, t in keep]
        j._totals = np.array([total[r, t] for r, t in keep])
        rows = [r for r, _ in keep]
        j._h, j._c = h[rows], c[rows]
        return Update(j, self._agreed(j), False)

    def _agreed(self, j: Job) -> list[Piece]:
        """The pieces past those reported that every hypothesis, live or finished, shares."""
        candidates = j._beams + j._finished
        first = candidates[0]
        n = len(j.emitted)
        while n < len(first) and first[n].char and all(len(b) > n and b[n].char == first[n].char
                                                         for b in candidates[1:]):
            n += 1
        new = first[len(j.emitted):n]
        j.emitted += new
        return new

    def _finish(self, j: Job) -> Update:
        ranked = sorted((Hypothesis.of(b, j.length_penalty) for b in j._finished or j._beams),
                        key=lambda x: -x.normalized)
        j.hypotheses = ranked[: max(1, j.nbest)]
        rest = list(_pieces(ranked[0]))[len(j.emitted):]
        j.emitted += rest
        j.done = True
        return Update(j, rest, True)


_NO_RNG = np.random.default_rng(0)  # greedy never samples; `pick` takes a generator all the same
