"""`seqtui serve` benchmark: a real server on 127.0.0.1 with both shipped models, measured from outside.

Throughput in sentences a second at 1, 8, 32 and 128 concurrent clients, greedy and beam 4, against the
same sentences decoded one at a time by the engine alone (`Translator.translate`, no HTTP), in the same run;
the HTTP layer's own cost per request (a /translate whose text the model cannot read, so nothing is
decoded); the time to the first streamed character, p50 and p95, at 1 and 32 clients; the time from
starting the process to its first /health answer; its resident memory with both models loaded. Prints a
Markdown table.

usage: python bench/serve.py [--requests 256] [--clients 1,8,32,128]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
SENTENCES = ["I'm hungry.", "Where is the station?", "Thank you very much.", "We should leave before it rains.",
             "My brother plays the guitar.", "Is it far from here?", "I don't know what to say.", "Go.",
             "She reads a book every week.", "Can you help me?", "The door is open.", "It's cold today.",
             "They arrived late last night.", "I like this song.", "Please sit down.", "Where are my keys?"]


def start(port: int) -> tuple[subprocess.Popen[bytes], float]:
    began = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "seqtui", "serve", "--host", HOST, "--port", str(port),
                             "--queue-limit", "100000", "--batch-limit", "64"], cwd=ROOT,
                            stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    while True:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=5):
                return proc, time.monotonic() - began
        except OSError:
            if time.monotonic() - began > 120:
                raise SystemExit("the server did not answer /health in 120 s") from None
            time.sleep(0.01)


async def load(url: str, requests: int, clients: int, beam: int, stream: bool = False) -> tuple[float, list[float]]:
    """Send `requests` sentences from `clients` concurrent clients: (sentences a second, first-character times)."""
    import aiohttp

    firsts: list[float] = []

    async def client(k: int, session: aiohttp.ClientSession) -> None:
        for n in range(k, requests, clients):
            body = {"q": SENTENCES[n % len(SENTENCES)], "source": "en", "target": "fr", "beam": beam,
                    "stream": stream}
            t0 = time.perf_counter()
            async with session.post(url + "translate", json=body) as r:
                assert r.status == 200, await r.text()
                if stream:
                    async for line in r.content:
                        if line.startswith(b"data: ") and b'"prob": null' not in line:
                            firsts.append(time.perf_counter() - t0)
                            break
                await r.read()

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(k, session) for k in range(clients)))
        return requests / (time.perf_counter() - t0), firsts


async def http_cost(url: str, requests: int) -> float:
    """Median seconds of a /translate that decodes nothing, one request at a time."""
    import aiohttp

    times = []
    async with aiohttp.ClientSession() as session:
        for _ in range(requests):
            t0 = time.perf_counter()
            async with session.post(url + "translate", json={"q": "日本語", "source": "en", "target": "fr"}) as r:
                assert json.loads(await r.read())["translatedText"] == "日本語"
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def alone(requests: int, beam: int, blas_threads: int | None) -> float:
    """Sentences a second decoded one at a time by the engine, no server; with `blas_threads` BLAS threads
    (None: numpy's default), as the server's engine thread has one."""
    from threadpoolctl import threadpool_limits

    import seqtui

    tr = seqtui.load("en-fr", beam=beam)
    with threadpool_limits(blas_threads, user_api="blas"):
        t0 = time.perf_counter()
        for n in range(requests):
            tr.translate(SENTENCES[n % len(SENTENCES)])
        return requests / (time.perf_counter() - t0)


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=256)
    parser.add_argument("--clients", default="1,8,32,128")
    parser.add_argument("--port", type=int, default=5791)
    args = parser.parse_args()
    import psutil

    proc, started = start(args.port)
    url = f"http://{HOST}:{args.port}/"
    rows = []
    try:
        asyncio.run(load(url, 16, 4, 1))  # warm up (and wait for the models to be read)
        rss = psutil.Process(proc.pid).memory_info().rss / 2**20
        for beam in (1, 4):
            for threads, what in ((None, "numpy's default BLAS threads"), (1, "one BLAS thread, as served")):
                rate = alone(args.requests // 4, beam, threads)
                rows.append((f"beam {beam}", f"engine alone, one at a time, {what}", f"{rate:.1f}"))
            for c in (int(x) for x in args.clients.split(",")):
                rate, _ = asyncio.run(load(url, max(args.requests, c), c, beam))
                rows.append((f"beam {beam}", f"{c} client{'s' * (c > 1)}", f"{rate:.1f}"))
        print(table(rows, ("search", "clients", "sentences/s")))
        cost = asyncio.run(http_cost(url, 300))
        other = [("HTTP layer per request (nothing decoded), median", f"{1000 * cost:.2f} ms")]
        for c in (1, 32):
            _, firsts = asyncio.run(load(url, max(64, 2 * c), c, 1, stream=True))
            other.append((f"first streamed character, {c} client{'s' * (c > 1)}, p50 / p95",
                          f"{pct(firsts, 0.5):.1f} / {pct(firsts, 0.95):.1f} ms"))
        other += [("start to first /health", f"{started:.2f} s"),
                  ("resident memory, both shipped models", f"{rss:.0f} MiB")]
        print()
        print(table(other, ("measure", "value")))
        print(f"\n{machine()}")
    finally:
        proc.terminate()
        proc.wait(timeout=60)


if __name__ == "__main__":
    main()
