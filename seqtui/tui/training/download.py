"""The dashboard's d: `seqtui data fetch` into train_dir in a thread worker, its progress in the
progress panel."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from textual.screen import Screen

from seqtui.tui.training import jobs
from seqtui.tui.training.epoch_progress import EpochProgress


class Download:
    """At most one download at a time; the screen relays its messages here."""

    def __init__(self, screen: Screen[None], progress: EpochProgress) -> None:
        self.screen, self.progress = screen, progress

    def start(self, folder: Path) -> None:
        self.progress.say(f"Downloading the Tatoeba English-French corpus into {folder}…", "italic")
        self.screen.run_worker(partial(jobs.fetch_corpus, self.screen, folder), thread=True, exclusive=True,
                               exit_on_error=False, group="fetch", name="fetch")

    def advanced(self, done: int, total: int | None) -> None:
        self.progress.show_download(done, total)

    def ended(self, summary: str, problem: str) -> None:
        if problem:
            self.progress.say(f"Download failed: {problem}", "bold red")
        else:
            self.progress.say(f"Downloaded {summary}. t trains on every corpus file in train_dir "
                              "(num_samples picks how many pairs).", "bold green")
