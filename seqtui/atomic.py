"""Crash-safe writes: write to a temporary file beside the target, fsync, then rename over it.

A reader therefore sees either the old complete file or the new complete file, never a torn one,
even if the process is killed mid-write. `write_new` publishes with a hard link instead of a rename,
so it also never replaces a file that is already there, not even one another process has just written.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(target: Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it is renamed onto `target`.

    Args:
        target: the file to replace.
        suffix: extension the temporary name must end in (Keras insists on `.keras`).
    """
    with _staged(target, suffix, os.replace) as tmp:
        yield tmp


@contextlib.contextmanager
def _staged(target: Path, suffix: str, publish: Callable[[Path, Path], None]) -> Iterator[Path]:
    """Yield a temporary beside `target`; once written and fsynced, `publish(tmp, target)` gives it its name."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or ".tmp",
                                    dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; the final file gets the usual mode
    try:
        yield tmp
        _fsync_file(tmp)
        publish(tmp, target)
        _fsync_dir(target.parent)
    finally:
        if tmp.exists():
            tmp.unlink()


def remove_stale(folder: Path) -> int:
    """Delete temporaries that a killed writer left in `folder` (hidden `.*.tmp` / `.*.keras` files)."""
    removed = 0
    for p in Path(folder).glob(".*"):
        if p.is_file() and p.suffix in (".tmp", ".keras"):
            p.unlink(missing_ok=True)
            removed += 1
    return removed


def write_text(target: Path, text: str) -> None:
    """Atomically replace `target` with `text` (UTF-8)."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_new(target: Path, text: str) -> None:
    """Write `text` (UTF-8) to `target` as a new file, never replacing one that exists.

    Checking that the name is free and then writing lets two writers in the same second clobber each
    other; a hard link from the complete temporary to `target` fails instead if the name is taken.

    Raises:
        FileExistsError: `target` exists (nothing was written; the caller picks another name).
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a file where the folder should be: that must not read as "name taken"
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(target.parent)) from None
    with _staged(target, "", _link_new) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _link_new(tmp: Path, target: Path) -> None:
    """Give `tmp` the name `target` unless that name is taken (FileExistsError)."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS):
            raise
        # No hard links here (FAT, some network shares): claim the name exclusively, then rename the
        # complete file onto the claim. A reader may see it empty for a moment, never torn or clobbered.
        os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        os.replace(tmp, target)


def write_json(target: Path, obj: Any) -> None:
    """Atomically replace `target` with `obj` as indented JSON."""
    write_text(target, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def write_with(target: Path, writer: Callable[[Path], object], suffix: str = "") -> None:
    """Atomically replace `target` with whatever `writer(tmp_path)` writes."""
    with atomic_path(target, suffix) as tmp:
        writer(tmp)


def write_new_with(target: Path, writer: Callable[[Path], None], suffix: str = "") -> None:
    """Like `write_with`, but never replacing a file that is there (FileExistsError, nothing written)."""
    target = Path(target)
    with _staged(target, suffix, _link_new) as tmp:
        writer(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    # A rename is durable only once the directory entry is on disk.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
