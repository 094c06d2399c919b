"""Predictions as a file: each source sentence, its translation, the reference when the input had one,
the n-best columns when asked for, and the model that answered, written to a new TSV that never
replaces an earlier one, and never lands in a run's folder (`seqtui.store.rundir.refuse_foreign_write`).

`seqtui predict` and `Translator.predict_file` both write through here, so a script gets the same
never-overwrite naming as the command.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from seqtui import atomic
from seqtui.data.corpus import Source
from seqtui.decode.hypotheses import Result
from seqtui.errors import SeqtuiError
from seqtui.store import rundir

Columns = tuple[list[str], list[list[str]]]
"""Extra columns: their header and one row of cells per sentence."""


def nbest_columns(results: list[Result], n: int) -> Columns:
    """The n-best columns of decode results: translation_2 … translation_N, then score_1 … score_N (the
    normalised log-probability the beam ranks by), blank where a sentence has fewer hypotheses."""
    head = [f"translation_{k}" for k in range(2, n + 1)] + [f"score_{k}" for k in range(1, n + 1)]
    rows = []
    for r in results:
        texts = [h.text for h in r.nbest[1:n]] + [""] * (n - len(r.nbest[:n]))
        scores = [f"{h.normalized:.4f}" for h in r.nbest[:n]] + [""] * (n - len(r.nbest[:n]))
        rows.append(texts + scores)
    return head, rows


def write_predictions(out_dir: Path, stem: str, sources: list[Source], hyps: list[str],
                      extra: Columns | None = None, model: str = "") -> Path:
    """Write the results to a new `<stem>_<timestamp>[-N].tsv` in `out_dir`: the first name no file has yet.

    `write_new` claims the name atomically, so a run in the same second (another terminal, a script
    in a loop) never overwrites this one's result, nor this one its.

    Raises:
        SeqtuiError: the folder cannot be written, or it is (or lies in) a run's folder, which holds only
            seqtui's own files.
    """
    rundir.refuse_foreign_write(Path(out_dir), "--output", "predictions", folder=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    text = predictions_tsv(sources, hyps, extra, model)
    n = 0
    while True:
        target = Path(out_dir) / (f"{stem}_{stamp}-{n}.tsv" if n else f"{stem}_{stamp}.tsv")
        try:
            atomic.write_new(target, text)
            return target
        except FileExistsError:
            n += 1
        except OSError as e:
            raise SeqtuiError(f"{out_dir}: cannot write predictions ({e.strerror or e})") from None


def predictions_tsv(sources: list[Source], hyps: list[str], extra: Columns | None = None, model: str = "") -> str:
    """The TSV text: a header, then one row per sentence; with `model`, a last column naming the model
    on every row, so that rows copied elsewhere still say which model wrote them."""
    with_ref = any(s.reference for s in sources)
    named = [model.replace("\t", " ").replace("\n", " ")] if model else []
    head = ["source", "translation"] + (["reference"] if with_ref else []) + (extra[0] if extra else [])
    head += ["model"] if model else []
    more = extra[1] if extra else [[] for _ in sources]
    rows = [[s.text, h] + ([s.reference or ""] if with_ref else []) + m + named
            for s, h, m in zip(sources, hyps, more, strict=True)]
    return "".join("\t".join(r) + "\n" for r in [head, *rows])
