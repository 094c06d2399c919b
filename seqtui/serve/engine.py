"""The models a server answers with, and the one engine thread that decodes every request's sentences
together, a `seqtui.decode.batcher` step at a time, so the event loop is never blocked by a decode.

Requests hand in `Job`s through a thread-safe inbox; after each step the thread hands the step's updates back
to the event loop in one `call_soon_threadsafe`, where each job's `Ticket` receives them. Admission is
bounded: past `queue_limit` sentences waiting or decoding, a request is refused at once (429 with
Retry-After), never left to hang. A cancelled job (its client went away) leaves the batch at the next step.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seqtui.api import Translator
from seqtui.decode.batcher import Batcher, Job, Update
from seqtui.serve.params import ApiError
from seqtui.store import catalog, saved

NAMES = {"en": "English", "fr": "French"}


@dataclass
class Model:
    """One direction a server translates, and its batch."""

    source: str
    target: str
    translator: Translator
    batcher: Batcher

    def readable(self, sentence: str) -> bool:
        """Whether the model reads anything of `sentence` (otherwise it is returned unchanged)."""
        read = self.translator.engine.readable(sentence).text
        unknown = {u.position for u in self.translator.engine.unknown(read)}
        return any(not ch.isspace() and k not in unknown for k, ch in enumerate(read))


def resolve(names: Sequence[str]) -> dict[tuple[str, str], catalog.ModelChoice]:
    """The models named (folders or shipped names; default both shipped ones) by direction, the first named
    for a direction answering it; reads only their config (BundleError for one that does not exist)."""
    found: dict[tuple[str, str], catalog.ModelChoice] = {}
    for name in names or sorted(catalog.shipped()):
        choice = catalog.choose(Path("models"), name)
        pair = ("fr", "en") if saved.read_meta(choice.path).config.reverse else ("en", "fr")
        found.setdefault(pair, choice)
    return found


def load(choices: dict[tuple[str, str], catalog.ModelChoice], batch_limit: int) -> list[Model]:
    """The resolved models loaded (their weights as numpy), each with its batch of `batch_limit` rows."""
    models = []
    for pair, choice in choices.items():
        tr = Translator.open(choice.path, model=choice.describe())
        models.append(Model(*pair, tr, Batcher(tr.engine.net, tr.engine.target, batch_limit)))
    return models


def open_models(names: Sequence[str], batch_limit: int) -> list[Model]:
    """`resolve` then `load`."""
    return load(resolve(names), batch_limit)


@dataclass(eq=False)
class Ticket:
    """A job's updates as they arrive on the event loop (every one when `stream`, else only the last)."""

    job: Job
    stream: bool
    updates: asyncio.Queue[Update] = field(default_factory=asyncio.Queue)
    finished: asyncio.Event = field(default_factory=asyncio.Event)


class EngineThread:
    """The thread that steps every model's batch, and the bounded way in."""

    def __init__(self, queue_limit: int, loop: asyncio.AbstractEventLoop) -> None:
        self.queue_limit = queue_limit
        self.loop = loop
        self.outstanding = 0  # jobs handed in and not yet finished (read and written on the loop only)
        self.steps = 0
        self._tickets: dict[Job, Ticket] = {}
        # The jobs whose every step is wanted (added on the loop before the job reaches the thread): the thread
        # wakes the loop only for those and for jobs that end. Waking it every step costs two handovers of
        # the GIL a step, each up to the switch interval, which cost beam search most of its speed.
        self._streams: set[Job] = set()
        self._inbox: queue.SimpleQueue[tuple[Model, Job] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="seqtui-engine", daemon=True)
        self._thread.start()

    def submit(self, model: Model, jobs: Sequence[Job], stream: bool) -> list[Ticket]:
        """Hand `jobs` to the engine (on the event loop); ApiError 429 at once when the queue is full."""
        if self.outstanding + len(jobs) > self.queue_limit:
            raise ApiError(429, f"Slowdown: {self.outstanding} sentences are waiting or decoding, the most this "
                                f"server queues is {self.queue_limit}", retry_after=1)
        tickets = [Ticket(j, stream) for j in jobs]
        for t in tickets:
            self._tickets[t.job] = t
            if stream:
                self._streams.add(t.job)
            self.outstanding += 1
            self._inbox.put((model, t.job))
        return tickets

    def close(self) -> None:
        """Stop the thread once the jobs it holds are done or cancelled."""
        self._inbox.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        batchers: list[Batcher] = []
        while True:
            busy = any(b.busy for b in batchers)
            try:
                item = self._inbox.get(block=not busy)
                while True:
                    if item is None:
                        return self._cancel_all(batchers)
                    model, job = item
                    model.batcher.add(job)
                    if model.batcher not in batchers:
                        batchers.append(model.batcher)
                    item = self._inbox.get_nowait()
            except queue.Empty:
                pass
            updates = [u for b in batchers if b.busy for u in _step(b)]
            self.steps += 1
            wanted = [u for u in updates if u.done or (u.pieces and u.job in self._streams)]
            if wanted:
                self.loop.call_soon_threadsafe(self._deliver, wanted)

    def _cancel_all(self, batchers: list[Batcher]) -> None:
        for b in batchers:
            for j in b.live + b.pending:
                j.cancelled = True
            while b.busy:
                b.step()

    def _deliver(self, updates: list[Update]) -> None:
        for u in updates:
            ticket = self._tickets.get(u.job)
            if ticket is None:
                continue
            if ticket.stream or u.done:
                ticket.updates.put_nowait(u)
            if u.done:
                del self._tickets[u.job]
                self._streams.discard(u.job)
                self.outstanding -= 1
                ticket.finished.set()


def _step(batcher: Batcher) -> list[Update]:
    """One step of `batcher`; should it fail, its decodes end with the error, so no request waits for ever."""
    try:
        return batcher.step()
    except Exception as e:  # a bug in a step must answer its requests, not stop the thread
        jobs, batcher.live, batcher.pending = batcher.live + batcher.pending, [], []
        for j in jobs:
            j.done, j.error = True, f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else 'no message'}"
        return [Update(j, [], True) for j in jobs]


def deadline(budget: float) -> float:
    """The monotonic time a request of `budget` seconds must be done by."""
    return time.monotonic() + budget
