"""Numeric checks: central finite differences against symbolic derivatives."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..codegen.lambdify import lambdify
from ..core import functions as F
from ..core.expr import Expr, describe
from ..core.leaves import Symbol
from ..core.shapes import JacobiError, ShapeError, concrete, concrete_sizes
from .derive import gradient as sym_gradient


def random_values(symbols, sizes=None, seed=0, domain=(-1.0, 1.0)):
    """Seeded random arrays for the symbols (matching shapes; sizes fills names)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise JacobiError(f"seed must be an integer, not {seed!r}")
    sizes = concrete_sizes(sizes)
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
    for name, v in (("eps", eps), ("tol", tol)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) or not v > 0:
            raise JacobiError(f"{name} must be a positive number, not {v!r}")
    if callable(f) and not isinstance(f, Expr):
        if params is None or X is None or Y is None:
            raise JacobiError("checking a gradient function needs params=, X= and Y=")
        return _check_function(f, params, X, Y, eps, tol)
    if not isinstance(f, Expr):
        raise JacobiError("check_gradient takes a scalar jacobi expression or a generated gradient function")
    if wrt is None:
        raise JacobiError("check_gradient needs wrt=, the variables to check")
    if not f.is_scalar:
        raise ShapeError(f"check_gradient checks the gradient of a scalar; {describe(f)} is not one")
    ws = list(wrt) if isinstance(wrt, (list, tuple)) else [wrt]
    for w in ws:
        if not isinstance(w, Symbol):
            raise JacobiError(f"wrt= names the symbols (jc.scalar, jc.vector, jc.matrix) to check, not {w!r}")
    syms = list(f.symbols())
    for w in ws:
        if w not in syms:
            syms.append(w)
    if values is None:
        lo, hi = _domain(f)
        vals = random_values(syms, sizes, seed, (lo, hi))
    else:
        vals = [_value(values, s) for s in syms]
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


def _value(values, s):
    """values[s] as a float64 array of s's shape."""
    if not isinstance(values, dict):
        raise JacobiError(f"values must be a dict from symbols to arrays, not {values!r}")
    if s not in values:
        raise JacobiError(f"values gives no value for {describe(s)}")
    try:
        v = np.asarray(values[s], dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise JacobiError(f"the value of {s.name} is not an array of numbers: {err}") from None
    want = tuple(int(d) if d.is_Integer else None for d in s.shape)
    got = v.shape if v.ndim == 2 else ((v.shape[0], 1) if v.ndim == 1 else (1, 1) if v.ndim == 0 else v.shape)
    if len(got) != 2 or any(w is not None and w != g for w, g in zip(want, got)):
        raise ShapeError(f"the value of {s.name} has shape {v.shape}; {describe(s)} was expected")
    return v


def _domain(f: Expr):
    lo, hi = -1.0, 1.0
    for n in f.walk():
        fn = getattr(n, "fn", None)
        if isinstance(fn, F.ElementwiseFunction) and fn.domain[0] > 0:
            lo, hi = 0.3, 1.5
    return lo, hi


def _check_function(fn, params, X, Y, eps, tol) -> GradientCheck:
    try:
        P64 = [(np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)) for W, b in params]
    except (TypeError, ValueError) as err:
        raise JacobiError(f"params must be a list of (W, b) pairs of arrays: {err}") from None
    try:
        X = np.asarray(X, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise JacobiError(f"X and Y must be arrays of numbers: {err}") from None
    fn = _calling(fn)
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


def _calling(fn):
    """fn, with a failure of the user's own function reported as a JacobiError (a jacobi one passes)."""
    def call(*args):
        try:
            return fn(*args)
        except JacobiError:
            raise
        except Exception as err:
            raise JacobiError(f"the gradient function {getattr(fn, '__name__', fn)!r} failed: "
                              f"{type(err).__name__}: {err}") from err
    return call
