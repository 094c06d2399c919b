"""A model scored on the phrasebook's held-out meanings, against every rendering they have.

    python bench/phrasebook.py [MODEL ...] [--beam 1 4]

MODEL is a shipped name (en-fr, fr-en) or a run folder (default: both shipped models). Each model is
scored in its own direction on the held-out tenth of `phrasebook/` (never trained on, in any form):
chrF and BLEU with all the references of each source (sacrebleu's several reference streams), on every
held-out source and on those over 30 characters, which the Tatoeba release the models learn from has
none of. Prints one table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, table  # noqa: E402

LONG = 30  # the longest English sentence of the shared corpus


def score(model: str, beam: int) -> list[tuple[str, ...]]:
    import seqtui
    from seqtui.data import phrasebook
    from seqtui.report.evaluation import multi_reference_scores
    from seqtui.store import saved

    tr = seqtui.load(model, beam=beam)
    direction = "fr-en" if saved.read_meta(Path(tr.model_dir or model)).config.reverse else "en-fr"
    refs = phrasebook.references(direction, "test")  # type: ignore[arg-type]
    rows = []
    t0 = time.perf_counter()
    hyps = dict(zip(refs, tr.translate_many(list(refs)), strict=True))
    wall = time.perf_counter() - t0
    for label, chosen in (("all", list(refs)), (f"over {LONG} chars", [s for s in refs if len(s) > LONG])):
        chrf, bleu = multi_reference_scores([hyps[s] for s in chosen], [refs[s] for s in chosen])
        rows.append((model, direction, f"beam {beam}" if beam > 1 else "greedy", label, str(len(chosen)),
                     f"{chrf:.2f}", f"{bleu:.2f}", f"{wall:.1f}"))
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="*", default=["en-fr", "fr-en"])
    p.add_argument("--beam", type=int, nargs="+", default=[1, 4])
    a = p.parse_args()
    rows = [row for model in a.models for beam in a.beam for row in score(model, beam)]
    print(f"The phrasebook's held-out meanings, every rendering a reference ({machine()})\n")
    print(table(rows, ("model", "direction", "search", "sources", "n", "chrF", "BLEU", "decode s")))


if __name__ == "__main__":
    main()
