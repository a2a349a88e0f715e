"""Deriving and simplifying a deep element-wise chain: sum(f(f(...f(x)))) with
respect to x, f = sigmoid or tanh, k nested calls.

The derivative is a product of k factors f'(.); its cost should grow with k
linearly, not exponentially.  Every measurement runs in a fresh interpreter,
so no cache (the hash-consing table, the cluster cache) carries over from a
smaller k.  Time is the median over --repeat runs without tracemalloc; the
peak memory comes from one more run under tracemalloc (which slows it down).
Nothing here asserts on time."""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEPTHS = (1, 2, 5, 10, 20, 50, 100)
FUNCTIONS = ("sigmoid", "tanh")

CHILD = """
import json, time, tracemalloc
import jacobi as jc

x = jc.vector("x", "n")
e = x
for _ in range({k}):
    e = jc.{fn}(e)
f = jc.sum(e)
if {traced}:
    tracemalloc.start()
t = time.perf_counter()
d = jc.derive(f, x)  # derive and simplify (simplify=True is the default)
secs = time.perf_counter() - t
peak = tracemalloc.get_traced_memory()[1] if {traced} else 0
print(json.dumps({{"secs": secs, "peak": peak, "nodes": d.result.count()}}))
"""


def run_once(fn: str, k: int, traced: bool) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    res = subprocess.run([sys.executable, "-c", CHILD.format(fn=fn, k=k, traced=traced)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True, timeout=600)
    return json.loads(res.stdout.strip().splitlines()[-1])


def measure(fn: str, k: int, repeat: int) -> tuple[float, float, int]:
    """(median seconds, peak MB under tracemalloc, distinct nodes of the result)."""
    runs = [run_once(fn, k, traced=False) for _ in range(repeat)]
    traced = run_once(fn, k, traced=True)
    return statistics.median(r["secs"] for r in runs), traced["peak"] / 2**20, runs[0]["nodes"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per cell (median reported)")
    ap.add_argument("--depths", default=",".join(map(str, DEPTHS)), help="comma-separated k values")
    args = ap.parse_args(argv)
    depths = [int(k) for k in args.depths.split(",")]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}\n")
    print("| k | sigmoid time | sigmoid peak MB | tanh time | tanh peak MB | nodes |")
    print("|---|---|---|---|---|---|")
    for k in depths:
        cells = [str(k)]
        nodes = set()
        for fn in FUNCTIONS:
            secs, mb, count = measure(fn, k, args.repeat)
            cells += [f"{secs:.3f} s", f"{mb:.1f}"]
            nodes.add(count)
        cells.append("/".join(map(str, sorted(nodes))))
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
