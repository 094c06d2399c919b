"""The weights file of a `.keras` model (HDF5), checked whole before any of its arrays is read.

Reading a dataset makes HDF5 allocate what the dataset declares and inflate what its chunks hold, so a
file of a few kilobytes can hold a gzip-chunked array that declares gigabytes. Before the numpy reader
or Keras reads anything, every link in the file is walked (metadata only, no data): only links to
objects of this file (no soft or external links), only groups and datasets, each dataset numeric, kept
in this file (no external or virtual storage), unfiltered (a compressed chunk inflates to whatever its
stream holds, whatever the chunk declares: neither seqtui nor Keras compresses inside the file, the zip
does), and all of them together declaring no more than the budget.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seqtui.errors import BundleError
from seqtui.safe_text import escape_controls

MAX_OBJECTS = 10_000  # a seqtui model with its optimizer's state holds about a hundred
_NUMBERS = "fiub"  # dtype kinds: float (weights), int and uint (the optimizer's step count), bool


def check_weights(path: Path, member: str, h5: Any, budget: int) -> None:
    """Refuse an open HDF5 file (h5py.File) whose arrays could be anything but numbers of this file
    within `budget` bytes, before any array is read.

    Args:
        path: the model file, as messages name it.
        member: the weights file's name inside it.
        h5: the open weights file.
        budget: the most bytes all the datasets may declare together.

    Raises:
        BundleError: a link, an external, virtual, filtered or non-numeric dataset, too many objects,
            or arrays declaring more than `budget`.
    """
    import h5py

    links: list[tuple[str, Any]] = []

    def collect(name: str, link: Any) -> bool | None:
        # Only collected here: an exception raised inside h5py's visitor does not come back out cleanly.
        links.append((name, link))
        return True if len(links) > MAX_OBJECTS else None  # anything but None stops the walk

    h5.visititems_links(collect)
    if len(links) > MAX_OBJECTS:
        raise _refused(path, member, f"holds more than {MAX_OBJECTS:,} objects")
    left = budget
    for name, link in links:
        if not isinstance(link, h5py.HardLink):
            raise _refused(path, member, f"links {_shown('/' + name)} to another place ({type(link).__name__})")
        item = h5[name]
        if isinstance(item, h5py.Dataset):
            left -= _declared_bytes(path, member, item)
            if left < 0:
                raise BundleError(f"{path}: {member}'s arrays are larger than {budget / (1 << 20):g} MiB, more than "
                                  "any seqtui model holds; refusing to read them")
            _check_storage(path, member, item)
        elif not isinstance(item, h5py.Group):
            raise _refused(path, member, f"holds {_shown('/' + name)}, an HDF5 {type(item).__name__}")


def _declared_bytes(path: Path, member: str, dataset: Any) -> int:
    """What reading `dataset` allocates: its shape, or its chunk if larger (a chunk may exceed a
    resizable dataset's shape), times its item size. Read from metadata only."""
    if dataset.shape is None or dataset.dtype.kind not in _NUMBERS or dataset.dtype.subdtype is not None:
        raise BundleError(f"{path}: the model file is damaged: {member}'s {_shown(dataset.name)} holds "
                          f"{escape_controls(str(dataset.dtype))} values, not numbers; not a seqtui model")
    cells = max(_product(dataset.shape), _product(dataset.chunks or ()))
    return cells * int(dataset.dtype.itemsize)


def _check_storage(path: Path, member: str, dataset: Any) -> None:
    if dataset.external or dataset.is_virtual:
        raise BundleError(f"{path}: {member} keeps {_shown(dataset.name)} in files outside the model file, "
                          "which seqtui refuses to read")
    filters = dataset.id.get_create_plist().get_nfilters()
    if filters:
        raise _refused(path, member, f"compresses {_shown(dataset.name)} inside the file "
                       f"({escape_controls(str(dataset.compression or 'a filter'))}), which neither seqtui nor "
                       "Keras does: a compressed chunk inflates past what it declares")


def _product(shape: tuple[int, ...]) -> int:
    out = 1
    for n in shape:
        out *= int(n)
    return out


def _refused(path: Path, member: str, what: str) -> BundleError:
    return BundleError(f"{path}: {member} {what}, which seqtui refuses to read: not a seqtui model")


def _shown(name: str, width: int = 80) -> str:
    text = escape_controls(name)
    return text if len(text) <= width else text[: width - 1] + "…"
