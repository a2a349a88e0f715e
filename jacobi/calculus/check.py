"""Numeric checks: central finite differences against symbolic derivatives.

A check is refused before anything is allocated when it would exceed its
budget: ``max_entries`` entries in any one array (a variable, an intermediate
result, a gradient) and ``max_evals`` evaluations of the function by central
differences (two per checked entry).  The point is drawn inside the domain of
the function's parts (log, sqrt and non-integer powers need positive numbers),
and a point where the function or its gradient is not finite is never used; where f has a kink at 0 (abs,
sign, relu) the point keeps its entries away from 0.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..codegen.lambdify import lambdify
from ..core import structure
from ..core.display import markdown_text, screen, wrap
from ..core.expr import Expr, describe
from ..core.leaves import Symbol
from ..core.shapes import JacobiError, ShapeError, concrete, concrete_sizes
from .admissible import evaluations, numeric_gradient_on
from .derive import gradient as sym_gradient
from .sampling import _RANGES, _domain, _kinked, _off_zero, random_values

MAX_ENTRIES = 10**6  # entries of any one array
MAX_EVALS = 10**5  # evaluations of the function by central differences


class BudgetError(JacobiError):
    """A check larger than its budget; ``kind`` is "entries" or "evals" (the keyword max_<kind> raises it)."""

    def __init__(self, kind: str, need: int, budget: int, what: str):
        self.kind, self.need, self.budget, self.what = kind, need, budget, what
        super().__init__(self.text(f"max_{kind}="))

    def text(self, how: str) -> str:
        if self.kind == "entries":
            return (f"the check needs an array of {self.need:,} entries ({self.what}); the budget is "
                    f"{self.budget:,} entries per array: raise it with {how}N")
        return (f"the check needs {self.need:,} evaluations by central differences ({self.what}); the budget is "
                f"{self.budget:,} evaluations: raise it with {how}N")


def check_budget(arrays, evals: int, evals_what: str, max_entries: int, max_evals: int) -> None:
    """Raise BudgetError if any (name, rows, cols) in arrays has more than max_entries entries, or evals
    is more than max_evals."""
    for name, r, c in arrays:
        if r * c > max_entries:
            raise BudgetError("entries", r * c, max_entries, f"{name}, {r} x {c}")
    if evals > max_evals:
        raise BudgetError("evals", evals, max_evals, evals_what)


def _budget(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise JacobiError(f"{name} must be a positive integer, not {value!r}")
    return int(value)


def numeric_jacobian(fn, values, k, eps=1e-6):
    """d vec(fn) / d vec(values[k]) by central differences (numerator layout)."""
    values = [np.array(v) if np.asarray(v).dtype.kind in "iu" else np.array(v, dtype=np.float64) for v in values]
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

    def __repr__(self):
        return screen(wrap(str(self)))

    def _repr_markdown_(self) -> str:
        """The verdict, then a table: each variable's worst relative error against the tolerance."""
        rows = [f"| {markdown_text(k)} | {v:.2e} | {'within' if v <= self.tol else '**above**'} |"
                for k, v in self.errors.items()]
        head = (f"**gradient check {'passed' if self.ok else 'FAILED'}**: the gradient against central differences, "
                f"tolerance {self.tol:g} (the worst relative error of each variable)")
        return "\n".join([head, "", "| variable | relative error | tolerance |", "|:--|--:|:--|", *rows]) + "\n"


def check_gradient(f, wrt=None, *, sizes=None, values=None, params=None, X=None, Y=None,
                   seed=0, eps=1e-6, tol=1e-6, max_entries=MAX_ENTRIES, max_evals=MAX_EVALS) -> GradientCheck:
    """Compare a gradient with central differences and report the relative error.

    * For an expression: jacobi's symbolic gradient of the scalar f with
      respect to wrt, at a seeded random point inside the domain of f's parts
      (or ``values``, a dict from symbol to array).
      ``print(jc.check_gradient(C, [W, b], sizes={"n": 3}))``
    * For a generated gradient function fn(params, X, Y) -> (cost, grads):
      ``jc.check_gradient(fn, params=params, X=X, Y=Y)``; every entry of
      every W and b is perturbed (float64).

    A check with an array of more than ``max_entries`` entries or more than
    ``max_evals`` evaluations by central differences is refused (BudgetError)
    before anything is allocated; raise them for a bigger check.
    """
    max_entries, max_evals = _budget(max_entries, "max_entries"), _budget(max_evals, "max_evals")
    for name, v, least in (("eps", eps, "> 0"), ("tol", tol, ">= 0")):
        if (isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) or not np.isfinite(v)
                or not (v > 0 if name == "eps" else v >= 0)):
            raise JacobiError(f"{name} must be a finite number {least}, not {v!r}")
    if callable(f) and not isinstance(f, Expr):
        if params is None or X is None or Y is None:
            raise JacobiError("checking a gradient function needs params=, X= and Y=")
        return _check_function(f, params, X, Y, eps, tol, max_entries, max_evals)
    if not isinstance(f, Expr):
        raise JacobiError("check_gradient takes a scalar jacobi expression or a generated gradient function")
    if wrt is None:
        raise JacobiError("check_gradient needs wrt=, the variables to check")
    sizes = concrete_sizes(sizes)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise JacobiError(f"seed must be an integer >= 0, not {seed!r}")
    if not f.is_scalar:
        raise ShapeError(f"check_gradient checks the gradient of a scalar; {describe(f)} is not one")
    ws = list(wrt) if isinstance(wrt, (list, tuple)) else [wrt]
    if not ws:
        raise JacobiError("check_gradient needs at least one variable in wrt= (an empty check proves nothing)")
    for w in ws:
        if not isinstance(w, Symbol):
            raise JacobiError(f"wrt= names the symbols (jc.scalar, jc.vector, jc.matrix) to check, not {w!r}")
    syms = list(f.symbols())
    for w in ws:
        if w not in syms:
            syms.append(w)
    grads = sym_gradient(f, ws)
    if not isinstance(grads, list):
        grads = [grads]
    shapes = {s: concrete(s.shape, sizes) for s in syms}
    nodes = [(_short(n), *concrete(n.shape, sizes)) for e in [f, *grads] for n in e.walk()]
    evals = sum(evaluations(w, *shapes[w]) for w in ws)
    check_budget([(s.name, *shapes[s]) for s in syms] + nodes, evals, "two per entry of " + ", ".join(
        w.name for w in ws), max_entries, max_evals)
    fnum = lambdify(syms, f, sizes=sizes)
    gnum = lambdify(syms, grads, sizes=sizes)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if values is None:
            vals, got = _inside(f, syms, sizes, seed, fnum, gnum)
        else:
            vals = [_value(values, s) for s in syms]
            got = gnum(*vals)
            if not _finite(fnum(*vals), got):
                raise JacobiError("f or its gradient is not finite at the given values: they lie outside f's domain")
        errors = {}
        for w, g in zip(ws, got):
            k = syms.index(w)
            # along the directions a structured w admits, on its space (admissible.py); else every entry
            J = numeric_gradient_on(fnum, vals, k, w, eps) if structure.of(w.assumptions) else \
                numeric_jacobian(fnum, vals, k, eps)
            if not np.all(np.isfinite(J)):
                raise JacobiError(f"central differences of f in {w.name} are not finite: a step of {eps:g} "
                                  "leaves f's domain at this point")
            errors[w.name] = rel_error(np.asarray(g).reshape(-1, order="F"), J.reshape(-1, order="F"))
    return GradientCheck(errors, tol)


def _short(e: Expr) -> str:
    text = str(e)
    return text if len(text) <= 40 else text[:37] + "..."


def _finite(*arrays) -> bool:
    return all(np.all(np.isfinite(np.asarray(a, dtype=np.float64))) for x in arrays
               for a in (x if isinstance(x, (list, tuple)) else [x]))


def _inside(f, syms, sizes, seed, fnum, gnum):
    """A seeded random point where f and its gradient are finite, and the gradient there."""
    first = _domain(f)
    kinked = _kinked(f)
    tried = []
    for k, rng in enumerate([first] + [r for r in _RANGES if r != first]):
        vals = random_values(syms, sizes, seed + k, rng)
        if kinked:
            # a diagonal matrix keeps its zeros off the diagonal
            vals = [v if "distribution" in s.assumptions else _off_zero(v) * (v != 0 if s.diagonal else 1)
                    for s, v in zip(syms, vals)]
        got = gnum(*vals)
        if _finite(fnum(*vals), got):
            return vals, got
        tried.append(f"({rng[0]:g}, {rng[1]:g})")
    raise JacobiError("cannot find a point inside the domain of f: f or its gradient is not finite at random points "
                      f"with entries in {', '.join(tried)}")


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


def function_budget(sizes, m: int, max_entries: int = MAX_ENTRIES, max_evals: int = MAX_EVALS) -> None:
    """Refuse (BudgetError) a check of a network gradient function with layer sizes ``sizes`` on m examples."""
    arrays = [(f"W{l}", sizes[l], sizes[l - 1]) for l in range(1, len(sizes))]
    arrays += [(f"b{l}", sizes[l], 1) for l in range(1, len(sizes))]
    arrays += [("X", m, sizes[0]), ("Y", m, sizes[-1])] + [(f"a{l}", m, sizes[l]) for l in range(1, len(sizes))]
    evals = 2 * sum(r * c for name, r, c in arrays if name[0] in "Wb")
    check_budget(arrays, evals, "two per weight and bias", max_entries, max_evals)


def _check_function(fn, params, X, Y, eps, tol, max_entries, max_evals) -> GradientCheck:
    try:
        pairs = [(W, b) for W, b in params]
    except (TypeError, ValueError):
        raise JacobiError("params must be a list [(W1, b1), (W2, b2), ...] of arrays") from None
    if not pairs:
        raise JacobiError("params is empty: there is nothing to check")
    arrays = [(f"{n}{l}", *_rows_cols(A)) for l, (W, b) in enumerate(pairs, start=1) for n, A in (("W", W), ("b", b))]
    check_budget(arrays + [("X", *_rows_cols(X)), ("Y", *_rows_cols(Y))], 2 * sum(r * c for _, r, c in arrays),
                 "two per weight and bias", max_entries, max_evals)
    try:
        P64 = [(np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)) for W, b in pairs]
        X = np.asarray(X, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise JacobiError(f"params, X and Y must be arrays of numbers: {err}") from None
    fn = _calling(fn)
    _, grads = _call(fn, P64, X, Y)
    grads = list(grads) if isinstance(grads, (list, tuple)) else None
    if grads is None or len(grads) != len(P64):
        raise JacobiError(f"the gradient function must return (cost, [(dW1, db1), ...]) with {len(P64)} pairs")
    errors, moved = {}, False
    for l, ((W, b), pair) in enumerate(zip(P64, grads), start=1):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise JacobiError(f"the gradient function's gradient {l} is not a pair (dW{l}, db{l})")
        for name, A, G in ((f"W{l}", W, pair[0]), (f"b{l}", b, pair[1])):
            G = np.asarray(G, dtype=np.float64)
            if G.shape != A.shape:
                raise JacobiError(f"the gradient function's d{name} has shape {G.shape}; {name} has {A.shape}")
            num = np.zeros_like(A)
            flat, nflat = A.reshape(-1), num.reshape(-1)
            for j in range(flat.size):
                old = flat[j]
                flat[j] = old + eps
                cp = _call(fn, P64, X, Y)[0]
                flat[j] = old - eps
                cm = _call(fn, P64, X, Y)[0]
                flat[j] = old
                nflat[j] = (cp - cm) / (2 * eps)
            errors[name] = rel_error(G, num)
            moved = moved or bool(np.any(num))
    if not moved:
        raise JacobiError(f"the cost does not change when any weight or bias is nudged by {eps:g}: the check would "
                          "pass vacuously")
    return GradientCheck(errors, tol)


def _rows_cols(A) -> tuple[int, int]:
    shape = np.shape(A)
    return (int(np.prod(shape[:-1], dtype=object)) if len(shape) > 1 else 1), (shape[-1] if shape else 1)


def _call(fn, params, X, Y):
    out = fn(params, X, Y)
    if not isinstance(out, (list, tuple)) or len(out) != 2:
        raise JacobiError("the gradient function must return a pair (cost, grads)")
    try:
        cost = float(np.asarray(out[0], dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        raise JacobiError(f"the gradient function's cost must be a number, not {out[0]!r:.60}") from None
    if not np.isfinite(cost):
        raise JacobiError(f"the gradient function's cost is not finite ({cost})")
    return cost, out[1]


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
