"""Deterministic stand-ins for the TUI tests: a scripted trainer and a decoding engine that spells a reply.

The scripted trainer speaks the real event protocol (seqtui.events), so the dashboard cannot tell
it from the core trainer; it makes snapshots exact and fast. Pilot tests that need the real thing
use `seqtui.train.training.train` itself.
"""

from __future__ import annotations

import string
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from seqtui import config, events
from seqtui.config import Config
from seqtui.data.vocab import Vocab
from seqtui.decode.decoding import Hypothesis, Piece, Result, Settings, Stream
from seqtui.records import EpochRecord, RunInfo

INFO = RunInfo(data="tiny.txt", train_pairs=32, val_pairs=8, source_vocab=46, target_vocab=54,
               architecture="seq2seq", latent_dim=32, batch_size=8, global_batch_size=8, parameters=15926,
               optimizer="rmsprop", backend="tensorflow", devices=["/device:CPU:0"], replicas=1, skipped="",
               prepare_seconds=0.01, model_dir="/srv/seqtui-demo/models")
LOSSES = [(3.91, 3.70), (3.02, 2.95), (2.41, 2.52), (1.93, 2.31), (1.61, 2.27), (1.40, 2.33)]
SAMPLES = [("Go.", "Va !", "Va !"), ("I see.", "Je comprends.", "Je compris."),
           ("Thanks.", "Merci.", "Merci."), ("Be calm.", "Sois calme.", "Sois came.")]


# The probabilities the fake gives its characters in turn: one of each confidence band.
FAKE_PROBS = (0.97, 0.95, 0.7, 0.99, 0.4, 0.93, 0.2, 0.98)


class FakeEngine:
    """Decodes every sentence as `reply`, one character at a time, like the numpy engine, with fixed
    probabilities, an attention that walks along the source, and n-best variants of the reply."""

    def __init__(self, reply: str = "Je vais bien.", known: str = string.ascii_letters + " '.!?",
                 seconds_per_char: float = 0.0, attention: bool = True) -> None:
        self.reply = reply
        self.source = Vocab(known)
        self.seconds_per_char = seconds_per_char
        self.attention = attention

    def _hypothesis(self, text: str, output: str, rank: int) -> Hypothesis:
        probs = tuple(FAKE_PROBS[(k + rank) % len(FAKE_PROBS)] for k in range(len(output))) + (0.9,)
        attention = None
        if self.attention:
            span = max(1, len(text))
            rows = np.full((len(probs), span), 0.02 / span)
            for k in range(len(probs)):
                rows[k, min(span - 1, k * span // max(1, len(output)))] += 0.98
            attention = rows / rows.sum(axis=1, keepdims=True)
        return Hypothesis(output, probs, True, attention)

    def unknown(self, text: str) -> list:
        """The characters of `text` outside the fake's vocabulary (the real engine also normalises first)."""
        return self.source.unknown(text)

    def stream(self, text: str, settings: Settings | None = None) -> Stream:
        s = settings or Settings()
        reply = s.prefix + self.reply[len(s.prefix):]
        variants = [reply] + [reply.rstrip(".") + suffix for suffix in (" !", " ?", "…", " ...")][: s.nbest - 1]

        def steps() -> Iterator[Piece]:
            if not text:
                return Result([Hypothesis("", (), False)], [])
            hyps = [self._hypothesis(text, v, rank) for rank, v in enumerate(variants)]
            best = hyps[0]
            for k, char in enumerate([*best.text, ""]):
                time.sleep(self.seconds_per_char)
                yield Piece(char, best.probs[k], None if best.attention is None else best.attention[k])
            return Result(hyps, self.source.unknown(text), text)

        return Stream(steps())  # type: ignore[arg-type]

    def decode_stream(self, text: str, settings: Settings | None = None) -> Iterator[str]:
        return (p.char for p in self.stream(text, settings) if p.char)

    def decode(self, text: str, settings: Settings | None = None) -> Result:
        return self.stream(text, settings).finish()


def scripted_trainer(epochs: int = len(LOSSES), batches: int = 4, hold: bool = False) -> Any:
    """A function with `training.train`'s signature that reports a fixed run of `epochs` epochs.

    With `hold`, it then waits (as if in the next epoch) until it is told to stop.
    """

    def train(cfg: Config, listener: events.Listener, stop: threading.Event, pause: threading.Event,
              resume: bool = False, fresh: bool = False, init_from: Any = None) -> events.TrainingEnded:
        listener(events.TrainingStarted(INFO, 1, epochs, batches))
        best: tuple[int, float] | None = None
        for epoch in range(1, epochs + 1):
            loss, val_loss = LOSSES[(epoch - 1) % len(LOSSES)]
            for batch in range(1, batches + 1):
                listener(events.BatchEnded(epoch, batch, batches, loss, 0.1 * epoch, 0.25 * batch, 2400.0))
            improved = best is None or val_loss < best[1]
            best = (epoch, val_loss) if improved else best
            record = EpochRecord(epoch=epoch, loss=loss, accuracy=0.1 * epoch, val_loss=val_loss,
                                 val_accuracy=0.09 * epoch, seconds=1.0, chars_per_second=2400.0, best=improved)
            decoded = [FakeEngine(hyp).decode(source).best for source, _, hyp in SAMPLES]
            listener(events.EpochEnded(record, improved, SAMPLES, FakeEngine(f"époque {epoch}"), decoded))
        assert best is not None
        while hold and not stop.is_set():
            time.sleep(0.02)
        reason = "stopped" if hold else "finished"
        ended = events.TrainingEnded(reason, epochs, best[0], "val_loss", best[1], str(cfg.model_dir))
        listener(ended)
        return ended

    return train


def tiny_config(**overrides: Any) -> Config:
    """TINY_FLAGS on the built-in defaults (not ./sequencer.toml, which may change), plus `overrides`."""
    from conftest import TINY_FLAGS

    return config.merge(Config(), {**TINY_FLAGS, **overrides})


def demo_config(model_dir: Path = Path("/srv/seqtui-demo/models")) -> Config:
    """A config with fixed, absent paths, so screenshots do not depend on a temporary folder."""
    return config.merge(Config(), {"train_dir": Path("/srv/seqtui-demo/tiny.txt"), "model_dir": model_dir,
                              "latent_dim": 32, "embedding_dim": 16, "batch_size": 8, "epochs": len(LOSSES),
                              "num_samples": 0, "patience": 0, "seed": 7})
