"""The dashboard's hold on a training session: the stop and pause signals the trainer's thread reads,
and whether quitting waits for a stop. No widgets: the dashboard says what each change means."""

from __future__ import annotations

import threading

from seqtui.tui.training.relay import StopSignal


class TrainingControl:
    """The signals of the session that runs now; each new session gets fresh ones."""

    def __init__(self) -> None:
        self.stop_signal = StopSignal()
        self.pause_signal = threading.Event()
        self.quitting = False  # quit once the stopped session has saved

    def new_session(self) -> tuple[StopSignal, threading.Event]:
        """Fresh signals for a session about to start (the last one's may still be set)."""
        self.stop_signal, self.pause_signal = StopSignal(), threading.Event()
        return self.stop_signal, self.pause_signal

    @property
    def paused(self) -> bool:
        return self.pause_signal.is_set()

    @property
    def stopping(self) -> bool:
        return self.stop_signal.is_set()

    def toggle_pause(self) -> bool:
        """Pause after the current batch, or go on; whether it is paused now."""
        if self.paused:
            self.pause_signal.clear()
        else:
            self.pause_signal.set()
        return self.paused

    def stop(self) -> None:
        """Stop after the current batch (the trainer saves a checkpoint first)."""
        self.stop_signal.set()

    def stop_and_quit(self) -> None:
        self.quitting = True
        self.stop()
