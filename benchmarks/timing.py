"""Timing helpers shared by the benchmark scripts."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def median_seconds(run: Callable[[], T], runs: int, *, warmup: int = 1) -> tuple[float, T]:
    """Median wall time of ``runs`` calls after ``warmup`` untimed ones, and the last result."""
    result = None
    for _ in range(warmup):
        result = run()
    times = []
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result  # type: ignore[return-value]


def verdict(ok: bool) -> str:
    """How a goal line reads."""
    return "PASS" if ok else "MISS"


#: Python source that a measured child process runs first (Linux): ``rss()``, its
#: resident size now; ``peak()``, the highest since start or since ``restart_peak()``.
MEMORY_PROBES = r"""
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096

def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) * 1024

def restart_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
"""
