"""One trainer per model folder: an exclusive kernel lock (`flock`) on a lock file, held for the run.

The kernel drops the lock when its holder's process dies, however it dies, so no stale lock is ever
left to take over, no pid can be reused into a false "busy", and two would-be owners never race:
`flock` is one atomic call. A lock is held by an open file description, so a second attempt from
another thread of the same process is refused too. The file itself is never deleted (deleting a
lock file that another process has just opened would let two owners lock two different files);
it holds the owner's pid only so that a refusal can name it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from seqtui.errors import RunLocked

LOCK_NAME = ".train.lock"


def _open(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)


def _pid_in(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _try_lock(fd: int, tries: int = 5) -> bool:
    # A watcher's `owner()` holds a shared lock for microseconds; a few quick retries let a trainer that
    # starts at that moment through, while a real owner still refuses it within a tenth of a second.
    for attempt in range(tries):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if attempt < tries - 1:
                time.sleep(0.02)
    return False


@contextlib.contextmanager
def hold(model_dir: Path) -> Iterator[None]:
    """Hold the training lock of `model_dir` for the block.

    Raises:
        RunLocked: another process (or another thread of this one) holds it.
    """
    path = Path(model_dir) / LOCK_NAME
    fd = _open(path)
    try:
        if not _try_lock(fd):
            pid = _pid_in(path)
            who = f"process {pid}" if pid is not None else "another process"
            raise RunLocked(f"{model_dir}: already being trained by {who}; "
                            "wait for it, stop it, or use another --model-dir") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the only descriptor releases the lock


def owner(model_dir: Path) -> int | None:
    """The pid of the live process training into `model_dir`, or None (for watching a run from outside)."""
    path = Path(model_dir) / LOCK_NAME
    if not path.is_file():
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _pid_in(path) or -1
    else:
        return None  # nobody holds it (our shared lock goes with the descriptor)
    finally:
        os.close(fd)
