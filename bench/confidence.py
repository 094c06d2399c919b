"""Where to flag a translation as unsure, and where to hint that an input is in the other language.

    python bench/confidence.py [--lines 8001-10000] [--beam 1] [--limit 0]

Unsure: each English side of lines 8,001-10,000 of ../shared/data/fra-eng/fra.txt (no shipped model trained
on them) is translated by the shipped en-fr model; its translation's mean log-probability per symbol (the
hypothesis's `score` over its symbols, end included) is set against its chrF to the reference. For each
threshold the table gives how many answers fall under it (flagged), the part of those that are far from
their reference (chrF under 30: a flag worth raising), and the part of the good answers (chrF 60 or more)
that are flagged (a flag that cries wolf).

Language hint: both sides of the same lines, each detected between English and French; for each confidence
and minimum length, the part of the English texts told "French" (a wrong hint to an en-fr user) and of the
French texts (the hints given when they are due), then the same for an fr-en user.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import FRA, corpus_block, machine, require_shared, table  # noqa: E402

FAR, GOOD = 30.0, 60.0  # chrF under FAR: a bad answer; FAR..GOOD: middling; GOOD and over: a good one
THRESHOLDS = (-0.05, -0.1, -0.15, -0.2, -0.25, -0.3, -0.4, -0.5)
CONFIDENCES = (0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
LENGTHS = (1, 5, 8, 10, 15, 20)


def scored(pairs: list[tuple[str, str]], beam: int) -> list[tuple[float, float]]:
    """(mean log-probability, chrF) of the shipped en-fr model's answer to each English side."""
    import sacrebleu

    from seqtui.decode import text
    from seqtui.decode.settings import Settings
    from seqtui.store import bundle, catalog

    engine = bundle.load(catalog.shipped()["en-fr"]).engine()
    settings = Settings(beam=beam)
    out = []
    for english, french in pairs:
        best = engine.decode(english, settings).best
        out.append((text.mean_logprob(best), sacrebleu.sentence_chrf(best.text, [french]).score))
    return out


def unsure_table(rows: list[tuple[float, float]]) -> str:
    good = sum(c >= GOOD for _, c in rows)
    far = sum(c < FAR for _, c in rows)
    lines = []
    for t in THRESHOLDS:
        flagged = [c for m, c in rows if m < t]
        bad = sum(c < FAR for c in flagged)
        lines.append((f"{t:g}", f"{len(flagged)} ({len(flagged) / len(rows):.0%})",
                      f"{bad / max(1, len(flagged)):.0%}", f"{bad / max(1, far):.0%}",
                      f"{sum(c >= GOOD for c in flagged) / max(1, good):.0%}"))
    head = ("mean log-prob under", "flagged", f"of them chrF < {FAR:g}", f"of all chrF < {FAR:g}",
            f"of chrF >= {GOOD:g} flagged")
    return (f"{len(rows)} answers: {far} with chrF < {FAR:g}, {good} with chrF >= {GOOD:g}\n\n"
            + table(lines, head))


def hint_table(pairs: list[tuple[str, str]]) -> str:
    from seqtui.data.language import detect

    sides = [(e, detect(e, ("en", "fr"))) for e, _ in pairs], [(f, detect(f, ("en", "fr"))) for _, f in pairs]
    lines = []
    for length in LENGTHS:
        for conf in CONFIDENCES:
            shares = []
            for told in ("fr", "en"):
                for side in sides:
                    texts = [found for t, found in side if len(t) >= length]
                    hits = sum(lang == told and c >= conf for lang, c in texts)
                    shares.append(f"{hits / max(1, len(texts)):.1%} of {len(texts)}")
            lines.append((str(length), f"{conf:g}", *shares))
    return table(lines, ("min chars", "confidence >=", "English told French", "French told French",
                         "English told English", "French told English"))


def main() -> None:
    require_shared()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", default="8001-10000")
    parser.add_argument("--beam", type=int, default=1)
    parser.add_argument("--limit", type=int, default=0, help="only the first N pairs (0: all)")
    parser.add_argument("--skip-unsure", action="store_true")
    a = parser.parse_args()
    pairs = corpus_block(a.lines)[: a.limit or None]
    print(f"# {machine()}; lines {a.lines} of {FRA.name}, shipped en-fr, beam {a.beam}\n")
    if not a.skip_unsure:
        print(unsure_table(scored(pairs, a.beam)) + "\n")
    print(hint_table(pairs))


if __name__ == "__main__":
    main()
