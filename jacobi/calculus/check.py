"""Numeric checks: central finite differences against symbolic derivatives."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..codegen.lambdify import lambdify
from ..core import functions as F
from ..core.expr import Expr
from ..core.shapes import JacobiError, concrete
from .derive import gradient as sym_gradient


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
        fp = np.array(fn(*values), dtype=np.float64, copy=True).reshape(-1, order="F")
        flat[j] = old - eps
        values[k] = flat.reshape(x.shape, order="F")
        fm = np.array(fn(*values), dtype=np.float64, copy=True).reshape(-1, order="F")
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


def check_gradient(f, wrt=None, *, sizes=None, values=None, params=None, X=None, Y=None,
                   seed=0, eps=1e-6, tol=1e-6) -> GradientCheck:
    """Compare a gradient with central differences and report the relative error.

    * For an expression: jacobi's symbolic gradient of the scalar f with
      respect to wrt, at a seeded random point (or ``values``, a dict from
      symbol to array).  ``print(jc.check_gradient(C, [W, b], sizes={"n": 3}))``
    * For a generated gradient function fn(params, X, Y) -> (cost, grads):
      ``jc.check_gradient(fn, params=params, X=X, Y=Y)``; every entry of
      every W and b is perturbed (float64).
    """
    if callable(f) and not isinstance(f, Expr):
        if params is None or X is None or Y is None:
            raise JacobiError("checking a gradient function needs params=, X= and Y=")
        return _check_function(f, params, X, Y, eps, tol)
    if not isinstance(f, Expr):
        raise JacobiError("check_gradient takes a scalar jacobi expression or a generated gradient function")
    if wrt is None:
        raise JacobiError("check_gradient needs wrt=, the variables to check")
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


def _check_function(fn, params, X, Y, eps, tol) -> GradientCheck:
    P64 = [(np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)) for W, b in params]
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    _, grads = fn(P64, X, Y)
    errors = {}
    for l, ((W, b), (dW, db)) in enumerate(zip(P64, grads), start=1):
        for name, A, G in ((f"W{l}", W, dW), (f"b{l}", b, db)):
            num = np.zeros_like(A)
            flat, nflat = A.reshape(-1), num.reshape(-1)
            for j in range(flat.size):
                old = flat[j]
                flat[j] = old + eps
                cp = fn(P64, X, Y)[0]
                flat[j] = old - eps
                cm = fn(P64, X, Y)[0]
                flat[j] = old
                nflat[j] = (cp - cm) / (2 * eps)
            errors[name] = rel_error(G, num)
    return GradientCheck(errors, tol)
