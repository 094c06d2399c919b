"""Reading corpora of sentence pairs and choosing the training and validation splits.

A corpus line is `source<TAB>target`, optionally followed by more tab-separated columns (the current
Tatoeba release adds an attribution column), which are ignored. Both sides are normalised as every
input to a model is (`seqtui.data.normalize`). Files are UTF-8 with or without a
BOM, with LF or CRLF line ends; blank lines are skipped; malformed lines are skipped and reported.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqtui.data.normalize import normalize
from seqtui.errors import CorpusError

CORPUS_SUFFIXES = (".txt", ".tsv")
SAMPLE_NAME = "en-fr.tsv"  # the 947 pairs shipped in training_files/, enough to try seqtui, not to learn French
NEWLINE = b"\n"
MAX_SIDE_CHARS = 1000  # a longer "sentence" is junk for a character model, and would blow up a batch
# A side longer than this as written is skipped before it is normalised, so a junk line costs no more
# than a long sentence. Normalising shortens a side only by runs of whitespace and decomposed accents: a
# real sentence within MAX_SIDE_CHARS once normalised is never twice as long as written.
MAX_RAW_SIDE_CHARS = 2 * MAX_SIDE_CHARS

Pair = tuple[str, str]


@dataclass(frozen=True)
class Skipped:
    """A line that was not taken, and why."""

    file: Path
    line: int
    reason: str


@dataclass
class Corpus:
    """Pairs read from one or more files, with the lines that were skipped."""

    pairs: list[Pair] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def skipped_summary(self, first: int = 5) -> str:
        """One line such as '3 malformed lines skipped (fra.txt:4 no tab, ...)', or ''."""
        if not self.skipped:
            return ""
        shown = ", ".join(f"{s.file.name}:{s.line} {s.reason}" for s in self.skipped[:first])
        more = ", ..." if len(self.skipped) > first else ""
        n = len(self.skipped)
        return f"{n} malformed line{'s' if n != 1 else ''} skipped ({shown}{more})"


def is_corpus_name(name: str) -> bool:
    """Whether a file of this name holds pairs: *.txt or *.tsv, except names starting with '_'
    (such as Tatoeba's `_about.txt`)."""
    return Path(name).suffix.lower() in CORPUS_SUFFIXES and not name.startswith("_")


def corpus_files(path: Path, setting: str = "") -> list[Path]:
    """The corpus files at `path`: the file itself, or every corpus file (is_corpus_name) in the folder.

    `setting` names where the path came from, in the caller's words ("--input, or predict_in in
    sequencer.toml"), for the error when there is nothing there; a path the user typed needs none.
    """
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.exists():
        raise CorpusError(f"{path}: no such file or folder" + (f" (set {setting})" if setting else ""))
    if not path.is_dir():
        raise CorpusError(f"{path}: not a file or folder")
    files = sorted(p for p in path.iterdir() if is_corpus_name(p.name) and p.is_file())
    if not files:
        raise CorpusError(f"{path}: no *.txt or *.tsv corpus files in this folder")
    return files


def read_lines(path: Path) -> list[str]:
    """The decoded lines of a UTF-8 text file (BOM and CR removed).

    Raises:
        CorpusError: the file cannot be read, or holds bytes that are not UTF-8 (names the line).
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise CorpusError(f"{path}: cannot read ({e.strerror or e})") from None
    return split_lines(decode_utf8(raw, str(path)))


def numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(number from 1, line) for each line of a UTF-8 text file, decoded as `read_lines` decodes them but
    one at a time, so a reader that stops early reads no further.

    Raises:
        CorpusError: as `read_lines` does.
    """
    try:
        with Path(path).open("rb") as f:
            offset = 0
            for number, raw in enumerate(f, start=1):
                line = decode_utf8(raw, str(path), number, offset)
                offset += len(raw)
                yield number, line.removesuffix("\n").removesuffix("\r")
    except OSError as e:
        raise CorpusError(f"{path}: cannot read ({e.strerror or e})") from None


def decode_utf8(raw: bytes, where: str, line: int | None = 1, offset: int = 0) -> str:
    """`raw` as text, strictly UTF-8 (a BOM at the very start dropped): every input seqtui reads, a file,
    stdin or an argument, fails the same way on bytes that are not UTF-8, instead of translating them.

    Args:
        raw: the bytes.
        where: what they are, for the error: a path, "<stdin>", "argument 2".
        line: the line `raw` starts on (None: no line numbers, as for an argument).
        offset: how many bytes of the same input came before `raw`.

    Raises:
        CorpusError: names where, the line and the byte.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        at = "" if line is None else f":{line + raw[: e.start].count(NEWLINE)}"
        raise CorpusError(f"{where}{at}: bytes that are not UTF-8 (byte {offset + e.start}); "
                          "re-encode it as UTF-8") from None
    return text.removeprefix("\ufeff") if offset == 0 else text


def split_lines(text: str) -> list[str]:
    """The lines of `text`, LF or CRLF, without a last empty line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def parse_pair(line: str) -> Pair | str:
    """The (source, target) of a corpus line, or the reason it is malformed."""
    if "\x00" in line:
        return "binary data"
    cols = line.split("\t")
    if len(cols) < 2:
        return "no tab"
    if len(cols[0]) > MAX_RAW_SIDE_CHARS or len(cols[1]) > MAX_RAW_SIDE_CHARS:
        return f"longer than {MAX_SIDE_CHARS} characters"
    source, target = normalize(cols[0]), normalize(cols[1])
    if not source or not target:
        return "empty side"
    if len(source) > MAX_SIDE_CHARS or len(target) > MAX_SIDE_CHARS:
        return f"longer than {MAX_SIDE_CHARS} characters"
    return source, target


def read_corpus(path: Path, limit: int = 0, setting: str = "") -> Corpus:
    """Read every pair at `path` (a file or a folder of files), in file order.

    Args:
        path: a corpus file or folder.
        limit: stop after this many pairs (0: read everything); no file is read further than that.
        setting: where `path` came from, for the error when it does not exist (see `corpus_files`).

    Raises:
        CorpusError: missing folder, no corpus files, undecodable bytes, or a file with no pair.
    """
    corpus = Corpus()
    for file in corpus_files(path, setting):
        corpus.files.append(file)
        before = len(corpus.pairs)
        for number, line in numbered_lines(file):
            if not line.strip():
                continue
            parsed = parse_pair(line)
            if isinstance(parsed, str):
                corpus.skipped.append(Skipped(file, number, parsed))
                continue
            corpus.pairs.append(parsed)
            if limit and len(corpus.pairs) >= limit:
                return corpus
        if len(corpus.pairs) == before:
            raise CorpusError(f"{file}: no 'source<TAB>target' pair in this file{_why_none(corpus.skipped, file)}")
    return corpus


def _why_none(skipped: list[Skipped], file: Path) -> str:
    """' (no tab on line 1, the first of 3 malformed lines)': the file's first bad line, and how many."""
    mine = [s for s in skipped if s.file == file]
    if not mine:
        return ""
    more = f", the first of {len(mine):,} malformed lines" if len(mine) > 1 else ""
    return f" ({mine[0].reason} on line {mine[0].line}{more})"


def select(pairs: list[Pair], num_samples: int, sample: str = "first", seed: int = 0,
           reverse: bool = False) -> list[Pair]:
    """The pairs a run trains on: the first `num_samples` or a seeded random sample (file order kept)."""
    if num_samples and num_samples < len(pairs):
        if sample == "random":
            keep = sorted(random.Random(seed).sample(range(len(pairs)), num_samples))
            pairs = [pairs[i] for i in keep]
        else:
            pairs = pairs[:num_samples]
    if reverse:
        pairs = [(t, s) for s, t in pairs]
    return pairs


def split(pairs: list[Pair], val_split: float) -> tuple[list[Pair], list[Pair]]:
    """Hold out the last `val_split` of the pairs for validation, as Keras' validation_split does."""
    n_val = int(len(pairs) * val_split)
    if len(pairs) - n_val < 1:
        raise CorpusError(f"only {len(pairs)} pairs: too few to hold out val_split={val_split}")
    return pairs[: len(pairs) - n_val], pairs[len(pairs) - n_val:]


@dataclass(frozen=True)
class Source:
    """One sentence to translate, with the reference translation when the input had one."""

    text: str
    reference: str | None = None


def read_sources(path: Path) -> list[Source]:
    """Sentences to translate from a file: one per line, or pairs whose second column is a reference."""
    return parse_sources(read_lines(path))


def parse_sources(lines: list[str]) -> list[Source]:
    """Sentences to translate from lines of text (blank lines skipped; a second column is a reference)."""
    sources = []
    for line in lines:
        if not line.strip():
            continue
        cols = line.split("\t")
        ref = cols[1].strip() if len(cols) > 1 and cols[1].strip() else None
        sources.append(Source(cols[0].strip(), ref))
    return sources


def sample_only(train_dir: Path) -> bool:
    """Whether train_dir holds nothing but the shipped sample corpus."""
    try:
        return [f.name for f in corpus_files(train_dir)] == [SAMPLE_NAME]
    except CorpusError:
        return False


@dataclass(frozen=True)
class FileSize:
    """A corpus file a run read, and its size in bytes then (-1: it could not be read)."""

    path: str
    size: int


@dataclass(frozen=True)
class SplitHash:
    """One split's pair count and the sha256 of its pairs, in order."""

    pairs: int
    sha256: str


@dataclass(frozen=True)
class Fingerprint:
    """What a run was trained on: its files (with sizes) and a hash of each split's pairs."""

    files: tuple[FileSize, ...]
    train: SplitHash | None
    val: SplitHash | None

    def split(self, name: str) -> SplitHash | None:
        return self.train if name == "train" else self.val

    def to_dict(self) -> dict[str, Any]:
        return {"files": [{"path": f.path, "size": f.size} for f in self.files],
                "train": _hash_dict(self.train), "val": _hash_dict(self.val)}


def _hash_dict(h: SplitHash | None) -> dict[str, Any] | None:
    return None if h is None else {"pairs": h.pairs, "sha256": h.sha256}


def fingerprint(files: list[Path], train: list[Pair], val: list[Pair]) -> Fingerprint:
    """The fingerprint of the pairs read from `files` and split into `train` and `val`."""
    def digest(pairs: list[Pair]) -> SplitHash:
        h = hashlib.sha256()
        for s, t in pairs:
            h.update(f"{s}\t{t}\n".encode())
        return SplitHash(len(pairs), h.hexdigest())

    return Fingerprint(tuple(FileSize(str(f), _size(f)) for f in files), digest(train), digest(val))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def data_change(saved: Fingerprint, now: Fingerprint, splits: tuple[str, ...] = ("train", "val")) -> str:
    """How the data differs from what a run recorded ('' when the chosen splits hold the same pairs)."""
    changed = [s for s in splits if saved.split(s) != now.split(s)]
    if not changed:
        return ""
    before = {f.path: f.size for f in saved.files}
    after = {f.path: f.size for f in now.files}
    notes = [f"{Path(p).name} is new" for p in after if p not in before]
    notes += [f"{Path(p).name} is gone" for p in before if p not in after]
    notes += [f"{Path(p).name} changed ({before[p]:,} → {after[p]:,} bytes)" for p in after
              if p in before and before[p] != after[p]]
    for s in changed:
        was, got = saved.split(s), now.split(s)
        was_n, got_n = was.pairs if was else 0, got.pairs if got else 0
        notes.append(f"the {s} split holds {was_n:,} → {got_n:,} pairs" if was_n != got_n
                     else f"the {s} split holds other pairs ({got_n:,}, as before)")
    return "; ".join(notes)
