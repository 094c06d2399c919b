"""`seqtui dashboard --web`: the dashboard in a browser, served by textual-serve.

Every browser tab gets a `seqtui dashboard` process of its own (textual-serve starts one per
connection). In those processes training runs as a `seqtui train` process of its own, which the tab
follows (`training/detached.py`), so a closed tab never kills a run; each such trainer is noted in
the server's runs folder, and stopping the server stops them with a checkpoint (SIGTERM: `seqtui
train` then saves after its batch), unless `--leave-runs` says to keep them training.

The page is our own template: everything it loads comes from this server (textual-serve's own page
fetches a web font from a CDN).
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from seqtui.safe_text import escape_controls
from seqtui.tui.training.detached import RUNS_ENV, alive

PAGE = Path(__file__).parent / "web_page"
WEB_FLAGS = {"--web": 0, "--leave-runs": 0, "--host": 1, "--port": 1, "--public-url": 1}
STOP_WAIT = 300.0  # seconds a trainer gets to save its checkpoint once told to stop


def tab_command(argv: Sequence[str]) -> str:
    """The command each tab runs: this `seqtui dashboard` without the server's own flags."""
    kept, skip = [], 0
    for arg in argv:
        if skip:
            skip -= 1
            continue
        name = arg.split("=", 1)[0]
        if name in WEB_FLAGS:
            skip = WEB_FLAGS[name] if "=" not in arg else 0
            continue
        kept.append(arg)
    return shlex.join([sys.executable, "-m", "seqtui", "dashboard", *kept])


def exposure_warning(host: str, port: int) -> str:
    """What to say when the server listens beyond this machine ('' on a loopback address)."""
    if host in ("127.0.0.1", "localhost", "::1"):
        return ""
    return (f"Warning: listening on {host}:{port}. Anyone who can reach this port gets the dashboard, with no "
            "login: they can train, stop runs and read your data. To use it from another machine, keep "
            f"--host 127.0.0.1 and forward the port over SSH instead: ssh -L {port}:127.0.0.1:{port} <this host>, "
            f"then open http://127.0.0.1:{port} there.")


def noted_runs(folder: Path) -> list[tuple[int, str]]:
    """(pid, model_dir) of every trainer a tab started and noted in `folder`."""
    found = []
    for note in sorted(folder.glob("*.run")):
        try:
            found.append((int(note.stem), note.read_text(encoding="utf-8", errors="replace")[:4096]))
        except (OSError, ValueError):
            continue
    return found


def stop_runs(folder: Path, say: Callable[[str], None], wait: float = STOP_WAIT) -> None:
    """SIGTERM every noted trainer still running, and wait for each to save and end."""
    running = [(pid, where) for pid, where in noted_runs(folder) if alive(pid)]
    for pid, where in running:
        say(escape_controls(f"Stopping the run in {where} (pid {pid}): it saves a checkpoint after its batch…"))
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait
    for pid, where in running:
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        said = "stopped with a checkpoint" if not alive(pid) else "still saving (left to finish)"
        say(escape_controls(f"The run in {where}: {said}; seqtui train --resume --model-dir {where} continues it."))


def serve(argv: Sequence[str], host: str, port: int, public_url: str | None, leave_runs: bool) -> None:
    """Serve the dashboard until Ctrl+C (or SIGTERM), then stop the runs its tabs started."""
    import textual_serve
    from textual_serve.server import Server

    class DashboardServer(Server):
        async def on_startup(self, app: Any) -> None:
            print(f"seqtui dashboard on {self.public_url} (Ctrl+C stops the server"
                  + (")" if leave_runs else " and the runs it started, each with a checkpoint)"), flush=True)

    warning = exposure_warning(host, port)
    if warning:
        print(warning, flush=True)
    runs = Path(tempfile.mkdtemp(prefix="seqtui-web-"))
    os.environ[RUNS_ENV] = str(runs)  # the tabs' processes inherit it
    static = Path(textual_serve.__file__ or ".").parent / "static"
    server = DashboardServer(tab_command(argv), host=host, port=port, title="seqtui dashboard",
                             public_url=public_url, statics_path=static, templates_path=PAGE)
    try:
        server.serve()
    finally:
        if leave_runs:
            for pid, where in noted_runs(runs):
                if alive(pid):
                    print(escape_controls(f"Left training: {where} (pid {pid})"), flush=True)
        else:
            stop_runs(runs, lambda line: print(line, flush=True))
        for note in runs.glob("*.run"):
            note.unlink(missing_ok=True)
        runs.rmdir()
