"""Every printed step checked numerically.

At one seeded random point (symbolic sizes bound to small numbers, values inside the domain of the
function's parts), each equation of a derivation is evaluated with the generated code of its right
side and compared twice:

* with the line before it that has the same left side (a simplification, a display form or a
  cancellation must not change the value), to rounding;
* with an independent derivative: a left side d f/d x is measured by central differences along a
  random direction, through the program's definitions (a local Jacobian d c/d v holds every other
  symbol of c's definition fixed; a chain-rule product, a simplification, an adjoint or a result is
  the total derivative through everything computed after v).

A step that fails either comparison raises a JacobiError naming the step, so a wrong derivation is
never printed silently.  Cost: one lambdify per distinct expression (about a millisecond) and two
evaluations of the program per derivative line, at sizes of 2 to 5.
"""
from __future__ import annotations

import warnings
import zlib

import numpy as np
import sympy as sp

from ..codegen.lambdify import lambdify
from ..core import structure
from ..core.expr import Expr
from ..core.indexing import is_indices
from ..core.leaves import Symbol
from ..core.shapes import JacobiError, concrete, concrete_sizes
from .admissible import structured
from .derivation import VERIFY, Partial
from .sampling import _RANGES, _domain, _kinked, _off_zero, random_values

#: the small sizes bound, in turn, to the size names of a derivation (distinct, so that a transposed
#: factor cannot pass by accident)
SIZES = (3, 2, 4, 5)
EPS = 1e-6  # central differences' step
RTOL_SAME = 1e-8  # two lines with one left side: the same value but for rounding
RTOL_DERIVATIVE = 1e-5  # a derivative against central differences


def _shown(step) -> str:
    text = f"{step.lhs} = {step.rhs}"
    if len(text) > 160:
        text = text[:157] + "..."
    return text + (f"    [{step.rule}]" if step.rule else "")


def _size_names(exprs) -> list:
    names: dict = {}
    for e in exprs:
        for n in e.walk():
            for dim in n.shape:
                for s in sorted(getattr(dim, "free_symbols", ()), key=str):
                    names.setdefault(s.name, None)
            v = getattr(n, "value", None)
            if isinstance(v, sp.Basic):
                for s in sorted(v.free_symbols, key=str):
                    names.setdefault(s.name, None)
    return list(names)


class _Point:
    """The values of a derivation's symbols at one random point, and numeric evaluation there."""

    def __init__(self, d, sizes, seed):
        self.d = d
        exprs = [x for s in d.steps for x in (s.lhs, s.rhs) if isinstance(x, Expr)]
        exprs += [e for _, e in d.definitions] + [v for v, _ in d.definitions]
        self.sizes = dict(concrete_sizes(sizes))
        for k, name in enumerate(n for n in _size_names(exprs) if n not in self.sizes):
            self.sizes[name] = SIZES[k % len(SIZES)]
        adjoints = getattr(d, "adjoints", {}) or {}
        self.adjoints = adjoints  # name -> (output, variable)
        self.defs = [(v, e) for v, e in d.definitions if v not in adjoints]  # the forward program, in order
        self.named = [(v, e) for v, e in d.definitions if v in adjoints]
        defined = {v for v, _ in d.definitions}
        leaves: dict = {}
        for e in exprs:
            for s in e.symbols():
                if s not in defined:
                    leaves.setdefault(s, None)
        self.leaves = list(leaves)
        self.fns: dict = {}
        self.seed = seed
        whole = [e for _, e in self.defs] + ([d.f] if isinstance(d.f, Expr) else [])
        self.env = self._sample(whole)

    def _sample(self, whole):
        first = _domain(_join(whole)) if whole else (-1.0, 1.0)
        kinked = any(_kinked(e) for e in whole)
        for k, rng in enumerate([first] + [r for r in _RANGES if r != first]):
            vals = random_values(self.leaves, self.sizes, self.seed + k, rng)
            if kinked:
                vals = [v if is_indices(s) or "distribution" in s.assumptions else _off_zero(v)
                        for s, v in zip(self.leaves, vals)]
            env = dict(zip(self.leaves, vals))
            try:
                self.run(env)
            except FloatingPointError:
                continue
            if all(np.all(np.isfinite(v)) for v in env.values()):
                return env
        raise JacobiError("cannot verify the derivation: its definitions are not finite at random points")

    def eval(self, e: Expr, env: dict) -> np.ndarray:
        fn = self.fns.get(e)
        if fn is None:
            args = list(e.symbols())
            fn = self.fns[e] = (args, lambdify(args, [e], sizes=self.sizes))
        args, f = fn
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out = f(*[env[s] for s in args])
        out = out[0] if isinstance(out, (list, tuple)) else out
        return np.asarray(out, dtype=np.float64).reshape(concrete(e.shape, self.sizes))

    def run(self, env: dict, after=None) -> dict:
        """The forward program's values in env, recomputed after the variable `after` (all if None)."""
        started = after is None or after not in {v for v, _ in self.defs}
        for v, e in self.defs:
            if started:
                env[v] = self.eval(e, env)
            elif v is after:
                started = True
        for v, e in self.named:
            env[v] = self.eval(e, env)
        return env

    # -- derivatives by central differences, along a random direction -------------------------
    def direction(self, x: Symbol) -> np.ndarray:
        """A random direction for x, each entry scaled by the size of x's own entry (at most 1, at least 1e-3):
        near a pole (1 / sqrt(var + eps) at var = 0) a step of 1e-6 is not small."""
        rng = np.random.default_rng(zlib.crc32(x.name.encode()) + self.seed)  # the same in every process
        D = structured(x, rng.uniform(-1.0, 1.0, size=concrete(x.shape, self.sizes)))
        return D * np.clip(np.abs(self.env[x]), 1e-3, 1.0) if x in self.env else D

    def along(self, f: Expr, x: Symbol, D: np.ndarray, local_of=None) -> np.ndarray:
        """d f/d x applied to D: the total derivative through the program (or, with local_of, the
        partial derivative of that definition, every other symbol held)."""
        out = []
        for sign in (1, -1):
            env = dict(self.env)
            env[x] = self.env[x] + sign * EPS * D
            if local_of is not None:
                out.append(self.eval(local_of, env))
            else:
                self.run(env, after=x)
                out.append(env[f] if f in env else self.eval(f, env))  # f itself, where no variable names it
        return (out[0] - out[1]) / (2 * EPS)


def _join(exprs):
    """One expression holding them all, for the domain and kink tests (they walk nodes only)."""
    class _All:
        def walk(self):
            for e in exprs:
                yield from e.walk()
    return _All()


def _close(a, b, rtol) -> float:
    """The relative difference of two arrays (0 where they agree to rtol)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.size != b.size:
        return np.inf
    a, b = a.reshape(-1, order="F"), b.reshape(-1, order="F")
    scale = max(1.0, float(np.max(np.abs(b))) if b.size else 1.0, float(np.max(np.abs(a))) if a.size else 1.0)
    return float(np.max(np.abs(a - b))) / scale if a.size else 0.0


def verify(d, *, sizes: dict | None = None, seed: int = 0) -> None:
    """Check every step of the derivation d at a random point; raise JacobiError naming the first
    step that does not hold (see the module's docstring)."""
    if not isinstance(d.f, Expr) and d.f is not None:
        from .scalar import verify_scalar  # the lecture route: SymPy expressions

        verify_scalar(d, seed)
        return
    pt = _Point(d, sizes, seed)
    last: dict = {}
    for i, step in enumerate(d.steps, start=1):
        if not isinstance(step.rhs, Expr):
            continue
        try:
            value = pt.eval(step.rhs, pt.env)
        except JacobiError as err:
            raise JacobiError(f"step {i} ({_shown(step)}) cannot be evaluated: {err}") from None
        if not np.all(np.isfinite(value)):
            raise JacobiError(f"step {i} ({_shown(step)}) is not finite at the verification point")
        if step.kind == "define":
            _check_define(pt, d, step, value, i)
            last.pop(step.lhs, None)
            continue
        key = _meaning(pt, step)
        prev = last.get(key)
        if prev is not None:
            err = _close(_on_space(value, key), _on_space(prev[1], key), RTOL_SAME)
            if err > RTOL_SAME:
                raise JacobiError(f"step {i} ({_shown(step)}) does not equal the line before it with the same "
                                  f"left side (step {prev[0]}): relative difference {err:.2e}")
        oracle = _oracle(pt, step, key)
        if oracle is not None:
            err = _close(_apply(value, key, pt), oracle, RTOL_DERIVATIVE)
            if err > RTOL_DERIVATIVE:
                raise JacobiError(f"step {i} ({_shown(step)}) does not hold: central differences of "
                                  f"{_what(key)} give another value (relative difference {err:.2e})")
        last[key] = (i, value)


def _check_define(pt, d, step, value, i):
    """A definition holds by definition; the function itself (f := expression) must be what the program
    computes."""
    v = step.lhs
    if isinstance(v, Expr) and v in pt.env and step.rhs is not dict(pt.defs).get(v):
        err = _close(value, pt.env[v], RTOL_SAME)
        if err > RTOL_SAME:
            raise JacobiError(f"step {i} ({_shown(step)}) is not what the program computes: relative "
                              f"difference {err:.2e}")


def _meaning(pt, step):
    """What a step's left side states, as a key: ("local", c, v) for the partial derivative of c's
    definition, ("total", f, x) for a derivative through the program, ("value", s) for a symbol."""
    lhs = step.lhs
    if isinstance(lhs, Partial) and lhs.params[0] in ("jacobian", "gradient"):
        f, x = lhs.args[:2]
        local = step.kind == "local" and f in dict(pt.defs)
        return ("local" if local else "total", f, x, lhs.params[0])
    if isinstance(lhs, Symbol) and lhs in pt.adjoints:
        f, x = pt.adjoints[lhs]
        return ("total", f, x, "gradient")
    if isinstance(lhs, Expr):
        return ("value", lhs)
    return ("label", str(lhs))


def _on_space(value, key):
    """A gradient with respect to a structured matrix, projected on the matrices of that structure: the
    gradient over all entries and the gradient on the space (README, "Structured matrices") state the
    same derivative."""
    if key[0] not in ("local", "total") or key[3] != "gradient" or not isinstance(key[2], Symbol):
        return value
    st = structure.of(key[2].assumptions)
    if not st:
        return value
    if "diagonal" in st:
        return np.diag(np.diag(value))
    return (value + value.T) / 2


def _what(key) -> str:
    if key[0] in ("local", "total"):
        return f"{key[1]} in {key[2]}" + (" (its definition alone)" if key[0] == "local" else "")
    return str(key[1])


def _apply(value, key, pt):
    """The step's value applied to the direction of its variable (a gradient as <G, D>, a Jacobian as
    J vec(D)); a plain value as it is."""
    if key[0] not in ("local", "total"):
        return value
    D = pt.direction(key[2])
    if key[3] == "gradient":
        return np.array([np.sum(value * D)])
    return value @ D.reshape(-1, 1, order="F")


def _oracle(pt, step, key):
    kind = key[0]
    if kind == "value":
        s = key[1]
        return pt.env.get(s) if isinstance(s, Symbol) else None
    if kind not in ("local", "total"):
        return None
    f, x = key[1], key[2]
    if not isinstance(x, Symbol) or x not in pt.env or is_indices(x):
        return None
    D = pt.direction(x)
    if kind == "local":
        num = pt.along(f, x, D, local_of=dict(pt.defs)[f])
    else:
        if f not in pt.env and not all(s in pt.env for s in f.symbols()):
            raise JacobiError(f"step ({_shown(step)}) cannot be verified: {f} is not defined in the derivation")
        num = pt.along(f, x, D)
    num = num.reshape(-1, 1, order="F")
    return np.array([num.sum()]) if key[3] == "gradient" else num


VERIFY.append(verify)
