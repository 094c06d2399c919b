"""One exception hierarchy for everything a user can get wrong.

Each error carries a short title and a message that says what is wrong, where, and what to do.
The CLI prints `str(error)` as one line and exits 1; the TUI shows it as a notification.
"""

from __future__ import annotations


class SeqtuiError(Exception):
    """Base class of every error meant for the user rather than a traceback."""

    title = "Error"


class ConfigError(SeqtuiError):
    """The config file or a flag holds an unknown key, a wrong type or an out-of-range value."""

    title = "Config error"


class CorpusError(SeqtuiError):
    """A corpus file or folder is missing, unreadable, or yields no pair."""

    title = "Corpus error"


class BundleError(SeqtuiError):
    """A model bundle is missing, damaged, or was written by an incompatible version."""

    title = "Model error"


class TrainingFailed(SeqtuiError):
    """Training could not go on (for example a NaN loss); the last good files are kept."""

    title = "Training failed"


class RunLocked(SeqtuiError):
    """Another live process is already training into the same model folder."""

    title = "Model folder busy"


class FetchError(SeqtuiError):
    """A corpus download or archive extraction failed."""

    title = "Download failed"
