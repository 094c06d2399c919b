"""Downloading a corpus archive from manythings.org/anki (or a mirror) and unpacking its pairs file.

The archive is downloaded to a temporary file within a byte limit and a deadline for the whole
download, read through `seqtui.safe_zip` (stored or deflated members, names that are plain file names,
no more than `max_bytes` unpacked), and its one corpus member (such as `fra.txt`) is written to the
destination through `atomic`, so a failure at any point leaves no partial corpus.
"""

from __future__ import annotations

import http.client
import re
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from seqtui import atomic
from seqtui.data import corpus as data
from seqtui.errors import FetchError
from seqtui.safe_text import escape_controls
from seqtui.safe_zip import Limits, SafeZip, file_name

ANKI_URL = "https://www.manythings.org/anki/{pair}.zip"
DEFAULT_PAIR = "fra-eng"
PAIR_PATTERN = re.compile(r"[a-z]{3}-eng")
TIMEOUT_S = 10.0  # per network step; with the deadline on opening, offline fails well within 15 s
MAX_BYTES = 1 << 30  # the largest Tatoeba corpus unpacks to ~100 MB; this only stops a runaway or a bomb
MAX_MEMBERS = 64  # a Tatoeba archive holds two files (the corpus and _about.txt)
# The whole download, however slowly the bytes trickle in: fra-eng.zip is ~7 MB, a minute at 1 Mbit/s.
DEADLINE_S = 600.0
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
          max_bytes: int = MAX_BYTES, deadline: float = DEADLINE_S) -> Fetched:
    """Download a pair's archive and unpack its corpus file into the folder `dest`.

    Args:
        dest: the folder to write the corpus into (created if missing).
        pair: a manythings.org pair such as `fra-eng`; it names the archive and its corpus (`fra.txt`).
        url: another source for the archive (a mirror, a `file://` URL or a local path).
        force: replace a corpus file that is already there.
        progress: called with (bytes so far, total bytes or None) as the download proceeds.
        timeout: seconds allowed to connect, and for each read.
        max_bytes: the most the archive may weigh, or unpack to.
        deadline: seconds the whole download may take (a server that trickles bytes in passes no
            per-read timeout); checked after each read, so it may be overrun by one `timeout`.

    Raises:
        FetchError: a bad pair name, a download that failed, a damaged or hostile archive, or an
            existing corpus without `force`.
    """
    site_url = anki_url(pair)  # checks the pair name even with --url: it names the corpus member
    source = _as_url(url) if url else site_url
    dest = _dest_folder(Path(dest))
    _refuse_overwrite(dest / corpus_name(pair), force)  # before downloading; checked again once unpacked
    with tempfile.TemporaryFile() as archive:
        budget = Budget(timeout, max_bytes, deadline, time.monotonic() + deadline)
        downloaded = _download(source, archive, progress, budget, _by_hand(pair, dest))
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


@dataclass(frozen=True)
class Budget:
    """What a download may take: seconds per network step, bytes, and seconds in all (until `ends`, a
    time.monotonic() instant)."""

    timeout: float
    max_bytes: int
    deadline: float
    ends: float


def _download(url: str, out: IO[bytes], progress: Progress | None, budget: Budget, by_hand: str) -> int:
    """Copy `url` into `out`; the number of bytes copied. Network errors end with `by_hand`."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with _open_within(request, min(budget.timeout, budget.deadline)) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if total is not None and total > budget.max_bytes:
                raise FetchError(f"{url}: the archive is {total:,} bytes, over the {budget.max_bytes:,}-byte limit")
            done = _copy_body(response, out, url, progress, total, budget)
    except urllib.error.HTTPError as e:
        raise FetchError(f"{url}: HTTP {e.code} {e.reason}. {by_hand}") from None
    except urllib.error.URLError as e:
        raise FetchError(f"{url}: cannot open it ({_reason(e.reason)}). {by_hand}") from None
    except (OSError, http.client.HTTPException) as e:
        raise FetchError(f"{url}: the download failed ({_reason(e)}). {by_hand}") from None
    if total is not None and done < total:
        raise FetchError(f"{url}: the download was cut short ({done:,} of {total:,} bytes). {by_hand}")
    return done


def _copy_body(response: Any, out: IO[bytes], url: str, progress: Progress | None, total: int | None,
               budget: Budget) -> int:
    """Copy the response's body into `out` within the budget; the bytes copied.

    `read1` returns what one socket read brings: `read(n)` waits until n bytes have come, which a
    server sending two bytes a second stretches past any deadline without ever tripping the timeout.
    """
    read = getattr(response, "read1", response.read)
    done = 0
    while chunk := read(CHUNK):
        done += len(chunk)
        if done > budget.max_bytes:
            raise FetchError(f"{url}: the download passed the {budget.max_bytes:,}-byte limit")
        out.write(chunk)
        if progress:
            progress(done, total)
        if time.monotonic() > budget.ends:
            raise FetchError(f"{url}: the download took more than {budget.deadline:g} s in all ({done:,} bytes "
                             "came); try again later, or from a mirror with --url")
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
    damaged = ("; a site that turns scripts away may send a web page instead. " + _by_hand(pair, dest))
    limits = Limits(total=max_bytes, members=MAX_MEMBERS)
    with SafeZip(archive, url, limits, FetchError, damaged="not a zip archive, or a damaged one",
                 hint=damaged) as zf:
        info = _corpus_member(zf, url, pair)
        target = dest / file_name(info.filename)  # SafeZip refused names with "..", "/", "\\" or controls
        _refuse_overwrite(target, force)
        size = _write(zf.chunks(info.filename), target)
    return info.filename, target, size


def _corpus_member(zf: SafeZip, url: str, pair: str) -> zipfile.ZipInfo:
    """The member holding the pairs (the whole archive was checked as it was opened)."""
    corpora = [i for i in zf.infos if not i.is_dir() and data.is_corpus_name(file_name(i.filename))]
    preferred = [i for i in corpora if file_name(i.filename) == corpus_name(pair)]
    if preferred or len(corpora) == 1:
        return (preferred or corpora)[0]
    names = ", ".join(escape_controls(i.filename) for i in zf.infos) or "nothing"
    raise FetchError(f"{escape_controls(url)}: cannot tell which member is the corpus (the archive holds {names})")


def _write(chunks: Iterable[bytes], target: Path) -> int:
    """Write `chunks` (counted against the limits by SafeZip) to `target` atomically; the bytes written."""
    written = 0
    try:
        with atomic.atomic_path(target) as tmp, tmp.open("wb") as out:
            for chunk in chunks:
                written += len(chunk)
                out.write(chunk)
    except OSError as e:
        raise FetchError(f"{target}: cannot write the corpus ({e.strerror or e})") from None
    return written
