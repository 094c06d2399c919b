"""The shipped models: make them, score them, and measure what a new user gets from them.

    python bench/shipped.py make [--reverse] [--epochs 40] [--decay-rate R] [--dropout D] [--init-from MODEL]
                                 [--work DIR] [--from-run DIR]
        Train a shipped model exactly as committed: en-fr, or fr-en with `--reverse`. The data is every
        line of ../shared/data/fra-eng/fra.txt but 8,001-11,000 (the test pairs 8,001-10,000 and the
        validation pairs 10,001-11,000, whose greedy chrF picks the kept epoch) and 60,001-61,000 (a block
        of longer sentences, scored beside the test pairs). The recipe is configs/quality.toml's with the
        casual-input augmentation, in float32, which trained faster than bfloat16 on this CPU (`bench/train.py
        speed`) (RECIPE below; `--decay-rate` and `--dropout` replace its values); early stopping ends the
        run, at most `--epochs`. The shipped en-fr is `make --epochs 60 --decay-rate 0.9 --dropout 0.1`
        (stopped after 25 epochs), the shipped fr-en `make --reverse --epochs 30`.
        `--init-from MODEL` fine-tunes an existing model (a shipped name or a run folder) with the same
        recipe at a quarter of the learning rate instead of starting from scratch. The result is exported
        weights-only in float16 to seqtui/shipped/<name> and scored (greedy and beam 4) on the test pairs
        and the long block (`bench/typed.py` scores them as people type them). The run is left in `--work`,
        so a stopped make resumes with `--work` set to the same folder. `--from-run DIR` exports and
        scores a run already trained so.
    python bench/shipped.py measure [--epochs 50]
        `seqtui translate "I'm hungry."` whole process (median of 5); and on the shipped sample
        (training_files/en-fr.tsv), `seqtui train --epochs 50` with sequencer.toml from scratch, the
        same --init-from en-fr, and configs/original.toml: wall time and chrF on the sample's validation split.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import FRA, ROOT, machine, require_shared, table  # noqa: E402

SEQTUI = [sys.executable, "-m", "seqtui"]
CREDIT = ("Trained by seqtui (bench/shipped.py make) on the Tatoeba Project's English-French pairs "
          "(tatoeba.org, CC-BY 2.0), as packaged by www.manythings.org/anki")
LEARNING_RATE = 0.002
RECIPE = ["--num-samples", "0", "--architecture", "attention", "--latent-dim", "256", "--embedding-dim", "64",
          "--encoder", "bilstm", "--batch-size", "128", "--optimizer", "adam", "--warmup-steps", "300",
          "--lr-schedule", "decay", "--decay-rate", "0.85", "--dropout", "0", "--weight-averaging", "ema",
          "--ema-decay", "0.998",
          "--precision", "float32", "--monitor", "val_chrf", "--patience", "6", "--seed", "1337",
          "--augment", "casual", "--augment-rate", "0.3", "--no-samples"]
TEST, VAL, LONG = (8000, 10000), (10000, 11000), (60000, 61000)
PHRASEBOOK_WEIGHT = 4  # the phrasebook's 2,600 training pairs, four times over: about an eighth of an epoch
CONCAT_RATE = 0.2  # the share of training pairs shown joined with one or two others (config.concat_rate)


def recipe(decay_rate: float | None = None, dropout: float | None = None,
           concat_rate: float = CONCAT_RATE) -> list[str]:
    """RECIPE with its learning-rate decay and dropout replaced where given, and the joins' rate."""
    flags = [*RECIPE, "--concat-rate", str(concat_rate)]
    for flag, value in (("--decay-rate", decay_rate), ("--dropout", dropout)):
        if value is not None:
            flags[flags.index(flag) + 1] = str(value)
    return flags


def split(work: Path, phrasebook_weight: int = PHRASEBOOK_WEIGHT) -> tuple[Path, Path, Path, Path]:
    """(train, validation, test, long) files of the shipped models' split, cut from the shared corpus.

    The training file also holds the phrasebook's training part, `phrasebook_weight` times over (English
    first: `--reverse` reads it the other way round too), and leaves out the corpus pairs that hold a
    held-out phrasebook sentence, so the phrasebook's held-out score is on sentences never trained on.
    """
    from seqtui.data import phrasebook

    lines = FRA.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = lambda span: lines[span[0]:span[1]]  # noqa: E731
    corpus = lines[:TEST[0]] + lines[VAL[1]:LONG[0]] + lines[LONG[1]:]
    kept = {p for p in phrasebook.without_held_out([_pair(line) for line in corpus])}
    book = [f"{en}\t{fr}\n" for en, fr in phrasebook.pairs("en-fr", "train")]
    parts = {"train.txt": [line for line in corpus if _pair(line) in kept] + book * phrasebook_weight,
             "val.txt": cut(VAL), "test.txt": cut(TEST), "long.txt": cut(LONG)}
    for name, chosen in parts.items():
        (work / name).write_text("".join(chosen), encoding="utf-8")
    return work / "train.txt", work / "val.txt", work / "test.txt", work / "long.txt"


def _pair(line: str) -> tuple[str, str]:
    en, fr = line.rstrip("\n").split("\t")[:2]
    return en, fr


def score(model: Path, test: Path, beam: int) -> dict:
    """`seqtui evaluate` of `model` on a file of English-French pairs (a fr-en model reverses them itself)."""
    out = subprocess.run([*SEQTUI, "evaluate", "--model-dir", str(model), "--data", str(test), "--json",
                          "--beam", str(beam)], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout)


def make(a: argparse.Namespace) -> None:
    from seqtui.store.export import export_bundle

    name = "fr-en" if a.reverse else "en-fr"
    target = ROOT / "seqtui" / "shipped" / name
    work = Path(a.work or tempfile.mkdtemp(prefix=f"seqtui-shipped-{name}-"))
    work.mkdir(parents=True, exist_ok=True)
    train, val, test, long = split(work, a.phrasebook_weight)
    run = Path(a.from_run) if a.from_run else work / "model"
    wall = None
    if not a.from_run:
        t0 = time.perf_counter()
        again = (run / "seqtui.json").is_file()
        start = (["--learning-rate", str(LEARNING_RATE / 4 if a.init_from else LEARNING_RATE)]
                 + (["--warmup-steps", "0"] if a.init_from else [])
                 + (["--init-from", a.init_from] if a.init_from and not again else [])
                 + (["--resume"] if again else []))
        done = subprocess.run([*SEQTUI, "train", "--train-dir", str(train), "--val-data", str(val),
                               "--model-dir", str(run), "--epochs", str(a.epochs),
                               *recipe(a.decay_rate, a.dropout, a.concat_rate), *start,
                               *(["--reverse"] if a.reverse else [])], cwd=ROOT)
        if done.returncode:
            again = " ".join(["python bench/shipped.py make", *(["--reverse"] if a.reverse else []),
                              f"--epochs {a.epochs}",
                              *([f"--decay-rate {a.decay_rate}"] if a.decay_rate is not None else []),
                              *([f"--dropout {a.dropout}"] if a.dropout is not None else []),
                              *([f"--init-from {a.init_from}"] if a.init_from else []),
                              f"--phrasebook-weight {a.phrasebook_weight} --concat-rate {a.concat_rate}",
                              f"--work {work}"])
            sys.exit(f"training stopped (exit {done.returncode}); the run is kept: {again} resumes it")
        wall = time.perf_counter() - t0
    size = export_bundle(run, target, name, CREDIT)
    scores = {f"{block} {label}": _short(score(target, path, beam))
              for block, path in (("test", test), ("long", long)) for label, beam in (("greedy", 1), ("beam4", 4))}
    print(json.dumps({"name": name, "wall_s": wall and round(wall), "model_bytes": size, **scores,
                      "machine": machine()}, ensure_ascii=False))


def _short(report: dict) -> dict:
    return {k: report[k] for k in ("chrf", "bleu", "exact", "pairs")}


def median_process(args: list[str], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def sample_run(label: str, extra: list[str], epochs: int, work: Path) -> tuple[str, ...]:
    model = work / label.replace(" ", "-")
    t0 = time.perf_counter()
    subprocess.run([*SEQTUI, "train", "--model-dir", str(model), "--epochs", str(epochs), "--no-samples", *extra],
                   check=True, capture_output=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    greedy, beam = (json.loads(subprocess.run([*SEQTUI, "evaluate", "--model-dir", str(model), "--json", "--beam",
                                               str(k)], capture_output=True, text=True, check=True, cwd=ROOT).stdout)
                    for k in (1, 4))
    history = [json.loads(line) for line in (model / "history.jsonl").read_text().splitlines()]
    return (label, str(len(history)), f"{wall:.0f}", f"{greedy['chrf']:.2f} / {greedy['bleu']:.2f}",
            f"{beam['chrf']:.2f} / {beam['bleu']:.2f}", str(greedy["pairs"]))


def measure(a: argparse.Namespace) -> None:
    env_note = "offline" if not os.environ.get("http_proxy") else ""
    translate_s = median_process([*SEQTUI, "translate", "--model", "en-fr", "I'm hungry."])
    print(f"`seqtui translate \"I'm hungry.\"` with the shipped model, whole process, median of 5: "
          f"{translate_s:.2f} s ({machine()}) {env_note}")
    work = Path(tempfile.mkdtemp(prefix="seqtui-sample-"))
    rows = [sample_run("sequencer.toml from scratch", [], a.epochs, work),
            sample_run("sequencer.toml --init-from en-fr", ["--init-from", "en-fr"], a.epochs, work),
            sample_run("configs/original.toml", ["--config", "configs/original.toml"], 100, work)]
    print(f"\nThe shipped sample, {machine()}; chrF / BLEU on the run's own validation split\n")
    print(table(rows, ("run", "epochs", "wall s", "greedy chrF / BLEU", "beam 4 chrF / BLEU", "pairs")))
    print(f"\n{overlap()}")


def overlap() -> str:
    """How many of the sample's validation sources the shipped model saw in training (Tatoeba has many)."""
    from seqtui import config
    from seqtui.train import training

    prep = training.prepare(config.load(ROOT / "sequencer.toml"))
    if not FRA.is_file():
        return "(../shared absent: overlap with the shipped model's training data not measured)"
    lines = FRA.read_text(encoding="utf-8").splitlines()
    seen = {line.split("\t")[0] for line in lines[:TEST[0]] + lines[VAL[1]:LONG[0]] + lines[LONG[1]:]}
    hits = sum(s in seen for s, _ in prep.val_pairs)
    return (f"{hits} of the sample's {len(prep.val_pairs)} validation sentences occur in the shipped model's "
            "training data")


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("--epochs", type=int, default=40)
    m.add_argument("--reverse", action="store_true", help="make fr-en instead of en-fr")
    m.add_argument("--decay-rate", type=float, help="the learning rate's factor after every epoch (RECIPE: 0.85)")
    m.add_argument("--dropout", type=float, help="dropout on the embeddings and the decoder's output (RECIPE: 0)")
    m.add_argument("--phrasebook-weight", type=int, default=PHRASEBOOK_WEIGHT,
                   help=f"copies of the phrasebook's training pairs in the training file (default {PHRASEBOOK_WEIGHT})")
    m.add_argument("--concat-rate", type=float, default=CONCAT_RATE,
                   help=f"the share of training pairs joined with others (default {CONCAT_RATE})")
    m.add_argument("--init-from", help="fine-tune this model (a shipped name or a run folder) instead")
    m.add_argument("--work", help="folder for the split files and the run (the same folder resumes a stopped make)")
    m.add_argument("--from-run", help="export and score this run instead of training one")
    s = sub.add_parser("measure")
    s.add_argument("--epochs", type=int, default=50)
    a = p.parse_args()
    if a.cmd == "make":
        require_shared()
        make(a)
    else:
        measure(a)


if __name__ == "__main__":
    main()
