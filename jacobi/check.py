"""Numeric checks: central finite differences against symbolic derivatives."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import functions as F
from .chain import gradient as sym_gradient
from .codegen import lambdify
from .expr import Expr
from .shapes import JacobiError, concrete


def random_values(symbols, sizes=None, seed=0, domain=(-1.0, 1.0)):
    """Seeded random arrays for the symbols (matching shapes; sizes fills names)."""
    rng = np.random.default_rng(seed)
    out = []
    for s in symbols:
        r, c = concrete(s.shape, sizes)
        lo, hi = domain
        if "distribution" in s.assumptions:
            v = rng.uniform(0.1, 1.0, size=(r, c))
            v = v / v.sum(axis=0, keepdims=True)
        else:
            v = rng.uniform(lo, hi, size=(r, c))
        out.append(v)
    return out


def numeric_jacobian(fn, values, k, eps=1e-6):
    """d vec(fn) / d vec(values[k]) by central differences (numerator layout)."""
    values = [np.array(v, dtype=np.float64) for v in values]
    x = values[k]
    base = np.asarray(fn(*values), dtype=np.float64)
    J = np.zeros((base.size, x.size))
    flat = x.reshape(-1, order="F")
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + eps
        values[k] = flat.reshape(x.shape, order="F")
        fp = np.asarray(fn(*values), dtype=np.float64).reshape(-1, order="F")
        flat[j] = old - eps
        values[k] = flat.reshape(x.shape, order="F")
        fm = np.asarray(fn(*values), dtype=np.float64).reshape(-1, order="F")
        flat[j] = old
        J[:, j] = (fp - fm) / (2 * eps)
    values[k] = flat.reshape(x.shape, order="F")
    return J


def rel_error(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


@dataclass
class GradientCheck:
    """The outcome of a gradient check: the worst relative error, per variable."""

    errors: dict
    tol: float

    @property
    def max_error(self) -> float:
        return max(self.errors.values()) if self.errors else 0.0

    @property
    def ok(self) -> bool:
        return self.max_error <= self.tol

    def __bool__(self):
        return self.ok

    def __str__(self):
        parts = ", ".join(f"{k}: {v:.2e}" for k, v in self.errors.items())
        return f"gradient check {'passed' if self.ok else 'FAILED'} (relative error {parts}; tolerance {self.tol:g})"


def check_gradient(f: Expr, wrt, *, sizes=None, values=None, seed=0, eps=1e-6, tol=1e-6) -> GradientCheck:
    """Compare jacobi's symbolic gradient of a scalar expression with central
    differences at a seeded random point (or the given values: a dict from
    symbol to array).  ``print(jc.check_gradient(C, [W, b], sizes={"n": 3}))``"""
    if not isinstance(f, Expr):
        raise JacobiError("check_gradient takes a scalar jacobi expression")
    ws = list(wrt) if isinstance(wrt, (list, tuple)) else [wrt]
    syms = list(f.symbols())
    for w in ws:
        if w not in syms:
            syms.append(w)
    if values is None:
        lo, hi = _domain(f)
        vals = random_values(syms, sizes, seed, (lo, hi))
    else:
        vals = [np.asarray(values[s], dtype=np.float64) for s in syms]
    fnum = lambdify(syms, f)
    grads = sym_gradient(f, ws)
    if not isinstance(grads, list):
        grads = [grads]
    gnum = lambdify(syms, grads)
    got = gnum(*vals)
    errors = {}
    for w, g in zip(ws, got):
        k = syms.index(w)
        J = numeric_jacobian(fnum, vals, k, eps)
        errors[w.name] = rel_error(np.asarray(g).reshape(-1, order="F"), J.reshape(-1))
    return GradientCheck(errors, tol)


def _domain(f: Expr):
    lo, hi = -1.0, 1.0
    for n in f.walk():
        fn = getattr(n, "fn", None)
        if isinstance(fn, F.ElementwiseFunction) and fn.domain[0] > 0:
            lo, hi = 0.3, 1.5
    return lo, hi
