"""Downloading a corpus archive from manythings.org/anki (or a mirror) and unpacking its pairs file.

The archive is downloaded to a temporary file, checked (a zip, no member that points outside the
destination, no more than `max_bytes` unpacked), and its one corpus member (such as `fra.txt`) is
written to the destination through `atomic`, so a failure at any point leaves no partial corpus.
"""

from __future__ import annotations

import http.client
import re
import tempfile
import threading
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from seqtui import atomic
from seqtui.data import corpus as data
from seqtui.errors import FetchError

ANKI_URL = "https://www.manythings.org/anki/{pair}.zip"
DEFAULT_PAIR = "fra-eng"
PAIR_PATTERN = re.compile(r"[a-z]{3}-eng")
TIMEOUT_S = 10.0  # per network step; with the deadline on opening, offline fails well within 15 s
MAX_BYTES = 1 << 30  # the largest Tatoeba corpus unpacks to ~100 MB; this only stops a runaway or a bomb
CHUNK = 1 << 16
# manythings.org turns away clients that do not look like a browser.
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0 seqtui/0.1"

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class Fetched:
    """A corpus that was downloaded and unpacked."""

    path: Path
    url: str
    member: str
    downloaded: int
    size: int


def anki_url(pair: str) -> str:
    """The manythings.org archive URL of a pair such as `fra-eng`.

    Raises:
        FetchError: `pair` is not a three-letter language code followed by `-eng`.
    """
    if not PAIR_PATTERN.fullmatch(pair):
        raise FetchError(f"{pair!r} is not a manythings.org pair name: expected a three-letter language code "
                         "and '-eng', such as fra-eng, deu-eng or spa-eng (see https://www.manythings.org/anki/)")
    return ANKI_URL.format(pair=pair)


def corpus_name(pair: str) -> str:
    """The corpus file a pair's archive holds: `fra.txt` for `fra-eng`."""
    return f"{pair.split('-')[0]}.txt"


def fetch(dest: Path, pair: str = DEFAULT_PAIR, url: str | None = None, force: bool = False,
          progress: Progress | None = None, timeout: float = TIMEOUT_S,
          max_bytes: int = MAX_BYTES) -> Fetched:
    """Download a pair's archive and unpack its corpus file into the folder `dest`.

    Args:
        dest: the folder to write the corpus into (created if missing).
        pair: a manythings.org pair such as `fra-eng`; it names the archive and its corpus (`fra.txt`).
        url: another source for the archive (a mirror, a `file://` URL or a local path).
        force: replace a corpus file that is already there.
        progress: called with (bytes so far, total bytes or None) as the download proceeds.
        timeout: seconds allowed to connect, and for each read.
        max_bytes: the most the archive may weigh, or unpack to.

    Raises:
        FetchError: a bad pair name, a download that failed, a damaged or hostile archive, or an
            existing corpus without `force`.
    """
    site_url = anki_url(pair)  # checks the pair name even with --url: it names the corpus member
    source = _as_url(url) if url else site_url
    dest = _dest_folder(Path(dest))
    _refuse_overwrite(dest / corpus_name(pair), force)  # before downloading; checked again once unpacked
    with tempfile.TemporaryFile() as archive:
        downloaded = _download(source, archive, progress, timeout, max_bytes, _by_hand(pair, dest))
        member, target, size = _unpack(archive, source, dest, pair, force, max_bytes)
    return Fetched(target, source, member, downloaded, size)


def _as_url(url: str) -> str:
    # A plain path is taken as a file the user downloaded by hand.
    return url if "://" in url else Path(url).expanduser().resolve().as_uri()


def _dest_folder(dest: Path) -> Path:
    # Created only when the corpus is written, so a failed download leaves nothing behind.
    if dest.exists() and not dest.is_dir():
        raise FetchError(f"{dest} is a file; pass --dest with a folder to unpack the corpus into")
    return dest


def _refuse_overwrite(target: Path, force: bool) -> None:
    if target.exists() and not force:
        raise FetchError(f"{target} already exists; pass --force to replace it")


def _by_hand(pair: str, dest: Path) -> str:
    return (f"To download by hand, open {anki_url(pair)} in a browser, then run "
            f"`seqtui data fetch {pair} --url PATH/TO/{pair}.zip` (or unzip its .txt into {dest}).")


def _download(url: str, out: IO[bytes], progress: Progress | None, timeout: float, max_bytes: int,
              by_hand: str) -> int:
    """Copy `url` into `out`; the number of bytes copied. Network errors end with `by_hand`."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with _open_within(request, timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if total is not None and total > max_bytes:
                raise FetchError(f"{url}: the archive is {total:,} bytes, over the {max_bytes:,}-byte limit")
            done = 0
            while chunk := response.read(CHUNK):
                done += len(chunk)
                if done > max_bytes:
                    raise FetchError(f"{url}: the download passed the {max_bytes:,}-byte limit")
                out.write(chunk)
                if progress:
                    progress(done, total)
    except urllib.error.HTTPError as e:
        raise FetchError(f"{url}: HTTP {e.code} {e.reason}. {by_hand}") from None
    except urllib.error.URLError as e:
        raise FetchError(f"{url}: cannot open it ({_reason(e.reason)}). {by_hand}") from None
    except (OSError, http.client.HTTPException) as e:
        raise FetchError(f"{url}: the download failed ({_reason(e)}). {by_hand}") from None
    if total is not None and done < total:
        raise FetchError(f"{url}: the download was cut short ({done:,} of {total:,} bytes). {by_hand}")
    return done


def _open_within(request: urllib.request.Request, timeout: float) -> Any:
    """urlopen that gives up after `timeout` seconds in all: the socket timeout does not cover the
    name look-up, which can hang far longer on a machine without a network."""
    outcome: dict[str, Any] = {}

    def attempt() -> None:
        try:
            outcome["response"] = urllib.request.urlopen(request, timeout=timeout)
        except BaseException as e:  # handed to the waiting thread
            outcome["error"] = e

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise urllib.error.URLError(f"no answer within {timeout:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["response"]


def _reason(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


def _unpack(archive: IO[bytes], url: str, dest: Path, pair: str, force: bool,
            max_bytes: int) -> tuple[str, Path, int]:
    """Write the archive's corpus member into `dest`; (member name, path written, bytes written)."""
    archive.seek(0)
    try:
        with zipfile.ZipFile(archive) as zf:
            info = _corpus_member(zf, url, pair, max_bytes)
            target = dest / PurePosixPath(info.filename).name
            _refuse_overwrite(target, force)
            with zf.open(info) as member:
                size = _extract(member, target, url, max_bytes)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError) as e:
        raise FetchError(f"{url}: not a zip archive, or a damaged one ({e}); a site that turns scripts "
                         f"away may send a web page instead. {_by_hand(pair, dest)}") from None
    return info.filename, target, size


def _corpus_member(zf: zipfile.ZipFile, url: str, pair: str, max_bytes: int) -> zipfile.ZipInfo:
    """The member holding the pairs, once the whole archive has been checked."""
    infos = zf.infolist()
    for info in infos:
        if _unsafe(info.filename):
            raise FetchError(f"{url}: refused: the archive holds {info.filename!r}, which would be written "
                             "outside the destination folder")
    declared = sum(i.file_size for i in infos)
    if declared > max_bytes:
        raise FetchError(f"{url}: refused: the archive would unpack to {declared:,} bytes, over the "
                         f"{max_bytes:,}-byte limit")
    corpora = [i for i in infos if not i.is_dir() and data.is_corpus_name(PurePosixPath(i.filename).name)]
    preferred = [i for i in corpora if PurePosixPath(i.filename).name == corpus_name(pair)]
    if preferred or len(corpora) == 1:
        return (preferred or corpora)[0]
    names = ", ".join(i.filename for i in infos) or "nothing"
    raise FetchError(f"{url}: cannot tell which member is the corpus (the archive holds {names})")


def _unsafe(name: str) -> bool:
    """Whether a member name is absolute or climbs out of the folder it is unpacked into (zip slip)."""
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name) is not None or ".." in parts


def _extract(member: IO[bytes], target: Path, url: str, max_bytes: int) -> int:
    """Copy `member` to `target` atomically, counting bytes.

    zipfile already stops a member at its declared size; the count keeps the limit from resting on that.
    """
    written = 0
    try:
        with atomic.atomic_path(target) as tmp, tmp.open("wb") as out:
            while chunk := member.read(CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise FetchError(f"{url}: refused: the corpus unpacks past the {max_bytes:,}-byte limit")
                out.write(chunk)
    except OSError as e:
        raise FetchError(f"{target}: cannot write the corpus ({e.strerror or e})") from None
    return written
