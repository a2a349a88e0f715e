"""Interleaved timing shared by the benchmarks: every implementation runs once per round, in turn,
and the median of the rounds is reported; nothing here asserts on time."""
from __future__ import annotations

import platform
import statistics
import subprocess
import time

import numpy as np


def interleaved(fns: dict, rounds: int, budget: float) -> dict:
    """Median seconds per call of each function.  Each round runs every function in turn, each
    enough times to fill about ``budget`` seconds (calibrated once, after a warm-up call)."""
    inner = {}
    for k, f in fns.items():
        f()
        t = time.perf_counter()
        f()
        one = max(time.perf_counter() - t, 1e-7)
        inner[k] = max(1, min(2000, int(budget / one)))
    times: dict = {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            n = inner[k]
            t = time.perf_counter()
            for _ in range(n):
                f()
            times[k].append((time.perf_counter() - t) / n)
    return {k: statistics.median(v) for k, v in times.items()}


def two_groups(numpy_fns: dict, others: dict, rounds: int, budget: float = 0.02) -> dict:
    """jacobi and the numpy implementations interleaved with each other, then the others (jax, torch)
    interleaved with jacobi: torch's worker threads keep spinning after a call and slow whatever runs next
    on two cores, so jacobi's time (and every ratio) is the one measured beside numpy only."""
    t = interleaved(numpy_fns, rounds, budget)
    if others:
        t2 = interleaved({"jacobi": numpy_fns["jacobi"], **others}, rounds, budget)
        t.update({k: t2[k] for k in others})
    return t


def fmt_time(t: float) -> str:
    return f"{t * 1e6:.1f} us" if t < 1e-3 else f"{t * 1e3:.2f} ms"


def machine_line() -> str:
    """The machine the figures were measured on, as the results files state it."""
    return (f"{platform.processor() or platform.machine()}, {subprocess.getoutput('nproc')} cores, "
            f"Python {platform.python_version()}, numpy {np.__version__}")
