"""Independent oracles for jacobi's derivatives (a helper module, not tests).

Every symbolic derivative jacobi produces is compared with two oracles that
share nothing with jacobi's derivative code:

* central finite differences of the lambdified *function* (not of the
  derivative): ``jacobi.check.numeric_jacobian``;
* SymPy's own scalar differentiation of the component view
  ``jc.explicit(f, sizes, elementary=True)`` with respect to the entry
  symbols, evaluated at the same point.

Layout: Jacobians are numerator layout over vec (column-major), rows are the
entries of f, columns the entries of the variable.
"""
from __future__ import annotations

import numpy as np
import sympy as sp

import jacobi as jc
from jacobi.calculus.check import numeric_jacobian, random_values, rel_error
from jacobi.calculus.explicit import entries_of
from jacobi.core.shapes import concrete

#: finite differences (eps = 1e-6, central) against the symbolic value
FD_TOL = 1e-6
#: two exact derivatives evaluated in floating point
SYM_TOL = 1e-8


def vec(a) -> np.ndarray:
    """vec(a): the columns stacked, as a flat float array."""
    return np.asarray(a, dtype=np.float64).reshape(-1, order="F")


def numel(e, sizes) -> int:
    r, c = concrete(e.shape, sizes)
    return r * c


def sample(symbols, sizes, seed, domain=(-1.0, 1.0), avoid_zero: float = 0.0):
    """Seeded values for the symbols inside domain; with avoid_zero > 0 every
    entry is pushed at least that far from 0 (for functions with a kink at 0)."""
    vals = random_values(symbols, sizes, seed, domain)
    if avoid_zero:
        vals = [v if v.dtype.kind in "iu" else np.where(v >= 0, 1.0, -1.0) * (avoid_zero + np.abs(v))
                for v in vals]  # index matrices (integers) as they are
    return vals


def evaluate(expr, symbols, values, sizes=None) -> np.ndarray:
    """Numeric value of a jacobi expression (through jc.lambdify) as a float array; sizes binds those that no
    argument's shape gives (the power k of matrix_power(X, k))."""
    out = jc.lambdify(list(symbols), expr, sizes=sizes)(*values)
    return np.array(out, dtype=np.float64)  # a copy: the result may share memory with the inputs


def assert_close(got, want, tol, what=""):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    assert np.all(np.isfinite(got)), f"{what}: non-finite values {got}"
    err = rel_error(got, want)
    assert err <= tol, f"{what}: relative error {err:.3e} > {tol:g}\n got  {got}\n want {want}"


# ---------------------------------------------------------------------------
# Oracle (a): central finite differences of the function itself.


def fd_jacobian(f, symbols, values, wrt, sizes=None) -> np.ndarray:
    """d vec(f) / d vec(wrt)^T by central differences of the lambdified f."""
    fn = jc.lambdify(list(symbols), f, sizes=sizes)
    # numeric_jacobian perturbs the argument arrays in place; the lambdified f
    # may return a view of its argument (x.T, vec(x), identity(x)), so every
    # output is copied before the next perturbation.  (test_regressions checks
    # numeric_jacobian itself on such a function.)
    return numeric_jacobian(lambda *v: np.array(fn(*v), dtype=np.float64), values, list(symbols).index(wrt))


# ---------------------------------------------------------------------------
# Oracle (b): SymPy differentiates the component view.


class ExplicitOracle:
    """f written entry by entry (elementary functions only) and differentiated by SymPy."""

    def __init__(self, f, symbols, sizes):
        E = jc.explicit(f, sizes, elementary=True)
        self.fvec = [E[j, k] for k in range(E.cols) for j in range(E.rows)]
        self.symbols = list(symbols)
        self.entries = {s: entries_of(s, sizes) for s in self.symbols}
        self.args = [e for s in self.symbols for e in self.entries[s]]
        self._fns: dict = {}

    def _compiled(self, wrt):
        fn = self._fns.get(wrt)
        if fn is None:
            xs = self.entries[wrt]
            J = sp.Matrix([[sp.diff(fi, xj) for xj in xs] for fi in self.fvec])
            # d Heaviside = DiracDelta, which is 0 away from the kink (the samples
            # of non-smooth functions are kept away from 0).
            J = J.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.Integer(0))
            fn = sp.lambdify(self.args, J, modules="numpy")
            self._fns[wrt] = fn
        return fn

    def jacobian(self, wrt, values) -> np.ndarray:
        flat = np.concatenate([vec(v) for v in values])
        out = np.asarray(self._compiled(wrt)(*flat), dtype=np.float64)
        return out.reshape(len(self.fvec), len(self.entries[wrt]))

    def value(self, values) -> np.ndarray:
        flat = np.concatenate([vec(v) for v in values])
        fn = sp.lambdify(self.args, sp.Matrix(self.fvec), modules="numpy")
        return np.asarray(fn(*flat), dtype=np.float64).reshape(-1)


# ---------------------------------------------------------------------------
# jacobi's answer, as a numeric Jacobian in numerator layout.


def cotangent_symbol(f):
    """A fresh symbol of f's shape, standing for a constant cotangent u."""
    r, c = f.shape
    if c == 1:
        return jc.vector("ubar", r)
    return jc.matrix("Ubar", r, c)


class Symbolic:
    """jacobi's derivatives of f, compiled once per variable."""

    def __init__(self, f, symbols, sizes):
        self.f = f
        self.symbols = list(symbols)
        self.sizes = sizes
        self.scalar = f.is_scalar
        self._jac: dict = {}

    def derivative(self, wrt):
        """jc.gradient for a scalar f (shape of wrt), jc.jacobian otherwise."""
        d = self._jac.get(wrt)
        if d is None:
            if self.scalar:
                g = jc.gradient(self.f, wrt)
                assert g.shape == wrt.shape, f"gradient of {self.f} wrt {wrt} has shape {g.shape}, not {wrt.shape}"
                row = jc.jacobian(self.f, wrt)
                assert row.shape == (1, jc.core.numel(wrt.shape)), f"jacobian row of {self.f} has shape {row.shape}"
                d = (g, row)
            else:
                J = jc.jacobian(self.f, wrt)
                want = (self.f.shape[0] * self.f.shape[1], wrt.shape[0] * wrt.shape[1])
                assert J.shape == want, f"jacobian of {self.f} wrt {wrt} has shape {J.shape}, not {want}"
                d = (J,)
            self._jac[wrt] = d
        return d

    def jacobian(self, wrt, values) -> np.ndarray:
        """The numeric Jacobian (numel f) x (numel wrt) from jacobi's result."""
        nf = numel(self.f, self.sizes)
        nw = numel(wrt, self.sizes)
        d = self.derivative(wrt)
        if self.scalar:
            g, row = d
            gv = evaluate(g, self.symbols, values, self.sizes)
            assert gv.shape == tuple(concrete(wrt.shape, self.sizes)) or (wrt.is_scalar and gv.shape == ()), \
                f"gradient value has shape {gv.shape}"
            J = vec(gv).reshape(1, nw)
            rv = evaluate(row, self.symbols, values, self.sizes).reshape(1, -1)
            assert_close(rv, J, SYM_TOL, f"jc.jacobian row vs jc.gradient of {self.f} wrt {wrt}")
            return J
        Jv = evaluate(d[0], self.symbols, values, self.sizes)
        if Jv.ndim < 2:
            Jv = Jv.reshape(nf, nw)
        assert Jv.shape == (nf, nw), f"Jacobian value of {self.f} wrt {wrt} has shape {Jv.shape}"
        return Jv


def check_all(f, wrt_list, sizes, seeds, domain=(-1.0, 1.0), avoid_zero=0.0, explicit=True, projection=True):
    """Check jacobi's derivative of f with respect to every variable in wrt_list
    against both oracles at several seeded points; for a non-scalar f also
    check the reverse-mode projection <u, J v> = <J^T u, v>."""
    symbols = list(f.symbols())
    for w in wrt_list:
        if w not in symbols:
            symbols.append(w)
    sym = Symbolic(f, symbols, sizes)
    oracle = ExplicitOracle(f, symbols, sizes) if explicit else None
    U = cotangent_symbol(f) if (projection and not f.is_scalar) else None
    grads = {}
    for seed in seeds:
        values = sample(symbols, sizes, seed, domain, avoid_zero)
        if oracle is not None:
            assert_close(vec(evaluate(f, symbols, values, sizes)), oracle.value(values), SYM_TOL,
                         f"lambdify vs explicit value of {f}")
        for w in wrt_list:
            J = sym.jacobian(w, values)
            Jfd = fd_jacobian(f, symbols, values, w, sizes)
            assert_close(J, Jfd, FD_TOL, f"d({f})/d{w} vs finite differences (seed {seed})")
            if oracle is not None:
                Jex = oracle.jacobian(w, values)
                assert_close(J, Jex, SYM_TOL, f"d({f})/d{w} vs SymPy on the explicit form (seed {seed})")
            if U is not None:
                g = grads.get(w)
                if g is None:
                    g = grads[w] = jc.gradient(jc.sum(U * f), w)
                    assert g.shape == w.shape
                rng = np.random.default_rng(1000 + seed)
                uval = rng.uniform(-1, 1, size=concrete(U.shape, sizes))
                v = rng.uniform(-1, 1, size=J.shape[1])
                gt = vec(evaluate(g, symbols + [U], values + [uval], sizes))
                assert_close(gt, J.T @ vec(uval), FD_TOL, f"reverse mode grad sum(u * ({f}))/d{w} vs J^T u")
                lhs = float(vec(uval) @ (J @ v))
                rhs = float(gt @ v)
                assert abs(lhs - rhs) <= 1e-8 * max(1.0, abs(lhs)), f"<u, J v> = {lhs} but <J^T u, v> = {rhs}"
    return sym
