"""The seam between the core trainer and the UI: events become messages, two stop reasons become one."""

from __future__ import annotations

import threading

from textual.message import Message
from textual.message_pump import MessagePump

from seqtui import events
from seqtui.tui import messages

_MESSAGES: dict[type, type] = {
    events.TrainingStarted: messages.TrainingBegan,
    events.BatchEnded: messages.BatchDone,
    events.Validating: messages.ValidationStep,
    events.EpochEnded: messages.EpochDone,
    events.TrainingEnded: messages.TrainingStopped,
}


class Relay:
    """A training listener that posts each core event to `target` as its message.

    It runs on the training thread; `post_message` is thread-safe and does not wait for the UI.
    """

    def __init__(self, target: MessagePump) -> None:
        self.target = target

    def __call__(self, event: events.Event) -> None:
        kind = _MESSAGES.get(type(event))
        if kind is not None:  # the dashboard shows no checkpoint events: the files speak for themselves
            message: Message = kind(event)
            self.target.post_message(message)


class StopSignal(threading.Event):
    """Set by the user's `s` or by any linked event (the worker's cancellation when the app closes).

    The trainer only polls `is_set()` between batches, so linking is a read-time check; `wait()`
    would not see the linked events and is not used.
    """

    def __init__(self, *linked: threading.Event) -> None:
        super().__init__()
        self.linked = list(linked)

    def link(self, event: threading.Event) -> None:
        """Also read as set whenever `event` is."""
        self.linked.append(event)

    def is_set(self) -> bool:
        return super().is_set() or any(e.is_set() for e in self.linked)
