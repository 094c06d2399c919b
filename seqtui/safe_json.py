"""JSON from outside, read within bounds: the one reader of every JSON file or member seqtui did not just write.

A run folder, a bundle or a model file may come from anywhere. Three things in such JSON would stop
seqtui rather than be refused: a FIFO (or a device) where a file should be, which blocks `open` or
`read` forever; a file of gigabytes, read whole into memory; and nesting a hundred thousand deep
(`[[[[...`), which ends Python's recursive JSON decoder, and any code walking the result, in a
`RecursionError` traceback. So a file is opened without blocking and read only when the opened
descriptor is a regular file (checked on the descriptor, so nothing can swap the file in between),
at most `MAX_BYTES` of it; and the depth of brackets outside strings is counted before `json.loads`
sees the text. Whatever is refused or malformed raises one `JsonError` line that names no path:
the caller knows which file it was and what to do about it. `read_bytes` alone is the bounded reader
of other small files from outside too (the TOML config).
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from seqtui.errors import SeqtuiError

MAX_BYTES = 64 * 2**20  # no metadata file of a real bundle comes near this; a bigger one is not ours
MAX_DEPTH = 64  # a Keras model's config.json nests 11 deep, seqtui's own files 4
_CHUNK = 2**20

# A JSON string: a quote, then characters that are neither a quote nor a backslash, or a backslash and
# any one character, then a quote (written unrolled, so a long string costs one pass).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")
_OPEN = frozenset(b"[{")


class JsonError(SeqtuiError, ValueError):
    """JSON refused: not a regular file, too big, nested too deep, or not JSON at all (one line, no path).

    A ValueError too, so readers that take any malformed file as absent go on treating it so.
    """

    title = "Unreadable JSON"


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them (default `MAX_BYTES`).

    Raises:
        OSError: the file cannot be opened or read (FileNotFoundError when it is missing).
        JsonError: it is not a regular file (a FIFO, a device, a folder), or it holds more than `limit` bytes.
    """
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer that may never come.
    limit = MAX_BYTES if limit is None else limit
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise JsonError(f"not a regular file but {_kind(info.st_mode)}")
        if info.st_size > limit:
            raise JsonError(_too_big(limit))
        chunks, size = [], 0
        while chunk := os.read(fd, min(_CHUNK, limit + 1 - size)):  # counted too: the file may grow meanwhile
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise JsonError(_too_big(limit))
    finally:
        os.close(fd)
    return b"".join(chunks)


def load_file(path: Path, limit: int | None = None, depth: int | None = None) -> Any:
    """The JSON value in the regular file at `path` (see `read_bytes` and `loads` for what is refused).

    Raises:
        OSError: the file cannot be opened or read.
        JsonError: it is refused, or it is not JSON.
    """
    return loads(read_bytes(path, limit), limit, depth)


def loads(raw: bytes | str, limit: int | None = None, depth: int | None = None) -> Any:
    """The JSON value in `raw` (a zip member, one line of a JSON-lines file), within the same bounds as a file
    (default `MAX_BYTES` and `MAX_DEPTH`, read when called).

    Raises:
        JsonError: `raw` is longer than `limit` (bytes, or characters for a str), nests arrays and objects
            deeper than `depth`, or is not JSON (nor UTF-8, for bytes).
    """
    limit = MAX_BYTES if limit is None else limit
    depth = MAX_DEPTH if depth is None else depth
    if len(raw) > limit:
        raise JsonError(_too_big(limit))
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if _deeper_than(data, depth):
        raise JsonError(f"arrays and objects nested deeper than {depth} levels")
    try:
        return json.loads(raw)
    except ValueError as e:  # JSONDecodeError, and UnicodeDecodeError for bytes that are not UTF-8
        raise JsonError(f"not JSON ({str(e).splitlines()[0][:200]})") from None


def _deeper_than(data: bytes, depth: int) -> bool:
    """Whether arrays and objects nest deeper than `depth` in the JSON text `data` (brackets outside strings).

    One pass over the brackets at most, stopping at the first too deep. It never counts less than the
    depth `json.loads` would reach: a quote that opens no complete string leaves what follows counted.
    """
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    if brackets.count(b"[") + brackets.count(b"{") <= depth:
        return False  # too few openings to pass `depth`, however they stand
    level = 0
    for c in brackets:
        if c in _OPEN:
            level += 1
            if level > depth:
                return True
        else:
            level -= 1
    return False


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a socket" if stat.S_ISSOCK(mode) else "a special file"


def _too_big(limit: int) -> str:
    size = f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit:,} bytes"
    return f"larger than {size}, more than a file of this kind holds"
