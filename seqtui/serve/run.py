"""Starting a server and stopping it cleanly: it checks its models exist, listens (so /health answers within
a second), then reads their weights (numpy, never TensorFlow) while requests wait for them. On SIGTERM or
Ctrl-C it stops accepting, lets the requests in flight finish (up to `drain_seconds`), and exits 0 (SIGTERM)
or 130 (Ctrl-C)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

from aiohttp import web

from seqtui.serve.app import SERVER, Options, make_app
from seqtui.serve.engine import load, resolve
from seqtui.store.catalog import ModelChoice

DRAIN_SECONDS = 60.0
SWITCH_INTERVAL = 0.0005  # seconds


def serve(host: str, port: int, models: Sequence[str], opts: Options, batch_limit: int,
          drain_seconds: float = DRAIN_SECONDS, reuse_port: bool = False, blas_threads: int = 1) -> int:
    """Serve until SIGTERM (returns 0) or SIGINT (130), once the requests in flight are done."""
    from threadpoolctl import threadpool_limits

    # One engine thread's small products gain nothing from BLAS threads, and on a busy machine their spinning
    # cost a batch of 8 greedy rows 60 times its time a step (bench/serve.py): one thread unless asked.
    threadpool_limits(blas_threads, user_api="blas")
    choices = resolve(models)  # a missing model is one error line before anything listens
    # The engine thread holds the GIL between its numpy calls; the event loop, woken by a socket, waits for it
    # up to the switch interval (5 ms by default) each time, which made every answer wait behind decoding.
    sys.setswitchinterval(SWITCH_INTERVAL)
    return asyncio.run(_serve(host, port, choices, batch_limit, opts, drain_seconds, reuse_port))


async def _serve(host: str, port: int, choices: dict[tuple[str, str], ModelChoice], batch_limit: int, opts: Options,
                 drain: float, reuse_port: bool) -> int:
    app = make_app([], opts)
    loop = asyncio.get_running_loop()
    stopped: asyncio.Future[int] = loop.create_future()

    def stop(code: int) -> None:
        if not stopped.done():
            stopped.set_result(code)

    loop.add_signal_handler(signal.SIGTERM, stop, 0)  # from the start: a stop while loading drains too
    loop.add_signal_handler(signal.SIGINT, stop, 130)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=drain)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_port=reuse_port or None)
    await site.start()
    try:
        app[SERVER].loaded(await asyncio.to_thread(load, choices, batch_limit))
    except BaseException:
        await runner.cleanup()
        raise
    directions = ", ".join(f"{s}-{t}" for s, t in choices)
    print(f"seqtui serve: listening on http://{host}:{port}/ ({directions})", file=sys.stderr, flush=True)
    code = await stopped
    await site.stop()  # no new connections; the ones in flight go on
    try:
        async with asyncio.timeout(drain):
            await app[SERVER].idle.wait()
    except TimeoutError:
        print(f"seqtui serve: requests still running after {drain:g} s are cut", file=sys.stderr)
    await runner.cleanup()
    return code


def workers(argv: Sequence[str], count: int) -> int:
    """Run `count` server processes on one port (SO_REUSEPORT: the kernel spreads the connections); each keeps
    its own queue and key rates. A stop signal is passed on to each; the exit code is the first child's that
    did not stop cleanly (a child still starting, stopped by the signal itself, counts as stopped)."""
    children = [subprocess.Popen([sys.executable, "-m", "seqtui", *argv, "--workers", "1", "--reuse-port"])
                for _ in range(count)]
    stopped_by: list[int] = []

    def forward(signum: int, frame: object) -> None:
        stopped_by.append(signum)
        for child in children:
            if child.poll() is None:
                os.kill(child.pid, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    codes = [child.wait() for child in children]
    clean = {0: 0, 130: 130, -signal.SIGTERM: 0, -signal.SIGINT: 130}
    bad = [c for c in codes if c not in clean or (not stopped_by and c != 0)]
    return bad[0] if bad else clean[codes[0]]
