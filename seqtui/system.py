"""What the training process costs the machine: its CPU and memory, and the GPUs' memory and use.

`sample(pid)` never raises: a process that is gone or not ours to read gives what could be read.
GPU figures come from JAX itself, and only when the training process has already imported it (this
module never imports JAX or TensorFlow), plus NVML's utilisation when the `pynvml` package is there.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Gpu:
    """One accelerator: memory in use and its limit (bytes), and utilisation (%) when known."""

    name: str
    used: int | None = None
    limit: int | None = None
    utilisation: float | None = None


@dataclass(frozen=True)
class Sample:
    """The training process now (cpu in % of one core, summed over its threads; rss in bytes)."""

    pid: int | None
    cpu: float | None = None
    rss: int | None = None
    threads: int | None = None
    gpus: list[Gpu] = field(default_factory=list)

    def text(self, devices: list[str] | None = None) -> str:
        """One line: 'pid 123 · CPU 180% · RSS 812 MiB · 9 threads · CPU:0 · gpu:0 3.1/80 GiB 45%'."""
        parts = [f"pid {self.pid}" if self.pid else ""]
        parts += [f"CPU {self.cpu:.0f}%" if self.cpu is not None else "",
                  f"RSS {_size(self.rss)}" if self.rss is not None else "",
                  f"{self.threads} threads" if self.threads else "", ", ".join(devices or [])]
        for gpu in self.gpus:
            memory = f" {_size(gpu.used)}/{_size(gpu.limit)}" if gpu.used is not None and gpu.limit else ""
            use = f" {gpu.utilisation:.0f}%" if gpu.utilisation is not None else ""
            parts.append(f"{gpu.name}{memory}{use}")
        return " · ".join(p for p in parts if p) or "no process to measure"


class Sampler:
    """Samples one process; CPU % is measured between calls, so keep one Sampler per process."""

    def __init__(self) -> None:
        self._process: Any = None

    def __call__(self, pid: int | None) -> Sample:
        try:
            import psutil
        except ImportError:
            return Sample(pid)
        if pid is None or pid <= 0:
            return Sample(None)
        try:
            if self._process is None or self._process.pid != pid:
                self._process = psutil.Process(pid)
                self._process.cpu_percent(None)  # the first reading is always 0: it starts the interval
            with self._process.oneshot():
                return Sample(pid, self._process.cpu_percent(None), self._process.memory_info().rss,
                              self._process.num_threads(), jax_gpus())
        except (psutil.Error, OSError):
            return Sample(pid)


def jax_gpus() -> list[Gpu]:
    """The GPUs JAX uses in this process, with their memory (and NVML's utilisation when available)."""
    jax = sys.modules.get("jax")
    if jax is None:
        return []
    try:
        devices = [d for d in jax.local_devices() if d.platform == "gpu"]
    except Exception:  # JAX not initialised yet, or no backend: nothing to show
        return []
    out = []
    for i, device in enumerate(devices):
        stats: dict[str, Any] = {}
        with contextlib.suppress(Exception):
            stats = device.memory_stats() or {}
        out.append(Gpu(f"gpu:{device.id}", stats.get("bytes_in_use"), stats.get("bytes_limit"), _nvml_use(i)))
    return out


def _nvml_use(index: int) -> float | None:
    try:
        import pynvml  # optional: NVIDIA's bindings, not a dependency
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
        return float(pynvml.nvmlDeviceGetUtilizationRates(pynvml.nvmlDeviceGetHandleByIndex(index)).gpu)
    except Exception:
        return None


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}" if unit == "GiB" else f"{n / scale:.0f} {unit}"
    return f"{n} B"
