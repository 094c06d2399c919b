"""The one reader of a zip that came from outside: a `.keras` model file, a downloaded corpus, an export.

A zip is data, not trust. Its central directory is what a zip bomb lies in, and its member names are
what a zip slip (`../x`, `/etc/x`) or a terminal attack (an ESC sequence in a name that is later
echoed) hides in. So the whole directory is checked when the archive is opened, before any member is
read: the directory's size and member count, every name, encryption, the compression method (stored
or deflated only: bzip2 and LZMA inflate a whole compressed block per read, which can be gigabytes),
and the sizes each member and all of them together declare. Reading a member then counts the bytes
actually inflated against the same limits, so the bound never rests on the header alone.

Every failure is one line of the caller's `SeqtuiError` subclass (BundleError for a model, FetchError
for a download), naming the archive and the member, with untrusted text escaped for the terminal.
"""

from __future__ import annotations

import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO

from seqtui.errors import SeqtuiError
from seqtui.safe_text import escape_controls, is_unsafe

try:
    from lzma import LZMAError
except ImportError:  # a Python without liblzma cannot open LZMA members anyway (and they are refused)
    LZMAError = zlib.error  # type: ignore[misc, assignment]

CHUNK = 1 << 20
METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA"}
MAX_NAME = 255  # bytes of a member name: longer is no file name on common file systems
# Bytes of central directory allowed per member: a 46-byte record, a name, and the extra fields real
# archivers write (zip64 sizes, timestamps). zipfile parses the whole directory into objects before
# anyone can count them, so its size is bounded first, read from the end record.
_DIRECTORY_PER_MEMBER = 2048
# What zipfile and its codecs raise on a damaged archive: a bad header or CRC (BadZipFile), bad deflate
# data (zlib.error), truncation (EOFError), an unknown method (NotImplementedError), a password
# (RuntimeError), an LZMA stream (LZMAError), a seek past the end (OSError, ValueError).
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, LZMAError, EOFError, NotImplementedError, RuntimeError,
               OSError, ValueError, struct.error)
_EOCD, _EOCD64, _LOCATOR64 = b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07"


@dataclass(frozen=True)
class Limits:
    """What an archive may hold.

    Attributes:
        total: the most bytes all members may inflate to together.
        members: the most members (folders included).
        each: a limit per member name; names not listed get `other`.
        other: the limit of a member not in `each` (None: `total`).
        names: the only member names allowed (None: any safe name).
    """

    total: int
    members: int = 64
    each: Mapping[str, int] = field(default_factory=dict)
    other: int | None = None
    names: frozenset[str] | None = None

    def of(self, name: str) -> int:
        """The most bytes member `name` may inflate to."""
        limit = self.each.get(name, self.total if self.other is None else self.other)
        return min(limit, self.total)


class SafeZip:
    """A zip from outside, checked whole as it is opened (a context manager); members read within limits.

    Args:
        source: the archive's path, or an open binary file positioned anywhere.
        where: how messages name the archive (its path or URL).
        limits: what the archive may hold.
        error: the SeqtuiError subclass every failure raises.
        damaged: the words a message says a damaged archive is ("the model file is damaged").
        hint: what a message about damage adds (what to do), starting with its own separator.
    """

    def __init__(self, source: Path | IO[bytes], where: str, limits: Limits,
                 error: type[SeqtuiError] = SeqtuiError, damaged: str = "the archive is damaged",
                 hint: str = "") -> None:
        self.source, self.where, self.limits = source, escape_controls(str(where)), limits
        self.error, self.damaged, self.hint = error, damaged, hint
        self._zip: zipfile.ZipFile | None = None
        self._file: IO[bytes] | None = None  # the file opened here when given a path
        self._inflated = 0  # bytes inflated so far, all members together
        self.infos: list[zipfile.ZipInfo] = []

    def __enter__(self) -> SafeZip:
        # One open file for the check and for zipfile, so what is checked is what is read. A missing file
        # raises FileNotFoundError as it is: the caller says which file it expected.
        stream: IO[bytes] = open(self.source, "rb") if isinstance(self.source, Path) else self.source  # noqa: SIM115
        self._file = stream if isinstance(self.source, Path) else None
        try:
            self._check_directory_size(stream)
            self._zip = zipfile.ZipFile(stream)
            self.infos = self._zip.infolist()
            self._check_members()
        except BaseException as e:
            self.__exit__(None, None, None)
            if isinstance(e, _ZIP_ERRORS):
                raise self._damage(e) from None
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._zip is not None:
            self._zip.close()
        if self._file is not None:
            self._file.close()

    def read(self, name: str) -> bytes:
        """The bytes of member `name`, refused once they pass its limit or the archive's."""
        return b"".join(self.chunks(name))

    def chunks(self, name: str) -> Iterator[bytes]:
        """Member `name`'s bytes, a chunk (at most 1 MiB) at a time, counted as they inflate."""
        if self._zip is None:
            raise RuntimeError("SafeZip is read inside its `with` block")
        info = next((i for i in self.infos if i.filename == name), None)
        if info is None:
            raise self.error(f"{self.where}: {self.damaged}: it has no member {_shown(name)}{self.hint}")
        try:
            with self._zip.open(info) as member:
                yield from self.counted(name, member)
        except _ZIP_ERRORS as e:
            raise self._damage(e, name) from None

    def counted(self, name: str, stream: IO[bytes]) -> Iterator[bytes]:
        """`stream`'s chunks, refused once member `name` or the archive in all passes its limit."""
        size, limit = 0, self.limits.of(name)
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            self._inflated += len(chunk)
            if size > limit:
                raise self._too_large(_shown(name), limit)
            if self._inflated > self.limits.total:
                raise self._too_large("the archive", self.limits.total)
            yield chunk

    def _check_directory_size(self, fp: IO[bytes]) -> None:
        entries, size = _declared_directory(fp)
        fp.seek(0)
        if entries > self.limits.members or size > self.limits.members * _DIRECTORY_PER_MEMBER:
            raise self._too_many(max(entries, size // _DIRECTORY_PER_MEMBER))

    def _check_members(self) -> None:
        if len(self.infos) > self.limits.members:
            raise self._too_many(len(self.infos))
        seen: set[str] = set()
        for info in self.infos:
            self._check_name(info.filename, seen)
            self._check_member(info)
        declared = sum(info.file_size for info in self.infos)
        if declared > self.limits.total:
            raise self.error(f"{self.where}: refused: the archive would unpack to {declared:,} bytes, over the "
                             f"limit of {_size(self.limits.total)}")

    def _check_name(self, name: str, seen: set[str]) -> None:
        reason = unsafe_name(name)
        if reason is None and self.limits.names is not None and name not in self.limits.names:
            reason = f"is not one of the members it may hold ({', '.join(sorted(self.limits.names))})"
        if reason is None and name in seen:
            reason = "is there twice"
        if reason is not None:
            raise self.error(f"{self.where}: refused: the archive's member {_shown(name)} {reason}")
        seen.add(name)

    def _check_member(self, info: zipfile.ZipInfo) -> None:
        name = _shown(info.filename)
        if info.flag_bits & 0x1:
            raise self.error(f"{self.where}: refused: {name} is encrypted")
        if info.compress_type not in METHODS:
            method = _METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
            raise self.error(f"{self.where}: refused: {name} is compressed with {method}; seqtui reads only "
                             "stored or deflated members (other methods can inflate without bound)")
        if info.file_size > self.limits.of(info.filename):
            raise self.error(f"{self.where}: refused: {name} would unpack to {info.file_size:,} bytes, larger than "
                             f"{_size(self.limits.of(info.filename))}, the most it may")

    def _too_large(self, what: str, limit: int) -> SeqtuiError:
        return self.error(f"{self.where}: refused: {what} is larger than {_size(limit)} as it unpacks, more than "
                          "it may hold")

    def _too_many(self, count: int) -> SeqtuiError:
        return self.error(f"{self.where}: refused: the archive holds {count:,} or more members, more than "
                          f"the {self.limits.members} it may")

    def _damage(self, e: BaseException, member: str = "") -> SeqtuiError:
        said = " ".join(str(e).split())
        reason = escape_controls(f"{type(e).__name__}: {said}" if said else type(e).__name__)
        reason = reason if len(reason) <= 200 else reason[:199] + "…"
        inside = f" in {_shown(member)}" if member else ""
        return self.error(f"{self.where}: {self.damaged} ({reason}{inside}){self.hint}")


def unsafe_name(name: str) -> str | None:
    """Why a member name must not become a file name (None if it may): control or bidi characters, a
    backslash, an absolute path or drive, a `..` step, an empty or overlong name."""
    if not name or name in (".", "/"):
        return "has an empty name"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME:
        return f"has a name longer than {MAX_NAME} bytes"
    if any(is_unsafe(c) for c in name):
        return "has control characters in its name"
    if "\\" in name or name.startswith("/") or re.match(r"[A-Za-z]:", name) or ".." in name.split("/"):
        return "would be unpacked outside the destination folder"
    return None


def file_name(name: str) -> str:
    """The last part of a member name that `unsafe_name` accepted: what it is written as in a folder."""
    return PurePosixPath(name).name


def _declared_directory(fp: IO[bytes]) -> tuple[int, int]:
    """(members, bytes) the end record says the central directory holds; (0, 0) when there is no end
    record (zipfile then refuses the file itself).

    Found as zipfile finds it: an end record with no comment is the last 22 bytes; otherwise the last one
    in the final 64 KiB. A zip64 end record, if any, sits right before its locator, right before that.
    """
    fp.seek(0, os.SEEK_END)
    size = fp.tell()
    fp.seek(max(0, size - (22 + (1 << 16) + 76)))
    tail = fp.read()
    at = len(tail) - 22
    if at < 0 or tail[at:at + 4] != _EOCD or tail[-2:] != b"\0\0":
        at = tail.rfind(_EOCD, max(0, len(tail) - (22 + (1 << 16))))
    if at < 0 or len(tail) - at < 22:
        return 0, 0
    entries, dir_bytes = struct.unpack_from("<HI", tail, at + 10)
    if at >= 76 and tail[at - 20:at - 16] == _LOCATOR64 and tail[at - 76:at - 72] == _EOCD64:
        entries64, dir_bytes64 = struct.unpack_from("<QQ", tail, at - 76 + 32)
        entries, dir_bytes = max(entries, entries64), max(dir_bytes, dir_bytes64)
    return entries, dir_bytes


def _shown(name: str, width: int = 80) -> str:
    """A member name for a message: escaped, quoted, one short line."""
    text = escape_controls(name)
    return f"'{text if len(text) <= width else text[: width - 1] + '…'}'"


def _size(limit: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20)):
        if limit >= 1 << shift and limit % (1 << shift) == 0:
            return f"{limit >> shift} {unit}"
    return f"{limit:,} bytes"
