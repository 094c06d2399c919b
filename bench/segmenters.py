"""Sentence segmenters on multi-sentence English and French texts: exact-split accuracy and speed.

    python bench/segmenters.py [--repeats 5] [--errors NAME]

The texts and their gold splits are `tests/data/sentences.tsv`, written for seqtui: abbreviations (Mr., M.,
Mme, etc., p. ex.), numbers (3.5, 3,50), times (10 h 30, 10 a.m.), ellipses, quotes, ?! and French spacing
before ? and !, lower-case starts and texts without a final mark. A text counts as right only when every
sentence boundary is where the gold puts it. Speed is the median over `--repeats` passes, per text, after
one warm-up pass; import time is `-X importtime`'s, in a fresh interpreter. `--errors NAME` prints NAME's wrong splits.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, machine, table  # noqa: E402

DATA = ROOT / "tests" / "data" / "sentences.tsv"
HELD_OUT = ROOT / "tests" / "data" / "sentences_heldout.tsv"  # never used to tune seqtui's fixes
Splitter = Callable[[str, str], list[str]]


def read_gold(path: Path = DATA) -> list[tuple[str, str, list[str]]]:
    """(language, text, gold sentences) for each line of the evaluation set."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            lang, joined = line.split("\t")
            gold = joined.split(" || ")
            out.append((lang, " ".join(gold), gold))
    return out


def _sentencex() -> Splitter:
    from sentencex import segment

    return lambda text, lang: list(segment(lang, text))


def _pysbd() -> Splitter:
    import pysbd

    segmenters = {lang: pysbd.Segmenter(language=lang, clean=False) for lang in ("en", "fr")}
    return lambda text, lang: segmenters[lang].segment(text)


def _moses() -> Splitter:
    from sentence_splitter import SentenceSplitter

    splitters = {lang: SentenceSplitter(language=lang) for lang in ("en", "fr")}
    return lambda text, lang: splitters[lang].split(text)


def _syntok() -> Splitter:
    import syntok.segmenter as segmenter

    def split(text: str, lang: str) -> list[str]:
        return ["".join(t.spacing + t.value for t in sentence) for paragraph in segmenter.analyze(text)
                for sentence in paragraph]
    return split


def _ours() -> Splitter:
    from seqtui.data.sentences import split

    return lambda text, lang: [s.text for s in split(text, lang)]


# name -> (the import statement timed in fresh interpreters, a factory of the splitter); seqtui's own module is
# timed with what its first split imports, less `import seqtui`, which any caller has paid already.
CANDIDATES: dict[str, tuple[str, Callable[[], Splitter]]] = {
    "sentencex 1.0.32": ("import sentencex", _sentencex),
    "pysbd 0.3.4": ("import pysbd", _pysbd),
    "sentence-splitter 1.4 (Moses)": ("import sentence_splitter", _moses),
    "syntok 1.4.4": ("import syntok.segmenter", _syntok),
    "seqtui.data.sentences (sentencex + fixes)": ("import seqtui; import seqtui.data.sentences, sentencex", _ours),
}


def import_ms(statement: str) -> float:
    """What `statement`'s imports cost in a fresh interpreter, in ms: the cumulative times `-X importtime`
    gives the modules it names, the least of 5 runs (a loaded machine only adds time). A statement that
    begins with `import seqtui;` has that import paid first, as any caller has."""
    names = statement.removeprefix("import seqtui;").replace("import", "").replace(";", ",").split(",")
    wanted = {n.strip() for n in names if n.strip()}
    runs = []
    for _ in range(5):
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], capture_output=True, text=True,
                             check=True, cwd=ROOT).stderr
        micros = [int(cols[1]) for line in err.splitlines() if line.startswith("import time:")
                  for cols in [line.removeprefix("import time:").split("|")] if cols[2].strip() in wanted]
        runs.append(sum(micros) / 1000)
    return min(runs)


def score(split: Splitter, gold: list[tuple[str, str, list[str]]]) -> tuple[dict[str, float], list[str]]:
    """Exact-split accuracy by language, and the texts split wrong."""
    right: dict[str, list[bool]] = {}
    wrong = []
    for lang, text, sentences in gold:
        got = [s.strip() for s in split(text, lang) if s.strip()]
        right.setdefault(lang, []).append(got == sentences)
        if got != sentences:
            wrong.append(f"{lang}: {' || '.join(got)}")
    return {lang: 100 * sum(r) / len(r) for lang, r in right.items()}, wrong


def speed_us(split: Splitter, gold: list[tuple[str, str, list[str]]], repeats: int) -> float:
    """Median microseconds per text over `repeats` passes, after a warm-up pass."""
    for lang, text, _ in gold:
        split(text, lang)
    passes = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for lang, text, _ in gold:
            split(text, lang)
        passes.append(time.perf_counter() - t0)
    return statistics.median(passes) / len(gold) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--errors", default="", help="print the wrong splits of the candidates whose name starts so")
    args = ap.parse_args()
    gold, held = read_gold(), read_gold(HELD_OUT)
    counts = {lang: sum(1 for g in gold if g[0] == lang) for lang in ("en", "fr")}
    rows = []
    for name, (statement, make) in CANDIDATES.items():
        try:
            split = make()
        except ImportError as e:
            rows.append((name, "not installed", "", "", "", "", str(e).split("'")[1] if "'" in str(e) else ""))
            continue
        acc, wrong = score(split, gold)
        _, held_wrong = score(split, held)
        both = 100 * (1 - len(wrong) / len(gold))
        rows.append((name, f"{acc['en']:.1f}", f"{acc['fr']:.1f}", f"{both:.1f}",
                     f"{100 * (1 - len(held_wrong) / len(held)):.1f}", f"{speed_us(split, gold, args.repeats):.0f}",
                     f"{import_ms(statement):.0f}"))
        if args.errors and name.startswith(args.errors):
            print(f"{name}, wrong:", *wrong, "held out:", *held_wrong, sep="\n  ")
    print(f"{len(gold)} texts ({counts['en']} English, {counts['fr']} French), {DATA.relative_to(ROOT)}; held out: "
          f"{len(held)} texts, {HELD_OUT.relative_to(ROOT)}; {machine()}\n")
    print(table(rows, ("segmenter", "en exact %", "fr exact %", "all %", "held out %", "µs / text", "import ms")))


if __name__ == "__main__":
    main()
