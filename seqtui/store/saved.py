"""A saved run read as data: config.json, vocab.json, seqtui.json, the history and the checkpoint pointer.

A run folder may come from anywhere (a download, a colleague, an older or newer seqtui, a hand edit),
so nothing in it is trusted. Each file is read once here into frozen, typed values; the settings are
checked against the config's own field metadata (type, choices, min, max), every other field against
bounds that keep the work it sizes finite (output length, vocabulary, pair and file counts). A file
that cannot be used raises one `BundleError` line naming the file and the field. Every reader of a
saved run in the package goes through this module; `seqtui.store.bundle` and `seqtui.store.rundir`
write the files.

The history is the one lenient reader: a line that is not a record (a torn write) is skipped.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from seqtui import config as config_lib
from seqtui import safe_json
from seqtui.config import Config
from seqtui.data.corpus import MAX_SIDE_CHARS, FileSize, Fingerprint, SplitHash
from seqtui.data.vocab import RESERVED, Vocab
from seqtui.errors import BundleError, SeqtuiError
from seqtui.records import EpochRecord

MODEL, VOCAB, META, HISTORY = "model.keras", "vocab.json", "config.json", "history.jsonl"
SAMPLES, EVALUATION = "samples.json", "evaluation.json"
MANIFEST, KIND = "seqtui.json", "seqtui-run"
CKPT_DIR, CKPT_POINTER = "checkpoint", "latest.json"
FORMAT = 1
JSON_LIMIT = safe_json.MAX_BYTES  # the most any JSON file of a run folder may hold
CKPT_NAME = re.compile(r"ckpt-\d{5}-\d{6}\.keras")
MAX_FILES = 10_000  # corpus files a run lists
MAX_VOCAB = 200_000  # characters on one side (Unicode assigns about 150,000)
MAX_TEXT = 4096  # a name, a path or a credit in a saved file

_FIX = {META: "retrain with `seqtui train --fresh`", VOCAB: "retrain with `seqtui train --fresh`",
        MANIFEST: f"delete {MANIFEST} and seqtui writes a new one", CKPT_POINTER: "start again with --fresh"}


def read_json(path: Path) -> Any:
    """A JSON file of a run folder, within `seqtui.safe_json`'s bounds and JSON_LIMIT bytes.

    Raises:
        OSError: it cannot be opened or read.
        ValueError: (a `safe_json.JsonError`) it is not a regular file, too big, nested too deep, or not JSON.
    """
    return safe_json.load_file(path, JSON_LIMIT)


def read_json_object(path: Path) -> dict[str, Any] | None:
    """The JSON object in `path`, or None when it is missing, unreadable, too big, not JSON or not an object:
    the reader for the files seqtui only looks into (evaluation scores, samples, an old bundle's marks)."""
    try:
        found = read_json(path)
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


# -- the typed values ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """How the run chose its pairs (config.json's `split`): what `seqtui runs` shows."""

    files: tuple[str, ...]
    train_pairs: int
    val_pairs: int
    val_data: str
    val_split: float
    num_samples: int
    sample: str
    reverse: bool


@dataclass(frozen=True)
class RunMeta:
    """config.json: the run's settings, its longest target, and what it was trained on.

    Attributes:
        config: the settings (keys this version does not know are dropped, missing ones are defaults).
        max_target_len: the longest target sentence, in characters (decoding allows twice that).
        data: the fingerprint of the pairs (None for runs from before fingerprints).
        split: how the pairs were chosen (None for runs from before it was recorded).
        max_source_len: the longest source sentence, in characters (0 for runs from before it was kept).
    """

    config: Config
    max_target_len: int
    data: Fingerprint | None = None
    split: Split | None = None
    max_source_len: int = 0

    @property
    def max_len(self) -> int:
        """The longest translation decoding allows: the config's max_output_len, else 2 x longest target."""
        return self.config.max_output_len or 2 * self.max_target_len

    def to_dict(self) -> dict[str, Any]:
        """config.json's content (without `format`, which `bundle.write_meta` adds)."""
        out: dict[str, Any] = {"config": self.config.to_dict(), "max_target_len": self.max_target_len}
        if self.max_source_len:
            out["max_source_len"] = self.max_source_len
        if self.data is not None:
            out["data"] = self.data.to_dict()
        if self.split is not None:
            s = self.split
            out["split"] = {"files": list(s.files), "train_pairs": s.train_pairs, "val_pairs": s.val_pairs,
                            "val_data": s.val_data, "val_split": s.val_split, "num_samples": s.num_samples,
                            "sample": s.sample, "reverse": s.reverse}
        return out


@dataclass(frozen=True)
class Ended:
    """Why a run ended (finished, or stopped early) and after how many epochs."""

    reason: Literal["finished", "early_stopped"]
    epoch: int


@dataclass(frozen=True)
class Comparison:
    """The run's saved model against a shipped one: chrF of greedy translations of the same validation pairs.

    Written into seqtui.json when a training session ends (`seqtui.train.compare`); it speaks for the
    saved model of `epoch` only, the best epoch then. `seqtui.store.catalog.choose` decides by it.
    """

    against: str
    epoch: int
    pairs: int
    chrf: float
    other_chrf: float

    @property
    def wins(self) -> bool:
        return self.chrf > self.other_chrf

    def to_dict(self) -> dict[str, Any]:
        return {"against": self.against, "epoch": self.epoch, "pairs": self.pairs, "chrf": round(self.chrf, 2),
                "other_chrf": round(self.other_chrf, 2)}


@dataclass(frozen=True)
class Manifest:
    """seqtui.json: the mark of a seqtui run and what the run's sessions recorded.

    Attributes:
        ended: set when the run ended; None while it can go on.
        resumes: the epochs after which a later session took over.
        epochs: the epochs the last session was set to reach (a resume may raise config.json's).
        shipped: a model shipped with seqtui (training never writes into it); name and credit say whose.
        compared: how the saved model scored against the shipped one when a session last ended.
    """

    ended: Ended | None = None
    resumes: tuple[int, ...] = ()
    epochs: int | None = None
    shipped: bool = False
    name: str = ""
    credit: str = ""
    compared: Comparison | None = None

    def to_dict(self) -> dict[str, Any]:
        ended = {"reason": self.ended.reason, "epoch": self.ended.epoch} if self.ended else None
        out: dict[str, Any] = {"kind": KIND, "format": FORMAT, "ended": ended, "resumes": list(self.resumes),
                               "epochs": self.epochs}
        if self.shipped:
            out.update(shipped=True, name=self.name, credit=self.credit)
        if self.compared is not None:
            out["compared"] = self.compared.to_dict()
        return out


@dataclass(frozen=True)
class TrainingState:
    """The training state a checkpoint is saved with: what the trainer writes and a resume reads back.

    Attributes:
        epoch, batch: epochs done and, for a mid-epoch checkpoint, the batches of the next one done.
        history: the finished epochs' records at that moment.
        best_epoch: the best epoch so far (None before any).
    """

    epoch: int
    batch: int = 0
    history: tuple[EpochRecord, ...] = ()
    best_epoch: int | None = None

    def pointer(self, file: str) -> dict[str, Any]:
        """checkpoint/latest.json for this state saved in `file` (what `read_checkpoint` reads)."""
        return {"epoch": self.epoch, "batch": self.batch, "history": [r.to_dict() for r in self.history],
                "best_epoch": self.best_epoch, "file": file}


@dataclass(frozen=True, kw_only=True)
class Checkpoint(TrainingState):
    """checkpoint/latest.json: the last complete checkpoint (`path`, always inside checkpoint/) and its state."""

    path: Path


# -- the readers -----------------------------------------------------------------------------------


def read_meta(model_dir: Path) -> RunMeta:
    """config.json, every field checked (BundleError naming the file and the field)."""
    doc = _Doc.load(Path(model_dir) / META)
    doc.format()
    longest = doc.int("max_target_len", 1, MAX_SIDE_CHARS, default=50)  # 50: runs from before it was kept
    return RunMeta(read_config(doc.sub("config")), longest,
                   _fingerprint(doc.sub("data")) if doc.has("data") else None,
                   _split(doc.sub("split")) if doc.has("split") else None,
                   doc.int("max_source_len", 1, MAX_SIDE_CHARS) if doc.has("max_source_len") else 0)


def read_config(doc: _Doc) -> Config:
    """The settings in `doc` as a Config, each checked as the config file's would be."""
    if not isinstance(doc.raw, dict) or not doc.raw:
        raise doc.error("", "records no settings")
    values = {k: v for k, v in doc.raw.items() if k in config_lib.FIELDS}  # a newer version's keys are dropped
    try:
        return config_lib.merge(Config(), values, source=f"{doc.file}: {doc.prefix.rstrip('.')}")
    except SeqtuiError as e:
        raise BundleError(f"{e}; {_FIX[doc.file.name]}") from None


def read_vocabs(model_dir: Path) -> tuple[Vocab, Vocab]:
    """vocab.json's (source, target) vocabularies, checked to be the ones the weights were trained with."""
    doc = _Doc.load(Path(model_dir) / VOCAB)
    doc.format()
    if doc.get("reserved") != list(RESERVED):
        raise doc.error("reserved", f"expected {list(RESERVED)}, the reserved symbols this version uses")
    return _vocab(doc, "source"), _vocab(doc, "target")


def read_manifest(model_dir: Path) -> Manifest:
    """seqtui.json (an empty Manifest when there is none, as in runs from before it existed)."""
    path = Path(model_dir) / MANIFEST
    if not path.exists():
        return Manifest()
    doc = _Doc.load(path)
    if doc.get("kind") != KIND:
        raise doc.error("kind", f"expected {KIND!r}, got {doc.get('kind')!r}")
    doc.format()
    ended = None
    if doc.get("ended") is not None:
        end = doc.sub("ended")
        ended = Ended(end.choice("reason", ("finished", "early_stopped")),  # type: ignore[arg-type]
                      end.int("epoch", 0, config_lib.MAX_EPOCHS))
    resumes = doc.ints("resumes", 0, config_lib.MAX_EPOCHS, limit=config_lib.MAX_EPOCHS)
    epochs = doc.int("epochs", 1, config_lib.MAX_EPOCHS) if doc.get("epochs") is not None else None
    shipped = doc.bool("shipped", default=False)
    compared = _comparison(doc.sub("compared")) if doc.has("compared") else None
    return Manifest(ended, tuple(resumes), epochs, shipped, doc.text("name"), doc.text("credit"), compared)


def is_claimed(model_dir: Path) -> bool:
    """Whether seqtui.json marks the folder as a seqtui run (its other fields aside)."""
    raw = read_json_object(Path(model_dir) / MANIFEST)
    return raw is not None and raw.get("kind") == KIND


def read_history(model_dir: Path) -> list[EpochRecord]:
    """The finished epochs' records; a line that is not a record (a torn write, say) is skipped."""
    path = Path(model_dir) / HISTORY
    if not path.is_file():
        return []
    records = []
    try:
        raw = safe_json.read_bytes(path, JSON_LIMIT)
    except (OSError, ValueError):  # not a file of ours: no history rather than a wrong one
        return []
    for line in raw.decode("utf-8", errors="replace").splitlines():
        try:
            records.append(EpochRecord.from_dict(safe_json.loads(line)))
        except (ValueError, TypeError, AttributeError):  # a torn line, or one too deep to be a record
            continue
    return records


def read_checkpoint(model_dir: Path) -> Checkpoint | None:
    """The latest complete checkpoint, or None when there is none (BundleError when its pointer is damaged)."""
    pointer = Path(model_dir) / CKPT_DIR / CKPT_POINTER
    if not pointer.is_file():
        return None
    doc = _Doc.load(pointer)
    name = doc.get("file")
    if not isinstance(name, str) or not CKPT_NAME.fullmatch(name):  # never a path out of checkpoint/
        raise doc.error("file", f"names {name!r}, not a checkpoint file")
    path = pointer.parent / name
    if not path.is_file():
        raise BundleError(f"{path}: checkpoint file missing; {_FIX[CKPT_POINTER]}")
    epoch = doc.int("epoch", 0, config_lib.MAX_EPOCHS)
    history = tuple(_record(doc, i, raw) for i, raw in enumerate(doc.list("history", config_lib.MAX_EPOCHS)))
    best = doc.int("best_epoch", 1, config_lib.MAX_EPOCHS) if doc.get("best_epoch") is not None else None
    return Checkpoint(epoch=epoch, batch=doc.int("batch", 0, config_lib.MAX_COUNT, default=0), history=history,
                      best_epoch=best, path=path)


# -- the checks ------------------------------------------------------------------------------------


class _Doc:
    """A JSON object from one file, with checked getters whose errors name the file and the field."""

    def __init__(self, file: Path, raw: Any, prefix: str = "") -> None:
        self.file, self.raw, self.prefix = file, raw, prefix

    @classmethod
    def load(cls, path: Path) -> _Doc:
        try:
            raw = read_json(path)
        except FileNotFoundError:
            raise BundleError(f"{path}: missing from the model folder; {_FIX[path.name]}") from None
        except (OSError, ValueError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            raise BundleError(f"{path}: cannot be read ({reason.splitlines()[0][:200]}); {_FIX[path.name]}") from None
        doc = cls(path, raw)
        if not isinstance(raw, dict):
            raise doc.error("", f"expected a JSON object, got {type(raw).__name__}")
        return doc

    def error(self, key: str, problem: str) -> BundleError:
        field = (self.prefix + key).rstrip(".")
        where = f"{self.file}: {field}" if field else str(self.file)
        return BundleError(f"{where}: {problem}; {_FIX[self.file.name]}")

    def has(self, key: str) -> bool:
        return self.get(key) is not None

    def get(self, key: str) -> Any:
        return self.raw.get(key) if isinstance(self.raw, dict) else None

    def sub(self, key: str) -> _Doc:
        value = self.get(key)
        if not isinstance(value, dict):
            raise self.error(key, f"expected an object, got {_shown(value)}")
        return _Doc(self.file, value, f"{self.prefix}{key}.")

    def format(self) -> None:
        found = self.get("format")
        if isinstance(found, int) and not isinstance(found, bool) and found > FORMAT:
            raise self.error("format", f"written by a newer seqtui (format {found}; this one reads {FORMAT}): "
                                       "upgrade seqtui")
        self.int("format", 1, FORMAT, default=FORMAT)  # files from before it was written are this format

    def int(self, key: str, lo: int, hi: int, default: int | None = None) -> int:
        value = self.get(key)
        if value is None and default is not None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"expected a whole number, got {_shown(value)}")
        if not lo <= value <= hi:
            raise self.error(key, f"must be between {lo:,} and {hi:,}, got {value:,}")
        return value

    def float(self, key: str, lo: float, hi: float) -> float:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            raise self.error(key, f"expected a number between {lo} and {hi}, got {_shown(value)}")
        return float(value)

    def bool(self, key: str, default: bool | None = None) -> bool:
        value = self.get(key)
        if value is None and default is not None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {_shown(value)}")
        return value

    def text(self, key: str, default: str = "") -> str:
        value = self.get(key)
        if value is None:
            return default
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise self.error(key, f"expected a text of at most {MAX_TEXT} characters, got {_shown(value)}")
        return value

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.get(key)
        if value not in choices:
            raise self.error(key, f"expected one of {', '.join(choices)}, got {_shown(value)}")
        return str(value)

    def list(self, key: str, limit: builtins.int) -> builtins.list[Any]:
        value = self.get(key)
        if not isinstance(value, list):
            raise self.error(key, f"expected a list, got {_shown(value)}")
        if len(value) > limit:
            raise self.error(key, f"holds {len(value):,} entries, more than the {limit:,} allowed")
        return value

    def ints(self, key: str, lo: builtins.int, hi: builtins.int, limit: builtins.int) -> builtins.list[builtins.int]:
        if self.get(key) is None:
            return []
        out = []
        for i, v in enumerate(self.list(key, limit)):
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise self.error(f"{key}[{i}]", f"expected a whole number from {lo:,} to {hi:,}, got {_shown(v)}")
            out.append(v)
        return out

    def texts(self, key: str, limit: builtins.int) -> builtins.list[str]:
        out = []
        for i, v in enumerate(self.list(key, limit)):
            if not isinstance(v, str) or len(v) > MAX_TEXT:
                raise self.error(f"{key}[{i}]", f"expected a text of at most {MAX_TEXT} characters, got {_shown(v)}")
            out.append(v)
        return out


def _shown(value: Any) -> str:
    """A value for an error line: short, and its type when it is not a plain scalar."""
    if isinstance(value, dict | list):
        return f"a {'JSON object' if isinstance(value, dict) else 'list'}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _fingerprint(doc: _Doc) -> Fingerprint:
    files = []
    for i, _ in enumerate(doc.list("files", MAX_FILES)):
        entry = _Doc(doc.file, doc.get("files")[i], f"{doc.prefix}files[{i}].")
        if not isinstance(entry.raw, dict):
            raise doc.error(f"files[{i}]", f"expected an object, got {_shown(entry.raw)}")
        files.append(FileSize(entry.text("path"), entry.int("size", -1, 2**63 - 1)))
    return Fingerprint(tuple(files), _split_hash(doc, "train"), _split_hash(doc, "val"))


def _split_hash(doc: _Doc, key: str) -> SplitHash:
    sub = doc.sub(key)
    digest = sub.get("sha256")
    if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise sub.error("sha256", f"expected 64 hex digits, got {_shown(digest)}")
    return SplitHash(sub.int("pairs", 0, config_lib.MAX_COUNT), digest)


def _comparison(doc: _Doc) -> Comparison:
    return Comparison(doc.text("against"), doc.int("epoch", 1, config_lib.MAX_EPOCHS),
                      doc.int("pairs", 1, config_lib.MAX_COUNT), doc.float("chrf", 0.0, 100.0),
                      doc.float("other_chrf", 0.0, 100.0))


def _split(doc: _Doc) -> Split:
    return Split(tuple(doc.texts("files", MAX_FILES)), doc.int("train_pairs", 0, config_lib.MAX_COUNT),
                 doc.int("val_pairs", 0, config_lib.MAX_COUNT), doc.text("val_data"),
                 doc.float("val_split", 0.0, 1.0), doc.int("num_samples", 0, config_lib.MAX_COUNT),
                 doc.choice("sample", config_lib.SAMPLINGS), doc.bool("reverse"))


def _vocab(doc: _Doc, side: str) -> Vocab:
    chars = doc.list(side, MAX_VOCAB)
    for i, c in enumerate(chars):
        if not isinstance(c, str) or len(c) != 1:
            raise doc.error(f"{side}[{i}]", f"expected one character, got {_shown(c)}")
    if chars != sorted(set(chars)):  # ids follow this order: reordered or repeated, they would not be the model's
        raise doc.error(side, "the characters are not in id order, or repeat one")
    return Vocab(chars)


def _record(doc: _Doc, i: int, raw: Any) -> EpochRecord:
    try:
        return EpochRecord.from_dict(raw)
    except (TypeError, ValueError) as e:
        raise doc.error(f"history[{i}]", str(e)) from None
