"""Run `seqtui` on a pseudo-terminal, as a person at a terminal would, bounded by a timeout."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Session:
    """What a command printed on the terminal (stdout and stderr together) and how it exited."""

    output: str
    code: int | None  # None: still running at the timeout (then killed)


def run_on_terminal(args: list[str], typed: list[str] = (), cwd: Path | None = None, timeout: float = 120.0,
                    columns: int = 80, wait_for: str = "") -> Session:
    """Run `python -m seqtui ARGS` with stdin, stdout and stderr on one pseudo-terminal, typing each of
    `typed` (a line each) once `wait_for` has appeared in the output since the last line typed."""
    main, side = pty.openpty()
    fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "24", "TERM": "xterm", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "seqtui", *args], stdin=side, stdout=side, stderr=side,
                            cwd=cwd or ROOT, env=env, close_fds=True)
    os.close(side)
    chunks: list[bytes] = []
    pending = list(typed)
    seen = 0  # where the output stood when the last line was typed
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.2)
            if ready:
                try:
                    data = os.read(main, 65536)
                except OSError:  # the other side closed: the process ended
                    break
                if not data:
                    break
                chunks.append(data)
            text = b"".join(chunks).decode("utf-8", "replace")
            if pending and wait_for in text[seen:]:
                seen = len(text)
                os.write(main, (pending.pop(0) + "\n").encode())
            if proc.poll() is not None and not ready:
                break
        code = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        code = None
    finally:
        os.close(main)
    return Session(b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n"), code)
