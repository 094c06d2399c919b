"""The dashboard's panels, handed down to its parts: each part says what it knows through them and no
part finds a panel by itself."""

from __future__ import annotations

from dataclasses import dataclass

from seqtui.tui.training.epoch_progress import EpochProgress
from seqtui.tui.training.history_view import RunHistory
from seqtui.tui.training.run_settings import RunSettings
from seqtui.tui.training.samples_panel import SamplesPanel


@dataclass(frozen=True)
class Panels:
    """The header (state line and settings), the progress lines, the samples, and the epochs shown
    (table and curves, kept in step by `RunHistory`)."""

    settings: RunSettings
    progress: EpochProgress
    samples: SamplesPanel
    history: RunHistory
