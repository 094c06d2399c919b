"""Several sentences typed as one input: translated as users run it (split into sentences) and whole.

    python bench/joined.py [MODEL ...] [--pairs 600]

The test block of the shared corpus (lines 8,001-10,000, never trained on) is cut into runs of two and of
three consecutive pairs; each run's sources are joined with a space into one input, its references
likewise. Each input is translated three ways, greedy:
- one at a time: every sentence alone, the translations joined (what a joined input should match);
- split: the joined input as every entry point translates it (split into sentences);
- whole: the joined input decoded as one sentence (the segmenter off), which shows what the joined-pairs
  augmentation (`concat_rate`) taught the model.
chrF of each against the joined references; MODEL is a shipped name or a run folder (default en-fr).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import FRA, machine, require_shared, table  # noqa: E402

TEST = (8000, 10000)


def groups(pairs: list[tuple[str, str]], size: int, limit: int) -> list[list[tuple[str, str]]]:
    """Consecutive runs of `size` pairs, at most `limit` pairs in all."""
    chosen = pairs[:limit - limit % size]
    return [chosen[i:i + size] for i in range(0, len(chosen), size)]


def unsplit(engine: object, texts: list[str]) -> list[str]:
    """Greedy translations of `texts`, each read as one sentence (the engine itself would split them)."""
    from seqtui.decode import search

    rows = [engine.source.encode(engine.source_of(t)) for t in texts]  # type: ignore[attr-defined]
    return search.greedy_rows(engine.net, engine.target, rows, engine.max_len)  # type: ignore[attr-defined]


def score(model: str, limit: int) -> list[tuple[str, ...]]:
    import sacrebleu

    import seqtui
    from seqtui.data.sentences import join, split
    from seqtui.store import saved

    tr = seqtui.load(model)
    reverse = saved.read_meta(Path(tr.model_dir or model)).config.reverse
    lines = FRA.read_text(encoding="utf-8").splitlines()[TEST[0]:TEST[1]]
    pairs = [(fr, en) if reverse else (en, fr) for en, fr in (line.split("\t")[:2] for line in lines)]
    lang = "fr" if reverse else "en"
    rows = []
    for size in (1, 2, 3):
        runs = groups(pairs, size, limit)
        sources = [" ".join(s for s, _ in run) for run in runs]
        refs = [" ".join(t for _, t in run) for run in runs]
        alone = tr.engine.translate_batch([s for run in runs for s, _ in run])
        one_at_a_time = [" ".join(alone[i * size:(i + 1) * size]) for i in range(len(runs))]
        segments = [split(s, lang) for s in sources]
        pieces = tr.engine.translate_batch([seg.text for segs in segments for seg in segs])
        split_hyps, at = [], 0
        for segs in segments:
            split_hyps.append(join(segs, pieces[at:at + len(segs)]))
            at += len(segs)
        whole = unsplit(tr.engine, sources)
        rows.append((model, str(size), str(len(runs)),
                     *(f"{sacrebleu.corpus_chrf(h, [refs]).score:.2f}" for h in (one_at_a_time, split_hyps, whole))))
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="*", default=["en-fr"])
    p.add_argument("--pairs", type=int, default=600, help="test pairs used for each size (default 600)")
    a = p.parse_args()
    require_shared()
    rows = [row for model in a.models for row in score(model, a.pairs)]
    print(f"Test-block sentences joined into one input, greedy chrF ({machine()})\n")
    print(table(rows, ("model", "sentences an input", "inputs", "one at a time", "split", "whole")))


if __name__ == "__main__":
    main()
