"""A run's folder read once, as typed values: what `seqtui.store.resume` decides on and what the trainer
then uses, so no decision rests on a file read at one moment and used as read at another.

Every file goes through `seqtui.store.saved`'s bounded readers. A file that cannot be used is kept as
the `BundleError` its reader raised, and raised only where a decision needs that file: a damaged
config.json does not stop `--fresh`, which discards it, just as it did not when each check read the
file itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Literal, TypeVar

from seqtui.data.vocab import Vocab
from seqtui.errors import BundleError
from seqtui.records import EpochRecord
from seqtui.store import saved
from seqtui.store.saved import CKPT_DIR, CKPT_POINTER, HISTORY, META, MODEL, VOCAB, Checkpoint, Manifest, RunMeta

__all__ = ["Entry", "Found", "Listing", "RunSnapshot", "list_folder", "read_run"]

T = TypeVar("T")
Kind = Literal["file", "folder", "other"]


@dataclass(frozen=True)
class Entry:
    """A name in a folder: a plain file, a folder (neither a link) or anything else (a link, a socket...).
    `shown` is the name as a refusal lists it: a folder's, a link's to one included, ends in '/'."""

    name: str
    kind: Kind
    shown: str


@dataclass(frozen=True)
class Found(Generic[T]):
    """What a reader gave for one file: its value, or the BundleError it raised (`get` raises it then)."""

    value: T | None = None
    error: BundleError | None = None

    def get(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


@dataclass(frozen=True)
class Listing:
    """The folder's names and marks, without reading the run's files: what deciding whose files they are needs.

    Attributes:
        path: the folder.
        kind: what is at `path` ("missing" when nothing is).
        entries: its names, sorted; `checkpoint_entries` those of checkpoint/ when that is a plain folder.
        claimed: seqtui.json marks it as a seqtui run (its other fields aside).
        legacy: a bundle from before the manifest (a vocab.json and config.json in seqtui's format).
        has_model, has_pointer, has_history, has_meta: model.keras, checkpoint/latest.json, history.jsonl,
            config.json are files.
    """

    path: Path
    kind: Kind | Literal["missing"]
    entries: tuple[Entry, ...] = ()
    checkpoint_entries: tuple[Entry, ...] = ()
    claimed: bool = False
    legacy: bool = False
    has_model: bool = False
    has_pointer: bool = False
    has_history: bool = False
    has_meta: bool = False

    @property
    def is_bundle(self) -> bool:
        """Whether the folder carries seqtui's manifest, or is a bundle from before the manifest."""
        return self.claimed or self.legacy

    @property
    def has_run(self) -> bool:
        """Whether there is anything to lose: a model, a checkpoint or a history."""
        return self.has_model or self.has_pointer or self.has_history


@dataclass(frozen=True)
class RunSnapshot:
    """A run's folder as it was read once: its listing and each of its files, typed.

    Attributes:
        listing: the names and marks (see `Listing`).
        found_manifest: seqtui.json (an empty Manifest when there is none).
        found_checkpoint: the latest complete checkpoint (None when there is none).
        found_meta: config.json (its "missing" BundleError when there is none: `listing.has_meta` says).
        found_vocabs: vocab.json's (source, target) vocabularies.
        history: history.jsonl's records (read leniently: a torn line is skipped).
    """

    listing: Listing
    found_manifest: Found[Manifest]
    found_checkpoint: Found[Checkpoint | None]
    found_meta: Found[RunMeta]
    found_vocabs: Found[tuple[Vocab, Vocab]]
    history: tuple[EpochRecord, ...]

    @property
    def path(self) -> Path:
        return self.listing.path

    @property
    def manifest(self) -> Manifest:
        """seqtui.json, checked (its BundleError when it is damaged)."""
        return self.found_manifest.get()

    @property
    def checkpoint(self) -> Checkpoint | None:
        """The latest checkpoint, or None (its BundleError when the pointer is damaged)."""
        return self.found_checkpoint.get()

    @property
    def meta(self) -> RunMeta:
        """config.json, checked (a BundleError naming it when it is missing or damaged)."""
        return self.found_meta.get()

    @property
    def vocabs(self) -> tuple[Vocab, Vocab]:
        """vocab.json's (source, target), checked (a BundleError naming it when it is missing or damaged)."""
        return self.found_vocabs.get()


def list_folder(path: Path) -> Listing:
    """What `path` holds, by name, and the marks that make it a seqtui bundle (nothing is trusted)."""
    path = Path(path)
    if not path.exists():
        return Listing(path, "missing")
    kind: Kind = "folder" if path.is_dir() else _kind(path)  # a link to a folder is the folder named
    if kind != "folder":
        return Listing(path, kind)
    ckpt = path / CKPT_DIR
    claimed = saved.is_claimed(path)
    return Listing(path, kind, _entries(path), _entries(ckpt) if _kind(ckpt) == "folder" else (), claimed,
                   not claimed and _legacy(path), (path / MODEL).is_file(), (ckpt / CKPT_POINTER).is_file(),
                   (path / HISTORY).is_file(), (path / META).is_file())


def read_run(path: Path) -> RunSnapshot:
    """The folder at `path` read once: its listing, then each of its files through `seqtui.store.saved`."""
    listing = list_folder(path)
    path = listing.path
    return RunSnapshot(listing, _found(saved.read_manifest, path), _found(saved.read_checkpoint, path),
                       _found(saved.read_meta, path),
                       _found(saved.read_vocabs, path), tuple(saved.read_history(path)))


def _found(reader: Callable[[Path], T], path: Path) -> Found[T]:
    try:
        return Found(reader(path))
    except BundleError as e:
        return Found(error=e)


def _kind(path: Path) -> Kind:
    if path.is_symlink():
        return "other"
    return "folder" if path.is_dir() else "file" if path.is_file() else "other"


def _entries(folder: Path) -> tuple[Entry, ...]:
    return tuple(Entry(p.name, _kind(p), p.name + ("/" if p.is_dir() else "")) for p in sorted(folder.iterdir()))


def _legacy(path: Path) -> bool:
    vocab, meta = saved.read_json_object(path / VOCAB), saved.read_json_object(path / META)
    return vocab is not None and "reserved" in vocab and meta is not None and "format" in meta


