"""`seqtui serve`: the translator over HTTP, speaking LibreTranslate's API (the server is `seqtui.serve`,
imported only when the command runs)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from seqtui.cli.common import handled

MAX_LIMIT = 1_000_000


def _bounded(low: int, high: int) -> dict[str, int]:
    return {"min": low, "max": high}


def register(app: typer.Typer) -> None:
    """Add the `serve` command to `app`."""

    @app.command()
    @handled
    def serve(
        host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port to listen on.", **_bounded(1, 65535))] = 5000,
        model: Annotated[list[str] | None, typer.Option(
            "--model", help="A model folder or shipped name; repeatable, the first for a direction answers it "
                            "(default: the shipped en-fr and fr-en).")] = None,
        char_limit: Annotated[int, typer.Option("--char-limit", help="Most characters of one text.",
                                                **_bounded(1, MAX_LIMIT))] = 5000,
        batch_limit: Annotated[int, typer.Option("--batch-limit", help="Most texts in one request; a step "
                                                 "decodes at most four times as many rows.", **_bounded(1, 4096))] = 64,
        alternatives_limit: Annotated[int, typer.Option("--alternatives-limit", help="Most alternatives asked.",
                                                        **_bounded(0, 16))] = 3,
        queue_limit: Annotated[int, typer.Option("--queue-limit", help="Most sentences waiting or decoding; past "
                                                 "it, 429.", **_bounded(1, MAX_LIMIT))] = 1024,
        timeout: Annotated[float, typer.Option("--timeout", help="Seconds one request may decode.", min=0.1,
                                               max=3600)] = 30.0,
        beam: Annotated[int, typer.Option("--beam", help="Default beam width (1: greedy).", **_bounded(1, 16))] = 1,
        api_keys: Annotated[Path | None, typer.Option("--api-keys", help="File of API keys, one a line, each "
                                                      "optionally with its requests a minute.")] = None,
        key_rate: Annotated[int, typer.Option("--key-rate", help="Requests a minute of a key that names none.",
                                              **_bounded(1, MAX_LIMIT))] = 60,
        workers: Annotated[int, typer.Option("--workers", help="Server processes sharing the port.",
                                             **_bounded(1, 64))] = 1,
        blas_threads: Annotated[int, typer.Option("--blas-threads", help="Threads of the matrix products "
                                                  "(BLAS) of one step.", **_bounded(1, 256))] = 1,
        reuse_port: Annotated[bool, typer.Option("--reuse-port", help="Share the port with other processes (as "
                                                 "--workers starts them).")] = False,
    ) -> None:
        """Serve translations over HTTP with LibreTranslate's API, streaming and batching; Ctrl-C or SIGTERM \
finishes the requests in flight, then stops."""
        from seqtui.serve import run
        from seqtui.serve.app import Options
        from seqtui.serve.keys import Keys
        from seqtui.serve.params import Limits

        if workers > 1:
            raise typer.Exit(run.workers(sys.argv[1:], workers))
        keys = Keys.read(api_keys, key_rate) if api_keys else None
        opts = Options(Limits(char_limit, batch_limit, alternatives_limit), beam, timeout, keys, queue_limit)
        code = run.serve(host, port, model or [], opts, batch_limit * 4, reuse_port=reuse_port,
                         blas_threads=blas_threads)
        raise typer.Exit(code)
