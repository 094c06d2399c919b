"""Language identifiers on held-out sentences of the shared corpus, English and French, by length.

    python bench/langid.py [--lines 8001-10000 1-3000] [--errors NAME]

Each side of lines 8,001-10,000 of ../shared/data/fra-eng/fra.txt (no shipped model trained on them) is one
text, labelled with its side's language; every identifier chooses between English and French only, the
languages the shipped models cover. Accuracy is given by the text's length in characters; speed is the
median per text over the whole block after a warm-up; import time and memory (the resident growth once the
identifier is built and has answered once: the growth of the peak resident size over numpy's, and over
seqtui's for seqtui's own module) are measured in a fresh interpreter for each, before any is built here.
The test block holds few texts under 15 characters, so a second block, lines 1-3,000 (the shortest pairs,
which the shipped models trained on but no identifier did), measures the short ones; each block gets its table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import FRA, ROOT, corpus_block, machine, table  # noqa: E402

LANGS = ("en", "fr")
BUCKETS = (("15+", 15, 10**9), ("5-14", 5, 14), ("1-4", 1, 4))
Identify = Callable[[str], str]


def _py3langid() -> Identify:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGS))
    return lambda text: str(identifier.classify(text)[0])


def _lingua() -> Identify:
    from lingua import Language, LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.FRENCH).build()
    names = {Language.ENGLISH: "en", Language.FRENCH: "fr"}
    return lambda text: names.get(detector.detect_language_of(text), "?")  # type: ignore[arg-type]


def _lingua_low() -> Identify:
    from lingua import Language, LanguageDetectorBuilder

    detector = (LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.FRENCH)
                .with_low_accuracy_mode().build())
    names = {Language.ENGLISH: "en", Language.FRENCH: "fr"}
    return lambda text: names.get(detector.detect_language_of(text), "?")  # type: ignore[arg-type]


def _langdetect() -> Identify:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0  # its sampling is random otherwise

    def identify(text: str) -> str:
        try:  # it knows 55 languages and cannot be narrowed: the likelier of ours among its answers
            found = {g.lang: g.prob for g in detect_langs(text) if g.lang in LANGS}
        except LangDetectException:
            return "?"
        return max(found, key=found.__getitem__) if found else "?"
    return identify


def _ours() -> Identify:
    from seqtui.data.language import detect

    return lambda text: detect(text, LANGS)[0]


CANDIDATES: dict[str, tuple[str, Callable[[], Identify]]] = {
    "py3langid 0.4.0": ("py3langid", _py3langid),
    "lingua 2.1.1 (high accuracy)": ("lingua", _lingua),
    "lingua 2.1.1 (low accuracy)": ("lingua_low", _lingua_low),
    "langdetect 1.0.9": ("langdetect", _langdetect),
    "seqtui.data.language": ("ours", _ours),
}
BY_KEY = {key: make for key, make in CANDIDATES.values()}


def read_block(lines: str) -> list[tuple[str, str]]:
    """(text, language) for both sides of the corpus lines `lines` ("8001-10000", 1-based, inclusive)."""
    return [side for en, fr in corpus_block(lines) for side in ((en, "en"), (fr, "fr"))]


def probe(key: str) -> None:
    """Print {"import_ms", "rss_mb"} for one identifier, measured in this (fresh) interpreter: the time to its
    first answer and the growth of the peak resident memory (freed buffers, such as a decompressed model
    file's, make the current resident size vary from run to run)."""
    import resource

    import numpy  # noqa: F401  (in every seqtui process already: not the identifier's cost)

    if key == "ours":
        import seqtui  # noqa: F401  (paid by any caller of seqtui.data.language)

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    BY_KEY[key]()("Where is the station?")  # lingua reads its models on the first answer
    built = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before  # KiB on Linux
    print(json.dumps({"import_ms": built * 1000, "rss_mb": peak / 1024}))


def fresh(key: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--probe", key], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def measure(identify: Identify, block: list[tuple[str, str]]) -> tuple[dict[str, tuple[float, int]], float, list[str]]:
    """Accuracy and count by length bucket, microseconds per text, and the texts identified wrong."""
    for text, _ in block[:200]:
        identify(text)
    right: dict[str, list[bool]] = {name: [] for name, _, _ in BUCKETS}
    wrong, times = [], []
    for text, lang in block:
        t0 = time.perf_counter()
        got = identify(text)
        times.append(time.perf_counter() - t0)
        for name, low, high in BUCKETS:
            if low <= len(text) <= high:
                right[name].append(got == lang)
        if got != lang:
            wrong.append(f"{lang} -> {got}: {text}")
    acc = {name: (100 * sum(r) / len(r) if r else float("nan"), len(r)) for name, r in right.items()}
    return acc, statistics.median(times) * 1e6, wrong


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", nargs="+", default=["8001-10000", "1-3000"])
    ap.add_argument("--errors", default="", help="print the mistakes of the identifiers whose name starts so")
    ap.add_argument("--probe", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.probe:
        probe(args.probe)
        return
    if not FRA.is_file():
        sys.exit(f"needs {FRA} (the ../shared folder beside the repo)")
    # Every probe before any identifier is built here: a child's peak resident size starts from its parent's.
    identifiers, costs = {}, {}
    for name, (key, _) in CANDIDATES.items():
        try:
            costs[name] = fresh(key)
        except subprocess.CalledProcessError as e:
            costs[name] = e.stderr.strip().splitlines()[-1] if e.stderr.strip() else "failed"
    for name, (_, make) in CANDIDATES.items():
        try:
            identifiers[name] = make()
        except ImportError as e:
            identifiers[name] = None
            costs[name] = str(e.name)
    print(machine())
    for lines in args.lines:
        print()
        print(block_table(read_block(lines), lines, identifiers, costs, args.errors))


def block_table(block: list[tuple[str, str]], lines: str, identifiers: dict[str, Identify | None],
                costs: dict[str, Any], errors: str) -> str:
    rows, counts = [], {}
    for name, identify in identifiers.items():
        if identify is None:
            rows.append((name, f"not installed ({costs[name]})", "", "", "", "", ""))
            continue
        acc, us, wrong = measure(identify, block)
        counts = {bucket: n for bucket, (_, n) in acc.items()}
        cost = costs[name]
        rows.append((name, *(f"{acc[b][0]:.2f}" for b, _, _ in BUCKETS), f"{us:.0f}", f"{cost['import_ms']:.0f}",
                     f"{cost['rss_mb']:.0f}"))
        if errors and name.startswith(errors):
            print(f"{name}, wrong on lines {lines}:", *wrong[:40], sep="\n  ")
    shown = ", ".join(f"{b}: {n}" for b, n in counts.items())
    header = ("identifier", *(f"% right, {b} chars" for b, _, _ in BUCKETS), "µs / text",
              "import to first answer ms", "peak memory MB")
    return f"lines {lines} of {FRA.name}, both sides, en/fr only ({shown} texts)\n\n" + table(rows, header)


if __name__ == "__main__":
    main()
