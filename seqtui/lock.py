"""One trainer per model folder: a lock file holding the owner's pid, taken over when its owner is dead."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from seqtui.errors import RunLocked

LOCK_NAME = ".train.lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


@contextlib.contextmanager
def hold(model_dir: Path) -> Iterator[None]:
    """Hold the training lock of `model_dir` for the block.

    Raises:
        RunLocked: a live process holds it.
    """
    path = Path(model_dir) / LOCK_NAME
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            pid = _owner(path)
            if pid is not None and pid != os.getpid() and _alive(pid):
                raise RunLocked(f"{model_dir}: already being trained by process {pid}; "
                                "wait for it, stop it, or use another --model-dir") from None
            # A lock left by a dead process (or a torn one): take it over.
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as f:
            f.write(f"{os.getpid()}\n")
        break
    else:
        raise RunLocked(f"{path}: could not take the training lock")
    try:
        yield
    finally:
        if _owner(path) == os.getpid():
            path.unlink(missing_ok=True)


def owner(model_dir: Path) -> int | None:
    """The pid of the live process training into `model_dir`, or None (for watching a run from outside)."""
    pid = _owner(Path(model_dir) / LOCK_NAME)
    return pid if pid is not None and _alive(pid) else None
