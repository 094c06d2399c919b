"""The public Python API, for notebooks and scripts; the CLI and the TUI are built on it.

    >>> import seqtui
    >>> tr = seqtui.load("models")
    >>> tr.translate("Go.")
    'Va !'
    >>> for ch in tr.stream("I'm hungry."): print(ch, end="", flush=True)
    >>> seqtui.train("sequencer.toml", epochs=5, on_event=print)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqtui import config
from seqtui.data import corpus as data
from seqtui.data.vocab import Unknown
from seqtui.decode import limits
from seqtui.decode import text as sentences
from seqtui.decode.decoding import Engine, Result, Settings, Stream, Translation, to_json
from seqtui.events import Listener, TrainingEnded, ignore
from seqtui.store import bundle

LONG_INPUT = 2  # inputs over twice the longest training sentence get a warning


class Translator:
    """A trained model ready to translate, loaded from a bundle without importing TensorFlow."""

    def __init__(self, engine: Engine, model_dir: Path | None = None, settings: Settings | None = None) -> None:
        self.engine = engine
        self.model_dir = model_dir
        self.settings = settings or Settings()
        self.warning = ""  # set when a damaged model.keras was replaced by the last checkpoint
        self.longest_sentence = 0  # the longest sentence of the model's training data (0: unknown)
        self.model = str(model_dir or "")  # which model this is, as predict's files name it
        self.languages = sentences.languages(False)  # (source, target): what it reads and what it writes

    @classmethod
    def open(cls, model_dir: str | Path, settings: Settings | None = None, model: str = "") -> Translator:
        """Load the bundle in `model_dir` (raises BundleError if there is none or it is damaged); `model`
        names it in predict's files (default: the folder, or the shipped model, with how far it is trained)."""
        from seqtui.store import catalog

        b = bundle.load(Path(model_dir))
        translator = cls(b.engine(), b.path, settings)
        translator.warning = b.warning
        translator.longest_sentence = translator.engine.longest_source = b.longest_sentence
        translator.languages = sentences.languages(b.meta.config.reverse)
        translator.engine.language = translator.languages[0]
        translator.model = model or catalog.choose(b.path, str(b.path)).describe()
        return translator

    def stream(self, text: str) -> Iterator[str]:
        """Yield the translation of `text` one character at a time (a text of several sentences is translated
        one sentence at a time, the spacing between them streamed too: see `seqtui.decode.text`)."""
        return self.engine.decode_stream(text, self.settings)

    def pieces(self, text: str) -> Stream:
        """Decode `text` step by step: each character with its probability (and attention), then
        `.result` with the scored hypotheses (see `seqtui.decode.decoding.Engine.stream`)."""
        return self.engine.stream(text, self.settings)

    def decode(self, text: str) -> Result:
        """The scored hypotheses for `text`: `.best.text`, `.best.score`, `.best.probs`, `.nbest`."""
        return self.engine.decode(text, self.settings)

    def to_json(self, text: str, nbest: bool = False, align: bool = False) -> dict[str, Any]:
        """The translation of `text` as the dict `seqtui translate --json` prints: source, text, score, probs,
        ended, unknown; nbest and alignment when asked for (see `seqtui.decode.hypotheses.to_json`)."""
        return to_json(self.decode(text), text, nbest=nbest, align=align)

    def translate(self, text: str) -> str:
        """The translation of `text`."""
        return "".join(self.stream(text))

    def translate_full(self, text: str) -> Translation:
        """The translation of `text` with the unknown characters of the input."""
        return self.engine.translate(text, self.settings)

    def translate_many(self, texts: list[str]) -> list[str]:
        """Translations of many texts: batched greedy (every sentence of every text batched together), or one
        text at a time for beam or sampling."""
        if self.settings.width > 1 or self.settings.temperature > 0 or self.settings.prefix:
            return [self.translate(t) for t in texts]
        return self.engine.translate_batch(texts, max_len=self.settings.max_len)

    def too_long(self, text: str) -> bool:
        """Whether a sentence of `text` is far longer than anything the model was trained on (over LONG_INPUT
        times its longest sentence): such a sentence decodes into a poor translation, cut at the length limit."""
        return bool(self.longest_sentence) and self._longest(text) > LONG_INPUT * self.longest_sentence

    def cut(self, text: str) -> bool:
        """Whether `text` is longer than the model reads of a whole input (`limits.MAX_INPUT_CHARS`), or a
        sentence of it longer than it reads of a sentence (`Engine.source_limit`): the rest is cut before
        anything is done with it."""
        return len(text) > limits.MAX_INPUT_CHARS or self._longest(text) > self.engine.source_limit

    def _longest(self, text: str) -> int:
        return max((len(seg.text) for seg in self.engine.sentences(text)), default=0)

    def length_warning(self, text: str) -> str:
        """What to tell a user about an input that is `too_long`, or cut, or ''."""
        longest, limit = self._longest(text), self.engine.source_limit
        several = len(self.engine.sentences(text)) > 1
        what = "a sentence of the input" if several else "the input"
        if not several and longest > limit:
            return f"{limits.cut_note(len(text), limit)} ({self.reads()})"
        notes = [limits.cut_note(len(text), limits.MAX_INPUT_CHARS)] if len(text) > limits.MAX_INPUT_CHARS else []
        if longest > limit:
            notes.append(f"{what} is {longest:,} characters; only its first {limit:,} are translated "
                         f"({self.reads()})")
        if notes:
            return "; ".join(notes)
        if not self.too_long(text):
            return ""
        return (f"{what} is {longest:,} characters, over {LONG_INPUT}× the longest sentence this model was "
                f"trained on ({self.longest_sentence}); expect a poor translation, and one that stops at "
                f"{self.settings.max_len or self.engine.max_len} characters")

    def reads(self) -> str:
        """How much of a sentence this model reads, and why, in words."""
        longest = f", {self.longest_sentence}," if self.longest_sentence else ""
        return (f"this model reads at most {self.engine.source_limit:,} characters of a sentence: "
                f"{limits.SOURCE_FACTOR}× the longest it was trained on{longest} and never under "
                f"{limits.MIN_SOURCE_CHARS}")

    def unknown(self, text: str) -> list[Unknown]:
        """Characters of `text` the model cannot read even once normalised, with their positions."""
        return self.engine.unknown(text)

    def predict_file(self, path: str | Path, out_dir: str | Path, nbest: int | None = None) -> Predictions:
        """Translate a file of sentences (one per line, or pairs whose second column is a reference) into a
        new `<stem>_<timestamp>.tsv` in `out_dir`, as `seqtui predict` does: an earlier file is never
        replaced. With `nbest`, also the N best hypotheses and their scores."""
        path = Path(path)
        sources, _ = self.oriented(data.read_sources(path), str(path))
        return Predictions(self.predict_sources(sources, out_dir, path.stem, nbest), sources)

    def oriented(self, sources: list[data.Source], name: str) -> tuple[list[data.Source], str]:
        """`sources` read from the file `name` with their reference columns the right way round: a file whose
        lines are target<TAB>source is swapped, and the line returned says so (see
        `seqtui.decode.text.columns`, which raises CorpusError when its lines disagree)."""
        pairs = [(s.text, s.reference) for s in sources if s.reference]
        if not pairs:
            return sources, ""
        swapped, note = sentences.columns(pairs, self.languages, name)
        if swapped:
            sources = [data.Source(s.reference, s.text) if s.reference else s for s in sources]
        return sources, note

    def predict_sources(self, sources: list[data.Source], out_dir: str | Path, stem: str,
                        nbest: int | None = None) -> Path:
        """Translate `sources` into a new `<stem>_<timestamp>.tsv` in `out_dir` (see `predict_file`); each
        source is taken up to its first `limits.MAX_INPUT_CHARS` characters."""
        from seqtui.report.predictions import write_predictions

        sources = _read_inputs(sources)
        return write_predictions(Path(out_dir), stem, sources, *self._hypotheses(sources, nbest), self.model)

    def predictions_text(self, sources: list[data.Source], nbest: int | None = None) -> str:
        """The TSV text `predict_sources` would write (`seqtui predict --output -` prints it)."""
        from seqtui.report.predictions import predictions_tsv

        sources = _read_inputs(sources)
        return predictions_tsv(sources, *self._hypotheses(sources, nbest), self.model)

    def _hypotheses(self, sources: list[data.Source], nbest: int | None) -> tuple[list[str], Any]:
        """The best translation of each source, and the n-best columns when asked for."""
        from seqtui.report.predictions import nbest_columns

        if nbest is None:
            return self.translate_many([s.text for s in sources]), None
        results = [self.decode(s.text) for s in sources]
        return [r.best.text for r in results], nbest_columns(results, nbest)


def _read_inputs(sources: list[data.Source]) -> list[data.Source]:
    """Each source as it is read: up to its first `limits.MAX_INPUT_CHARS` characters."""
    return [data.Source(limits.cut_input(s.text).text, s.reference) for s in sources]


@dataclass(frozen=True)
class Predictions:
    """What `Translator.predict_file` wrote: the new TSV file, and the sentences it read."""

    path: Path
    sources: list[data.Source]


def load(model_dir: str | Path = "models", **settings: Any) -> Translator:
    """Open a trained model: a folder, or a shipped model's name ("en-fr"); `settings` are beam,
    temperature, seed, max_len, nbest, length_penalty and prefix, each in its range
    (`seqtui.decode.settings.BOUNDS`).

    Raises:
        SettingError: a setting out of its range (also a ValueError), before the model is read.
        BundleError: no model there, or a damaged one.
    """
    from seqtui.store import catalog

    path = Path(model_dir)
    if not path.is_dir() and str(model_dir) in catalog.shipped():
        path = catalog.shipped()[str(model_dir)]
    return Translator.open(path, Settings(**settings))


def train(config_path: str | Path | None = None, on_event: Listener = ignore, stop: threading.Event | None = None,
          resume: bool = False, fresh: bool = False, **overrides: Any) -> TrainingEnded:
    """Train from a config file (or the defaults) with `overrides`, reporting events to `on_event`; a resumed
    run keeps its own settings but the epoch target, patience and the like that `overrides` change."""
    from seqtui.train import training

    cfg = config.load(Path(config_path) if config_path else None, overrides)
    return training.train(cfg, on_event, stop=stop, resume=resume, fresh=fresh, flags=overrides)
