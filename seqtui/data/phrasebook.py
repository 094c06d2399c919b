"""The phrasebook: everyday English sentences, each with every French rendering it has.

The phrasebook (`phrasebook/` at the top of the repository) was written for seqtui to teach its models
what the Tatoeba release they learn from lacks: greetings, everyday phrases and sentences of real length.
Each topic is one UTF-8 file, `topic.tsv`, a line per meaning: `id<TAB>English<TAB>French 1<TAB>French 2...`,
where the French renderings are the forms French has for the one English sentence (tu and vous, a
masculine or feminine speaker or listener, common alternatives).

A tenth of the meanings is held out, chosen by a hash of the id so that adding lines never moves
another meaning in or out: no rendering of a held-out meaning is ever trained on, so scores on them say
how the model does on sentences it has not seen in any form.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from seqtui.data.corpus import Pair, read_lines
from seqtui.data.normalize import FINAL_MARKS, normalize
from seqtui.errors import CorpusError

Direction = Literal["en-fr", "fr-en"]
Part = Literal["train", "test", "all"]

FOLDER = Path(__file__).resolve().parents[2] / "phrasebook"  # the repository's own, in a source checkout
SUFFIX = ".tsv"
CORE = "core.txt"  # the ids of the meanings always trained on
MAX_FILES = 100
MAX_FILE_BYTES = 1_000_000  # the largest topic is a few hundred lines of ~150 characters
MAX_LINE_CHARS = 2000
MAX_FIELDS = 16  # id, English and up to 14 renderings
MAX_SIDE_CHARS = 200  # a sentence, not a paragraph
HELD_OUT_PERCENT = 10
ID_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")  # any control character but the tab


@dataclass(frozen=True)
class Entry:
    """One meaning: its id, the English sentence and its French renderings, and where it was read."""

    id: str
    english: str
    french: tuple[str, ...]
    file: str
    line: int
    held_out: bool = False  # never trained on: see `read_phrasebook`


def is_held_out(entry_id: str) -> bool:
    """Whether the meaning `entry_id` falls in the held-out tenth: a hash of the id alone decides, so the
    choice never depends on the other lines or on the order of the files (the core aside, see
    `read_phrasebook`)."""
    digest = hashlib.sha256(entry_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % 100 < HELD_OUT_PERCENT


def parse_entry(line: str, where: str, number: int) -> Entry:
    """The entry on one phrasebook line.

    Raises:
        CorpusError: one line naming the file and line and what is wrong with it.
    """
    def bad(reason: str) -> CorpusError:
        return CorpusError(f"{where}:{number}: {reason}")

    if len(line) > MAX_LINE_CHARS:
        raise bad(f"line longer than {MAX_LINE_CHARS} characters")
    if CONTROL.search(line):
        raise bad("control character in the line")
    fields = line.split("\t")
    if len(fields) < 3:
        raise bad("expected id<TAB>English<TAB>French (at least one rendering)")
    if len(fields) > MAX_FIELDS:
        raise bad(f"more than {MAX_FIELDS - 2} renderings")
    entry_id, *texts = (normalize(f) for f in fields)
    if not ID_PATTERN.fullmatch(entry_id) or len(entry_id) > 40:
        raise bad("the id must be lower-case letters and digits joined by '-', such as greet-012")
    if any(not t for t in texts):
        raise bad("empty field")
    if any(len(t) > MAX_SIDE_CHARS for t in texts):
        raise bad(f"a sentence longer than {MAX_SIDE_CHARS} characters")
    french = tuple(dict.fromkeys(texts[1:]))
    if len(french) != len(texts) - 1:
        raise bad("the same rendering twice")
    return Entry(entry_id, texts[0], french, where, number)


def topic_files(folder: Path) -> list[Path]:
    """The topic files of the phrasebook folder, sorted by name.

    Raises:
        CorpusError: no such folder, no topic file in it, or too many.
    """
    if not folder.is_dir():
        raise CorpusError(f"{folder}: no phrasebook folder here")
    files = sorted(p for p in folder.iterdir() if p.suffix == SUFFIX and p.is_file())
    if not files:
        raise CorpusError(f"{folder}: no *{SUFFIX} topic files in the phrasebook folder")
    if len(files) > MAX_FILES:
        raise CorpusError(f"{folder}: more than {MAX_FILES} topic files")
    return files


def read_phrasebook(folder: Path | None = None) -> list[Entry]:
    """Every entry of the phrasebook, file by file in name order, line by line.

    Args:
        folder: the phrasebook folder (default: the repository's `phrasebook/`).

    Raises:
        CorpusError: a file too large or unreadable, a malformed line, or an id or English sentence
            that two lines share (either would let one meaning fall on both sides of the split).
    """
    entries: list[Entry] = []
    ids: dict[str, str] = {}
    english: dict[str, str] = {}
    for file in topic_files(folder or FOLDER):
        if file.stat().st_size > MAX_FILE_BYTES:
            raise CorpusError(f"{file}: larger than {MAX_FILE_BYTES} bytes")
        for number, line in enumerate(read_lines(file), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            entry = parse_entry(line, str(file), number)
            here = f"{file.name}:{number}"
            if entry.id in ids:
                raise CorpusError(f"{file}:{number}: id {entry.id} already used at {ids[entry.id]}")
            if entry.english in english:
                raise CorpusError(f"{file}:{number}: English sentence already given at {english[entry.english]}")
            ids[entry.id], english[entry.english] = here, here
            entries.append(entry)
    return _split(entries, read_core(folder or FOLDER, ids))


def read_core(folder: Path, ids: dict[str, str]) -> frozenset[str]:
    """The ids in the folder's `core.txt` (none if it has none): meanings always trained on.

    Raises:
        CorpusError: the file is too large, or names an id no topic file has.
    """
    path = folder / CORE
    if not path.is_file():
        return frozenset()
    if path.stat().st_size > MAX_FILE_BYTES:
        raise CorpusError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    core = set()
    for number, line in enumerate(read_lines(path), start=1):
        entry_id = line.split("\t", 1)[0].strip()
        if entry_id and not entry_id.startswith("#"):
            if entry_id not in ids:
                raise CorpusError(f"{path}:{number}: no meaning has the id {entry_id!r}")
            core.add(entry_id)
    return frozenset(core)


def _split(entries: list[Entry], core: frozenset[str]) -> list[Entry]:
    """`entries` with `held_out` set: the hash's tenth, less every meaning that shares a sentence with the
    core (the core's own included: holding one out would keep the core's sentences out of training)."""
    kept = {loose(s) for e in entries if e.id in core for s in (e.english, *e.french)}
    return [replace(e, held_out=is_held_out(e.id) and not any(loose(s) in kept for s in (e.english, *e.french)))
            for e in entries]


def _in_part(entry: Entry, part: Part) -> bool:
    return part == "all" or entry.held_out == (part == "test")


def pairs(direction: Direction, part: Part = "train", entries: list[Entry] | None = None) -> list[Pair]:
    """(source, target) pairs of one part of the phrasebook, without repeats.

    en-fr gives each French rendering as a target of its English source; fr-en each rendering as a
    source of the English. The training part leaves out every pair that holds a sentence of a held-out
    meaning, even when another meaning shares it ("Bonjour !" renders both "Hello!" and "Good morning!"),
    or has it with other closing marks ("Hello." and "Hello!"): nothing held out is ever seen in training.

    Args:
        direction: "en-fr" or "fr-en".
        part: "train" (the meanings not held out), "test" (the held-out ones) or "all".
        entries: the entries to use (default: `read_phrasebook()`).
    """
    entries = read_phrasebook() if entries is None else entries
    held = _held_out_sentences(entries) if part == "train" else set()
    out: dict[Pair, None] = {}
    for entry in entries:
        if not _in_part(entry, part):
            continue
        for fr in entry.french:
            if loose(entry.english) in held or loose(fr) in held:
                continue
            out[(entry.english, fr) if direction == "en-fr" else (fr, entry.english)] = None
    return list(out)


def without_held_out(corpus_pairs: list[Pair], entries: list[Entry] | None = None) -> list[Pair]:
    """`corpus_pairs` (another corpus, such as Tatoeba's) without any pair that holds a held-out
    phrasebook sentence on either side, closing marks and case aside: common short sentences ("I'm
    full.") are in both, and a model trained on them would be scored on sentences it has seen.

    Args:
        corpus_pairs: (source, target) pairs, in either direction.
        entries: the phrasebook entries (default: `read_phrasebook()`).
    """
    held = _held_out_sentences(read_phrasebook() if entries is None else entries)
    return [p for p in corpus_pairs if loose(p[0]) not in held and loose(p[1]) not in held]


def loose(sentence: str) -> str:
    """A sentence with its case and closing marks ignored: "Hello." and "Hello!" are one sentence to
    the split, so one held out keeps the other out of training too."""
    return sentence.rstrip(FINAL_MARKS + " ").casefold()


def _held_out_sentences(entries: list[Entry]) -> set[str]:
    return {loose(s) for e in entries if e.held_out for s in (e.english, *e.french)}


def references(direction: Direction, part: Part = "test",
               entries: list[Entry] | None = None) -> dict[str, list[str]]:
    """Every reference of each source sentence in one part, for scoring against several references.

    For en-fr, a source's references are all its French renderings; for fr-en, a French source's are
    the English sentences of every meaning that has this rendering (usually one). Sources are in
    phrasebook order; references in the order the phrasebook gives them.
    """
    entries = read_phrasebook() if entries is None else entries
    refs: dict[str, dict[str, None]] = {}
    if direction == "en-fr":
        for entry in entries:
            if _in_part(entry, part):
                refs.setdefault(entry.english, {}).update(dict.fromkeys(entry.french))
        return {s: list(r) for s, r in refs.items()}
    english_of: dict[str, dict[str, None]] = {}
    for entry in entries:
        for fr in entry.french:
            english_of.setdefault(fr, {})[entry.english] = None
    for entry in entries:
        if _in_part(entry, part):
            for fr in entry.french:
                refs.setdefault(fr, english_of[fr])
    return {s: list(r) for s, r in refs.items()}
