"""Greedy chrF of models on the test pairs as written and as people type them.

    python bench/typed.py [--model NAME_OR_DIR ...] [--lines 8001-10000] [--beam 1] [--reverse]

The test pairs (lines 8,001-10,000 of ../shared/data/fra-eng/fra.txt, which no shipped model trained on)
are scored with `seqtui evaluate --data FILE --json` once as the corpus has them, then with the source
side rewritten each way below; the references never change. Several models are scored in one run, so
their rows compare. `--reverse` scores French->English models: the French side is rewritten.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import FRA, ROOT, machine, require_shared, table  # noqa: E402

SEQTUI = [sys.executable, "-m", "seqtui"]
MARKS = ".!?"


def _strip_end(text: str) -> str:
    return text.rstrip(MARKS).rstrip()


VARIANTS: dict[str, Callable[[str], str]] = {
    "as in the corpus": lambda s: s,
    "lower case, final punctuation dropped": lambda s: _strip_end(s.lower()),
    "lower case": str.lower,
    "final punctuation dropped": _strip_end,
    "ALL CAPS": str.upper,
    "doubled spaces, a leading and a trailing space": lambda s: " " + s.replace(" ", "  ") + " ",
    "typographic apostrophe (\u2019)": lambda s: s.replace("'", "\u2019"),
    "capital of the first word lost": lambda s: s[:1].lower() + s[1:],
    "Title Case": lambda s: " ".join(w[:1].upper() + w[1:] for w in s.split(" ")),
    "apostrophes left out": lambda s: s.replace("'", "").replace("\u2019", ""),
    "a space before the final mark": lambda s: s[:-1].rstrip() + " " + s[-1] if s and s[-1] in MARKS else s,
    "final mark doubled": lambda s: s + s[-1] if s and s[-1] in MARKS else s,
    "lower case, no apostrophes, no final mark": lambda s: _strip_end(s.lower()).replace("'", ""),
}


def variant_file(folder: Path, name: str, pairs: list[tuple[str, str]], rewrite: Callable[[str], str],
                 reverse: bool) -> Path:
    """A corpus file of `pairs` (English, French) whose source side, as the model reads it, is rewritten."""
    path = folder / f"{len(list(folder.iterdir()))}.txt"
    rows = [(en, rewrite(fr)) if reverse else (rewrite(en), fr) for en, fr in pairs]
    path.write_text("".join(f"{en}\t{fr}\n" for en, fr in rows), encoding="utf-8")
    return path


def chrf(model: str, data: Path, beam: int) -> dict:
    out = subprocess.run([*SEQTUI, "evaluate", "--model", model, "--data", str(data), "--json", "--beam", str(beam)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", action="append", help="a shipped model's name or a run folder (repeatable)")
    p.add_argument("--lines", default="8001-10000", help="the corpus lines to score (1-based, inclusive)")
    p.add_argument("--beam", type=int, default=1)
    p.add_argument("--reverse", action="store_true", help="the models translate French to English")
    a = p.parse_args()
    require_shared()
    first, last = (int(x) for x in a.lines.split("-"))
    pairs = [tuple(line.split("\t")[:2]) for line in FRA.read_text(encoding="utf-8").splitlines()[first - 1:last]]
    models = a.model or ["fr-en" if a.reverse else "en-fr"]
    folder = Path(tempfile.mkdtemp(prefix="seqtui-typed-"))
    files = {name: variant_file(folder, name, pairs, rewrite, a.reverse) for name, rewrite in VARIANTS.items()}
    rows = []
    for name, path in files.items():
        scores = [chrf(m, path, a.beam) for m in models]
        rows.append((name, *(f"{s['chrf']:.2f} / {s['bleu']:.2f}" for s in scores)))
    side = "French" if a.reverse else "English"
    print(f"chrF / BLEU, beam {a.beam}, lines {a.lines} ({len(pairs)} pairs); {machine()}\n")
    print(table(rows, (f"{side} side", *models)))


if __name__ == "__main__":
    main()
