"""`make bench`: jacobi's generated gradient code against hand-written numpy,
PyTorch eager and jax.jit (when installed), and the symbolic pipeline's time
by depth.  Timings are interleaved (every implementation runs once per round,
in turn) and reported as medians and ratios; nothing here asserts on time."""
from __future__ import annotations

import argparse
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np

import jacobi as jc

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference  # noqa: E402
from timing import fmt_time, interleaved, machine_line  # noqa: E402

GRID = [([4, 8, 3], 1), ([64, 128, 64, 10], 32), ([784, 256, 128, 10], 128)]
CASES = [("sigmoid+mse", "sigmoid", "mse", reference.sigmoid_mse),
         ("softmax+ce", "softmax", "cross_entropy", reference.softmax_ce)]


def _torch_fn(out):
    try:
        import torch
    except ImportError:
        return None

    def f(params, X, Y):
        ps = [(W.requires_grad_(), b.requires_grad_()) for W, b in params]
        a = X
        for l, (W, b) in enumerate(ps, start=1):
            z = a @ W.T + b
            if l < len(ps):
                a = torch.sigmoid(z)
        if out == "softmax":
            C = -(Y * torch.log_softmax(z, dim=1)).sum() / X.shape[0]
        else:
            a = torch.sigmoid(z)
            C = 0.5 * ((a - Y) ** 2).sum() / X.shape[0]
        grads = torch.autograd.grad(C, [t for p in ps for t in p])
        return C, grads

    return f


def _jax_fn(out):
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def cost(params, X, Y):
        a = X
        for l, (W, b) in enumerate(params, start=1):
            z = a @ W.T + b
            if l < len(params):
                a = jax.nn.sigmoid(z)
        if out == "softmax":
            return -(Y * jax.nn.log_softmax(z, axis=1)).sum() / X.shape[0]
        a = jax.nn.sigmoid(z)
        return 0.5 * ((a - Y) ** 2).sum() / X.shape[0]

    return jax.jit(jax.value_and_grad(cost))


def _peak(f):
    f()
    tracemalloc.start()
    tracemalloc.reset_peak()
    f()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def bench_grid(rounds: int, quick: bool):
    rows = []
    for sizes, m in GRID:
        for dtype in (np.float64, np.float32):
            for name, out, cost, ref in CASES:
                net = jc.Network(sizes, activation="sigmoid", output=out, cost=cost)
                fn = net.gradient_function()
                params = net.init_params(seed=0, dtype=dtype)
                rng = np.random.default_rng(0)
                X = rng.normal(size=(m, sizes[0])).astype(dtype)
                Y = np.eye(sizes[-1], dtype=dtype)[rng.integers(0, sizes[-1], size=m)]
                fns = {"jacobi": lambda: fn(params, X, Y), "numpy": lambda: ref(params, X, Y)}
                t = _torch_fn(out)
                if t is not None:
                    import torch

                    tp = [(torch.from_numpy(W.copy()), torch.from_numpy(b.copy())) for W, b in params]
                    tX, tY = torch.from_numpy(X), torch.from_numpy(Y)
                    fns["torch"] = lambda: t([(W.detach(), b.detach()) for W, b in tp], tX, tY)
                j = _jax_fn(out)
                if j is not None:
                    import jax.numpy as jnp

                    jp = [(jnp.asarray(W), jnp.asarray(b)) for W, b in params]
                    jX, jY = jnp.asarray(X), jnp.asarray(Y)
                    j(jp, jX, jY)[0].block_until_ready()
                    fns["jax.jit"] = lambda: j(jp, jX, jY)[0].block_until_ready()
                med = interleaved(fns, rounds if not quick else 3, 0.02 if not quick else 0.002)
                mem = (_peak(fns["jacobi"]), _peak(fns["numpy"]))
                rows.append((sizes, m, np.dtype(dtype).name, name, med, mem))
                print(_row(rows[-1]), flush=True)
    return rows


def _row(r):
    sizes, m, dt, name, med, mem = r
    cells = ["-".join(map(str, sizes)), str(m), dt, name, fmt_time(med["jacobi"]), fmt_time(med["numpy"]),
             f"{med['jacobi'] / med['numpy']:.3f}", f"{mem[0] / mem[1]:.3f}"]
    for k in ("torch", "jax.jit"):
        cells.append(f"{fmt_time(med[k])} ({med['jacobi'] / med[k]:.2f})" if k in med else "n/a")
    return "| " + " | ".join(cells) + " |"


PIPE = """
import time, jacobi as jc
t = time.perf_counter()
net = jc.Network([16] * ({L} + 1), activation="sigmoid", output="softmax", cost="cross_entropy")
fn = net.gradient_function()
print(time.perf_counter() - t, net.backprop().count())
"""


def bench_pipeline():
    out = []
    for L in (2, 8, 32, 64):
        res = subprocess.run([sys.executable, "-c", PIPE.format(L=L)], capture_output=True, text=True, check=True)
        secs, count = res.stdout.split()
        out.append((L, float(secs), int(count)))
        print(f"| {L} | {float(secs):.3f} s | {count} |", flush=True)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--quick", action="store_true", help="a fast smoke run")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results.md"))
    args = ap.parse_args(argv)
    machine = machine_line()
    print(f"machine: {machine}\n")
    head = ("| network | batch | dtype | case | jacobi | hand numpy | jacobi/numpy | peak mem ratio "
            "| torch eager (jacobi/torch) | jax.jit (jacobi/jax) |\n|" + "---|" * 10)
    print(head)
    rows = bench_grid(args.rounds, args.quick)
    print("\n| depth | build + derive + simplify + generate | nodes |\n|---|---|---|")
    pipe = bench_pipeline()
    with open(args.out, "w") as fh:
        fh.write(f"Machine: {machine}\n\n{head}\n" + "\n".join(_row(r) for r in rows) + "\n\n")
        fh.write("| depth | build + derive + simplify + generate | nodes |\n|---|---|---|\n")
        fh.write("\n".join(f"| {L} | {s:.3f} s | {c} |" for L, s, c in pipe) + "\n")
    worst = max(r[4]["jacobi"] / r[4]["numpy"] for r in rows)
    print(f"\nworst jacobi/numpy ratio: {worst:.3f}; written to {args.out}")


if __name__ == "__main__":
    main()
