"""Optional API keys, each with its own request rate (per worker process: nothing is shared between them).

The file `--api-keys FILE` names one key a line, optionally followed by its requests a minute
(`KEY 120`; without one, `default_rate`); blank lines and lines starting with `#` are skipped. With keys, a
request without one is refused (400, as LibreTranslate words it), an unknown one is 403, one over its rate
429 with Retry-After.
"""

from __future__ import annotations

import collections
import time
from pathlib import Path

from seqtui.errors import ConfigError
from seqtui.serve.params import ApiError

MAX_FILE = 1 << 20
MAX_KEY = 200
MAX_RATE = 1_000_000
WINDOW = 60.0


class Keys:
    """The keys a server accepts and the times of each one's recent requests."""

    def __init__(self, rates: dict[str, int]) -> None:
        self.rates = rates
        self._seen: dict[str, collections.deque[float]] = {k: collections.deque() for k in rates}

    @classmethod
    def read(cls, path: Path, default_rate: int = 60) -> Keys:
        """The keys file at `path` (ConfigError, one line, for a missing, oversized or malformed one)."""
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_FILE + 1)
        except OSError as e:
            raise ConfigError(f"--api-keys {path}: {e.strerror or e}") from None
        if len(data) > MAX_FILE:
            raise ConfigError(f"--api-keys {path}: over {MAX_FILE:,} bytes")
        rates: dict[str, int] = {}
        for n, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            rate = words[1] if len(words) > 1 else str(default_rate)
            if len(words) > 2 or len(words[0]) > MAX_KEY or not rate.isdigit() or not 0 < int(rate) <= MAX_RATE:
                raise ConfigError(f"--api-keys {path}, line {n}: expected a key of at most {MAX_KEY} characters "
                                  f"and, optionally, its requests a minute (1 to {MAX_RATE:,})")
            rates[words[0]] = int(rate)
        if not rates:
            raise ConfigError(f"--api-keys {path}: no key in it")
        return cls(rates)

    def check(self, key: str, now: float | None = None) -> None:
        """Count a request made with `key`; ApiError when it is missing, unknown or over its rate."""
        if not key:
            raise ApiError(400, "Please contact the server operator to get an API key")
        if key not in self.rates:
            raise ApiError(403, "Invalid API key")
        now = time.monotonic() if now is None else now
        seen, rate = self._seen[key], self.rates[key]
        while seen and seen[0] <= now - WINDOW:
            seen.popleft()
        if len(seen) >= rate:
            wait = max(1, int(seen[0] + WINDOW - now + 0.999))
            raise ApiError(429, f"Slowdown: {rate} per 1 minute", retry_after=wait)
        seen.append(now)
