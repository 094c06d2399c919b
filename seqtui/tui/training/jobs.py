"""The dashboard's background jobs: train, download a corpus, follow a headless run.

Each is a plain function that a thread worker of the dashboard runs (`Dashboard` starts and owns the
workers, so no widget reaches into the app for them); each calls core code and only posts messages
to `target`, never touching a widget.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.message_pump import MessagePump
from textual.worker import get_current_worker

from seqtui.config import Config
from seqtui.errors import SeqtuiError
from seqtui.events import TrainingEnded
from seqtui.tui import latency
from seqtui.tui.messages import FetchDone, FetchProgress, FollowUpdate, TrainerExited
from seqtui.tui.polling import post_changes
from seqtui.tui.training import follow as follow_files
from seqtui.tui.training.relay import Relay, StopSignal

Trainer = Callable[..., TrainingEnded]  # `seqtui.train.training.train`'s signature
FOLLOW_POLL = 0.5  # seconds between reads of a followed run's files


def core_trainer(*args: Any, **kwargs: Any) -> TrainingEnded:
    """`seqtui.train.training.train`, with TensorFlow imported first in a way that keeps the UI responsive."""
    latency.lower_thread_priority()
    latency.import_tensorflow()
    from seqtui.train.training import train

    return train(*args, **kwargs)


def train(target: MessagePump, trainer: Trainer, cfg: Config, stop: StopSignal, pause: threading.Event,
          start: dict[str, Any]) -> TrainingEnded:
    """Train, reporting to `target`. TensorFlow is first imported here (in `core_trainer`).

    `start` holds the trainer's start arguments (`resume`, `fresh`, `init_from`, `flags`), as
    `seqtui train` passes them; the dashboard decides them (`Dashboard.action_train` and its siblings).
    """
    stop.link(get_current_worker().cancelled_event)  # closing the app also stops (and saves)
    try:
        return trainer(cfg, Relay(target), stop=stop, pause=pause, **start)
    finally:
        target.post_message(TrainerExited())


def fetch_corpus(target: MessagePump, folder: Path) -> None:
    """`seqtui data fetch` into `folder`, its progress posted to `target`."""
    from seqtui.data.fetch import fetch

    try:
        def progress(done: int, total: int | None) -> None:
            target.post_message(FetchProgress(done, total))

        got = fetch(folder, progress=progress)
    except SeqtuiError as e:
        target.post_message(FetchDone(problem=str(e)))
        return
    target.post_message(FetchDone(f"{got.path.name}: {got.size:,} bytes unpacked into {got.path.parent}"))


def watch_run(target: MessagePump, model_dir: Path) -> None:
    """Poll a headless run's files and post what changed, until the worker is cancelled."""
    post_changes(lambda: follow_files.read(model_dir), lambda files: target.post_message(FollowUpdate(files)),
                 FOLLOW_POLL)
