"""Helpers shared by the benchmarks: the shared corpus, the reference run, medians, and table printing."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FRA = SHARED / "data" / "fra-eng" / "fra.txt"
REFERENCE = SHARED / "reference" / "onehot_baseline.py"


def corpus_block(lines: str) -> list[tuple[str, str]]:
    """(English, French) pairs of the shared corpus's lines `lines` ("8001-10000", 1-based, inclusive)."""
    first, last = (int(n) for n in lines.split("-"))
    out = []
    with FRA.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if first <= number <= last:
                english, french = line.rstrip("\n").split("\t")[:2]
                out.append((english, french))
    return out


def require_shared() -> None:
    if not FRA.is_file() or not REFERENCE.is_file():
        sys.exit(f"needs {FRA} and {REFERENCE} (the ../shared folder beside the repo)")


def run_reference(*args: str, timeout: float = 3600) -> dict[str, Any]:
    """Run the reference one-hot implementation and return its JSON line of figures."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, str(REFERENCE), str(FRA), *args], capture_output=True, text=True,
                         env=env, timeout=timeout, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_time(fn: Any, repeats: int = 5) -> float:
    """Median wall time of `fn()` over `repeats` runs, in seconds."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    """A Markdown table (pastes straight into the README)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])
