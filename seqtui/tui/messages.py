"""Messages the workers post to the UI. Each training message carries the core event it relays.

None of the workers' messages bubbles: each is posted to the one widget or screen that asked for the
work. Requests go the other way: a widget posts one and it bubbles up to the app, which owns the
workers and starts the one asked for (so no widget calls into the app).

Posting is the only way a worker thread talks to widgets: `post_message` is thread-safe and never
blocks the trainer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from textual.message import Message
from textual.message_pump import MessagePump

from seqtui import events
from seqtui.data.vocab import Unknown
from seqtui.decode.decoding import Result, Settings
from seqtui.tui.training.follow import RunFiles

E = TypeVar("E")


class Relayed(Message, Generic[E], bubble=False):
    """A core training event, handed to the UI thread as it is (subclasses repeat bubble=False:
    Message subclasses bubble unless they say otherwise)."""

    def __init__(self, event: E) -> None:
        super().__init__()
        self.event = event


class TrainingBegan(Relayed[events.TrainingStarted], bubble=False):
    """The run is prepared and its model built."""


class BatchDone(Relayed[events.BatchEnded], bubble=False):
    """A batch finished. Only the newest matters, so a queued one is replaced by the next."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, BatchDone)


class ValidationStep(Relayed[events.Validating], bubble=False):
    """The epoch's validation moved on (val_loss batches, then chrF sentences). Only the newest step of a
    phase matters."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ValidationStep) and message.event.what == self.event.what


class EpochDone(Relayed[events.EpochEnded], bubble=False):
    """An epoch finished, with its record, sample translations and a decoding snapshot."""


class TrainingStopped(Relayed[events.TrainingEnded], bubble=False):
    """The trainer reported how the run ended (finished, early_stopped, stopped or complete)."""


class TrainerExited(Message, bubble=False):
    """The training thread is done, whether it ended well or raised: a new run may start."""


class FetchProgress(Message, bubble=False):
    """Bytes of the corpus archive downloaded so far (`total` None while the size is unknown)."""

    def __init__(self, done: int, total: int | None) -> None:
        super().__init__()
        self.done = done
        self.total = total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FetchProgress)  # only the newest count matters


class FetchDone(Message, bubble=False):
    """The download ended: `summary` says what was unpacked where, or `problem` why it failed."""

    def __init__(self, summary: str = "", problem: str = "") -> None:
        super().__init__()
        self.summary = summary
        self.problem = problem


class FollowUpdate(Message, bubble=False):
    """New state read from a headless run's files (`--follow`): the snapshot that changed."""

    def __init__(self, files: RunFiles) -> None:
        super().__init__()
        self.files = files


class ModelReady(Message, bubble=False):
    """The REPL's model was read (`label` says which), or there is none (`problem` says why); `passed_over`
    says why the user's own run does not answer, when it does not."""

    def __init__(self, label: str, problem: str = "", passed_over: str = "") -> None:
        super().__init__()
        self.label = label
        self.problem = problem
        self.passed_over = passed_over


class TranslationBegan(Message, bubble=False):
    """A translation started on `engine_label`'s weights; `unknown` flags characters the model never saw."""

    def __init__(self, entry: int, text: str, unknown: list[Unknown], engine_label: str) -> None:
        super().__init__()
        self.entry = entry
        self.text = text
        self.unknown = unknown
        self.engine_label = engine_label


class TranslationChar(Message, bubble=False):
    """One decoded character and the probability the model gave it. Never coalesced: the REPL shows
    every one as it arrives."""

    def __init__(self, entry: int, char: str, prob: float = 1.0) -> None:
        super().__init__()
        self.entry = entry
        self.char = char
        self.prob = prob


class TranslationEnded(Message, bubble=False):
    """A translation finished (or was cut short by a newer one); `result` holds its scored hypotheses
    and attention (None when cut short)."""

    def __init__(self, entry: int, cut_short: bool, result: Result | None = None) -> None:
        super().__init__()
        self.entry = entry
        self.cut_short = cut_short
        self.result = result


class TranslationHint(Message, bubble=False):
    """A typed line looks written in another model's language: `line` says which model reads it."""

    def __init__(self, entry: int, line: str) -> None:
        super().__init__()
        self.entry = entry
        self.line = line


class TranslationFailed(Message, bubble=False):
    """There is nothing to translate with (no saved model yet, or a damaged one)."""

    def __init__(self, entry: int, text: str, reason: str) -> None:
        super().__init__()
        self.entry = entry
        self.text = text
        self.reason = reason


class RunsFound(Message, bubble=False):
    """The runs view's folder was read again and something changed (a run went on, ended, appeared)."""

    def __init__(self, runs: list[Any]) -> None:
        super().__init__()
        self.runs = runs


class PlotExported(Message, bubble=False):
    """`x` wrote the curves to `path`, or could not (`problem` says why)."""

    def __init__(self, path: str = "", problem: str = "") -> None:
        super().__init__()
        self.path = path
        self.problem = problem


class TranslateRequest(Message):
    """A widget asks for `text` to be translated, the messages going to `target` (bubbles to the app).

    `preview`: translate-as-you-type, which a newer preview replaces; else an entry of the history.
    `wanted`: asked when the request is handled; False (the line was submitted or changed meanwhile, while
    this request waited in the queue) means no decode starts.
    """

    def __init__(self, target: MessagePump, entry: int, text: str, settings: Settings, preview: bool = False,
                 wanted: Callable[[], bool] | None = None) -> None:
        super().__init__()
        self.target = target
        self.entry = entry
        self.text = text
        self.settings = settings
        self.preview = preview
        self.wanted = wanted


class QuitRequest(Message):
    """A widget asks to quit (`:q` in the REPL); bubbles to the app, which asks first while training runs."""


class ModelRequest(Message):
    """A widget asks which model will answer; the app reads it and posts ModelReady to `target`."""

    def __init__(self, target: MessagePump) -> None:
        super().__init__()
        self.target = target
